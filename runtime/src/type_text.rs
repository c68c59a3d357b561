//! Types in WIT syntax for messages: wasm-wave's display, and what it has no words for (resources, streams,
//! futures, error contexts), also inside other types.

use wasmtime::Engine;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{Component, ResourceType, Type};

/// The names of the resource types a component imports and exports (`counter`, `descriptor`), as its interfaces
/// export them: wasmtime's types carry no name of their own.
#[derive(Clone, Debug, Default)]
pub(crate) struct ResourceNames(Vec<(ResourceType, String)>);

impl ResourceNames {
    /// Every resource `component`'s imports and exports name, at the top level or inside an interface.
    pub(crate) fn of(engine: &Engine, component: &Component) -> ResourceNames {
        let ty = component.component_type();
        let mut names = Vec::new();
        for (name, item) in ty.imports(engine).chain(ty.exports(engine)) {
            match item.ty {
                ComponentItem::Resource(resource) => names.push((resource, name.to_owned())),
                ComponentItem::ComponentInstance(instance) => {
                    for (name, item) in instance.exports(engine) {
                        if let ComponentItem::Resource(resource) = item.ty {
                            names.push((resource, name.to_owned()));
                        }
                    }
                }
                _ => {}
            }
        }
        ResourceNames(names)
    }

    fn name(&self, resource: &ResourceType) -> Option<&str> {
        self.0
            .iter()
            .find(|(r, _)| r == resource)
            .map(|(_, name)| name.as_str())
    }
}

/// A type in WIT-like syntax; resources without a known name show as `own<resource>` / `borrow<resource>`
/// ([`named_type_text`] names them), streams and futures as
/// `stream<u8>` / `future<string>`, also inside a list, an option, a result or a tuple (wasm-wave's display
/// writes `<<UNSUPPORTED>>` for them).
pub(crate) fn type_text(ty: &Type) -> String {
    named_type_text(ty, &ResourceNames::default())
}

/// [`type_text`], with the resources `names` knows written by their names, as WIT writes them: `counter` for an
/// owned handle, `borrow<counter>` for a borrowed one.
pub(crate) fn named_type_text(ty: &Type, names: &ResourceNames) -> String {
    let text = |ty: &Type| named_type_text(ty, names);
    if let Some(text) = transmit_type_text(ty, text) {
        return text;
    }
    let inner = |ty: Option<Type>| ty.map_or("_".to_owned(), |ty| text(&ty));
    match ty {
        Type::Own(resource) => names
            .name(resource)
            .map_or_else(|| "own<resource>".to_owned(), str::to_owned),
        Type::Borrow(resource) => format!("borrow<{}>", names.name(resource).unwrap_or("resource")),
        Type::List(list) => format!("list<{}>", text(&list.ty())),
        Type::Option(option) => format!("option<{}>", text(&option.ty())),
        Type::Result(result) => format!("result<{}, {}>", inner(result.ok()), inner(result.err())),
        Type::Tuple(tuple) => {
            let items: Vec<String> = tuple.types().map(|ty| text(&ty)).collect();
            format!("tuple<{}>", items.join(", "))
        }
        ty => DisplayType(ty).to_string(),
    }
}

/// The type of a value in WIT syntax where wasm-wave's display has none: `stream<u8>`, `future<string>`,
/// `error-context` (`None` for every other type).
fn transmit_type_text(
    ty: &wasmtime::component::Type,
    text: impl Fn(&wasmtime::component::Type) -> String,
) -> Option<String> {
    use wasmtime::component::Type;
    let payload = |kind: &str, ty: Option<Type>| match ty {
        Some(ty) => format!("{kind}<{}>", text(&ty)),
        None => kind.to_owned(),
    };
    match ty {
        Type::Stream(stream) => Some(payload("stream", stream.ty())),
        Type::Future(future) => Some(payload("future", future.ty())),
        Type::ErrorContext => Some("error-context".to_owned()),
        _ => None,
    }
}

//! Types in WIT syntax for messages: wasm-wave's display, and what it has no words for (resources, streams,
//! futures, error contexts), also inside other types.

use wasmtime::component::Type;
use wasmtime::component::wasm_wave::wasm::DisplayType;

/// A type in WIT-like syntax; resources show as `own<resource>` / `borrow<resource>`, streams and futures as
/// `stream<u8>` / `future<string>`, also inside a list, an option, a result or a tuple (wasm-wave's display
/// writes `<<UNSUPPORTED>>` for them).
pub(crate) fn type_text(ty: &Type) -> String {
    if let Some(text) = transmit_type_text(ty, type_text) {
        return text;
    }
    let inner = |ty: Option<Type>| ty.map_or("_".to_owned(), |ty| type_text(&ty));
    match ty {
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
        Type::List(list) => format!("list<{}>", type_text(&list.ty())),
        Type::Option(option) => format!("option<{}>", type_text(&option.ty())),
        Type::Result(result) => format!("result<{}, {}>", inner(result.ok()), inner(result.err())),
        Type::Tuple(tuple) => {
            let items: Vec<String> = tuple.types().map(|ty| type_text(&ty)).collect();
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

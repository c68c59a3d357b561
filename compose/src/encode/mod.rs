//! weld's composition encoder: from a wired graph to the bytes of one component.
//!
//! The result has the layout wac and wasm-compose give a composition (component model, "Binary format"):
//! the composition's imports first (each import's type written from its importers' own types: `load`,
//! `imports`, `types`), then each input component, defined inline once, and its instances in dependency order,
//! each given its arguments (an export of an earlier instance, aliased, or one of the composition's imports),
//! then the exports, aliased from the instances that provide them. Instances are named in the `component-name`
//! section after their components, in index order; the `producers` section says weld processed it.
//!
//! Types come from wasmparser's view of each input (not from a converted model), so what the inputs say is
//! what the result says: a `use` stays a `use`, a type alias stays an alias, a resource stays the one resource
//! wherever it is named.

mod imports;
mod load;
mod plan;
mod types;

pub(crate) use imports::{Conflict, Imports, Item, Wanted};
pub(crate) use load::Loaded;
pub(crate) use plan::Plan;

use plan::Arg;
use std::collections::HashMap;
use types::Outer;
use wasm_encoder::{
    ComponentExportKind, ComponentNameSection, NameMap, ProducersField, ProducersSection,
};
use wasmparser::component_types::ComponentEntityType;

/// Why a composition could not be encoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// An input does not validate (weld checks inputs before this, so this means damaged bytes).
    #[error("`{component}` cannot be read")]
    Read {
        /// The input.
        component: String,
        /// What wasmparser said.
        #[source]
        source: wasmparser::BinaryReaderError,
    },
    /// An input has no component in it.
    #[error("`{component}` holds no component")]
    NotAComponent {
        /// The input.
        component: String,
    },
    /// The graph holds something this encoder does not write.
    #[error("the encoder does not support {what}")]
    Unsupported {
        /// What.
        what: &'static str,
    },
    /// Instances take arguments from each other.
    #[error("the instances take arguments from each other in a cycle")]
    Cycle,
    /// A type an import uses comes from an import the composition does not have.
    #[error("the types of `{import}` are not imported")]
    NotImported {
        /// The import whose types are missing.
        import: String,
    },
    /// A resource an import uses is defined by no import of its component (it comes from an instance nested
    /// inside another import): no import of the composition can name it.
    #[error(
        "it uses a resource that no import defines (it comes from an instance nested inside another import), so \
         the composition has no import to take it from"
    )]
    ResourceWithoutImport,
    /// An import of the composition cannot be written.
    #[error("cannot write the import `{import}`")]
    Import {
        /// The import.
        import: String,
        /// The component whose import it is (an index into the plan's components).
        component: usize,
        /// Why.
        #[source]
        source: Box<EncodeError>,
    },
}

/// Encodes `plan`, whose inputs are `loaded` (in the plan's order) and whose imports are `imports`.
///
/// # Errors
/// [`EncodeError`] for what cannot be written.
pub(crate) fn encode(
    plan: &Plan<'_>,
    loaded: &[Loaded],
    imports: &Imports,
) -> Result<Vec<u8>, EncodeError> {
    let mut outer = Outer::new(loaded, imports);
    for (index, import) in imports.list.iter().enumerate() {
        outer.import(index).map_err(|source| EncodeError::Import {
            import: import.name.clone(),
            component: import.wanted[0].component,
            source: Box::new(source),
        })?;
    }
    let mut components: HashMap<usize, u32> = HashMap::new();
    let mut instances: Vec<u32> = Vec::with_capacity(plan.instances.len());
    let mut aliases: HashMap<(usize, String), (ComponentExportKind, u32)> = HashMap::new();
    let mut names = NameMap::new();
    let mut named: Vec<(u32, &str)> = Vec::new();
    for instance in &plan.instances {
        let component = instance.component;
        let defined = match components.get(&component) {
            Some(&at) => at,
            None => {
                let at = outer
                    .builder
                    .component_raw(None, plan.components[component].1);
                components.insert(component, at);
                at
            }
        };
        let mut args = Vec::with_capacity(loaded[component].imports.len());
        for (name, arg) in &instance.args {
            let (kind, at) = match arg {
                Arg::Export(from, export) => {
                    *aliases
                        .get(&(*from, export.clone()))
                        .ok_or(EncodeError::Unsupported {
                            what: "an argument from an instance made later",
                        })?
                }
                Arg::Instance(from) => (ComponentExportKind::Instance, instances[*from]),
                Arg::Nested(from, export, inner) => {
                    let (_, instance) =
                        *aliases
                            .get(&(*from, export.clone()))
                            .ok_or(EncodeError::Unsupported {
                                what: "an argument from an instance made later",
                            })?;
                    let kind =
                        nested_kind(&loaded[plan.instances[*from].component], export, inner)?;
                    (kind, outer.builder.alias_export(instance, inner, kind))
                }
                Arg::Import(import) => explicit_import(plan, &outer, imports, import)?,
                Arg::Definition(_) => {
                    return Err(EncodeError::Unsupported {
                        what: "a type definition given as an argument",
                    });
                }
            };
            args.push((name.as_str(), kind, at));
        }
        for name in &loaded[component].imports {
            if instance.args.iter().any(|(arg, _)| arg == name) {
                continue;
            }
            let import = imports
                .of(component, name)
                .ok_or_else(|| EncodeError::NotImported {
                    import: name.clone(),
                })?;
            let (kind, at) = outer.imported[import].ok_or_else(|| EncodeError::NotImported {
                import: name.clone(),
            })?;
            args.push((name.as_str(), kind, at));
        }
        let at = outer.builder.instantiate(None, defined, args);
        if let Some(name) = &instance.name {
            named.push((at, name));
        }
        instances.push(at);
        let index = instances.len() - 1;
        for (from, export) in plan.aliases.iter().filter(|(from, _)| *from == index) {
            let kind = export_kind(&loaded[component], export)?;
            let at = outer.builder.alias_export(at, export, kind);
            aliases.insert((*from, export.clone()), (kind, at));
        }
    }
    for (name, what) in &plan.exports {
        let (kind, at) = match what {
            Arg::Export(from, export) => match aliases.get(&(*from, export.clone())) {
                Some(&found) => found,
                None => {
                    let kind = export_kind(&loaded[plan.instances[*from].component], export)?;
                    (
                        kind,
                        outer.builder.alias_export(instances[*from], export, kind),
                    )
                }
            },
            Arg::Instance(from) => (ComponentExportKind::Instance, instances[*from]),
            Arg::Nested(..) => {
                return Err(EncodeError::Unsupported {
                    what: "exporting an export of an instance's export",
                });
            }
            Arg::Import(import) => explicit_import(plan, &outer, imports, import)?,
            Arg::Definition(definition) => {
                let declared = plan.explicit.ok_or(EncodeError::Unsupported {
                    what: "a type definition without its declaring component",
                })?;
                (
                    ComponentExportKind::Type,
                    outer.export_type(declared, definition)?,
                )
            }
        };
        outer.builder.export(name.as_str(), kind, at, None);
    }
    named.sort();
    for (at, name) in named {
        names.append(at, name);
    }
    if !names.is_empty() {
        let mut section = ComponentNameSection::new();
        section.instances(&names);
        outer.builder.custom_section(&section.as_custom());
    }
    let mut producers = ProducersSection::new();
    producers.field(
        "processed-by",
        ProducersField::new().value("weld", env!("CARGO_PKG_VERSION")),
    );
    let mut bytes = Vec::new();
    wasm_encoder::Encode::encode(&producers, &mut bytes);
    outer.builder.raw_custom_section(&bytes);
    Ok(outer.builder.finish())
}

/// The composition's import that an explicit import of the graph became: its kind and index.
fn explicit_import(
    plan: &Plan<'_>,
    outer: &Outer<'_>,
    imports: &Imports,
    name: &str,
) -> Result<(ComponentExportKind, u32), EncodeError> {
    let not_imported = || EncodeError::NotImported {
        import: name.to_owned(),
    };
    let import = plan
        .explicit
        .and_then(|explicit| imports.of(explicit, name))
        .ok_or_else(not_imported)?;
    outer.imported[import].ok_or_else(not_imported)
}

/// The kind of export `inner` of the instance a component exports as `name`.
fn nested_kind(
    loaded: &Loaded,
    name: &str,
    inner: &str,
) -> Result<ComponentExportKind, EncodeError> {
    let unsupported = EncodeError::Unsupported {
        what: "an argument that its instance does not export",
    };
    let Some(ComponentEntityType::Instance(id)) = loaded.export(name) else {
        return Err(unsupported);
    };
    match loaded.types[id].exports.get(inner).map(|e| e.ty) {
        Some(ty) => Ok(kind_of(ty)),
        None => Err(unsupported),
    }
}

/// The kind of a component's export `name`.
fn export_kind(loaded: &Loaded, name: &str) -> Result<ComponentExportKind, EncodeError> {
    loaded
        .export(name)
        .map(kind_of)
        .ok_or(EncodeError::Unsupported {
            what: "an argument that its instance does not export",
        })
}

/// The export kind of an item of type `ty`.
fn kind_of(ty: ComponentEntityType) -> ComponentExportKind {
    match ty {
        ComponentEntityType::Instance(_) => ComponentExportKind::Instance,
        ComponentEntityType::Func(_) => ComponentExportKind::Func,
        ComponentEntityType::Type { .. } => ComponentExportKind::Type,
        ComponentEntityType::Component(_) => ComponentExportKind::Component,
        ComponentEntityType::Module(_) => ComponentExportKind::Module,
        ComponentEntityType::Value(_) => ComponentExportKind::Value,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Component, Options, compose};
    use wasmparser::component_types::ComponentEntityType;

    /// The root imports `f` of `demo:x/i@1.0.0`; the plug it needs imports `f` and `g` of `demo:x/i@1.1.0`.
    fn inputs() -> (Component, Component) {
        let root = wat::parse_str(
            r#"(component
                (import "demo:x/i@1.0.0" (instance (export "f" (func))))
                (import "demo:p/q@1.0.0" (instance (export "go" (func))))
            )"#,
        )
        .unwrap();
        let plug = wat::parse_str(
            r#"(component
                (import "demo:x/i@1.1.0" (instance $i (export "f" (func)) (export "g" (func))))
                (alias export $i "g" (func $g))
                (instance $q (export "go" (func $g)))
                (export "demo:p/q@1.0.0" (instance $q))
            )"#,
        )
        .unwrap();
        (
            Component::new("root.wasm", root),
            Component::new("plug.wasm", plug),
        )
    }

    /// The composed component's imports: (name, export names of its instance).
    fn imports(bytes: &[u8]) -> Vec<(String, Vec<String>)> {
        let types = wasmparser::Validator::new_with_features(weld_wit::features())
            .validate_all(bytes)
            .unwrap();
        let names = crate::finish::top_level_imports(bytes);
        names
            .into_iter()
            .map(|name| {
                let exports = match types.component_item_for_import(&name).unwrap().ty {
                    ComponentEntityType::Instance(id) => {
                        types[id].exports.keys().cloned().collect()
                    }
                    _ => Vec::new(),
                };
                (name, exports)
            })
            .collect()
    }

    #[test]
    fn importers_of_one_interface_at_compatible_versions_get_one_import_offering_all_they_want() {
        let (root, plug) = inputs();
        let composed = compose(root, vec![plug], &Options::default()).unwrap();
        assert_eq!(
            imports(&composed.bytes),
            [(
                "demo:x/i@1.1.0".to_owned(),
                vec!["f".to_owned(), "g".to_owned()]
            )]
        );
    }

    #[test]
    fn kept_apart_each_version_is_imported_as_its_importer_wants_it() {
        let (root, plug) = inputs();
        let options = Options {
            keep_import_versions: true,
            ..Options::default()
        };
        let composed = compose(root, vec![plug], &options).unwrap();
        assert_eq!(
            imports(&composed.bytes),
            [
                ("demo:x/i@1.0.0".to_owned(), vec!["f".to_owned()]),
                (
                    "demo:x/i@1.1.0".to_owned(),
                    vec!["f".to_owned(), "g".to_owned()]
                ),
            ]
        );
    }
}

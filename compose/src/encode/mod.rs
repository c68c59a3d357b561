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
) -> Result<Spliced, EncodeError> {
    let mut outer = Outer::new(loaded, imports);
    for (index, import) in imports.list.iter().enumerate() {
        outer.import(index).map_err(|source| EncodeError::Import {
            import: import.name.clone(),
            component: import.wanted.first().map_or(0, |w| w.component),
            source: Box::new(source),
        })?;
    }
    let mut components: HashMap<usize, u32> = HashMap::new();
    // The inputs are never copied: here each is an empty placeholder, which `splice` makes the header of a section
    // whose contents are the input as it was read.
    let mut inputs: Vec<(usize, usize)> = Vec::with_capacity(plan.components.len());
    let mut sources = Sources::default();
    let mut names = NameMap::new();
    let mut named: Vec<(u32, &str)> = Vec::new();
    for instance in &plan.instances {
        let component = instance.component;
        let defined = match components.get(&component) {
            Some(&at) => at,
            None => {
                let at = outer.builder.component_raw(None, &[]);
                inputs.push((component, plan.components[component].1.len()));
                components.insert(component, at);
                at
            }
        };
        let mut args = Vec::with_capacity(loaded[component].imports.len());
        for (name, arg) in &instance.args {
            let (kind, at) = sources.give(&mut outer, plan, imports, arg)?;
            args.push((name.as_str(), kind, at));
        }
        for name in &loaded[component].imports {
            if instance.args.iter().any(|(arg, _)| arg == name) {
                continue;
            }
            let not_imported = || EncodeError::NotImported {
                import: name.clone(),
            };
            let import = imports.of(component, name).ok_or_else(not_imported)?;
            let (kind, at) = outer.imported[import].ok_or_else(not_imported)?;
            args.push((name.as_str(), kind, at));
        }
        let at = outer.builder.instantiate(None, defined, args);
        if let Some(name) = &instance.name {
            named.push((at, name));
        }
        sources.instances.push(at);
        // The exports others take, aliased right after the instance that makes them (as wac writes them).
        let index = sources.instances.len() - 1;
        for (from, export, kind) in plan.aliases.iter().filter(|(from, ..)| *from == index) {
            sources.give(
                &mut outer,
                plan,
                imports,
                &Arg::Export(*from, export.clone(), *kind),
            )?;
        }
    }
    for (name, what) in &plan.exports {
        let (kind, at) = sources.give(&mut outer, plan, imports, what)?;
        let exported = outer.builder.export(name.as_str(), kind, at, None);
        if let (Arg::Definition(definition), Some(declared)) = (what, plan.explicit) {
            // Later definitions that name this one name its export.
            outer.exported_type(declared, definition, exported);
        }
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
    splice(&outer.builder.finish(), &inputs)
}

/// An encoded composition: weld's own bytes, with the input components to be put between them.
pub(crate) struct Spliced {
    /// The composition without its inputs: each input's section header ends where its contents go.
    pub(crate) own: Vec<u8>,
    /// Where each input goes, in order: (offset in `own`, the component's index in [`Plan::components`]).
    pub(crate) cuts: Vec<(usize, usize)>,
}

/// The composition with each placeholder component section (empty, in order) given the header of a section that
/// holds the component defined there: `components` are (index, size in bytes). The inputs are megabytes, and are
/// never copied: the result is `own` with each input's bytes at its cut.
fn splice(skeleton: &[u8], components: &[(usize, usize)]) -> Result<Spliced, EncodeError> {
    let broken = || EncodeError::Unsupported {
        what: "a composition whose placeholders do not match its components",
    };
    let mut placeholders = Vec::with_capacity(components.len());
    let mut parser = wasmparser::Parser::new(0);
    let mut offset = 0usize;
    loop {
        let chunk = parser
            .parse(skeleton.get(offset..).ok_or_else(broken)?, true)
            .map_err(|_| broken())?;
        let wasmparser::Chunk::Parsed { consumed, payload } = chunk else {
            return Err(broken());
        };
        offset += consumed;
        match payload {
            wasmparser::Payload::ComponentSection {
                unchecked_range, ..
            } => {
                // An empty section: its id and a one-byte length, then nothing.
                let end = usize::try_from(unchecked_range.end).map_err(|_| broken())?;
                placeholders.push(end.checked_sub(2).ok_or_else(broken)?..end);
                offset = end;
            }
            wasmparser::Payload::End(_) => break,
            _ => {}
        }
    }
    if placeholders.len() != components.len() {
        return Err(broken());
    }
    let mut own = Vec::with_capacity(skeleton.len() + 4 * components.len());
    let mut cuts = Vec::with_capacity(components.len());
    let mut at = 0;
    for (range, &(component, size)) in placeholders.into_iter().zip(components) {
        own.extend_from_slice(skeleton.get(at..range.start).ok_or_else(broken)?);
        own.push(wasm_encoder::ComponentSectionId::Component as u8);
        wasm_encoder::Encode::encode(&size, &mut own);
        cuts.push((own.len(), component));
        at = range.end;
    }
    own.extend_from_slice(skeleton.get(at..).ok_or_else(broken)?);
    Ok(Spliced { own, cuts })
}

/// What the arguments and exports of a composition are made from, as they are written: the instances made so
/// far, and the exports aliased from them.
#[derive(Default)]
struct Sources {
    /// Each instance's index, in plan order.
    instances: Vec<u32>,
    /// Exports aliased so far: (instance, export) to kind and index.
    aliases: HashMap<(usize, String), (ComponentExportKind, u32)>,
}

impl Sources {
    /// The kind and index of what `arg` names, aliased now if it was not yet.
    fn give(
        &mut self,
        outer: &mut Outer<'_>,
        plan: &Plan<'_>,
        imports: &Imports,
        arg: &Arg,
    ) -> Result<(ComponentExportKind, u32), EncodeError> {
        let later = EncodeError::Unsupported {
            what: "an argument from an instance made later",
        };
        match arg {
            Arg::Export(from, export, kind) => {
                if let Some(&found) = self.aliases.get(&(*from, export.clone())) {
                    return Ok(found);
                }
                let instance = *self.instances.get(*from).ok_or(later)?;
                let at = outer.builder.alias_export(instance, export, *kind);
                self.aliases.insert((*from, export.clone()), (*kind, at));
                Ok((*kind, at))
            }
            Arg::Nested(from, export, inner, kind) => {
                let whole = Arg::Export(*from, export.clone(), ComponentExportKind::Instance);
                let (_, instance) = self.give(outer, plan, imports, &whole)?;
                Ok((*kind, outer.builder.alias_export(instance, inner, *kind)))
            }
            Arg::Instance(from) => Ok((
                ComponentExportKind::Instance,
                *self.instances.get(*from).ok_or(later)?,
            )),
            Arg::Import(import) => explicit_import(plan, outer, imports, import),
            Arg::ImportExport(import, export, kind) => {
                let (_, instance) = explicit_import(plan, outer, imports, import)?;
                Ok((*kind, outer.builder.alias_export(instance, export, *kind)))
            }
            Arg::Definition(definition) => {
                let declared = plan.explicit.ok_or(EncodeError::Unsupported {
                    what: "a type definition without its declaring component",
                })?;
                Ok((
                    ComponentExportKind::Type,
                    outer.export_type(declared, definition)?,
                ))
            }
        }
    }
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
        let names = super::Loaded::read_whole("composed.wasm", bytes)
            .unwrap()
            .imports;
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

    /// Regression: a value type of a plain-named import that an interface's function names directly (not through
    /// an export of its own) was written again inside the interface without a name, which no import may hold
    /// ("instance not valid to be used as import").
    #[test]
    fn a_plain_named_import_s_type_named_directly_by_a_function_is_aliased_not_copied() {
        let root = wat::parse_str(
            r#"(component
                (type $rec (record (field "x" u32)))
                (import "base" (instance $b (export "point" (type (eq $rec)))))
                (alias export $b "point" (type $p))
                (import "demo:x/i" (instance
                    (alias outer 1 $p (type $q))
                    (export "f" (func (param "p" $q)))))
                (import "demo:p/q@1.0.0" (instance (export "go" (func))))
            )"#,
        )
        .unwrap();
        let (_, plug) = inputs();
        let composed = compose(
            Component::new("root.wasm", root),
            vec![plug],
            &Options::default(),
        )
        .unwrap();
        let names: Vec<String> = imports(&composed.to_bytes())
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, ["base", "demo:x/i", "demo:x/i@1.1.0"]);
    }

    /// Only the sections that declare a component's imports are read when they come before its code; an import
    /// declared after the code has the component read whole.
    #[test]
    fn imports_are_read_from_the_sections_before_the_code_or_from_the_whole_component() {
        let before = wat::parse_str(
            r#"(component
                (import "a" (instance (export "f" (func))))
                (core module $m (func (export "g")))
                (core instance (instantiate $m))
            )"#,
        )
        .unwrap();
        let after = wat::parse_str(
            r#"(component
                (import "a" (instance (export "f" (func))))
                (core module $m (func (export "g")))
                (import "b" (func))
            )"#,
        )
        .unwrap();
        assert!(super::load::import_sections(&before).is_some());
        assert!(super::load::import_sections(&after).is_none());
        for bytes in [before, after.clone()] {
            let loaded = super::Loaded::read("c.wasm", &bytes).unwrap();
            assert!(loaded.import("a").is_some());
        }
        let loaded = super::Loaded::read("c.wasm", &after).unwrap();
        assert_eq!(loaded.imports, ["a", "b"]);
    }

    #[test]
    fn importers_of_one_interface_at_compatible_versions_get_one_import_offering_all_they_want() {
        let (root, plug) = inputs();
        let composed = compose(root, vec![plug], &Options::default()).unwrap();
        assert_eq!(
            imports(&composed.to_bytes()),
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
            no_merge_imports: true,
            ..Options::default()
        };
        let composed = compose(root, vec![plug], &options).unwrap();
        assert_eq!(
            imports(&composed.to_bytes()),
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

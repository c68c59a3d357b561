//! Taking a binary apart: the tree of components and core modules inside it, their imports and exports, memories,
//! tables, custom sections and producers, plus the component's typed world and the capabilities it needs.

use crate::capabilities::{Capabilities, is_preview1};
use crate::error::{Error, Result};
use crate::model;
use crate::source::WitSource;
use crate::validate::Invalid;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wasmparser::{
    ComponentAlias, ComponentExternalKind, ComponentName, ComponentOuterAliasKind,
    ComponentTypeRef, CompositeInnerType, Encoding, ExternalKind, FuncType, KnownCustom, Parser,
    Payload, TypeRef,
};
use weld_files::{read_file, wasm_bytes};

/// Everything `weld inspect` reports about a file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Inspection {
    /// The file inspected.
    pub path: PathBuf,
    /// Its size in bytes (of the binary, after compiling WAT text).
    pub size: usize,
    /// The outermost component or module, with everything nested inside.
    pub root: Node,
    /// A component's world (or a core module's, from its `component-type` metadata): every import and export with
    /// its full function signatures.
    pub world: Option<model::World>,
    /// Why a component has no `world`: wit-parser or wit-component failed on its types (a bug in them that weld
    /// caught, on a valid component, such as one importing a resource aliased from a plain-named instance). Its
    /// imports and exports are then those of `root`, and its capabilities are read from their names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world_unavailable: Option<String>,
    /// What the file needs from its host.
    pub capabilities: Capabilities,
}

/// Whether a node is a component or a core module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A component.
    Component,
    /// A core WebAssembly module.
    Module,
    /// An encoded WIT package (a component of types alone: worlds and interfaces, no code), as
    /// `wasm-tools component wit --wasm` writes one. Only the outermost node can be one.
    WitPackage,
}

/// A component or core module and what it holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Node {
    /// Component or module.
    pub kind: NodeKind,
    /// Its name from the name section, if any.
    pub name: Option<String>,
    /// Byte offset of its start in the file.
    pub offset: usize,
    /// Its size in bytes.
    pub size: usize,
    /// Its imports.
    pub imports: Vec<Extern>,
    /// Its exports.
    pub exports: Vec<Extern>,
    /// Functions defined in it (core modules only).
    pub functions: u32,
    /// Memories defined or imported, in pages (core modules only).
    pub memories: Vec<Limits>,
    /// Tables defined or imported, in elements (core modules only).
    pub tables: Vec<Limits>,
    /// Custom sections with their sizes.
    pub custom_sections: Vec<CustomSection>,
    /// The `producers` section: languages, tools and SDKs that made it.
    pub producers: Vec<Producer>,
    /// Components and modules nested directly inside.
    pub children: Vec<Node>,
}

/// An import or export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Extern {
    /// For core imports, the module name (`wasi_snapshot_preview1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The name.
    pub name: String,
    /// `func`, `memory`, `table`, `global`, `tag`, `instance`, `component`, `module`, `type` or `value`.
    pub kind: &'static str,
    /// A core function's type, `(i32, i32) -> (i32)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The size limits of a memory (in 64 KiB pages) or table (in elements).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Limits {
    /// Initial size.
    pub initial: u64,
    /// Maximum size, if bounded.
    pub maximum: Option<u64>,
    /// Whether it is imported.
    pub imported: bool,
    /// 64-bit addressing.
    pub is64: bool,
    /// Shared memory (threads).
    pub shared: bool,
    /// A table's element type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
}

/// A custom section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CustomSection {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: usize,
}

/// One entry of a `producers` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Producer {
    /// `language`, `processed-by` or `sdk`.
    pub field: String,
    /// The tool or language.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Inspects the file at `path` (binary or WAT text).
pub fn inspect(path: &Path) -> Result<Inspection> {
    inspect_bytes(path, &read_file(path)?)
}

/// Inspects `bytes`, the contents of a file named `path`.
pub fn inspect_bytes(path: &Path, bytes: &[u8]) -> Result<Inspection> {
    let bytes = wasm_bytes(path, bytes)?;
    let mut root = walk(&bytes).map_err(|err| Error::Decode {
        path: path.to_path_buf(),
        source: err.into(),
    })?;
    if crate::source::is_wit_package(&bytes) {
        root.kind = NodeKind::WitPackage;
    }
    let mut world_unavailable = None;
    let wit = match WitSource::from_binary(path, &bytes) {
        Ok(src) => Some(src),
        Err(Error::NoWitMetadata { .. }) => None,
        // A valid component whose types wit-parser cannot take (a bug in it that weld caught, or a shape WIT has
        // no words for, such as an instance nested in an import): shown without a world.
        Err(err)
            if root.kind == NodeKind::Component && crate::validate::validate(&bytes).is_ok() =>
        {
            let mut why = err.to_string();
            let mut cause = std::error::Error::source(&err);
            while let Some(c) = cause {
                why.push_str(&format!(": {c}"));
                cause = c.source();
            }
            world_unavailable = Some(why);
            None
        }
        Err(err) => return Err(err),
    };
    let world = wit
        .as_ref()
        .and_then(|src| src.world.map(|w| model::world(&src.resolve, w)));
    let core_imports = || {
        root.imports
            .iter()
            .map(|i| (i.module.as_deref().unwrap_or(""), i.name.as_str()))
    };
    let capabilities = match wit.as_ref().and_then(|src| src.world.map(|w| (src, w))) {
        Some((src, world)) if root.kind == NodeKind::Component => {
            Capabilities::of_world(&src.resolve, world)
        }
        // A core module made for a world: the world says what it imports; its WASI preview1 imports, which an
        // adapter turns into WASI interfaces, say what else it needs.
        Some((src, world)) => {
            let mut caps = Capabilities::of_world(&src.resolve, world);
            caps.merge(Capabilities::of_core_imports(
                core_imports().filter(|(module, _)| is_preview1(module)),
            ));
            caps
        }
        None if root.kind == NodeKind::Component => Capabilities::of_component_imports(
            root.imports.iter().map(|i| (i.name.as_str(), i.kind)),
        ),
        None => Capabilities::of_core_imports(core_imports()),
    };
    Ok(Inspection {
        path: path.to_path_buf(),
        size: bytes.len(),
        root,
        world,
        world_unavailable,
        capabilities,
    })
}

/// A node being read, with the index spaces needed to name core function types and nested parts.
struct Open {
    node: Node,
    /// Signatures of the core types, by type index (`None` for non-function types).
    types: Vec<Option<String>>,
    /// Type index of each core function, imported ones first.
    funcs: Vec<u32>,
    /// Size of the core module index space so far (imports, aliases and definitions).
    modules: u32,
    /// Size of the component index space so far.
    components: u32,
    /// This node's index in its parent's module (or component) index space.
    index: u32,
    /// The index of each child, in the order of `node.children`.
    child_indices: Vec<u32>,
    /// Names of nested core modules from the `component-name` section, by index.
    module_names: HashMap<u32, String>,
    /// Names of nested components from the `component-name` section, by index.
    component_names: HashMap<u32, String>,
}

impl Open {
    fn new(kind: NodeKind, range: std::ops::Range<usize>, index: u32) -> Open {
        Open {
            node: Node {
                kind,
                name: None,
                offset: range.start,
                size: range.len(),
                imports: Vec::new(),
                exports: Vec::new(),
                functions: 0,
                memories: Vec::new(),
                tables: Vec::new(),
                custom_sections: Vec::new(),
                producers: Vec::new(),
                children: Vec::new(),
            },
            types: Vec::new(),
            funcs: Vec::new(),
            modules: 0,
            components: 0,
            index,
            child_indices: Vec::new(),
            module_names: HashMap::new(),
            component_names: HashMap::new(),
        }
    }

    /// Closes the node: nested parts without a name of their own get the one the `component-name` section gives.
    fn close(mut self) -> Node {
        for (child, index) in self.node.children.iter_mut().zip(&self.child_indices) {
            let names = match child.kind {
                NodeKind::Module => &mut self.module_names,
                NodeKind::Component | NodeKind::WitPackage => &mut self.component_names,
            };
            if child.name.is_none() {
                child.name = names.remove(index);
            }
        }
        self.node
    }
}

fn walk(bytes: &[u8]) -> std::result::Result<Node, Invalid> {
    let mut stack: Vec<Open> = Vec::new();
    let mut next_range = 0..bytes.len();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::Version { encoding, .. } => {
                let (kind, index) = match (encoding, stack.last_mut()) {
                    (Encoding::Module, parent) => {
                        (NodeKind::Module, parent.map_or(0, |p| next(&mut p.modules)))
                    }
                    (Encoding::Component, parent) => (
                        NodeKind::Component,
                        parent.map_or(0, |p| next(&mut p.components)),
                    ),
                };
                stack.push(Open::new(kind, next_range.clone(), index));
            }
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => next_range = to_usize(unchecked_range.start)..to_usize(unchecked_range.end),
            Payload::End(_) => {
                let done = stack.pop().expect("every End follows a Version");
                let index = done.index;
                let node = done.close();
                match stack.last_mut() {
                    Some(parent) => {
                        parent.child_indices.push(index);
                        parent.node.children.push(node);
                    }
                    None => return Ok(node),
                }
            }
            other => {
                let open = stack.last_mut().expect("payloads come after a Version");
                read_section(open, other)?;
            }
        }
    }
    Err(Invalid {
        offset: bytes.len() as u64,
        message: "unexpected end of the binary: a module or component is not closed".into(),
    })
}

/// A byte offset inside an in-memory binary, which always fits in `usize`.
fn to_usize(offset: u64) -> usize {
    usize::try_from(offset).expect("offsets inside a slice fit in usize")
}

/// Takes the next index of an index space.
fn next(counter: &mut u32) -> u32 {
    *counter += 1;
    *counter - 1
}

fn read_section(
    open: &mut Open,
    payload: Payload<'_>,
) -> std::result::Result<(), wasmparser::BinaryReaderError> {
    match payload {
        Payload::TypeSection(reader) => {
            for group in reader {
                for sub in group?.into_types() {
                    open.types.push(match &sub.composite_type.inner {
                        CompositeInnerType::Func(f) => Some(func_signature(f)),
                        _ => None,
                    });
                }
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.into_imports() {
                let import = import?;
                let (kind, signature) = core_entity(open, import.ty);
                open.node.imports.push(Extern {
                    module: Some(import.module.to_string()),
                    name: import.name.to_string(),
                    kind,
                    signature,
                });
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader {
                open.funcs.push(ty?);
                open.node.functions += 1;
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader {
                open.node.memories.push(memory_limits(&memory?, false));
            }
        }
        Payload::TableSection(reader) => {
            for table in reader {
                open.node.tables.push(table_limits(&table?.ty, false));
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader {
                let export = export?;
                let signature = match export.kind {
                    ExternalKind::Func => open
                        .funcs
                        .get(export.index as usize)
                        .and_then(|ty| open.types.get(*ty as usize).cloned().flatten()),
                    _ => None,
                };
                open.node.exports.push(Extern {
                    module: None,
                    name: export.name.to_string(),
                    kind: core_kind_name(export.kind),
                    signature,
                });
            }
        }
        Payload::ComponentImportSection(reader) => {
            for import in reader {
                let import = import?;
                match import.ty {
                    ComponentTypeRef::Module(_) => open.modules += 1,
                    ComponentTypeRef::Component(_) => open.components += 1,
                    _ => {}
                }
                open.node.imports.push(Extern {
                    module: None,
                    name: import.name.name.to_string(),
                    kind: component_ref_kind(import.ty),
                    signature: None,
                });
            }
        }
        Payload::ComponentAliasSection(reader) => {
            for alias in reader {
                match alias? {
                    ComponentAlias::InstanceExport {
                        kind: ComponentExternalKind::Module,
                        ..
                    }
                    | ComponentAlias::Outer {
                        kind: ComponentOuterAliasKind::CoreModule,
                        ..
                    } => open.modules += 1,
                    ComponentAlias::InstanceExport {
                        kind: ComponentExternalKind::Component,
                        ..
                    }
                    | ComponentAlias::Outer {
                        kind: ComponentOuterAliasKind::Component,
                        ..
                    } => open.components += 1,
                    _ => {}
                }
            }
        }
        Payload::ComponentExportSection(reader) => {
            for export in reader {
                let export = export?;
                open.node.exports.push(Extern {
                    module: None,
                    name: export.name.name.to_string(),
                    kind: component_kind_name(export.kind),
                    signature: None,
                });
            }
        }
        Payload::CustomSection(section) => {
            open.node.custom_sections.push(CustomSection {
                name: section.name().to_string(),
                size: section.data().len(),
            });
            read_custom(open, section.as_known())?;
        }
        _ => {}
    }
    Ok(())
}

fn read_custom(
    open: &mut Open,
    known: KnownCustom<'_>,
) -> std::result::Result<(), wasmparser::BinaryReaderError> {
    match known {
        KnownCustom::Producers(reader) => {
            for field in reader {
                let field = field?;
                for value in field.values {
                    let value = value?;
                    open.node.producers.push(Producer {
                        field: field.name.to_string(),
                        name: value.name.to_string(),
                        version: value.version.to_string(),
                    });
                }
            }
        }
        KnownCustom::Name(reader) => {
            for name in reader {
                if let wasmparser::Name::Module { name, .. } = name? {
                    open.node.name = Some(name.to_string());
                }
            }
        }
        KnownCustom::ComponentName(reader) => {
            for name in reader {
                match name? {
                    ComponentName::Component { name, .. } => {
                        open.node.name = Some(name.to_string())
                    }
                    ComponentName::CoreModules(map) => read_names(map, &mut open.module_names)?,
                    ComponentName::Components(map) => read_names(map, &mut open.component_names)?,
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn read_names(
    map: wasmparser::NameMap<'_>,
    into: &mut HashMap<u32, String>,
) -> std::result::Result<(), wasmparser::BinaryReaderError> {
    for naming in map {
        let naming = naming?;
        into.insert(naming.index, naming.name.to_string());
    }
    Ok(())
}

fn core_entity(open: &mut Open, ty: TypeRef) -> (&'static str, Option<String>) {
    match ty {
        TypeRef::Func(index) | TypeRef::FuncExact(index) => {
            open.funcs.push(index);
            ("func", open.types.get(index as usize).cloned().flatten())
        }
        TypeRef::Memory(m) => {
            open.node.memories.push(memory_limits(&m, true));
            ("memory", None)
        }
        TypeRef::Table(t) => {
            open.node.tables.push(table_limits(&t, true));
            ("table", None)
        }
        TypeRef::Global(g) => (
            "global",
            Some(format!(
                "{}{}",
                if g.mutable { "mut " } else { "" },
                g.content_type
            )),
        ),
        TypeRef::Tag(_) => ("tag", None),
    }
}

fn func_signature(f: &FuncType) -> String {
    let list = |types: &[wasmparser::ValType]| {
        types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("({}) -> ({})", list(f.params()), list(f.results()))
}

fn memory_limits(m: &wasmparser::MemoryType, imported: bool) -> Limits {
    Limits {
        initial: m.initial,
        maximum: m.maximum,
        imported,
        is64: m.memory64,
        shared: m.shared,
        element: None,
    }
}

fn table_limits(t: &wasmparser::TableType, imported: bool) -> Limits {
    Limits {
        initial: t.initial,
        maximum: t.maximum,
        imported,
        is64: t.table64,
        shared: t.shared,
        element: Some(t.element_type.to_string()),
    }
}

fn core_kind_name(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => "func",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

fn component_ref_kind(ty: ComponentTypeRef) -> &'static str {
    match ty {
        ComponentTypeRef::Module(_) => "module",
        ComponentTypeRef::Func(_) => "func",
        ComponentTypeRef::Value(_) => "value",
        ComponentTypeRef::Type(_) => "type",
        ComponentTypeRef::Instance(_) => "instance",
        ComponentTypeRef::Component(_) => "component",
    }
}

fn component_kind_name(kind: ComponentExternalKind) -> &'static str {
    match kind {
        ComponentExternalKind::Module => "module",
        ComponentExternalKind::Func => "func",
        ComponentExternalKind::Value => "value",
        ComponentExternalKind::Type => "type",
        ComponentExternalKind::Instance => "instance",
        ComponentExternalKind::Component => "component",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_module_shows_its_parts() {
        let wat = r#"(module $demo
            (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 2 10)
            (table 4 funcref)
            (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#;
        let got = inspect_bytes(Path::new("demo.wat"), wat.as_bytes()).unwrap();
        let root = &got.root;
        assert_eq!(root.kind, NodeKind::Module);
        assert_eq!(root.name.as_deref(), Some("demo"));
        assert_eq!(root.functions, 1);
        assert_eq!(
            (root.memories[0].initial, root.memories[0].maximum),
            (2, Some(10))
        );
        assert_eq!(root.tables[0].element.as_deref(), Some("funcref"));
        assert_eq!(
            root.imports[0].signature.as_deref(),
            Some("(i32, i32, i32, i32) -> (i32)")
        );
        let add = root.exports.iter().find(|e| e.name == "add").unwrap();
        assert_eq!(add.signature.as_deref(), Some("(i32, i32) -> (i32)"));
        assert!(
            got.capabilities
                .needs
                .contains_key(&crate::Capability::Stdio)
        );
        assert!(got.world.is_none());
    }

    #[test]
    fn nested_modules_become_children() {
        let wat = r#"(component (core module $a (func)) (core module $b) (component $inner (core module $c)))"#;
        let got = inspect_bytes(Path::new("c.wat"), wat.as_bytes()).unwrap();
        let kinds: Vec<NodeKind> = got.root.children.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [NodeKind::Module, NodeKind::Module, NodeKind::Component]
        );
        assert_eq!(got.root.children[2].children.len(), 1);
        let names: Vec<Option<&str>> = got
            .root
            .children
            .iter()
            .map(|c| c.name.as_deref())
            .collect();
        assert_eq!(
            names,
            [Some("a"), Some("b"), Some("inner")],
            "named by the component-name section"
        );
        let total: usize = got.root.children.iter().map(|c| c.size).sum();
        assert!(total < got.size);
    }

    #[test]
    fn a_truncated_binary_is_an_error_not_a_panic() {
        let bytes = wat::parse_str("(module (func (export \"f\")))").unwrap();
        for len in 0..bytes.len() {
            let _ = inspect_bytes(Path::new("t.wasm"), &bytes[..len]);
        }
        assert!(inspect_bytes(Path::new("t.wasm"), &bytes[..bytes.len() - 1]).is_err());
    }
}

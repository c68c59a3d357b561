//! What the encoder knows of an input component: its type information, read with wasmparser's validator (which
//! gives every type an identity, so a resource seen through two imports is one id), and its imports in order.

use super::EncodeError;
use std::collections::HashMap;
use wasmparser::component_types::{Aliasable, ComponentAnyTypeId, ComponentEntityType};
use wasmparser::types::Types;
use wasmparser::{Parser, Payload, ValidPayload, Validator};

/// A type's identity. A type is first looked up as itself, then as each type it aliases, down to its
/// definition (and, for a resource, the resource itself): so `type t2 = t1;` finds `t2` if it was written, else
/// `t1`, and a `use` finds the interface it names before the one that defines the type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Key {
    /// A type id as written.
    Id(ComponentAnyTypeId),
    /// A resource, whichever alias names it.
    Resource(wasmparser::component_types::ResourceId),
}

/// Where a type comes from in a component's imports: the import, and the name it is exported under from that
/// import's instance (`None`: the import is the type itself, a world-level `type` import).
pub(crate) type Owner = (String, Option<String>);

/// One input component, read for encoding.
pub(crate) struct Loaded {
    /// Its types.
    pub(crate) types: Types,
    /// Its imports, in order.
    pub(crate) imports: Vec<String>,
    /// For each type its imports make visible, the import that first did (the definition; later imports that
    /// name it use it).
    owners: HashMap<Key, Owner>,
}

impl Loaded {
    /// Reads the imports of `bytes` (a valid component). Only the sections that declare them are read: a
    /// component made by wit-component, componentize-py or jco declares its imports (types, imports, aliases of
    /// their exports) before any code, so those sections are validated as a component of their own, and the
    /// core modules (megabytes of a language runtime) are not read again. A component that declares an import
    /// after its code is read whole. Function bodies are never checked here: the composition is validated
    /// whole afterwards.
    ///
    /// # Errors
    /// [`EncodeError::Read`] when the bytes do not validate.
    pub(crate) fn read(label: &str, bytes: &[u8]) -> Result<Loaded, EncodeError> {
        match import_sections(bytes) {
            Some(head) => {
                Loaded::read_whole(label, &head).or_else(|_| Loaded::read_whole(label, bytes))
            }
            None => Loaded::read_whole(label, bytes),
        }
    }

    /// Reads all of `bytes`, exports included (function bodies are not checked).
    ///
    /// # Errors
    /// [`EncodeError::Read`] when the bytes do not validate.
    pub(crate) fn read_whole(label: &str, bytes: &[u8]) -> Result<Loaded, EncodeError> {
        let read = |source| EncodeError::Read {
            component: label.to_owned(),
            source,
        };
        let mut validator = Validator::new_with_features(weld_wit::features());
        let mut imports = Vec::new();
        let mut depth = 0usize;
        let mut types = None;
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(read)?;
            match &payload {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                Payload::End(_) => depth = depth.saturating_sub(1),
                Payload::ComponentImportSection(reader) if depth == 0 => {
                    for import in reader.clone() {
                        imports.push(import.map_err(read)?.name.name.to_owned());
                    }
                }
                _ => {}
            }
            if let ValidPayload::End(done) = validator.payload(&payload).map_err(read)? {
                types = Some(done);
            }
        }
        let types = types.ok_or_else(|| EncodeError::NotAComponent {
            component: label.to_owned(),
        })?;
        let owners = owners(&types, &imports);
        Ok(Loaded {
            types,
            imports,
            owners,
        })
    }

    /// The type of import `name`.
    pub(crate) fn import(&self, name: &str) -> Option<ComponentEntityType> {
        self.types.component_item_for_import(name).map(|i| i.ty)
    }

    /// The type of export `name` (only of a component read whole: [`Loaded::read_whole`]).
    pub(crate) fn export(&self, name: &str) -> Option<ComponentEntityType> {
        self.types.component_item_for_export(name).map(|i| i.ty)
    }

    /// The keys of a type id, most specific first: the id, each id it aliases, then its resource.
    pub(crate) fn keys(&self, id: ComponentAnyTypeId) -> Vec<Key> {
        keys(&self.types, id)
    }

    /// Whether a world-level type import of the component takes its type from import `name` (`use
    /// ns:pkg/iface.{t};` in a world, or `type t = ...` naming such a type): the interface then names the world's
    /// types and must stay an import wherever the world's do.
    pub(crate) fn named_by_type_imports(&self, name: &str) -> bool {
        self.imports.iter().any(|import| {
            matches!(
                self.import(import),
                Some(ComponentEntityType::Type { referenced, .. })
                    if self.owner(referenced).is_some_and(|(owner, _)| owner == name)
            )
        })
    }

    /// Which import a type comes from, if any: the first import that names it as itself or as a type it aliases.
    pub(crate) fn owner(&self, id: ComponentAnyTypeId) -> Option<&Owner> {
        self.keys(id).iter().find_map(|k| self.owners.get(k))
    }
}

/// The top-level sections of a component up to its last import, as a component of their own, when they are
/// types, imports and aliases only (what a component declares its imports with); `None` when anything else comes
/// first (a core module, an instance, a nested component) or the bytes do not parse.
pub(crate) fn import_sections(bytes: &[u8]) -> Option<Vec<u8>> {
    use wasm_encoder::{ComponentSectionId, RawSection};
    let mut parser = Parser::new(0);
    let mut offset = 0usize;
    let mut head = wasm_encoder::Component::new();
    let mut pending: Vec<(u8, std::ops::Range<usize>)> = Vec::new();
    let mut other = false;
    loop {
        let (consumed, payload) = match parser.parse(bytes.get(offset..)?, true).ok()? {
            wasmparser::Chunk::Parsed { consumed, payload } => (consumed, payload),
            wasmparser::Chunk::NeedMoreData(_) => return None,
        };
        offset += consumed;
        let section = |id: ComponentSectionId, range: std::ops::Range<u64>| {
            (id as u8, range.start as usize..range.end as usize)
        };
        match payload {
            Payload::Version { .. } | Payload::CustomSection(_) => {}
            Payload::ComponentTypeSection(r) => {
                pending.push(section(ComponentSectionId::Type, r.range()))
            }
            Payload::ComponentAliasSection(r) => {
                pending.push(section(ComponentSectionId::Alias, r.range()))
            }
            Payload::CoreTypeSection(r) => {
                pending.push(section(ComponentSectionId::CoreType, r.range()))
            }
            Payload::ComponentImportSection(r) => {
                if other {
                    // An import after code: read the component whole.
                    return None;
                }
                pending.push(section(ComponentSectionId::Import, r.range()));
                for (id, range) in pending.drain(..) {
                    head.section(&RawSection {
                        id,
                        data: bytes.get(range)?,
                    });
                }
            }
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                // The parser has stepped over the nested module or component already.
                other = true;
                offset = usize::try_from(unchecked_range.end).ok()?;
            }
            Payload::End(_) => return Some(head.finish()),
            _ => other = true,
        }
    }
}

/// The keys of a type id in `types`, most specific first.
fn keys(types: &Types, id: ComponentAnyTypeId) -> Vec<Key> {
    fn chain<T: Aliasable + Copy>(
        types: &Types,
        mut id: T,
        wrap: fn(T) -> ComponentAnyTypeId,
    ) -> Vec<Key> {
        let mut keys = vec![Key::Id(wrap(id))];
        while let Some(inner) = types.peel_alias(id) {
            id = inner;
            keys.push(Key::Id(wrap(id)));
        }
        keys
    }
    match id {
        ComponentAnyTypeId::Resource(r) => {
            let mut keys = chain(types, r, ComponentAnyTypeId::Resource);
            keys.push(Key::Resource(r.resource()));
            keys
        }
        ComponentAnyTypeId::Defined(d) => chain(types, d, ComponentAnyTypeId::Defined),
        ComponentAnyTypeId::Func(f) => chain(types, f, ComponentAnyTypeId::Func),
        ComponentAnyTypeId::Instance(i) => chain(types, i, ComponentAnyTypeId::Instance),
        ComponentAnyTypeId::Component(c) => chain(types, c, ComponentAnyTypeId::Component),
    }
}

/// The first import that makes each type visible: an instance import's exported types, a world-level type import.
fn owners(types: &Types, imports: &[String]) -> HashMap<Key, Owner> {
    let mut owners = HashMap::new();
    for name in imports {
        let Some(item) = types.component_item_for_import(name) else {
            continue;
        };
        match item.ty {
            ComponentEntityType::Instance(instance) => {
                for (export, item) in &types[instance].exports {
                    if let ComponentEntityType::Type {
                        referenced,
                        created,
                    } = item.ty
                    {
                        for key in keys(types, created)
                            .into_iter()
                            .chain(keys(types, referenced))
                        {
                            owners
                                .entry(key)
                                .or_insert_with(|| (name.clone(), Some(export.clone())));
                        }
                    }
                }
            }
            ComponentEntityType::Type {
                referenced,
                created,
            } => {
                for key in keys(types, created)
                    .into_iter()
                    .chain(keys(types, referenced))
                {
                    owners.entry(key).or_insert_with(|| (name.clone(), None));
                }
            }
            _ => {}
        }
    }
    owners
}

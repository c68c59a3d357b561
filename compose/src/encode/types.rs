//! Writing the types of the composition's imports: an instance type per merged import, built from each importer's
//! own view of it, and the types those name. A type is written where it is defined; everywhere else it is
//! referred to: a type an import takes from another import is aliased from that import's instance (a `use` in
//! WIT), and a type that renames another in the same interface refers to it (`type t2 = t1;`), so the composed
//! WIT reads like the inputs' WIT.

use super::EncodeError;
use super::imports::{Import, Imports, children};
use super::load::{Key, Loaded};
use std::collections::HashMap;
use wasm_encoder::{
    Alias, ComponentBuilder, ComponentDefinedTypeEncoder, ComponentExportKind,
    ComponentOuterAliasKind, ComponentTypeRef, ComponentValType, InstanceType, PrimitiveValType,
    TypeBounds,
};
use wasmparser::component_types::{ComponentAnyTypeId, ComponentDefinedType, ComponentEntityType};

/// The outer component's side of type encoding: what its imports are, and the types already aliased or
/// defined at its level.
pub(crate) struct Outer<'a> {
    /// The component being written.
    pub(crate) builder: ComponentBuilder,
    /// The inputs.
    pub(crate) loaded: &'a [Loaded],
    /// The composition's imports.
    pub(crate) imports: &'a Imports,
    /// Each import's index (instance, function or type index), once imported.
    pub(crate) imported: Vec<Option<(ComponentExportKind, u32)>>,
    /// Types at the outer level: (component, key) to type index.
    types: HashMap<(usize, Key), u32>,
    /// Types aliased from an imported instance: (import, export) to type index.
    aliased: HashMap<(usize, String), u32>,
}

/// Where a type is being written: the outer component, or the instance type of one import.
enum Scope<'s> {
    Outer,
    Instance(&'s mut InstanceScope),
}

/// An instance type being built for import `import`.
struct InstanceScope {
    import: usize,
    ty: InstanceType,
    /// Types in this instance type: (component, key) to index.
    types: HashMap<(usize, Key), u32>,
    /// Type exports of this instance type, by name.
    names: HashMap<String, u32>,
    /// Every export name written so far.
    exports: Vec<String>,
}

impl<'a> Outer<'a> {
    /// Starts writing a component whose imports are `imports`.
    pub(crate) fn new(loaded: &'a [Loaded], imports: &'a Imports) -> Outer<'a> {
        Outer {
            builder: ComponentBuilder::default(),
            loaded,
            imports,
            imported: vec![None; imports.list.len()],
            types: HashMap::new(),
            aliased: HashMap::new(),
        }
    }

    /// Writes the import `index` of [`Imports::list`] (every import it uses types of must be written first).
    pub(crate) fn import(&mut self, index: usize) -> Result<(), EncodeError> {
        let import: &Import = &self.imports.list[index];
        let first = import.wanted.first().ok_or(EncodeError::Unsupported {
            what: "an import nobody wants",
        })?;
        let loaded = &self.loaded[first.component];
        let ty = loaded.import(&first.name).ok_or(EncodeError::Unsupported {
            what: "an import the component does not declare",
        })?;
        let (kind, at) = match ty {
            ComponentEntityType::Instance(_) => {
                let mut scope = InstanceScope {
                    import: index,
                    ty: InstanceType::new(),
                    types: HashMap::new(),
                    names: HashMap::new(),
                    exports: Vec::new(),
                };
                for wanted in &import.wanted {
                    self.instance_exports(&mut scope, wanted.component, &wanted.name)?;
                }
                let ty = self.builder.type_instance(None, &scope.ty);
                let at = self
                    .builder
                    .import(import.name.as_str(), ComponentTypeRef::Instance(ty));
                (ComponentExportKind::Instance, at)
            }
            ComponentEntityType::Func(f) => {
                let ty = self.func(&mut Scope::Outer, first.component, f)?;
                let at = self
                    .builder
                    .import(import.name.as_str(), ComponentTypeRef::Func(ty));
                (ComponentExportKind::Func, at)
            }
            ComponentEntityType::Type { referenced, .. } => {
                let own = loaded
                    .owner(referenced)
                    .is_some_and(|(owner, export)| *owner == first.name && export.is_none());
                let bounds = match (referenced, own) {
                    (ComponentAnyTypeId::Resource(_), true) => TypeBounds::SubResource,
                    (ComponentAnyTypeId::Defined(d), true) => {
                        TypeBounds::Eq(self.define(&mut Scope::Outer, first.component, d)?)
                    }
                    _ => TypeBounds::Eq(self.resolve(
                        &mut Scope::Outer,
                        first.component,
                        referenced,
                    )?),
                };
                let at = self
                    .builder
                    .import(import.name.as_str(), ComponentTypeRef::Type(bounds));
                for wanted in &import.wanted {
                    if let Some(ComponentEntityType::Type {
                        referenced,
                        created,
                    }) = self.loaded[wanted.component].import(&wanted.name)
                    {
                        // A type import that renames an earlier one (`type handle = id;`) must not take its name.
                        self.types
                            .entry((wanted.component, Key::Id(referenced)))
                            .or_insert(at);
                        self.types.insert((wanted.component, Key::Id(created)), at);
                    }
                }
                (ComponentExportKind::Type, at)
            }
            ComponentEntityType::Component(_) => {
                return Err(EncodeError::Unsupported {
                    what: "a component import left open",
                });
            }
            ComponentEntityType::Module(_) => {
                return Err(EncodeError::Unsupported {
                    what: "a core module import left open",
                });
            }
            ComponentEntityType::Value(_) => {
                return Err(EncodeError::Unsupported {
                    what: "a value import left open",
                });
            }
        };
        self.imported[index] = Some((kind, at));
        Ok(())
    }

    /// Writes at the outer level the type that `component` exports as `name` (a type definition of a `.wac`
    /// document), with what it names taken from the composition's imports; returns its index.
    pub(crate) fn export_type(&mut self, component: usize, name: &str) -> Result<u32, EncodeError> {
        match self.loaded[component].export(name) {
            Some(ComponentEntityType::Type { referenced, .. }) => {
                self.resolve(&mut Scope::Outer, component, referenced)
            }
            _ => Err(EncodeError::Unsupported {
                what: "an exported definition that is not a type",
            }),
        }
    }

    /// Records that the type `component` exports as `name` was exported from the composition at type index
    /// `at`: what names it from now on names the export.
    pub(crate) fn exported_type(&mut self, component: usize, name: &str, at: u32) {
        if let Some(ComponentEntityType::Type {
            referenced,
            created,
        }) = self.loaded[component].export(name)
        {
            for id in [referenced, created] {
                self.types.insert((component, Key::Id(id)), at);
            }
        }
    }

    /// Adds to an instance type the exports of one importer's view of it that are not there yet.
    fn instance_exports(
        &mut self,
        s: &mut InstanceScope,
        component: usize,
        import: &str,
    ) -> Result<(), EncodeError> {
        let loaded: &'a Loaded = &self.loaded[component];
        let Some(ComponentEntityType::Instance(id)) = loaded.import(import) else {
            return Err(EncodeError::Unsupported {
                what: "an import that is an instance in one component and not in another",
            });
        };
        for (export, item) in &loaded.types[id].exports {
            if s.exports.iter().any(|e| e == export) {
                // Offered by an earlier importer: this importer's names for its types are the same types.
                if let (
                    ComponentEntityType::Type {
                        referenced,
                        created,
                    },
                    Some(&at),
                ) = (item.ty, s.names.get(export))
                {
                    for id in [referenced, created] {
                        s.types.entry((component, Key::Id(id))).or_insert(at);
                    }
                }
                continue;
            }
            match item.ty {
                ComponentEntityType::Type {
                    referenced,
                    created,
                } => {
                    let owner = loaded.owner(referenced);
                    let defined_here = owner
                        .is_some_and(|(o, e)| o == import && e.as_deref() == Some(export.as_str()));
                    // A value type this interface takes from an import with a plain name (`base`, not
                    // `ns:pkg/iface`) is written again here: WIT can only `use` from an interface with a name, and
                    // a value type is the same type wherever it is written (a resource is not: it is always taken
                    // from its import).
                    let from_plain = owner.is_some_and(|(o, _)| o != import && !is_interface(o));
                    let bounds = match referenced {
                        ComponentAnyTypeId::Resource(_) if defined_here => TypeBounds::SubResource,
                        ComponentAnyTypeId::Defined(d) if defined_here || from_plain => {
                            TypeBounds::Eq(self.define(&mut Scope::Instance(s), component, d)?)
                        }
                        _ => TypeBounds::Eq(self.resolve(
                            &mut Scope::Instance(s),
                            component,
                            referenced,
                        )?),
                    };
                    let at = s.ty.type_count();
                    s.ty.export(export.as_str(), ComponentTypeRef::Type(bounds));
                    s.names.insert(export.clone(), at);
                    // From here on the type is referred to by its export: an import's types must name only
                    // what it exports (component model, "instance not valid to be used as import").
                    let key = (component, Key::Id(referenced));
                    if !s.types.get(&key).is_some_and(|t| is_export(s, *t)) {
                        s.types.insert(key, at);
                    }
                    s.types.insert((component, Key::Id(created)), at);
                }
                ComponentEntityType::Func(f) => {
                    let ty = self.func(&mut Scope::Instance(s), component, f)?;
                    s.ty.export(export.as_str(), ComponentTypeRef::Func(ty));
                }
                _ => {
                    return Err(EncodeError::Unsupported {
                        what: "an imported instance exporting something other than types and functions (a nested \
                               instance, a component, a module or a value)",
                    });
                }
            }
            s.exports.push(export.clone());
        }
        Ok(())
    }

    /// The index, in `scope`, of type `id` of `component`: already there, taken from the import that defines it,
    /// or defined now.
    fn resolve(
        &mut self,
        scope: &mut Scope<'_>,
        component: usize,
        id: ComponentAnyTypeId,
    ) -> Result<u32, EncodeError> {
        let loaded: &'a Loaded = &self.loaded[component];
        if let Some(at) = self.lookup(scope, component, id) {
            return Ok(at);
        }
        if let Some((owner, export)) = loaded.owner(id) {
            let import =
                self.imports
                    .of(component, owner)
                    .ok_or_else(|| EncodeError::NotImported {
                        import: owner.clone(),
                    })?;
            let at = match (&mut *scope, export) {
                (Scope::Instance(s), Some(export)) if s.import == import => {
                    *s.names.get(export).ok_or(EncodeError::Unsupported {
                        what: "a type used before its interface defines it",
                    })?
                }
                (scope, export) => {
                    let outer = self.outer_type(import, export.as_deref())?;
                    match scope {
                        Scope::Outer => outer,
                        Scope::Instance(s) => {
                            let at = s.ty.type_count();
                            s.ty.alias(Alias::Outer {
                                kind: ComponentOuterAliasKind::Type,
                                count: 1,
                                index: outer,
                            });
                            at
                        }
                    }
                }
            };
            self.remember(scope, component, id, at);
            return Ok(at);
        }
        match id {
            ComponentAnyTypeId::Defined(d) => self.define(scope, component, d),
            ComponentAnyTypeId::Func(f) => self.func(scope, component, f),
            ComponentAnyTypeId::Resource(_) => Err(EncodeError::ResourceWithoutImport),
            ComponentAnyTypeId::Instance(_) | ComponentAnyTypeId::Component(_) => {
                Err(EncodeError::Unsupported {
                    what: "an instance or component type inside an import's type",
                })
            }
        }
    }

    /// The outer index of a type import's type, or of a type exported by an imported instance.
    fn outer_type(&mut self, import: usize, export: Option<&str>) -> Result<u32, EncodeError> {
        let (kind, at) = self.imported[import].ok_or_else(|| EncodeError::NotImported {
            import: self.imports.list[import].name.clone(),
        })?;
        let Some(export) = export else {
            return Ok(at);
        };
        if kind != ComponentExportKind::Instance {
            return Err(EncodeError::NotImported {
                import: self.imports.list[import].name.clone(),
            });
        }
        if let Some(&at) = self.aliased.get(&(import, export.to_owned())) {
            return Ok(at);
        }
        let alias = self
            .builder
            .alias_export(at, export, ComponentExportKind::Type);
        self.aliased.insert((import, export.to_owned()), alias);
        Ok(alias)
    }

    /// A type already in `scope`: as itself, or as a type it aliases.
    fn lookup(&self, scope: &Scope<'_>, component: usize, id: ComponentAnyTypeId) -> Option<u32> {
        let types = match scope {
            Scope::Outer => &self.types,
            Scope::Instance(s) => &s.types,
        };
        self.loaded[component]
            .keys(id)
            .into_iter()
            .find_map(|k| types.get(&(component, k)).copied())
    }

    fn remember(
        &mut self,
        scope: &mut Scope<'_>,
        component: usize,
        id: ComponentAnyTypeId,
        at: u32,
    ) {
        match scope {
            Scope::Outer => self.types.insert((component, Key::Id(id)), at),
            Scope::Instance(s) => s.types.insert((component, Key::Id(id)), at),
        };
    }

    /// A value type in `scope`.
    fn val(
        &mut self,
        scope: &mut Scope<'_>,
        component: usize,
        v: wasmparser::component_types::ComponentValType,
    ) -> Result<ComponentValType, EncodeError> {
        Ok(match v {
            wasmparser::component_types::ComponentValType::Primitive(p) => {
                ComponentValType::Primitive(primitive(p))
            }
            wasmparser::component_types::ComponentValType::Type(d) => ComponentValType::Type(
                self.resolve(scope, component, ComponentAnyTypeId::Defined(d))?,
            ),
        })
    }

    /// Writes a function type in `scope`.
    fn func(
        &mut self,
        scope: &mut Scope<'_>,
        component: usize,
        id: wasmparser::component_types::ComponentFuncTypeId,
    ) -> Result<u32, EncodeError> {
        let func = &self.loaded[component].types[id];
        let mut params = Vec::with_capacity(func.params.len());
        for (name, v) in func.params.iter() {
            params.push((name.as_str(), self.val(scope, component, *v)?));
        }
        let result = func
            .result
            .map(|v| self.val(scope, component, v))
            .transpose()?;
        let async_ = func.async_;
        let (at, mut encoder) = match scope {
            Scope::Outer => {
                let (at, encoder) = self.builder.type_function(None);
                (at, encoder)
            }
            Scope::Instance(s) => (s.ty.type_count(), s.ty.ty().function()),
        };
        encoder.async_(async_);
        encoder.params(params);
        encoder.result(result);
        Ok(at)
    }

    /// Writes a value type defined in `component` in `scope`, with every type it is made of.
    fn define(
        &mut self,
        scope: &mut Scope<'_>,
        component: usize,
        id: wasmparser::component_types::ComponentDefinedTypeId,
    ) -> Result<u32, EncodeError> {
        let loaded: &'a Loaded = &self.loaded[component];
        let ty = &loaded.types[id];
        let mut parts = Vec::new();
        for v in children(ty) {
            parts.push(self.val(scope, component, v)?);
        }
        let resource = match ty {
            ComponentDefinedType::Own(r) | ComponentDefinedType::Borrow(r) => {
                Some(self.resolve(scope, component, ComponentAnyTypeId::Resource(*r))?)
            }
            _ => None,
        };
        let (at, encoder) = match scope {
            Scope::Outer => self.builder.type_defined(None),
            Scope::Instance(s) => (s.ty.type_count(), s.ty.ty().defined_type()),
        };
        write_defined(encoder, ty, &parts, resource)?;
        self.remember(scope, component, ComponentAnyTypeId::Defined(id), at);
        Ok(at)
    }
}

/// Whether an extern name names an interface (`ns:pkg/iface`, with or without a version) rather than being a
/// plain name (component model, "Import and export definitions": `interfacename` versus `plainname`).
fn is_interface(name: &str) -> bool {
    name.contains(':') && name.contains('/')
}

/// Whether type index `at` of an instance type being built is one of its exports.
fn is_export(s: &InstanceScope, at: u32) -> bool {
    s.names.values().any(|t| *t == at)
}

/// Writes `ty` with its parts (as [`children`] lists them) and resource already in scope.
fn write_defined(
    encoder: ComponentDefinedTypeEncoder<'_>,
    ty: &ComponentDefinedType,
    parts: &[ComponentValType],
    resource: Option<u32>,
) -> Result<(), EncodeError> {
    let missing = || EncodeError::Unsupported {
        what: "a type whose parts are not all written",
    };
    if parts.len() != children(ty).len() {
        return Err(missing());
    }
    let mut parts = parts.iter().copied();
    let mut next = || {
        parts
            .next()
            .unwrap_or(ComponentValType::Primitive(PrimitiveValType::Bool))
    };
    match ty {
        ComponentDefinedType::Primitive(p) => encoder.primitive(primitive(*p)),
        ComponentDefinedType::Record(r) => {
            let fields: Vec<(&str, ComponentValType)> = r
                .fields
                .keys()
                .map(|name| (name.as_str(), next()))
                .collect();
            encoder.record(fields);
        }
        ComponentDefinedType::Variant(v) => {
            let cases: Vec<(&str, Option<ComponentValType>)> = v
                .cases
                .iter()
                .map(|(name, case)| (name.as_str(), case.ty.map(|_| next())))
                .collect();
            encoder.variant(cases);
        }
        ComponentDefinedType::List { .. } => encoder.list(next()),
        ComponentDefinedType::FixedLengthList { length, .. } => {
            encoder.fixed_length_list(next(), *length)
        }
        ComponentDefinedType::Map { .. } => {
            let key = next();
            encoder.map(key, next());
        }
        ComponentDefinedType::Tuple(t) => {
            let types: Vec<ComponentValType> = t.types.iter().map(|_| next()).collect();
            encoder.tuple(types);
        }
        ComponentDefinedType::Flags(names) => encoder.flags(names.iter().map(|n| n.as_str())),
        ComponentDefinedType::Enum(names) => encoder.enum_type(names.iter().map(|n| n.as_str())),
        ComponentDefinedType::Option { .. } => encoder.option(next()),
        ComponentDefinedType::Result { ok, err, .. } => {
            let ok = ok.map(|_| next());
            let err = err.map(|_| next());
            encoder.result(ok, err);
        }
        ComponentDefinedType::Own(_) => encoder.own(resource.ok_or_else(missing)?),
        ComponentDefinedType::Borrow(_) => encoder.borrow(resource.ok_or_else(missing)?),
        ComponentDefinedType::Future { ty, .. } => encoder.future(ty.map(|_| next())),
        ComponentDefinedType::Stream { ty, .. } => encoder.stream(ty.map(|_| next())),
    }
    Ok(())
}

/// A primitive type as wasm-encoder spells it.
fn primitive(p: wasmparser::PrimitiveValType) -> PrimitiveValType {
    use wasmparser::PrimitiveValType as P;
    match p {
        P::Bool => PrimitiveValType::Bool,
        P::S8 => PrimitiveValType::S8,
        P::U8 => PrimitiveValType::U8,
        P::S16 => PrimitiveValType::S16,
        P::U16 => PrimitiveValType::U16,
        P::S32 => PrimitiveValType::S32,
        P::U32 => PrimitiveValType::U32,
        P::S64 => PrimitiveValType::S64,
        P::U64 => PrimitiveValType::U64,
        P::F32 => PrimitiveValType::F32,
        P::F64 => PrimitiveValType::F64,
        P::Char => PrimitiveValType::Char,
        P::String => PrimitiveValType::String,
        P::ErrorContext => PrimitiveValType::ErrorContext,
    }
}

//! WIT spellings of component-model types as the composition graph holds them (`wac_types`), for diagnostics:
//! `func(name: string) -> string`, `list<point>`, `result<u32, error-code>`.

use indexmap::IndexMap;
use std::collections::HashMap;
use wac_types::{DefinedType, DefinedTypeId, FuncTypeId, ItemKind, Type, Types, ValueType};

/// Names of the types an instance (or world) exports, so that a parameter of type `point` reads `point` rather
/// than `record { x: s32, y: s32 }`.
#[derive(Debug, Default)]
pub struct TypeNames(HashMap<DefinedTypeId, String>);

impl TypeNames {
    /// The names of the types among `items` (the exports of an instance type, or the imports and exports of a
    /// world), following aliases so that a `use`d type is named too.
    pub fn of(types: &Types, items: &IndexMap<String, ItemKind>) -> TypeNames {
        let mut names = HashMap::new();
        for (name, kind) in items {
            if let ItemKind::Type(Type::Value(ValueType::Defined(first))) = kind {
                let mut id = *first;
                loop {
                    names.entry(id).or_insert_with(|| name.clone());
                    match types[id] {
                        DefinedType::Alias(ValueType::Defined(next)) => id = next,
                        _ => break,
                    }
                }
            }
        }
        TypeNames(names)
    }
}

/// A printer of types from one `Types` arena with the names known in one scope.
pub struct Printer<'a> {
    types: &'a Types,
    names: &'a TypeNames,
}

impl<'a> Printer<'a> {
    /// A printer over `types`, naming defined types with `names`.
    pub fn new(types: &'a Types, names: &'a TypeNames) -> Printer<'a> {
        Printer { types, names }
    }

    /// An item: a function's signature, `interface { ... }` for an instance, or what kind of thing it is.
    pub fn item(&self, kind: ItemKind) -> String {
        match kind {
            ItemKind::Func(id) => self.func(id),
            ItemKind::Type(Type::Value(ty)) | ItemKind::Value(ty) => self.value(ty),
            ItemKind::Instance(id) => {
                let exports = &self.types[id].exports;
                let names: Vec<&str> = exports.keys().map(String::as_str).collect();
                format!("instance {{ {} }}", names.join(", "))
            }
            other => other.desc(self.types).to_owned(),
        }
    }

    /// `func(a: u32, b: string) -> string`, with `async` first for an async function.
    pub fn func(&self, id: FuncTypeId) -> String {
        let f = &self.types[id];
        let params: Vec<String> = f
            .params
            .iter()
            .map(|(name, ty)| format!("{name}: {}", self.value(*ty)))
            .collect();
        let mut out = format!(
            "{}func({})",
            if f.is_async { "async " } else { "" },
            params.join(", ")
        );
        if let Some(result) = f.result {
            out.push_str(" -> ");
            out.push_str(&self.value(result));
        }
        out
    }

    /// A value type in WIT syntax.
    pub fn value(&self, ty: ValueType) -> String {
        match ty {
            ValueType::Primitive(p) => p.desc().to_owned(),
            ValueType::Own(r) => self.types[self.types.resolve_resource(r)].name.clone(),
            ValueType::Borrow(r) => format!(
                "borrow<{}>",
                self.types[self.types.resolve_resource(r)].name
            ),
            ValueType::Defined(id) => match self.names.0.get(&id) {
                Some(name) => name.clone(),
                None => self.defined(id),
            },
        }
    }

    fn opt(&self, ty: Option<ValueType>) -> String {
        ty.map_or_else(|| "_".to_owned(), |t| self.value(t))
    }

    fn defined(&self, id: DefinedTypeId) -> String {
        let list = |items: Vec<String>| items.join(", ");
        match &self.types[id] {
            DefinedType::Tuple(items) => format!(
                "tuple<{}>",
                list(items.iter().map(|t| self.value(*t)).collect())
            ),
            DefinedType::List(t) => format!("list<{}>", self.value(*t)),
            DefinedType::FixedSizeList(t, n) => format!("list<{}, {n}>", self.value(*t)),
            DefinedType::Map(k, v) => format!("map<{}, {}>", self.value(*k), self.value(*v)),
            DefinedType::Option(t) => format!("option<{}>", self.value(*t)),
            DefinedType::Result {
                ok: None,
                err: None,
            } => "result".to_owned(),
            DefinedType::Result { ok, err: None } => format!("result<{}>", self.opt(*ok)),
            DefinedType::Result { ok, err } => {
                format!("result<{}, {}>", self.opt(*ok), self.opt(*err))
            }
            DefinedType::Variant(v) => format!(
                "variant {{ {} }}",
                list(
                    v.cases
                        .iter()
                        .map(|(name, ty)| match ty {
                            Some(t) => format!("{name}({})", self.value(*t)),
                            None => name.clone(),
                        })
                        .collect()
                )
            ),
            DefinedType::Record(r) => format!(
                "record {{ {} }}",
                list(
                    r.fields
                        .iter()
                        .map(|(name, t)| format!("{name}: {}", self.value(*t)))
                        .collect()
                )
            ),
            DefinedType::Flags(f) => format!("flags {{ {} }}", list(f.0.iter().cloned().collect())),
            DefinedType::Enum(e) => format!("enum {{ {} }}", list(e.0.iter().cloned().collect())),
            DefinedType::Alias(t) => self.value(*t),
            DefinedType::Stream(t) => match t {
                Some(t) => format!("stream<{}>", self.value(*t)),
                None => "stream".to_owned(),
            },
            DefinedType::Future(t) => match t {
                Some(t) => format!("future<{}>", self.value(*t)),
                None => "future".to_owned(),
            },
        }
    }
}

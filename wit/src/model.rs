//! The JSON model of WIT that `weld wit --json` and `weld inspect --json` print.
//!
//! It names things instead of numbering them: every type reference is its WIT spelling (`list<string>`,
//! `result<u32, error-code>`), every interface carries its full id (`wasi:cli/stdout@0.2.0`), and a method leaves out
//! its implicit `self`, as WIT text does. The schema is documented in `docs/commands/wit.md`; fields are only ever
//! added, never renamed.

use crate::signature::{signature, type_name, visible_params};
use crate::source::{SourceKind, WitSource};
use serde::Serialize;
use wit_parser::{Docs, Function, FunctionKind, Resolve, TypeDefKind, TypeId, WorldItem, WorldKey};

/// A whole loaded input: its packages, main package first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Document {
    /// The file or directory it was loaded from.
    pub source: String,
    /// What that input was.
    pub kind: SourceKind,
    /// The main package's full name (`ns:name@version`).
    pub package: String,
    /// The world this is about (a component's world, or the one selected), qualified.
    pub world: Option<String>,
    /// Every package shown, main first.
    pub packages: Vec<Package>,
}

/// A WIT package.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Package {
    /// Full name: `ns:name@version`.
    pub name: String,
    /// Namespace: `wasi` in `wasi:cli`.
    pub namespace: String,
    /// Version, if the package has one.
    pub version: Option<String>,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Interfaces, in source order.
    pub interfaces: Vec<Interface>,
    /// Worlds, in source order.
    pub worlds: Vec<World>,
}

/// A WIT interface.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Interface {
    /// Its name within the package (`stdout`); absent for an interface written inline in a world.
    pub name: Option<String>,
    /// Its full id (`wasi:cli/stdout@0.2.0`), when it has a name.
    pub id: Option<String>,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Types defined or `use`d here.
    pub types: Vec<TypeDef>,
    /// Functions, resource constructors, methods and statics.
    pub functions: Vec<Func>,
}

/// A named type.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct TypeDef {
    /// The type's name.
    pub name: String,
    /// `record`, `variant`, `enum`, `flags`, `resource`, `tuple`, `option`, `result`, `list`, `own`, `borrow`,
    /// `future`, `stream`, or `type` (an alias, including a `use`).
    pub kind: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// Record fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Member>,
    /// Variant cases (with an optional payload type) and enum cases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<Member>,
    /// Flag names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Member>,
    /// What an alias refers to; the element type of an option, list, future or stream; the resource of an `own` or
    /// `borrow`; the whole spelling of a tuple or map.
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    pub target: Option<String>,
    /// For an alias that is a `use`, the interface the type comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A result's `ok` type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<String>,
    /// A result's `err` type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
}

/// A field, case or flag.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Member {
    /// Its name.
    pub name: String,
    /// Its type (fields, and cases with a payload).
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    pub ty: Option<String>,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// A function.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Func {
    /// The function's name; for resource functions the WIT name (`get`, or `constructor`).
    pub name: String,
    /// `freestanding`, `method`, `static`, `constructor`, or `async-` before the first three.
    pub kind: &'static str,
    /// The resource a method, static or constructor belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Parameters (a method's `self` left out).
    pub params: Vec<Member>,
    /// Result type, if any.
    pub result: Option<String>,
    /// The whole signature as WIT writes it: `func(name: string) -> string`.
    pub signature: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// A world.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct World {
    /// Its name within the package.
    pub name: String,
    /// Its full id (`wasi:cli/command@0.2.0`).
    pub id: String,
    /// Doc comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// What it imports (after `include`s are applied).
    pub imports: Vec<WorldEntry>,
    /// What it exports (after `include`s are applied).
    pub exports: Vec<WorldEntry>,
}

/// One import or export of a world.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct WorldEntry {
    /// The name a component sees: an interface id (`wasi:cli/stdout@0.2.0`) or a plain name (`greet`).
    pub name: String,
    /// `interface`, `function` or `type`.
    pub kind: &'static str,
    /// For an interface: its functions, so a reader sees every signature in one place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<Func>,
    /// For a function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<Func>,
    /// For a type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typedef: Option<TypeDef>,
}

impl Document {
    /// Builds the model of everything `src` shows.
    pub fn new(src: &WitSource) -> Document {
        let resolve = &src.resolve;
        Document {
            source: src.path.display().to_string(),
            kind: src.kind,
            package: resolve.packages[src.package].name.to_string(),
            world: src.world.map(|w| world_id(resolve, w)),
            packages: src
                .packages
                .iter()
                .map(|id| package(resolve, *id))
                .collect(),
        }
    }
}

fn docs(d: &Docs) -> Option<String> {
    d.contents.clone()
}

fn package(resolve: &Resolve, id: wit_parser::PackageId) -> Package {
    let pkg = &resolve.packages[id];
    Package {
        name: pkg.name.to_string(),
        namespace: pkg.name.namespace.clone(),
        version: pkg.name.version.as_ref().map(|v| v.to_string()),
        docs: docs(&pkg.docs),
        interfaces: pkg
            .interfaces
            .values()
            .map(|i| interface(resolve, *i))
            .collect(),
        worlds: pkg.worlds.values().map(|w| world(resolve, *w)).collect(),
    }
}

/// The model of one interface.
pub fn interface(resolve: &Resolve, id: wit_parser::InterfaceId) -> Interface {
    let iface = &resolve.interfaces[id];
    Interface {
        name: iface.name.clone(),
        id: resolve.id_of(id),
        docs: docs(&iface.docs),
        types: iface.types.values().map(|t| typedef(resolve, *t)).collect(),
        functions: iface.functions.values().map(|f| func(resolve, f)).collect(),
    }
}

/// The model of one world, with every interface it reaches listed with its functions.
pub fn world(resolve: &Resolve, id: wit_parser::WorldId) -> World {
    let w = &resolve.worlds[id];
    let entries = |items: &wit_parser::IndexMap<WorldKey, WorldItem>| {
        items
            .iter()
            .map(|(key, item)| world_entry(resolve, key, item))
            .collect()
    };
    World {
        name: w.name.clone(),
        id: world_id(resolve, id),
        docs: docs(&w.docs),
        imports: entries(&w.imports),
        exports: entries(&w.exports),
    }
}

fn world_id(resolve: &Resolve, id: wit_parser::WorldId) -> String {
    let w = &resolve.worlds[id];
    match w.package {
        Some(pkg) => resolve.id_of_name(pkg, &w.name),
        None => w.name.clone(),
    }
}

fn world_entry(resolve: &Resolve, key: &WorldKey, item: &WorldItem) -> WorldEntry {
    let name = resolve.name_world_key(key);
    match item {
        WorldItem::Interface { id, .. } => WorldEntry {
            name,
            kind: "interface",
            functions: resolve.interfaces[*id]
                .functions
                .values()
                .map(|f| func(resolve, f))
                .collect(),
            function: None,
            typedef: None,
        },
        WorldItem::Function(f) => WorldEntry {
            name,
            kind: "function",
            functions: Vec::new(),
            function: Some(func(resolve, f)),
            typedef: None,
        },
        WorldItem::Type { id, .. } => WorldEntry {
            name,
            kind: "type",
            functions: Vec::new(),
            function: None,
            typedef: Some(typedef(resolve, *id)),
        },
    }
}

/// The model of one function.
pub fn func(resolve: &Resolve, f: &Function) -> Func {
    let (kind, resource) = match &f.kind {
        FunctionKind::Freestanding => ("freestanding", None),
        FunctionKind::AsyncFreestanding => ("async-freestanding", None),
        FunctionKind::Method(r) => ("method", Some(*r)),
        FunctionKind::AsyncMethod(r) => ("async-method", Some(*r)),
        FunctionKind::Static(r) => ("static", Some(*r)),
        FunctionKind::AsyncStatic(r) => ("async-static", Some(*r)),
        FunctionKind::Constructor(r) => ("constructor", Some(*r)),
    };
    Func {
        name: f.item_name().to_string(),
        kind,
        resource: resource.and_then(|r| resolve.types[r].name.clone()),
        params: visible_params(f)
            .iter()
            .map(|p| Member {
                name: p.name.clone(),
                ty: Some(type_name(resolve, &p.ty)),
                docs: None,
            })
            .collect(),
        result: match f.kind {
            FunctionKind::Constructor(_) => None,
            _ => f.result.as_ref().map(|t| type_name(resolve, t)),
        },
        signature: signature(resolve, f),
        docs: docs(&f.docs),
    }
}

fn typedef(resolve: &Resolve, id: TypeId) -> TypeDef {
    let def = &resolve.types[id];
    let ty = |t: &wit_parser::Type| type_name(resolve, t);
    let mut out = TypeDef {
        name: def.name.clone().unwrap_or_default(),
        kind: def.kind.as_str().to_string(),
        docs: docs(&def.docs),
        fields: Vec::new(),
        cases: Vec::new(),
        flags: Vec::new(),
        target: None,
        from: None,
        ok: None,
        err: None,
    };
    let member = |name: &str, ty: Option<String>, d: &Docs| Member {
        name: name.to_string(),
        ty,
        docs: docs(d),
    };
    match &def.kind {
        TypeDefKind::Record(r) => {
            out.fields = (r.fields.iter())
                .map(|f| member(&f.name, Some(ty(&f.ty)), &f.docs))
                .collect();
        }
        TypeDefKind::Variant(v) => {
            out.cases = (v.cases.iter())
                .map(|c| member(&c.name, c.ty.as_ref().map(ty), &c.docs))
                .collect();
        }
        TypeDefKind::Enum(e) => {
            out.cases = (e.cases.iter())
                .map(|c| member(&c.name, None, &c.docs))
                .collect();
        }
        TypeDefKind::Flags(f) => {
            out.flags = (f.flags.iter())
                .map(|f| member(&f.name, None, &f.docs))
                .collect();
        }
        TypeDefKind::Result(r) => {
            out.ok = r.ok.as_ref().map(ty);
            out.err = r.err.as_ref().map(ty);
        }
        TypeDefKind::Type(t) => {
            out.target = Some(ty(t));
            out.from = resolve
                .type_interface_dep(id)
                .and_then(|i| resolve.id_of(i));
        }
        TypeDefKind::Option(t) | TypeDefKind::List(t) | TypeDefKind::FixedLengthList(t, _) => {
            out.target = Some(ty(t));
        }
        TypeDefKind::Future(t) | TypeDefKind::Stream(t) => out.target = t.as_ref().map(ty),
        TypeDefKind::Handle(wit_parser::Handle::Own(r) | wit_parser::Handle::Borrow(r)) => {
            out.target = resolve.types[*r].name.clone();
        }
        TypeDefKind::Tuple(t) => {
            let items: Vec<String> = t.types.iter().map(ty).collect();
            out.target = Some(format!("tuple<{}>", items.join(", ")));
        }
        TypeDefKind::Map(k, v) => out.target = Some(format!("map<{}, {}>", ty(k), ty(v))),
        TypeDefKind::Resource | TypeDefKind::Unknown => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_names_every_part() {
        let src = WitSource::from_wit_text(
            "t.wit",
            "package a:b@0.1.0;
             /// Shapes.
             interface shapes {
               record point { x: s32, y: s32 }
               variant shape { circle(u32), none }
               enum color { red, green }
               flags perms { read, write }
               resource counter { constructor(start: u32); get: func() -> u32; }
               area: func(s: shape) -> result<u32, string>;
             }
             world w { import shapes; export run: func(); }",
        )
        .unwrap();
        let json = serde_json::to_value(Document::new(&src)).unwrap();
        let shapes = &json["packages"][0]["interfaces"][0];
        assert_eq!(shapes["id"], "a:b/shapes@0.1.0");
        assert_eq!(shapes["docs"], "Shapes.");
        assert_eq!(shapes["types"][0]["fields"][1]["type"], "s32");
        assert_eq!(shapes["types"][1]["cases"][0]["type"], "u32");
        assert_eq!(shapes["types"][3]["flags"][1]["name"], "write");
        let get = &shapes["functions"][1];
        assert_eq!(
            (
                get["name"].as_str(),
                get["kind"].as_str(),
                get["resource"].as_str()
            ),
            (Some("get"), Some("method"), Some("counter"))
        );
        assert_eq!(
            shapes["functions"][2]["signature"],
            "func(s: shape) -> result<u32, string>"
        );
        let world = &json["packages"][0]["worlds"][0];
        assert_eq!(world["imports"][0]["name"], "a:b/shapes@0.1.0");
        assert_eq!(world["exports"][0]["function"]["signature"], "func()");
    }
}

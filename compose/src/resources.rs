//! Resources that cross a plug. An interface that defines a resource may be plugged while another import that
//! uses that resource stays open; the result would then have to import something that names a resource of an
//! instance made inside it, which no encoding can express (the validator says only `resource types are not the
//! same`). Such an import is marked as a problem that names the import, the resource and what to plug.

use crate::report::{Instance, Outcome, Problem};
use wac_graph::types::{DefinedType, ItemKind, ResourceId, Type, Types, ValueType, World};
use wac_graph::{CompositionGraph, NodeId};

/// A plugged import and the resources it defines.
struct Defined {
    import: String,
    plugged_by: String,
    resources: Vec<(String, ResourceId)>,
}

/// Marks, in every instance, each open import whose type uses a resource that a plugged import of the same
/// instance defines. `in_wac`: a `.wac` document did the wiring (for the advice's words).
pub(crate) fn mark_shared(
    graph: &CompositionGraph,
    instances: &mut [(NodeId, Instance)],
    in_wac: bool,
) {
    let types = graph.types();
    for (node, instance) in instances {
        let Some(package) = graph[*node].package() else {
            continue;
        };
        let world = &types[graph[package].ty()];
        let defined: Vec<Defined> = instance
            .imports
            .iter()
            .filter_map(|import| match &import.outcome {
                Outcome::Plugged { by, .. } => Some(Defined {
                    import: import.name.clone(),
                    plugged_by: by.clone(),
                    resources: resources(types, world, &import.name)
                        .into_iter()
                        .filter(|(_, r)| defines(types, world, &import.name, *r))
                        .collect(),
                }),
                _ => None,
            })
            .collect();
        for import in &mut instance.imports {
            if !matches!(import.outcome, Outcome::Open { .. }) {
                continue;
            }
            let used = resources(types, world, &import.name);
            let shared = defined.iter().find_map(|d| {
                used.iter()
                    .find(|(_, r)| d.resources.iter().any(|(_, mine)| mine == r))
                    .map(|(name, _)| (name, d))
            });
            if let Some((resource, d)) = shared {
                import.outcome = Outcome::Error {
                    problem: Problem::SharedResource {
                        resource: resource.clone(),
                        defined_by: d.import.clone(),
                        plugged_by: d.plugged_by.clone(),
                        in_wac,
                        is_type: matches!(world.imports.get(&import.name), Some(ItemKind::Type(_))),
                    },
                };
            }
        }
    }
}

/// Whether import `name` of `world` defines resource `r` itself, rather than `use`-ing it from another interface
/// (an interface that only uses a resource may be plugged while its owner stays open: both then name the open
/// owner's resource).
fn defines(types: &Types, world: &World, name: &str, r: ResourceId) -> bool {
    let Some(ItemKind::Instance(id)) = world.imports.get(name) else {
        return false;
    };
    types[*id].exports.values().any(|item| match item {
        ItemKind::Type(Type::Resource(own)) => types[*own].alias.is_none() && *own == r,
        _ => false,
    })
}

/// The resources import `name` of `world` names, each with its name and the resource it is at bottom (through
/// the aliases a `use` makes): an interface's resource exports; a world-level resource type import (`use
/// types.{request};` in a world); the resources a world-level function import takes or returns, in any value.
fn resources(types: &Types, world: &World, name: &str) -> Vec<(String, ResourceId)> {
    match world.imports.get(name) {
        Some(ItemKind::Instance(id)) => types[*id]
            .exports
            .iter()
            .filter_map(|(export, item)| match item {
                ItemKind::Type(Type::Resource(r)) => {
                    Some((export.clone(), types.resolve_resource(*r)))
                }
                _ => None,
            })
            .collect(),
        Some(ItemKind::Type(Type::Resource(r))) => {
            vec![(name.to_owned(), types.resolve_resource(*r))]
        }
        Some(ItemKind::Func(f)) => {
            let f = &types[*f];
            let mut found = Vec::new();
            for ty in f.params.values().chain(&f.result) {
                value_resources(types, *ty, &mut found);
            }
            named(types, found)
        }
        Some(ItemKind::Type(Type::Value(ty))) => {
            let mut found = Vec::new();
            value_resources(types, *ty, &mut found);
            named(types, found)
        }
        _ => Vec::new(),
    }
}

/// Each resource with its name.
fn named(types: &Types, resources: Vec<ResourceId>) -> Vec<(String, ResourceId)> {
    resources
        .into_iter()
        .map(|r| (types[r].name.clone(), r))
        .collect()
}

/// Adds to `found` each resource `ty` holds (an `own` or `borrow` anywhere inside), at bottom, once.
fn value_resources(types: &Types, ty: ValueType, found: &mut Vec<ResourceId>) {
    let add = |r: ResourceId, found: &mut Vec<ResourceId>| {
        let r = types.resolve_resource(r);
        if !found.contains(&r) {
            found.push(r);
        }
    };
    let id = match ty {
        ValueType::Primitive(_) => return,
        ValueType::Own(r) | ValueType::Borrow(r) => return add(r, found),
        ValueType::Defined(id) => id,
    };
    let inner: Vec<ValueType> = match &types[id] {
        DefinedType::Tuple(tys) => tys.clone(),
        DefinedType::List(ty) | DefinedType::FixedSizeList(ty, _) | DefinedType::Option(ty) => {
            vec![*ty]
        }
        DefinedType::Alias(ty) => vec![*ty],
        DefinedType::Map(key, value) => vec![*key, *value],
        DefinedType::Result { ok, err } => ok.iter().chain(err).copied().collect(),
        DefinedType::Variant(v) => v.cases.values().flatten().copied().collect(),
        DefinedType::Record(r) => r.fields.values().copied().collect(),
        DefinedType::Stream(ty) | DefinedType::Future(ty) => ty.iter().copied().collect(),
        DefinedType::Flags(_) | DefinedType::Enum(_) => Vec::new(),
    };
    for ty in inner {
        value_resources(types, ty, found);
    }
}

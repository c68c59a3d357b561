//! Resources that cross a plug. An interface that defines a resource may be plugged while another import that
//! uses that resource stays open; the result would then have to import something that names a resource of an
//! instance made inside it, which no encoding can express (the validator says only `resource types are not the
//! same`). Such an import is marked as a problem that names the import, the resource and what to plug.

use crate::report::{Instance, Outcome, Problem};
use wac_graph::types::{ItemKind, ResourceId, Type, Types, World};
use wac_graph::{CompositionGraph, NodeId};

/// A plugged import and the resources it defines.
struct Defined {
    import: String,
    plugged_by: String,
    resources: Vec<(String, ResourceId)>,
}

/// Marks, in every instance, each open import whose type uses a resource that a plugged import of the same
/// instance defines.
pub(crate) fn mark_shared(graph: &CompositionGraph, instances: &mut [(NodeId, Instance)]) {
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

/// The resources import `name` of `world` exports, each with its name and the resource it is at bottom (through
/// the aliases a `use` makes).
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
        _ => Vec::new(),
    }
}

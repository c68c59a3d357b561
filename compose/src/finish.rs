//! From a wired graph to bytes: work out the result's imports (open imports that differ only by a compatible
//! version become one), enforce `--closed`, export what the root exports, encode, and validate the result before
//! anyone writes it.

use crate::composition::{Composition, Pieces};
use crate::encode::{self, Conflict, EncodeError, Imports, Item, Loaded, Plan, Spliced, Wanted};
use crate::error::{ComposeError, ImportOf};
use crate::names;
use crate::report::{Merge, OpenReason, Outcome, Report};
use crate::request::{Closed, Options};
use std::collections::{HashMap, HashSet};
use wac_graph::types::{ItemKind, Package, SubtypeChecker, Types};
use wac_graph::{CompositionGraph, NodeId, NodeKind, PackageId};

/// What matching leaves for [`finish_plugged`].
pub(crate) struct Matched<'m> {
    /// The root's instance.
    pub(crate) root: NodeId,
    /// The interfaces of types alone that plugs supplied: (provider's instance, interface).
    pub(crate) type_exports: &'m [(NodeId, String)],
    /// The components already read, by package.
    pub(crate) loaded: HashMap<PackageId, Loaded>,
    /// Each component's short name, by package.
    pub(crate) names: HashMap<PackageId, String>,
}

/// Finishes a composition whose instances were wired by matching: the interfaces of types alone that plugs
/// supplied are exported first (`type_exports`: the types of what the result exports must be nameable, exported
/// or imported, before an export uses them: component model, "instance not valid to be used as export"), then
/// `root` has its exports re-exported, and the instances are named by their components' short names.
pub(crate) fn finish_plugged(
    mut graph: CompositionGraph,
    report: Report,
    Matched {
        root,
        type_exports,
        loaded,
        names,
    }: Matched<'_>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let root_exports = export_names(&graph, root);
    for (provider, name) in type_exports {
        if !root_exports.contains(name) {
            re_export(&mut graph, *provider, name)?;
        }
    }
    for name in &root_exports {
        re_export(&mut graph, root, name)?;
    }
    short_names(&mut graph, &names);
    finish_graph(graph, (None, loaded), report, options)
}

/// Encodes a wired graph with weld's encoder: works out the result's imports (open imports that differ only by a
/// compatible version become one), enforces `--closed`, encodes and validates. `explicit` is a component whose
/// imports are the graph's explicit imports (see [`Plan::of`]); `loaded` holds components already read, by package
/// (the others are read here).
///
/// # Errors
/// [`ComposeError::ImportConflict`] naming both importers, [`ComposeError::Closed`],
/// [`ComposeError::ImportInexpressible`] for an import that cannot be written, [`ComposeError::Encoding`],
/// [`ComposeError::Invalid`].
pub(crate) fn finish_graph(
    graph: CompositionGraph,
    (explicit, loaded): (Option<Vec<u8>>, HashMap<PackageId, Loaded>),
    mut report: Report,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let (spliced, packages) = encoded(&graph, (explicit.as_deref(), loaded), &mut report, options)?;
    let component = Pieces::new(spliced, graph, packages, explicit);
    let pieces: Vec<&[u8]> = component.pieces().collect();
    weld_wit::validate_pieces(&pieces).map_err(ComposeError::Invalid)?;
    Ok(Composition {
        report,
        packages: Vec::new(),
        component,
    })
}

/// [`finish_graph`] up to the encoded bytes, with the packages whose bytes go between them (in the plan's order);
/// `report` gains the result's imports, merges and exports.
fn encoded(
    graph: &CompositionGraph,
    (explicit, mut loaded): (Option<&[u8]>, HashMap<PackageId, Loaded>),
    report: &mut Report,
    options: &Options,
) -> Result<(Spliced, Vec<PackageId>), ComposeError> {
    let plan = Plan::of(graph, explicit).map_err(ComposeError::Encoding)?;
    let loaded = plan
        .components
        .iter()
        .enumerate()
        .map(|(i, (label, bytes))| match plan.packages.get(i) {
            Some(package) => match loaded.remove(package) {
                Some(read) => Ok(read),
                None => Loaded::read(label, bytes),
            },
            // The component of a document's explicit imports and type definitions: its exports are read too.
            None => Loaded::read_whole(label, bytes),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ComposeError::Encoding)?;
    let imports = match own_imports(graph, &plan, &loaded, options.no_merge_imports) {
        Ok(imports) => imports,
        Err(mut conflict) => {
            if let ComposeError::ImportConflict { report: slot, .. } = &mut conflict {
                *slot = Some(Box::new(report.clone()));
            }
            return Err(conflict);
        }
    };
    report.imports = imports.reported().map(|i| i.name.clone()).collect();
    report.merged = merges(&imports);
    check_closed(report, options.closed)?;
    report.exports = exports(graph);
    let spliced = encode::encode(&plan, &loaded, &imports).map_err(|e| match e {
        EncodeError::Import {
            import,
            component,
            source,
        } => ComposeError::ImportInexpressible {
            importer: plan
                .instances
                .iter()
                .position(|i| i.component == component)
                .map_or_else(
                    || plan.components[component].0.to_owned(),
                    |i| instance_name(&plan, i),
                ),
            source,
            import,
        },
        other => ComposeError::Encoding(other),
    })?;
    Ok((spliced, plan.packages))
}

/// The composition's imports as weld's encoder writes them; a conflict names both importers.
fn own_imports(
    graph: &CompositionGraph,
    plan: &Plan<'_>,
    loaded: &[Loaded],
    no_merge_imports: bool,
) -> Result<Imports, ComposeError> {
    let mut cache = HashSet::new();
    let mut checker = SubtypeChecker::new(&mut cache);
    let types = graph.types();
    // The component of a document's explicit imports is not in the graph: wac's type model of it is read from its
    // bytes (with the interfaces its imports use, which have no node of their own), into an arena of its own.
    let mut explicit_types = Types::default();
    let explicit_world = match plan.explicit.and_then(|i| plan.components.get(i)) {
        Some((label, bytes)) => Some(
            Package::from_bytes(label, None, bytes.to_vec(), &mut explicit_types)
                .map_err(|e| ComposeError::Load {
                    label: (*label).to_owned(),
                    source: e.into(),
                })?
                .ty(),
        ),
        None => None,
    };
    let kind = |item: Item<'_>| -> anyhow::Result<(ItemKind, &Types)> {
        let (world, arena) = match (plan.packages.get(item.component), explicit_world) {
            (Some(package), _) => (&types[graph[*package].ty()], types),
            (None, Some(world)) => (&explicit_types[world], &explicit_types),
            (None, None) => anyhow::bail!("no component declares `{}`", item.import),
        };
        let kind = *world
            .imports
            .get(item.import)
            .ok_or_else(|| anyhow::anyhow!("no import `{}`", item.import))?;
        match (item.export, kind) {
            (None, kind) => Ok((kind, arena)),
            (Some(export), ItemKind::Instance(id)) => arena[id]
                .exports
                .get(export)
                .map(|kind| (*kind, arena))
                .ok_or_else(|| anyhow::anyhow!("no export `{export}` in `{}`", item.import)),
            (Some(_), _) => anyhow::bail!("`{}` is not an instance", item.import),
        }
    };
    // Asked as wac's merge asks it (the later import against the earlier), so its messages read the same way.
    let mut check = |offered: Item<'_>, wanted: Item<'_>| -> anyhow::Result<()> {
        let ((wanted, wanted_types), (offered, offered_types)) = (kind(wanted)?, kind(offered)?);
        checker.is_subtype(wanted, wanted_types, offered, offered_types)
    };
    Imports::of_plan(plan, loaded, no_merge_imports, &mut check).map_err(|conflict| {
        let Conflict {
            first,
            second,
            source,
        } = conflict;
        let label = |w: &Wanted| match w.importer {
            Some(instance) => instance_name(plan, instance),
            None => "the document".to_owned(),
        };
        ComposeError::ImportConflict {
            versions_differ: first.name != second.name,
            first_importer: label(&first).into(),
            second_importer: label(&second).into(),
            first: first.name,
            second: second.name,
            source: source.into(),
            report: None,
        }
    })
}

/// What an instance is called in messages: its name in the result, else its component's label.
fn instance_name(plan: &Plan<'_>, instance: usize) -> String {
    let instance = &plan.instances[instance];
    instance
        .name
        .clone()
        .unwrap_or_else(|| plan.components[instance.component].0.to_owned())
}

/// The imports that became one under another name, older names by version.
fn merges(imports: &Imports) -> Vec<Merge> {
    imports
        .reported()
        .filter_map(|import| {
            let mut from: Vec<String> = Vec::new();
            for w in &import.wanted {
                if w.name != import.name && !from.contains(&w.name) {
                    from.push(w.name.clone());
                }
            }
            from.sort_by_key(|name| names::split(name).1);
            (!from.is_empty()).then(|| Merge {
                into: import.name.clone(),
                from,
            })
        })
        .collect()
}

/// The names the composition exports.
pub(crate) fn exports(graph: &CompositionGraph) -> Vec<String> {
    graph
        .node_ids()
        .filter_map(|n| graph[n].export_name().map(str::to_owned))
        .collect()
}

/// Runs wac's encoder, which panics on some graphs instead of returning an error (a cycle it did not expect, the
/// placeholders of unsupported types): such a panic becomes [`ComposeError::LibraryPanic`]. Nothing of weld's own
/// runs inside, so a panic here is never weld's.
pub(crate) fn guard_encoder<T>(encode: impl FnOnce() -> T) -> Result<T, ComposeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(encode)).map_err(|panic| {
        ComposeError::LibraryPanic {
            library: "wac-graph",
            message: weld_wit::panic_message(&*panic),
        }
    })
}

/// Names the instances in the output by their components' short names (`greeter`, whether it came from
/// `dir/greeter.wasm` or `oci://host/demo/greeter:1.0`), so the result does not depend on where its parts were
/// read from. Repeated names get `-2`, `-3`.
fn short_names(graph: &mut CompositionGraph, names: &HashMap<PackageId, String>) {
    let mut used = std::collections::HashSet::new();
    let nodes: Vec<NodeId> = graph.node_ids().collect();
    for node in nodes {
        if !matches!(graph[node].kind(), NodeKind::Instantiation(_)) {
            continue;
        }
        let Some(stem) = graph[node].package().and_then(|p| names.get(&p)).cloned() else {
            continue;
        };
        let mut short = stem.clone();
        let mut n = 1;
        while !used.insert(short.clone()) {
            n += 1;
            short = format!("{stem}-{n}");
        }
        if graph[node].name() != Some(short.as_str()) {
            graph.set_node_name(node, short);
        }
    }
}

/// Under `--closed`, fails when an import it forbids stays open, naming each with who imports it and why. An
/// interface of types only is never forbidden: it asks nothing of whoever instantiates the result.
fn check_closed(report: &Report, closed: Closed) -> Result<(), ComposeError> {
    let forbidden = |name: &str| match closed {
        Closed::No => false,
        Closed::NonWasi => !names::is_wasi(name),
        Closed::All => true,
    };
    let merged_into = |name: &str| -> String {
        report
            .merged
            .iter()
            .find(|m| m.from.iter().any(|f| f == name))
            .map_or(name, |m| m.into.as_str())
            .to_owned()
    };
    let mut open = Vec::new();
    for instance in &report.instances {
        for import in &instance.imports {
            if let Outcome::Open { reason } = &import.outcome
                && !matches!(
                    reason,
                    OpenReason::TypesOnly | OpenReason::Type | OpenReason::TypesNamedByImports
                )
                && forbidden(&merged_into(&import.name))
            {
                open.push(ImportOf {
                    name: import.name.clone(),
                    importer: instance.component.clone(),
                });
            }
        }
    }
    if open.is_empty() {
        return Ok(());
    }
    Err(ComposeError::Closed {
        closed,
        open,
        report: Box::new(report.clone()),
    })
}

/// The names `node`'s instance exports (none for a node that is not an instantiation).
fn export_names(graph: &CompositionGraph, node: NodeId) -> Vec<String> {
    match graph[node].package() {
        Some(package) => graph.types()[graph[package].ty()]
            .exports
            .keys()
            .cloned()
            .collect(),
        None => Vec::new(),
    }
}

/// Exports from the composition the export `name` of `node`'s instance, under the same name.
fn re_export(graph: &mut CompositionGraph, node: NodeId, name: &str) -> Result<(), ComposeError> {
    let alias = graph
        .alias_instance_export(node, name)
        .map_err(ComposeError::graph)?;
    graph
        .export(alias, name.to_owned())
        .map_err(ComposeError::graph)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Component, Options, compose};
    use wasmparser::{ComponentName, KnownCustom, Parser, Payload};

    /// The instance names of a component's `component-name` section, in the order they are listed.
    fn instance_names(bytes: &[u8]) -> Vec<(u32, String)> {
        let mut names = Vec::new();
        let mut depth = 0usize;
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.unwrap() {
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
                Payload::End(_) => depth = depth.saturating_sub(1),
                Payload::CustomSection(section) if depth == 0 => {
                    if let KnownCustom::ComponentName(reader) = section.as_known() {
                        for name in reader {
                            if let ComponentName::Instances(map) = name.unwrap() {
                                names.extend(
                                    map.into_iter()
                                        .map(|n| n.unwrap())
                                        .map(|n| (n.index, n.name.to_owned())),
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        names
    }

    /// Regression: the root's instance was named and a plug's was not, to `wasm-tools print` and `weld inspect`:
    /// the names were listed in graph order (the root first, at a higher index), and a name map must list its
    /// indexes in increasing order.
    #[test]
    fn every_instance_is_named_in_index_order() {
        let fixture = |name: &str| weld_fixtures::build(name).unwrap();
        let composed = compose(
            Component::new("dir/app.wasm", fixture("app")),
            vec![Component::new("greeter.wasm", fixture("greeter"))],
            &Options::default(),
        )
        .unwrap();
        let names = instance_names(&composed.to_bytes());
        let labels: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(labels, ["greeter", "app"], "{names:?}");
        assert!(names.windows(2).all(|w| w[0].0 < w[1].0), "{names:?}");
    }
}

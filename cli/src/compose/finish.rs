//! From a wired graph to bytes: work out the result's imports (open imports that differ only by a compatible
//! version become one), enforce `--closed`, export what the root exports, encode, and validate the result before
//! anyone writes it.

use super::names::{self, track_key};
use super::report::{Merge, Outcome, Report};
use super::{Closed, ComposeError, Composition, Options, graph_error, instance_label};
use indexmap::IndexMap;
use std::collections::HashSet;
use wac_graph::types::{SubtypeChecker, TypeAggregator};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, NodeKind, Processor};

/// Finishes a composition whose instances are wired: `root` (if any) has its exports re-exported.
pub(crate) fn finish(
    mut graph: CompositionGraph,
    mut report: Report,
    root: Option<NodeId>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let (imports, merged) = merged_imports(&graph, options.keep_import_versions)?;
    report.imports = imports;
    report.merged = merged;
    check_closed(&report, options.closed)?;
    if let Some(root) = root {
        export_all(&mut graph, root)?;
    }
    report.exports = graph
        .node_ids()
        .filter_map(|n| graph[n].export_name().map(str::to_owned))
        .collect();
    short_names(&mut graph);
    let bytes = graph
        .encode(EncodeOptions {
            define_components: true,
            // Validated below, in parallel, with the same features as `weld validate`.
            validate: false,
            processor: Some(Processor {
                name: "weld",
                version: env!("CARGO_PKG_VERSION"),
            }),
            keep_import_versions: options.keep_import_versions,
        })
        .map_err(|e| ComposeError::Encode(format!("{:#}", anyhow::Error::from(e))))?;
    weld_wit::validate(&bytes).map_err(|mut invalid| {
        if invalid.message.contains("count exceeds limit") {
            invalid.message.push_str(
                " (a limit of the component-model validator that wasmtime shares; every instance counts, \
                 including the instance each plug exports)",
            );
        }
        ComposeError::Invalid(invalid)
    })?;
    Ok(Composition { bytes, report })
}

/// Names the instances in the output by their components' stems (`greeter`, whether it came from
/// `dir/greeter.wasm` or `oci://host/demo/greeter:1.0`), so the result does not depend on where its parts were
/// read from. Repeated stems get `-2`, `-3`.
fn short_names(graph: &mut CompositionGraph) {
    let mut used = std::collections::HashSet::new();
    let nodes: Vec<NodeId> = graph.node_ids().collect();
    for node in nodes {
        let Some(name) = graph[node]
            .name()
            .filter(|_| matches!(graph[node].kind(), NodeKind::Instantiation(_)))
        else {
            continue;
        };
        let stem = super::file_and_stem(name).1.to_owned();
        let mut short = stem.clone();
        let mut n = 1;
        while !used.insert(short.clone()) {
            n += 1;
            short = format!("{stem}-{n}");
        }
        if short != name {
            graph.set_node_name(node, short);
        }
    }
}

/// The imports the encoder will give the composition, computed the way wac-graph's encoder computes them (its
/// `TypeAggregator`, over the instances' unsatisfied imports in graph order, then explicit imports): imports of
/// one name are merged into one type that satisfies all importers, and imports of one interface at versions on
/// one semver track become one import of the newest version. Returns the final import names and the merges; fails,
/// naming both importers, where two imports cannot be merged because their types conflict.
fn merged_imports(
    graph: &CompositionGraph,
    keep_versions: bool,
) -> Result<(Vec<String>, Vec<Merge>), ComposeError> {
    let mut cache = HashSet::new();
    let mut checker = SubtypeChecker::new(&mut cache);
    let mut aggregator = TypeAggregator::default();
    if keep_versions {
        aggregator = aggregator.keeping_versions();
    }
    let mut first_importer: IndexMap<String, NodeId> = IndexMap::new();
    let mut names: Vec<String> = Vec::new();
    for node in graph.node_ids() {
        let (NodeKind::Instantiation(_), Some(package)) =
            (graph[node].kind(), graph[node].package())
        else {
            continue;
        };
        let satisfied: HashSet<&str> = graph
            .get_instantiation_arguments(node)
            .map(|(name, _)| name)
            .collect();
        for (name, kind) in &graph.types()[graph[package].ty()].imports {
            if satisfied.contains(name.as_str()) {
                continue;
            }
            let earlier = first_importer
                .iter()
                .find(|(other, _)| *other == name || !keep_versions && same_track(other, name))
                .map(|(other, node)| (other.clone(), *node));
            aggregator = aggregator
                .aggregate(name, graph.types(), *kind, &mut checker)
                .map_err(|err| {
                    let (other, first) = earlier.clone().unwrap_or((name.clone(), node));
                    let hint = if other == *name {
                        ""
                    } else {
                        " (--no-merge-imports keeps them as two imports)"
                    };
                    ComposeError::ImportConflict(format!(
                        "`{other}` imported by {} and `{name}` imported by {} must become one import of the composition, but their types conflict: {err:#}{hint}",
                        instance_label(graph, first),
                        instance_label(graph, node)
                    ))
                })?;
            first_importer.entry(name.clone()).or_insert(node);
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let mut merges: Vec<Merge> = Vec::new();
    for name in &names {
        let into = aggregator.canonical_import_name(name);
        if into == name {
            continue;
        }
        match merges.iter_mut().find(|m| m.into == into) {
            Some(merge) => merge.from.push(name.clone()),
            None => merges.push(Merge {
                into: into.to_owned(),
                from: vec![name.clone()],
            }),
        }
    }
    for merge in &mut merges {
        merge.from.sort_by_key(|name| names::split(name).1);
    }
    let imports = aggregator
        .imports()
        .map(|(name, _)| name.to_owned())
        .collect();
    Ok((imports, merges))
}

fn same_track(a: &str, b: &str) -> bool {
    a == b || track_key(a).is_some_and(|key| Some(key) == track_key(b))
}

/// Under `--closed`, fails when an import it forbids stays open, naming each with who imports it and why.
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
    let mut lines = Vec::new();
    for instance in &report.instances {
        for import in &instance.imports {
            if let Outcome::Open { reason } = &import.outcome
                && forbidden(&merged_into(&import.name))
            {
                lines.push(format!(
                    "{} (imported by {}: {})",
                    import.name,
                    instance.component,
                    reason.describe()
                ));
            }
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let flag = match closed {
        Closed::All => "--closed=all",
        _ => "--closed",
    };
    Err(ComposeError::Closed {
        message: format!(
            "{flag} forbids open imports, and {} would stay open:\n  - {}",
            crate::output::count(lines.len(), "import"),
            lines.join("\n  - ")
        ),
        report: Box::new(report.clone()),
    })
}

/// Exports from the composition every export of `root`'s instance, under the same names.
fn export_all(graph: &mut CompositionGraph, root: NodeId) -> Result<(), ComposeError> {
    let Some(package) = graph[root].package() else {
        return Ok(());
    };
    let names: Vec<String> = graph.types()[graph[package].ty()]
        .exports
        .keys()
        .cloned()
        .collect();
    for name in names {
        let alias = graph
            .alias_instance_export(root, &name)
            .map_err(graph_error)?;
        graph.export(alias, name).map_err(graph_error)?;
    }
    Ok(())
}

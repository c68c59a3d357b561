//! What to encode, read off a wired composition graph: the components, their instances in an order where every
//! argument exists before it is passed, the arguments, and the exports.

use super::EncodeError;
use std::collections::HashMap;
use wac_graph::types::ItemKind;
use wac_graph::{CompositionGraph, NodeId, NodeKind, PackageId};
use wasm_encoder::ComponentExportKind;

/// A composition to encode.
pub(crate) struct Plan<'g> {
    /// The components, each once, in the order their first instance is made: (label, bytes).
    pub(crate) components: Vec<(&'g str, &'g [u8])>,
    /// Their packages in the graph, in the same order.
    pub(crate) packages: Vec<PackageId>,
    /// The instances, every one after those it takes arguments from.
    pub(crate) instances: Vec<Instance>,
    /// The composition's exports: (name, what it exports).
    pub(crate) exports: Vec<(String, Arg)>,
    /// The exports of instances passed on or exported, in graph order: (instance, export, kind). Each is aliased
    /// right after its instance is made.
    pub(crate) aliases: Vec<(usize, String, ComponentExportKind)>,
    /// The component whose imports are the graph's explicit imports and whose exports are its type definitions
    /// (a `.wac` document's `import` and `type` statements), never instantiated: an index into `components`.
    pub(crate) explicit: Option<usize>,
}

/// One instance of a component.
pub(crate) struct Instance {
    /// The graph node it comes from.
    pub(crate) node: NodeId,
    /// Its component (an index into [`Plan::components`]).
    pub(crate) component: usize,
    /// Its name in the result's name section.
    pub(crate) name: Option<String>,
    /// Its arguments, in the order they were given: (import name, what it is given). Imports without one are
    /// open: the composition imports them.
    pub(crate) args: Vec<(String, Arg)>,
}

/// What an import of an instance is given. The kinds are the graph's (what wac's type model says the item is).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// An export of an earlier instance: (instance, export name, kind).
    Export(usize, String, ComponentExportKind),
    /// An export of an instance that an earlier instance exports: (instance, its export, that one's export, the
    /// kind of that one).
    Nested(usize, String, String, ComponentExportKind),
    /// A whole earlier instance.
    Instance(usize),
    /// One of the graph's explicit imports, by name.
    Import(String),
    /// An export of an explicit import that is an instance: (import, export, kind).
    ImportExport(String, String, ComponentExportKind),
    /// One of the graph's type definitions (a `.wac` document's `type` statements), by its export name.
    Definition(String),
}

impl<'g> Plan<'g> {
    /// Reads the plan off `graph`: instantiations, aliases of their exports, explicit imports, type definitions,
    /// and exports of any of those. `explicit` is a component that imports what the graph's explicit imports name
    /// and exports its type definitions, with their types (wac's encoder writes it from the graph's type model:
    /// [`crate::wac`]); it is needed when there are any.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for a node the encoder does not take, [`EncodeError::Cycle`] when instances
    /// take arguments from each other.
    pub(crate) fn of(
        graph: &'g CompositionGraph,
        explicit: Option<&'g [u8]>,
    ) -> Result<Plan<'g>, EncodeError> {
        let order = instance_order(graph)?;
        let index: HashMap<NodeId, usize> =
            order.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut packages: Vec<PackageId> = Vec::new();
        let mut components = Vec::new();
        let mut instances = Vec::with_capacity(order.len());
        for &node in &order {
            let package = graph[node].package().ok_or(EncodeError::Unsupported {
                what: "an instantiation without a component",
            })?;
            let component = match packages.iter().position(|p| *p == package) {
                Some(at) => at,
                None => {
                    packages.push(package);
                    components.push((graph[package].name(), graph[package].bytes()));
                    packages.len() - 1
                }
            };
            let mut args = Vec::new();
            for (name, source) in graph.get_instantiation_arguments(node) {
                args.push((name.to_owned(), arg(graph, &index, source)?));
            }
            instances.push(Instance {
                node,
                component,
                name: graph[node].name().map(str::to_owned),
                args,
            });
        }
        let mut exports = Vec::new();
        for node in graph.node_ids() {
            if let Some(name) = graph[node].export_name() {
                exports.push((name.to_owned(), arg(graph, &index, node)?));
            }
        }
        let explicit = explicit.map(|bytes| {
            components.push(("the document's imports", bytes));
            components.len() - 1
        });
        let mut aliases = Vec::new();
        for node in graph.node_ids() {
            if matches!(graph[node].kind(), NodeKind::Alias)
                && let Ok(Arg::Export(instance, export, kind)) = arg(graph, &index, node)
            {
                aliases.push((instance, export, kind));
            }
        }
        Ok(Plan {
            components,
            packages,
            instances,
            exports,
            aliases,
            explicit,
        })
    }
}

/// What node `source` gives when passed or exported.
fn arg(
    graph: &CompositionGraph,
    index: &HashMap<NodeId, usize>,
    source: NodeId,
) -> Result<Arg, EncodeError> {
    match graph[source].kind() {
        NodeKind::Alias => {
            let (from, export) =
                graph
                    .get_alias_source(source)
                    .ok_or(EncodeError::Unsupported {
                        what: "an alias without a source",
                    })?;
            let kind = kind_of(graph[source].item_kind());
            match index.get(&from) {
                Some(instance) => Ok(Arg::Export(*instance, export.to_owned(), kind)),
                None => match arg(graph, index, from)? {
                    Arg::Export(instance, outer, _) => {
                        Ok(Arg::Nested(instance, outer, export.to_owned(), kind))
                    }
                    Arg::Import(import) => Ok(Arg::ImportExport(import, export.to_owned(), kind)),
                    _ => Err(EncodeError::Unsupported {
                        what: "an alias of something other than an instance or an instance's export",
                    }),
                },
            }
        }
        NodeKind::Instantiation(_) => {
            let instance = index.get(&source).ok_or(EncodeError::Unsupported {
                what: "an instantiation the plan does not hold",
            })?;
            Ok(Arg::Instance(*instance))
        }
        NodeKind::Import(name) => Ok(Arg::Import(name.clone())),
        NodeKind::Definition => {
            let name = graph[source]
                .export_name()
                .ok_or(EncodeError::Unsupported {
                    what: "a type definition that is not exported",
                })?;
            Ok(Arg::Definition(name.to_owned()))
        }
    }
}

/// The graph's instantiations, each after every instantiation it takes an argument from; independent ones keep
/// graph order.
fn instance_order(graph: &CompositionGraph) -> Result<Vec<NodeId>, EncodeError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let nodes: Vec<NodeId> = graph
        .node_ids()
        .filter(|n| matches!(graph[*n].kind(), NodeKind::Instantiation(_)))
        .collect();
    let mut marks: HashMap<NodeId, Mark> = nodes.iter().map(|n| (*n, Mark::New)).collect();
    let mut order = Vec::with_capacity(nodes.len());
    // Iterative depth-first search: (node, whether its dependencies were pushed).
    for &start in &nodes {
        let mut stack = vec![(start, false)];
        while let Some((node, expanded)) = stack.pop() {
            match (marks.get(&node).copied().unwrap_or(Mark::Done), expanded) {
                (Mark::Done, _) => {}
                (Mark::Open, true) => {
                    marks.insert(node, Mark::Done);
                    order.push(node);
                }
                (Mark::Open, false) => return Err(EncodeError::Cycle),
                (Mark::New, _) => {
                    marks.insert(node, Mark::Open);
                    stack.push((node, true));
                    let mut deps: Vec<NodeId> = graph
                        .get_instantiation_arguments(node)
                        .filter_map(|(_, source)| source_instance(graph, source))
                        .collect();
                    deps.reverse();
                    for dep in deps {
                        match marks.get(&dep) {
                            Some(Mark::Done) | None => {}
                            Some(Mark::Open) => return Err(EncodeError::Cycle),
                            Some(Mark::New) => stack.push((dep, false)),
                        }
                    }
                }
            }
        }
    }
    Ok(order)
}

/// The instantiation an argument comes from, if any, through aliases of aliases.
fn source_instance(graph: &CompositionGraph, source: NodeId) -> Option<NodeId> {
    match graph[source].kind() {
        NodeKind::Alias => graph
            .get_alias_source(source)
            .and_then(|(n, _)| source_instance(graph, n)),
        NodeKind::Instantiation(_) => Some(source),
        _ => None,
    }
}

/// The export kind of an item of the graph.
fn kind_of(kind: ItemKind) -> ComponentExportKind {
    match kind {
        ItemKind::Type(_) => ComponentExportKind::Type,
        ItemKind::Func(_) => ComponentExportKind::Func,
        ItemKind::Instance(_) => ComponentExportKind::Instance,
        ItemKind::Component(_) => ComponentExportKind::Component,
        ItemKind::Module(_) => ComponentExportKind::Module,
        ItemKind::Value(_) => ComponentExportKind::Value,
    }
}

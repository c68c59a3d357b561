//! The composition engine: link components into one by plugging each import with another component's export.
//!
//! [`compose`] takes a root and the components that may satisfy its imports, matches imports to exports
//! transitively ([`matching`]: exact names, then semver-compatible versions, always type-checked with the
//! component-model subtype check of `wac-types`), and finishes the graph ([`finish`]: merges open imports that differ
//! only by a compatible version, enforces `--closed`, encodes with `wac-graph` and validates). The [`Report`] says
//! what happened to every import and renders as the summary, `--explain`, `--json` and `--graph`.
//! [`wac`] composes from a `.wac` document instead, and [`file`] reads `weld.toml` compose files.
//!
//! Nothing here prints or exits.

mod diff;
mod error;
pub mod explain;
pub mod file;
mod finish;
pub mod graphviz;
mod matching;
pub mod names;
pub mod report;
mod typefmt;
pub mod wac;

pub use error::ComposeError;
pub use report::Report;

use wac_graph::CompositionGraph;
use wac_graph::types::Package;

/// A component to compose: its bytes and the name the user knows it by.
#[derive(Debug, Clone)]
pub struct Component {
    /// How the user named it: the path as given, or its name in a compose file. Used in every message.
    pub label: String,
    /// The component binary.
    pub bytes: Vec<u8>,
}

/// Which imports may stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Closed {
    /// Any import may stay open.
    #[default]
    No,
    /// Only `wasi:*` imports may stay open (`--closed`).
    NonWasi,
    /// No import may stay open (`--closed=all`).
    All,
}

/// How to compose, besides what.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Explicit wiring: (import name with or without its version, label of the component that provides it).
    pub wires: Vec<(String, String)>,
    /// Which imports may stay open.
    pub closed: Closed,
    /// Keep open imports that differ only by a semver-compatible version apart (`--no-merge-imports`) instead
    /// of merging them into one import of the newest.
    pub keep_import_versions: bool,
}

/// A composed component and how it was made.
#[derive(Debug)]
pub struct Composition {
    /// The composed component, validated.
    pub bytes: Vec<u8>,
    /// The wiring, import by import.
    pub report: Report,
}

/// Composes `root` with whichever of `plugs` its imports need, transitively. The result exports what `root`
/// exports and imports whatever stays open.
///
/// A panic in the libraries underneath (wac, wasm-tools) on unusual input comes back as
/// [`ComposeError::Internal`], never as an abort.
pub fn compose(
    root: Component,
    plugs: Vec<Component>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    guarded(|| compose_unguarded(root, plugs, options))
}

/// Runs a composition, turning a panic underneath into [`ComposeError::Internal`].
pub(crate) fn guarded(
    compose: impl FnOnce() -> Result<Composition, ComposeError>,
) -> Result<Composition, ComposeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(compose))
        .unwrap_or_else(|panic| Err(ComposeError::Internal(weld_wit::panic_message(&*panic))))
}

fn compose_unguarded(
    root: Component,
    plugs: Vec<Component>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let mut graph = CompositionGraph::new();
    let mut labels = Vec::with_capacity(plugs.len() + 1);
    let mut packages = Vec::with_capacity(plugs.len() + 1);
    for component in std::iter::once(root).chain(plugs) {
        if labels.contains(&component.label) {
            return Err(ComposeError::Request(format!(
                "`{}` is given twice",
                component.label
            )));
        }
        let package =
            Package::from_bytes(&component.label, None, component.bytes, graph.types_mut())
                .map_err(|e| ComposeError::Load {
                    label: component.label.clone(),
                    message: format!("{e:#}"),
                })?;
        packages.push(graph.register_package(package).map_err(graph_error)?);
        labels.push(component.label);
    }
    let wires = options
        .wires
        .iter()
        .map(|(import, target)| {
            Ok(matching::Wire {
                import: import.clone(),
                component: find_component(&labels, target)?,
            })
        })
        .collect::<Result<Vec<_>, ComposeError>>()?;
    let matched = matching::run(&mut graph, &packages, &labels, &wires)?;
    let root = matched.instances[0].0;
    let report = Report {
        instances: matched.instances.into_iter().map(|(_, i)| i).collect(),
        unused: matched.unused,
        ..Report::default()
    };
    if report.problems().next().is_some() {
        return Err(ComposeError::Unresolved(Box::new(report)));
    }
    finish::finish(graph, report, Some(root), options)
}

/// The plug a `--wire` names: by its label, its file name, or its file stem (`greeter.wasm` or `greeter` for
/// `dir/greeter.wasm`; `greeter:1.0` or `greeter` for `oci://host/demo/greeter:1.0`), as long as that is
/// unambiguous. The root cannot be wired to.
fn find_component(labels: &[String], target: &str) -> Result<usize, ComposeError> {
    let stem = |label: &str| {
        let (file, stem) = file_and_stem(label);
        (file.to_owned(), stem.to_owned())
    };
    let hits: Vec<usize> = (1..labels.len())
        .filter(|&i| {
            let (file, stem) = stem(&labels[i]);
            labels[i] == target || file == target || stem == target
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] if labels
            .first()
            .is_some_and(|root| root == target || stem(root).1 == target) =>
        {
            Err(ComposeError::Request(format!(
                "`--wire` names the root `{target}`; the root's exports are not used to plug imports"
            )))
        }
        [] => Err(ComposeError::Request(format!(
            "`--wire` names `{target}`, which is not one of the plugs ({})",
            labels[1..].join(", ")
        ))),
        _ => Err(ComposeError::Request(format!(
            "`--wire` names `{target}`, which could be any of {}; use the path as given",
            hits.iter()
                .map(|i| labels[*i].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The file name and stem of a component's label: `greeter.wasm` and `greeter` for `dir/greeter.wasm`,
/// `greeter:1.0` and `greeter` for `oci://host/demo/greeter:1.0`.
pub(crate) fn file_and_stem(label: &str) -> (&str, &str) {
    let file = label.rsplit(['/', '\\']).next().unwrap_or(label);
    let stem = if label.starts_with("oci://") {
        file.split([':', '@']).next().unwrap_or(file)
    } else {
        file.rsplit_once('.').map_or(file, |(s, _)| s)
    };
    (file, stem)
}

/// How messages name an instance of the graph: the name it was given (the component's label, or a `.wac`
/// variable), else its package's name.
fn instance_label(graph: &CompositionGraph, node: wac_graph::NodeId) -> String {
    let n = &graph[node];
    n.name()
        .map(str::to_owned)
        .or_else(|| n.package().map(|p| graph[p].name().to_owned()))
        .unwrap_or_else(|| format!("instance {node}"))
}

/// A graph error as a [`ComposeError`], with its causes.
fn graph_error(err: impl Into<anyhow::Error>) -> ComposeError {
    ComposeError::Graph(format!("{:#}", err.into()))
}

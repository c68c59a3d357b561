//! Composing from a `.wac` document (the WAC language of `wac compose`), so that wac users switch without
//! rewriting: parsed by `wac-parser`, packages found the way wac finds them (a deps folder holding
//! `<namespace>/<name>.wasm`, `.wat` or a WIT folder; an explicit file per package), then finished like any other
//! composition. Every error that has a place in the document, encoding errors included, is a diagnostic with
//! wac's spans, so it points at the same `file:line:column` as `wac compose` does.

use crate::error::ComposeError;
use crate::finish::{encode_options, exports, guard_encoder, settle_imports, validated};
use crate::labels::instance_label;
use crate::report::{Import, Instance, OpenReason, Outcome, Report, Rule};
use crate::request::{Composition, Options};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wac_graph::{CompositionGraph, NodeId, NodeKind};
use wac_resolver::FileSystemPackageResolver;
use weld_wit::SourceError;

/// A `.wac` document and where its packages are.
#[derive(Debug, Clone)]
pub struct WacDocument {
    /// The document.
    pub path: PathBuf,
    /// Where packages live, as `<namespace>/<name>.wasm`, `.wat` or a WIT folder (wac's `--deps-dir`).
    pub deps_dir: PathBuf,
    /// The file of single packages, by `namespace:name`, overriding `deps_dir` (wac's `--dep`).
    pub deps: HashMap<String, PathBuf>,
}

/// Composes the `.wac` document `document` describes. `options.wires` does not apply (the document has its own
/// wiring); `closed` and `keep_import_versions` do.
///
/// # Errors
/// [`ComposeError::Read`] if the document cannot be read, [`ComposeError::Document`] for anything wac finds wrong
/// at a place in it (syntax, unknown packages, type errors, the two encoding conflicts of implicit imports), and
/// the errors of finishing a composition.
pub fn compose_wac(document: &WacDocument, options: &Options) -> Result<Composition, ComposeError> {
    let path = document.path.as_path();
    let source = std::fs::read_to_string(path).map_err(|e| ComposeError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let parsed =
        wac_parser::Document::parse(&source).map_err(|e| document_error(path, &source, e))?;
    let keys = wac_resolver::packages(&parsed).map_err(|e| document_error(path, &source, e))?;
    let packages = FileSystemPackageResolver::new(&document.deps_dir, document.deps.clone(), true)
        .resolve(&keys)
        .map_err(|e| document_error(path, &source, e))?;
    let resolution = parsed
        .resolve(packages)
        .map_err(|e| document_error(path, &source, e))?;
    // Encoded first: wac knows the spans of its encoding errors only through the resolution.
    let bytes = guard_encoder(|| resolution.encode(encode_options(options)).map_err(Box::new))?
        .map_err(|e| document_error(path, &source, *e))?;
    let graph = resolution.graph();
    let mut report = report(graph);
    settle_imports(graph, &mut report, options)?;
    report.exports = exports(graph);
    validated(bytes, report)
}

/// A wac diagnostic about the document `path` holding `source`.
fn document_error(
    path: &Path,
    source: &str,
    err: impl miette::Diagnostic + Send + Sync + 'static,
) -> ComposeError {
    ComposeError::Document {
        path: path.to_path_buf(),
        source: SourceError::new(path, source, err),
    }
}

/// The wiring the document spelled out, as a [`Report`]: instances in graph order, each argument with the
/// instance export it was given.
fn report(graph: &CompositionGraph) -> Report {
    let label = |node: NodeId| instance_label(graph, node);
    let mut instances = Vec::new();
    for node in graph.node_ids() {
        let (NodeKind::Instantiation(_), Some(package)) =
            (graph[node].kind(), graph[node].package())
        else {
            continue;
        };
        let args: HashMap<&str, NodeId> = graph.get_instantiation_arguments(node).collect();
        let imports = graph.types()[graph[package].ty()]
            .imports
            .keys()
            .map(|name| {
                let source = args
                    .get(name.as_str())
                    .and_then(|arg| graph.get_alias_source(*arg));
                let outcome = match source {
                    Some((instance, export)) => Outcome::Plugged {
                        by: label(instance),
                        export: export.to_owned(),
                        rule: Rule::Wac,
                    },
                    None => Outcome::Open {
                        reason: OpenReason::NotWired,
                    },
                };
                Import {
                    name: name.clone(),
                    outcome,
                    rejected: Vec::new(),
                }
            })
            .collect();
        instances.push(Instance {
            component: label(node),
            imports,
        });
    }
    Report {
        instances,
        ..Report::default()
    }
}

//! Composing from a `.wac` document (the WAC language of `wac compose`), so that wac users switch without
//! rewriting: parsed by `wac-parser`, packages found the way wac finds them (`--deps-dir`, default `deps/`, holding
//! `<namespace>/<name>.wasm`, `.wat` or a WIT folder; `--dep ns:name=PATH` for one package), then finished like
//! any other composition. Errors point at the document's line and column.

use super::file::location;
use super::report::{Import, Instance, OpenReason, Outcome, Report, Rule};
use super::{ComposeError, Composition, Options, finish, instance_label};
use miette::Diagnostic;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wac_graph::{CompositionGraph, NodeId, NodeKind};
use wac_resolver::FileSystemPackageResolver;

/// Composes the `.wac` document at `path`.
pub fn compose(
    path: &Path,
    deps_dir: &Path,
    deps: HashMap<String, PathBuf>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    super::guarded(|| compose_unguarded(path, deps_dir, deps, options))
}

fn compose_unguarded(
    path: &Path,
    deps_dir: &Path,
    deps: HashMap<String, PathBuf>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let source = std::fs::read_to_string(path).map_err(|e| ComposeError::File {
        location: path.display().to_string(),
        message: format!("failed to read it: {e}"),
    })?;
    let here = |err: &dyn Diagnostic| at_span(path, &source, err);
    let document = wac_parser::Document::parse(&source).map_err(|e| here(&e))?;
    let keys = wac_resolver::packages(&document).map_err(|e| here(&e))?;
    let packages = FileSystemPackageResolver::new(deps_dir, deps, true)
        .resolve(&keys)
        .map_err(|e| here(&e))?;
    let graph = document
        .resolve(packages)
        .map_err(|e| here(&e))?
        .into_graph();
    let report = report(&graph);
    finish::finish(graph, report, None, options)
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

/// A wac diagnostic as `file:line:column: message`, then the source line with the span underlined and its label,
/// then the causes.
fn at_span(path: &Path, source: &str, err: &dyn Diagnostic) -> ComposeError {
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        message.push_str(&format!(": {c}"));
        cause = c.source();
    }
    let label = err.labels().and_then(|mut labels| labels.next());
    let Some(label) = label else {
        return ComposeError::File {
            location: path.display().to_string(),
            message,
        };
    };
    let offset = label.offset().min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = &source[line_start..line_end];
    let pad: String = source[line_start..offset]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let width = label.len().clamp(1, line_end - offset + 1);
    message.push_str(&format!(
        "\n    | {line}\n    | {pad}{} {}",
        "^".repeat(width),
        label.label().unwrap_or_default()
    ));
    ComposeError::File {
        location: location(path, source, offset),
        message,
    }
}

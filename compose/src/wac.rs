//! Composing from a `.wac` document (the WAC language of `wac compose`), so that wac users switch without
//! rewriting: parsed by `wac-parser`, packages found the way wac finds them (a deps folder holding
//! `<namespace>/<name>.wasm`, `.wat` or a WIT folder; an explicit file per package), then finished like any other
//! composition. Every error that has a place in the document, encoding errors included, is a diagnostic with
//! wac's spans, so it points at the same `file:line:column` as `wac compose` does.

use crate::composition::Composition;
use crate::error::ComposeError;
use crate::finish::{finish_graph, guard_encoder};
use crate::labels::instance_label;
use crate::report::{Import, Instance, OpenReason, Outcome, Report, Rule};
use crate::request::Options;
use indexmap::IndexMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wac_graph::types::BorrowedPackageKey;
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, NodeKind};
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
/// wiring); `closed` and `no_merge_imports` do.
///
/// # Errors
/// [`ComposeError::Read`] if the document cannot be read, [`ComposeError::Document`] for anything wac finds wrong
/// at a place in it (syntax, unknown packages, type errors, the two encoding conflicts of implicit imports), and
/// the errors of finishing a composition.
pub fn compose_wac(document: &WacDocument, options: &Options) -> Result<Composition, ComposeError> {
    // wac-parser's lexer recurses once per character of a token: an identifier of some 30,000 characters
    // overflowed the main thread's stack (an abort, not an error) in unoptimised builds. The document is read on a
    // thread whose stack is large enough for any token a file of a few megabytes holds (only what is touched is
    // ever mapped).
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("wac".into())
            .stack_size(WAC_STACK)
            .spawn_scoped(scope, || compose_document(document, options))
            .map_err(|e| ComposeError::Read {
                path: document.path.clone(),
                source: e,
            })?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The stack of the thread that reads a `.wac` document, in bytes.
const WAC_STACK: usize = 1 << 30;

/// [`compose_wac`], on the thread it starts.
fn compose_document(
    document: &WacDocument,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let path = document.path.as_path();
    let source = std::fs::read_to_string(path).map_err(|e| ComposeError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let parsed =
        wac_parser::Document::parse(&source).map_err(|e| document_error(path, &source, e))?;
    let keys = wac_resolver::packages(&parsed).map_err(|e| document_error(path, &source, e))?;
    let packages = packages(document, &keys).map_err(|e| match e {
        Unresolved::Wac(e) => document_error(path, &source, e),
        Unresolved::Folder {
            span,
            name,
            source: cause,
        } => ComposeError::Document {
            path: path.to_path_buf(),
            source: SourceError::new(
                path,
                source.as_str(),
                miette::MietteDiagnostic::new(format!("failed to load package `{name}`"))
                    .with_label(miette::LabeledSpan::new_primary_with_span(
                        Some(format!("`{name}` is read from its WIT folder")),
                        span,
                    )),
            )
            .caused_by(cause),
        },
    })?;
    // Which packages are WIT packages, read before wac takes the bytes: a failed resolution that instantiates one
    // (`p.tally`: "the instance has no export named `tally`") is explained by that first.
    let wit_packages: Vec<String> = packages
        .iter()
        .filter(|(_, bytes)| is_wit_package_binary(bytes))
        .map(|(key, _)| key.name.to_owned())
        .collect();
    let read: Vec<(String, String)> = packages
        .iter()
        .map(|(key, bytes)| (key.to_string(), crate::lock::sha256(bytes)))
        .collect();
    let resolution = parsed.resolve(packages).map_err(|e| {
        match wit_packages
            .iter()
            .find(|name| find_new(&source, name).is_some())
        {
            Some(name) => wit_package_error(document, &source, &keys, name),
            None => document_error(path, &source, e),
        }
    })?;
    refuse_wit_packages(document, &source, &keys, resolution.graph())?;
    let graph = resolution.graph();
    // The two conflicts wac finds while encoding are its diagnostics, with the document's spans, which only its
    // encoder knows: an explicit import that an instantiation also leaves open, and implicit imports whose types
    // cannot merge. weld asks wac's encoder when it finds one.
    let spanned = |found: ComposeError| -> ComposeError {
        match guard_encoder(|| resolution.encode(wac_options()).map_err(Box::new)) {
            Ok(Err(e)) => document_error(path, &source, *e),
            _ => found,
        }
    };
    if let Some(name) = explicit_clash(graph) {
        return Err(spanned(ComposeError::Graph(
            format!("the explicit import `{name}` is also left open by an instantiation").into(),
        )));
    }
    let report = report(graph);
    if report.problems().next().is_some() {
        return Err(ComposeError::Unresolved(Box::new(report)));
    }
    let explicit = explicit_imports(graph)?;
    let mut composition = finish_graph(
        resolution.into_graph(),
        (explicit, HashMap::new()),
        report,
        options,
    )
    .map_err(|e| conflict_at_instantiations(path, &source, e))?;
    composition.packages = read;
    Ok(composition)
}

/// An import conflict as a diagnostic of the document, pointing at the two instantiations whose imports cannot
/// become one (where wac points); any other error as it is.
fn conflict_at_instantiations(path: &Path, source: &str, error: ComposeError) -> ComposeError {
    let spans = match &error {
        ComposeError::ImportConflict {
            first_importer,
            second_importer,
            ..
        } => (
            find_instantiation(source, first_importer),
            find_instantiation(source, second_importer),
        ),
        _ => (None, None),
    };
    let message = error.to_string();
    match (error, spans) {
        (ComposeError::ImportConflict { source: cause, .. }, (Some(first), Some(second))) => {
            let diagnostic = miette::MietteDiagnostic::new(message).with_labels([
                miette::LabeledSpan::new_primary_with_span(
                    Some("conflicting instantiation here".into()),
                    second,
                ),
                miette::LabeledSpan::new_with_span(
                    Some("previous instantiation here".into()),
                    first,
                ),
            ]);
            ComposeError::Document {
                path: path.to_path_buf(),
                source: SourceError::new(path, source, diagnostic).caused_by(cause),
            }
        }
        (other, _) => other,
    }
}

/// Where `let name = new pkg` instantiates in `source`: the span of `pkg`, outside `//` comments.
fn find_instantiation(source: &str, name: &str) -> Option<miette::SourceSpan> {
    let wanted = format!("let {name} = new ");
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or_default();
        if let Some(at) = code.find(&wanted) {
            let start = at + wanted.len();
            let len = code[start..]
                .find(|c: char| c.is_whitespace() || c == '{' || c == ';')
                .unwrap_or(code.len() - start);
            return Some((offset + start, len).into());
        }
        offset += line.len();
    }
    None
}

/// How wac's encoder is asked to write what weld takes from it: components defined inline, no validation (weld
/// validates its own result).
fn wac_options() -> EncodeOptions<'static> {
    EncodeOptions {
        define_components: true,
        validate: false,
        processor: None,
    }
}

/// The name of an explicit import that an instantiation also leaves open, if any: wac refuses such a document
/// (two imports of one name).
fn explicit_clash(graph: &CompositionGraph) -> Option<String> {
    let explicit: Vec<&str> = graph
        .node_ids()
        .filter_map(|n| match graph[n].kind() {
            NodeKind::Import(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    graph.node_ids().find_map(|node| {
        let NodeKind::Instantiation(_) = graph[node].kind() else {
            return None;
        };
        let package = graph[node].package()?;
        let given: Vec<&str> = graph
            .get_instantiation_arguments(node)
            .map(|(name, _)| name)
            .collect();
        graph.types()[graph[package].ty()]
            .imports
            .keys()
            .find(|name| !given.contains(&name.as_str()) && explicit.contains(&name.as_str()))
            .cloned()
    })
}

/// A component that imports exactly the document's explicit imports (`import x: ns:pkg/iface;`) and exports its
/// type definitions (`type t = ...;`), with the types the document gives them, and nothing else: wac's encoder
/// writes it from the graph's type model, and weld's encoder then takes those imports and types from it as from
/// any component. `None` when there are none.
fn explicit_imports(graph: &CompositionGraph) -> Result<Option<Vec<u8>>, ComposeError> {
    let declared = |graph: &CompositionGraph, n: NodeId| {
        matches!(graph[n].kind(), NodeKind::Import(_) | NodeKind::Definition)
    };
    if !graph.node_ids().any(|n| declared(graph, n)) {
        return Ok(None);
    }
    let mut imports = graph.clone();
    let others: Vec<NodeId> = graph.node_ids().filter(|n| !declared(graph, *n)).collect();
    // Removing a node removes the aliases of it too, so each is removed only while it is still there.
    for node in others {
        if imports.node_ids().any(|n| n == node) {
            imports.remove_node(node);
        }
    }
    guard_encoder(|| imports.encode(wac_options()))?
        .map(Some)
        .map_err(ComposeError::Encode)
}

/// Why a package of the document could not be found.
enum Unresolved {
    /// wac's resolver said so.
    Wac(wac_resolver::Error),
    /// A `--dep` WIT folder did not load or encode.
    Folder {
        span: miette::SourceSpan,
        name: String,
        source: weld_wit::BoxError,
    },
}

/// The packages the document names, in its order: from `--dep` files and the deps folder as wac finds them, and
/// from `--dep` WIT folders, which wac's resolver refuses as overrides (it wants a file) but weld reads like any
/// WIT folder (with its `deps/`) and encodes as a WIT package.
fn packages<'a>(
    document: &WacDocument,
    keys: &IndexMap<BorrowedPackageKey<'a>, miette::SourceSpan>,
) -> Result<IndexMap<BorrowedPackageKey<'a>, Vec<u8>>, Unresolved> {
    let (folders, files): (HashMap<String, PathBuf>, HashMap<String, PathBuf>) = document
        .deps
        .clone()
        .into_iter()
        .partition(|(_, path)| path.is_dir());
    let folder_of = |key: &BorrowedPackageKey| match key.version {
        None => folders.get(key.name),
        Some(_) => None,
    };
    let mut remaining = keys.clone();
    remaining.retain(|key, _| folder_of(key).is_none());
    let mut found = FileSystemPackageResolver::new(&document.deps_dir, files, true)
        .resolve(&remaining)
        .map_err(Unresolved::Wac)?;
    let mut packages = IndexMap::new();
    for (key, span) in keys {
        let bytes = match folder_of(key) {
            Some(folder) => {
                let failed = |source: weld_wit::BoxError| Unresolved::Folder {
                    span: *span,
                    name: key.name.to_owned(),
                    source,
                };
                let src = weld_wit::load(folder).map_err(|e| failed(e.into()))?;
                wit_component::encode(&src.resolve, src.package).map_err(|e| failed(e.into()))?
            }
            None => found.shift_remove(key).unwrap_or_default(),
        };
        packages.insert(*key, bytes);
    }
    Ok(packages)
}

/// Refuses a document that instantiates a WIT package (an encoded package of types, with no code): wac composes it
/// into a component that wraps nothing runnable, or says an export is missing (wac#148). A WIT package may still
/// give a document its types (`import x: ns:pkg/iface;`). The error points at `new ns:pkg` and names the file.
fn refuse_wit_packages(
    document: &WacDocument,
    source: &str,
    keys: &IndexMap<BorrowedPackageKey, miette::SourceSpan>,
    graph: &CompositionGraph,
) -> Result<(), ComposeError> {
    for node in graph.node_ids() {
        let (NodeKind::Instantiation(_), Some(package)) =
            (graph[node].kind(), graph[node].package())
        else {
            continue;
        };
        let package = &graph[package];
        if crate::engine::is_wit_package(&graph.types()[package.ty()]) {
            return Err(wit_package_error(document, source, keys, package.name()));
        }
    }
    Ok(())
}

/// Whether `bytes` decode as a WIT package (see [`crate::engine::is_wit_package`]). A component with code (a core
/// module, an instance, a lifted function, an import) is not one, and is told at its first such section, without
/// reading the rest.
fn is_wit_package_binary(bytes: &[u8]) -> bool {
    use wasmparser::{Chunk, Parser, Payload};
    let mut parser = Parser::new(0);
    let mut offset = 0usize;
    loop {
        let Some(Ok(Chunk::Parsed { consumed, payload })) =
            bytes.get(offset..).map(|b| parser.parse(b, true))
        else {
            return false;
        };
        offset += consumed;
        match payload {
            Payload::Version { .. }
            | Payload::CustomSection(_)
            | Payload::ComponentTypeSection(_)
            | Payload::ComponentExportSection(_)
            | Payload::ComponentAliasSection(_) => {}
            Payload::End(_) => break,
            _ => return false,
        }
    }
    let mut types = wac_graph::types::Types::default();
    wac_graph::types::Package::from_bytes("package", None, bytes.to_vec(), &mut types)
        .is_ok_and(|package| crate::engine::is_wit_package(&types[package.ty()]))
}

/// The error for a document that instantiates the WIT package `name`, pointing at `new name`.
fn wit_package_error(
    document: &WacDocument,
    source: &str,
    keys: &IndexMap<BorrowedPackageKey, miette::SourceSpan>,
    name: &str,
) -> ComposeError {
    let span = find_new(source, name)
        .map(|at| miette::SourceSpan::from((at, name.len())))
        .or_else(|| keys.iter().find(|(k, _)| k.name == name).map(|(_, s)| *s))
        .unwrap_or_else(|| (0, 0).into());
    let file = package_file(document, name)
        .map(|f| format!(" ({})", f.display()))
        .unwrap_or_default();
    let diagnostic = miette::MietteDiagnostic::new(format!(
            "`{name}`{file} is a WIT package (types only, no code), not a component: there is nothing to instantiate"
        ))
        .with_label(miette::LabeledSpan::new_primary_with_span(
            Some("instantiated here".into()),
            span,
        ))
        .with_help(format!(
            "instantiate the component that implements its world (built with wit-bindgen, componentize-py, jco, \
             ...); a WIT package can only give types, as in `import x: {name}/<interface>;`"
        ));
    ComposeError::Document {
        path: document.path.clone(),
        source: SourceError::new(&document.path, source, diagnostic),
    }
}

/// Where `new name` instantiates package `name` in `source` (the offset of `name`), outside `//` comments.
fn find_new(source: &str, name: &str) -> Option<usize> {
    let wanted = format!("new {name}");
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or_default();
        if let Some(at) = code.find(&wanted) {
            return Some(offset + at + "new ".len());
        }
        offset += line.len();
    }
    None
}

/// The file or WIT folder package `name` (`ns:pkg`) was read from, as wac finds it: a `--dep`, else
/// `<deps>/ns/pkg.wasm`, `.wat` or the folder `<deps>/ns/pkg`.
fn package_file(document: &WacDocument, name: &str) -> Option<PathBuf> {
    if let Some(path) = document.deps.get(name) {
        return Some(path.clone());
    }
    let (namespace, package) = name.split_once(':')?;
    let base = document.deps_dir.join(namespace);
    ["wasm", "wat"]
        .iter()
        .map(|ext| base.join(format!("{package}.{ext}")))
        .find(|path| path.is_file())
        .or_else(|| Some(base.join(package)).filter(|dir| dir.is_dir()))
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
                // An argument is an export of another instance (`{ ...a }`, `{ x: a.x }`), a whole instance
                // (`{ x: a }`, which the report names with an empty export), or an import of the document.
                let open = Outcome::Open {
                    reason: OpenReason::NotWired,
                };
                let outcome = match args.get(name.as_str()) {
                    Some(arg) => match (graph.get_alias_source(*arg), graph[*arg].kind()) {
                        (Some((instance, export)), _) => Outcome::Plugged {
                            by: label(instance),
                            export: export.to_owned(),
                            rule: Rule::Wac,
                        },
                        (None, NodeKind::Instantiation(_)) => Outcome::Plugged {
                            by: label(*arg),
                            export: String::new(),
                            rule: Rule::Wac,
                        },
                        (None, _) => open,
                    },
                    None => open,
                };
                Import {
                    name: name.clone(),
                    outcome,
                    rejected: Vec::new(),
                }
            })
            .collect();
        instances.push((
            node,
            Instance {
                component: label(node),
                imports,
            },
        ));
    }
    // An import left open that names a resource of an instance the document makes inside: no encoding can express
    // it (the validator says only `resource types are not the same`), so it is reported as such.
    crate::resources::mark_shared(graph, &mut instances, true);
    Report {
        instances: instances.into_iter().map(|(_, i)| i).collect(),
        ..Report::default()
    }
}

//! wit-parser's errors as diagnostics: the place it names (a span in one of the files it read, which may be under
//! `deps/`) becomes a label in that file's text, so the CLI draws the line with the span underlined, as it does
//! for `.wac` documents and compose files.

use crate::diagnostic::{BoxError, SourceError};
use miette::{LabeledSpan, MietteDiagnostic};
use std::path::Path;
use wit_parser::{ParseError, ParseErrorKind, Resolve, ResolveError, ResolveErrorKind, Span};

/// The error of a failed `push_*` on `resolve`: a [`SourceError`] when wit-parser says where, else the error itself
/// with its causes. `text` is the text of an in-memory push (a file is read again from disk).
pub(crate) fn diagnose(resolve: &Resolve, err: anyhow::Error, text: Option<&str>) -> BoxError {
    let found = err.chain().find_map(|layer| {
        if let Some(e) = layer.downcast_ref::<ParseError>() {
            Some(parse_labels(e.kind()))
        } else {
            layer
                .downcast_ref::<ResolveError>()
                .map(|e| resolve_labels(resolve, e.kind()))
        }
    });
    let Some((message, primary, help)) = found else {
        return err.into();
    };
    let Some(place) = resolve.source_map.resolve_span(primary) else {
        return err.into();
    };
    let path = Path::new(place.path);
    let contents = match text {
        Some(text) => Some(text.to_owned()),
        None => std::fs::read_to_string(path).ok(),
    };
    let Some(contents) = contents else {
        return err.into();
    };
    let mut diagnostic = MietteDiagnostic::new(message)
        .with_label(LabeledSpan::new_primary_with_span(None, place.range));
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    Box::new(SourceError::new(path, contents, diagnostic))
}

/// The message, the span and any hint of a parse error.
fn parse_labels(kind: &ParseErrorKind) -> (String, Span, Option<String>) {
    match kind {
        ParseErrorKind::ItemNotFound {
            span,
            name,
            kind,
            hint,
        } => (
            format!("{kind} `{name}` does not exist"),
            *span,
            hint.clone(),
        ),
        other => (other.to_string(), other.span(), None),
    }
}

/// The message, the span and any hint of a resolve error: for a package defined twice, the other place.
fn resolve_labels(resolve: &Resolve, kind: &ResolveErrorKind) -> (String, Span, Option<String>) {
    let help = match kind {
        ResolveErrorKind::DuplicatePackage { span2, .. } => Some(format!(
            "also defined at {}",
            resolve.source_map.render_location(*span2)
        )),
        _ => None,
    };
    (kind.to_string(), kind.span(), help)
}

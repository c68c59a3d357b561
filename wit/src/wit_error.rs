//! wit-parser's errors as diagnostics: the place it names (a span in one of the files it read, which may be under
//! `deps/`) becomes a label in that file's text, so the CLI draws the line with the span underlined, as it does
//! for `.wac` documents and compose files.

use crate::diagnostic::{BoxError, SourceError};
use miette::{LabeledSpan, MietteDiagnostic};
use std::path::Path;
use wit_parser::{
    ParseError, ParseErrorKind, Resolve, ResolveError, ResolveErrorKind, Span, TypeDefKind,
};

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
    located(resolve, (message, primary, help), text).unwrap_or_else(|| err.into())
}

/// `message` at `span` of a file `resolve` read, as a [`SourceError`]; `None` when the span or the file's text
/// cannot be found.
fn located(
    resolve: &Resolve,
    (message, span, help): (String, Span, Option<String>),
    text: Option<&str>,
) -> Option<BoxError> {
    let place = resolve.source_map.resolve_span(span)?;
    let path = Path::new(place.path);
    let contents = match text {
        Some(text) => text.to_owned(),
        None => std::fs::read_to_string(path).ok()?,
    };
    let mut diagnostic = MietteDiagnostic::new(message)
        .with_label(LabeledSpan::new_primary_with_span(None, place.range));
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    Some(Box::new(SourceError::new(path, contents, diagnostic)))
}

/// A name given twice inside one record, flags, variant or enum of the WIT `resolve` holds, which wit-parser 0.258
/// accepts and encoding then refuses (`enum tag name a conflicts`, with no place); newer wit-parser and
/// `wasm-tools component wit` refuse it at the line. The error is at the second one.
pub(crate) fn duplicate_names(resolve: &Resolve, text: Option<&str>) -> Option<BoxError> {
    for (_, ty) in resolve.types.iter() {
        let (kind, names): (&str, Vec<(&str, Span)>) = match &ty.kind {
            TypeDefKind::Record(r) => (
                "record",
                r.fields.iter().map(|f| (f.name.as_str(), f.span)).collect(),
            ),
            TypeDefKind::Flags(f) => (
                "flags",
                f.flags.iter().map(|f| (f.name.as_str(), f.span)).collect(),
            ),
            TypeDefKind::Variant(v) => (
                "variant",
                v.cases.iter().map(|c| (c.name.as_str(), c.span)).collect(),
            ),
            TypeDefKind::Enum(e) => (
                "enum",
                e.cases.iter().map(|c| (c.name.as_str(), c.span)).collect(),
            ),
            _ => continue,
        };
        let mut seen = std::collections::HashSet::new();
        if let Some((name, span)) = names.into_iter().find(|(name, _)| !seen.insert(*name)) {
            let message = format!(
                "`{name}` is given twice in {kind} `{}`",
                ty.name.as_deref().unwrap_or("(anonymous)")
            );
            return Some(
                located(resolve, (message.clone(), span, None), text)
                    .unwrap_or_else(|| message.into()),
            );
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use crate::{Error, SourceError, load};

    /// Regression: WIT with a name given twice in an enum, flags, record or variant loaded without a word, and
    /// only encoding it (for `weld targets`) failed, with no file or line.
    #[test]
    fn a_name_given_twice_in_a_type_is_an_error_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        for (body, kind) in [
            ("enum e { a, b, a }", "enum `e`"),
            ("flags f { a, a }", "flags `f`"),
            ("record r { x: u8, x: u32 }", "record `r`"),
            ("variant v { a, a(u8) }", "variant `v`"),
        ] {
            let path = dir.path().join("d.wit");
            std::fs::write(
                &path,
                format!("package a:b;\n\ninterface i {{\n    {body}\n}}\n"),
            )
            .unwrap();
            let Err(Error::Wit { source, .. }) = load(&path) else {
                panic!("{body} loaded");
            };
            let located = source
                .downcast_ref::<SourceError>()
                .unwrap_or_else(|| panic!("{body}: not located: {source}"));
            assert!(located.to_string().contains(kind), "{located}");
            assert!(located.location().contains(":4:"), "{}", located.location());
        }
        std::fs::write(
            dir.path().join("d.wit"),
            "package a:b;\n\ninterface i {\n    enum e { a, b }\n}\n",
        )
        .unwrap();
        assert!(load(&dir.path().join("d.wit")).is_ok());
    }
}

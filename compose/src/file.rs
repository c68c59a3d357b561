//! Compose files: a declarative `weld.toml` naming the components, the root, explicit wiring and the output.
//!
//! ```toml
//! root = "app"                 # a name from [components]
//! output = "hello.wasm"        # optional; -o wins
//! closed = true                # optional: true (all but wasi:*), "all", or false
//! merge-imports = false        # optional: keep compatible versions of an open import apart
//!
//! [components]                 # name = path (relative to this file) or a reference the resolver knows
//! app = "app.wasm"
//! greeter = "oci://localhost:5000/demo/greeter:1.0"
//!
//! [wire]                       # import (with or without version) = component name
//! "weld:examples/greeter" = "greeter"
//! ```
//!
//! Every component but the root is a plug. Errors are diagnostics pointing at the key or value at fault.

use crate::error::ComposeError;
use crate::request::{Closed, Component, Options};
use crate::resolver::Resolver;
use indexmap::IndexMap;
use miette::{LabeledSpan, MietteDiagnostic};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;
use weld_wit::{BoxError, SourceError};

/// A compose file, read and its components loaded.
#[derive(Debug)]
pub struct ComposeFile {
    /// The root component, labelled with its name in the file.
    pub root: Component,
    /// Every other component, in file order, labelled with their names.
    pub plugs: Vec<Component>,
    /// `[wire]`: (import, component name).
    pub wires: Vec<(String, String)>,
    /// `output`, resolved against the file's folder.
    pub output: Option<PathBuf>,
    /// `closed`.
    pub closed: Closed,
    /// `merge-imports = false`.
    pub no_merge_imports: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    root: Spanned<String>,
    output: Option<String>,
    closed: Option<Spanned<toml::Value>>,
    merge_imports: Option<bool>,
    components: IndexMap<String, Spanned<String>>,
    #[serde(default)]
    wire: IndexMap<String, Spanned<String>>,
}

impl ComposeFile {
    /// Reads the compose file at `path` and loads the components it names through `resolver` (values are
    /// handed over as written, with the file's folder to resolve relative paths against).
    ///
    /// # Errors
    /// [`ComposeError::Read`] if the file cannot be read; [`ComposeError::Document`] for TOML errors, unknown
    /// keys, names that are not in `[components]`, a bad `closed`, and components the resolver cannot load (the
    /// resolver's error is the diagnostic's cause).
    pub fn load(path: &Path, resolver: &dyn Resolver) -> Result<ComposeFile, ComposeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ComposeError::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
        let at = |span: Option<Range<usize>>, message: String, label: &str| {
            let mut diagnostic = MietteDiagnostic::new(message);
            if let Some(span) = span {
                diagnostic = diagnostic.with_label(LabeledSpan::new_primary_with_span(
                    Some(label.to_owned()),
                    span,
                ));
            }
            SourceError::new(path, text.as_str(), diagnostic)
        };
        let fail = |err: SourceError| ComposeError::Document {
            path: path.to_path_buf(),
            source: err,
        };
        let raw: Raw = toml::from_str(&text)
            .map_err(|e| fail(at(e.span(), e.message().to_owned(), "here")))?;
        let names: Vec<&str> = raw.components.keys().map(String::as_str).collect();
        let known = |value: &Spanned<String>, key: &str| {
            if raw.components.contains_key(value.get_ref()) {
                Ok(())
            } else {
                Err(fail(at(
                    Some(value.span()),
                    format!(
                        "{key} = \"{}\": no such component in [components] ({})",
                        value.get_ref(),
                        names.join(", ")
                    ),
                    "not in [components]",
                )))
            }
        };
        known(&raw.root, "root")?;
        for (import, target) in &raw.wire {
            known(target, &format!("wire.\"{import}\""))?;
        }
        let closed = match raw.closed.as_ref().map(|c| (c.get_ref(), c.span())) {
            None | Some((toml::Value::Boolean(false), _)) => Closed::No,
            Some((toml::Value::Boolean(true), _)) => Closed::NonWasi,
            Some((toml::Value::String(s), _)) if s == "all" => Closed::All,
            Some((_, span)) => {
                return Err(fail(at(
                    Some(span),
                    "closed: expected true, false or \"all\"".to_owned(),
                    "not a choice",
                )));
            }
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut root = None;
        let mut plugs = Vec::new();
        for (name, value) in &raw.components {
            let bytes = resolver
                .resolve(value.get_ref(), dir)
                .map_err(|e: BoxError| {
                    fail(
                        at(
                            Some(value.span()),
                            format!("components.{name}: cannot load `{}`", value.get_ref()),
                            "this component",
                        )
                        .caused_by(e),
                    )
                })?;
            let component = Component::new(name.clone(), bytes).named(name.clone());
            if name == raw.root.get_ref() {
                root = Some(component);
            } else {
                plugs.push(component);
            }
        }
        let Some(root) = root else {
            unreachable!("`root` was checked to name one of the components");
        };
        Ok(ComposeFile {
            root,
            plugs,
            wires: raw
                .wire
                .into_iter()
                .map(|(import, target)| (import, target.into_inner()))
                .collect(),
            output: raw.output.map(|o| dir.join(o)),
            closed,
            no_merge_imports: raw.merge_imports == Some(false),
        })
    }

    /// The file's options: its wiring, `closed` and `merge-imports`.
    pub fn options(&self) -> Options {
        Options {
            wires: self.wires.clone(),
            closed: self.closed,
            no_merge_imports: self.no_merge_imports,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolver::FileResolver;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("weld.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The error's `file:line:column` and message.
    fn failure(text: &str) -> (String, String, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), text);
        let err = ComposeFile::load(&path, &FileResolver).unwrap_err();
        let ComposeError::Document { source, .. } = err else {
            panic!("expected a document error, got {err:?}");
        };
        let location = source.location();
        let file = location.rsplit('/').next().unwrap().to_owned();
        let cause = std::error::Error::source(&source).map(ToString::to_string);
        (file, source.to_string(), cause)
    }

    #[test]
    fn unknown_names_point_at_their_value() {
        let (at, message, _) = failure("root = \"ap\"\n[components]\napp = \"app.wasm\"\n");
        assert_eq!(at, "weld.toml:1:8");
        assert_eq!(
            message,
            "root = \"ap\": no such component in [components] (app)"
        );
    }

    #[test]
    fn syntax_errors_and_unknown_keys_point_at_the_place() {
        let (at, message, _) = failure("root = \"app\"\nplug = 3\n[components]\n");
        assert_eq!(at, "weld.toml:2:1");
        assert!(message.contains("unknown field `plug`"), "{message}");
        let (at, _, _) = failure("root = \n");
        assert!(at.starts_with("weld.toml:1:"), "{at}");
    }

    #[test]
    fn unreadable_components_name_the_key_and_keep_the_cause() {
        let (at, message, cause) =
            failure("root = \"app\"\n[components]\napp = \"missing.wasm\"\n");
        assert_eq!(at, "weld.toml:3:7");
        assert_eq!(message, "components.app: cannot load `missing.wasm`");
        let cause = cause.unwrap();
        assert!(
            cause.contains("failed to read") && cause.contains("missing.wasm"),
            "{cause}"
        );
    }

    #[test]
    fn closed_takes_a_bool_or_all() {
        let (at, message, _) =
            failure("root = \"app\"\nclosed = \"some\"\n[components]\napp = \"a.wasm\"\n");
        assert_eq!(at, "weld.toml:2:10");
        assert_eq!(message, "closed: expected true, false or \"all\"");
    }
}

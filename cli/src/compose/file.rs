//! Compose files: a declarative `weld.toml` naming the components, the root, explicit wiring and the output.
//!
//! ```toml
//! root = "app"                 # a name from [components]
//! output = "hello.wasm"        # optional; -o wins
//! closed = true                # optional: true (all but wasi:*), "all", or false
//! merge-imports = false        # optional: keep compatible versions of an open import apart
//!
//! [components]                 # name = path (relative to this file) or registry reference
//! app = "app.wasm"
//! greeter = "oci://localhost:5000/demo/greeter:1.0"
//!
//! [wire]                       # import (with or without version) = component name
//! "weld:examples/greeter" = "greeter"
//! ```
//!
//! Every component but the root is a plug. Errors name the file, the line and column, and the key.

use super::{Closed, Component, ComposeError};
use crate::registry::Sources;
use indexmap::IndexMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use weld_registry_client::Reference;

/// A compose request read from a file.
#[derive(Debug)]
pub struct Request {
    /// The root component, labelled with its name in the file.
    pub root: Component,
    /// Every other component, in file order.
    pub plugs: Vec<Component>,
    /// `[wire]`: (import, component name).
    pub wires: Vec<(String, String)>,
    /// `output`, relative to the current directory (resolved against the file's directory).
    pub output: Option<PathBuf>,
    /// `closed`.
    pub closed: Closed,
    /// `merge-imports = false`.
    pub keep_import_versions: bool,
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

/// Reads the compose file at `path` and the components it names, pulling registry references through
/// `sources`.
pub fn load(path: &Path, sources: &Sources) -> Result<Request, ComposeError> {
    let text = std::fs::read_to_string(path).map_err(|e| ComposeError::File {
        location: path.display().to_string(),
        message: format!("failed to read it: {e}"),
    })?;
    let raw: Raw = toml::from_str(&text).map_err(|e| ComposeError::File {
        location: match e.span() {
            Some(span) => location(path, &text, span.start),
            None => path.display().to_string(),
        },
        message: e.message().to_owned(),
    })?;
    let at = |span: std::ops::Range<usize>, message: String| ComposeError::File {
        location: location(path, &text, span.start),
        message,
    };
    let names: Vec<&str> = raw.components.keys().map(String::as_str).collect();
    let known = |value: &Spanned<String>, key: &str| {
        if raw.components.contains_key(value.get_ref()) {
            Ok(())
        } else {
            Err(at(
                value.span(),
                format!(
                    "{key} = \"{}\": no such component in [components] ({})",
                    value.get_ref(),
                    names.join(", ")
                ),
            ))
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
            return Err(at(
                span,
                "closed: expected true, false or \"all\"".to_owned(),
            ));
        }
    };
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut root = None;
    let mut plugs = Vec::new();
    for (name, file) in &raw.components {
        let value = Path::new(file.get_ref());
        let arg = if Reference::is_reference(file.get_ref()) {
            value.to_path_buf()
        } else {
            dir.join(value)
        };
        let bytes = sources
            .local(&arg)
            .and_then(|local| local.read())
            .map_err(|e| at(file.span(), format!("components.{name}: {e:#}")))?;
        let component = Component {
            label: name.clone(),
            bytes,
        };
        if name == raw.root.get_ref() {
            root = Some(component);
        } else {
            plugs.push(component);
        }
    }
    Ok(Request {
        root: root.expect("root is one of the components"),
        plugs,
        wires: raw
            .wire
            .into_iter()
            .map(|(import, target)| (import, target.into_inner()))
            .collect(),
        output: raw.output.map(|o| dir.join(o)),
        closed,
        keep_import_versions: raw.merge_imports == Some(false),
    })
}

/// `path:line:column` of byte `offset` in `text` (both 1-based).
pub(crate) fn location(path: &Path, text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{}:{line}:{column}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("weld.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn locations_are_one_based() {
        let text = "a = 1\nroot = \"x\"\n";
        assert_eq!(location(Path::new("f.toml"), text, 13), "f.toml:2:8");
        assert_eq!(location(Path::new("f.toml"), text, 0), "f.toml:1:1");
    }

    #[test]
    fn unknown_names_point_at_their_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "root = \"ap\"\n[components]\napp = \"app.wasm\"\n",
        );
        let err = load(&path, &Sources::new(&Default::default()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("weld.toml:1:8: root = \"ap\": no such component in [components] (app)"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_and_unknown_keys_point_at_the_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "root = \"app\"\nplug = 3\n[components]\n");
        let err = load(&path, &Sources::new(&Default::default()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("weld.toml:2:1") && err.contains("unknown field `plug`"),
            "{err}"
        );
        let path = write(dir.path(), "root = \n");
        let err = load(&path, &Sources::new(&Default::default()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("weld.toml:1:"), "{err}");
    }

    #[test]
    fn unreadable_components_name_the_key_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "root = \"app\"\n[components]\napp = \"missing.wasm\"\n",
        );
        let err = load(&path, &Sources::new(&Default::default()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("weld.toml:3:7: components.app: failed to read"),
            "{err}"
        );
        assert!(err.contains("missing.wasm"), "{err}");
    }

    #[test]
    fn closed_takes_a_bool_or_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "root = \"app\"\nclosed = \"some\"\n[components]\napp = \"a.wasm\"\n",
        );
        let err = load(&path, &Sources::new(&Default::default()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("weld.toml:2:10: closed: expected true, false or \"all\""),
            "{err}"
        );
    }
}

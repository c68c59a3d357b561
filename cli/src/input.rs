//! Arguments shared by several subcommands, parsed by clap so that a malformed value is bad usage (exit 2).

use std::fmt;
use std::path::PathBuf;
use weld_registry_client::{Reference, ReferenceError};

/// A component argument: a file, or a registry reference (`oci://host[:port]/repo:tag` or `@sha256:...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A path, as given.
    File(PathBuf),
    /// A registry reference, with the text the user gave (which names it in messages and labels).
    Registry {
        /// The parsed reference.
        reference: Reference,
        /// The argument as given.
        given: String,
    },
}

impl Input {
    /// clap's value parser: text starting with `oci://` must be a valid reference; anything else is a path.
    pub fn parse(arg: &str) -> Result<Input, ReferenceError> {
        if Reference::is_reference(arg) {
            Ok(Input::Registry {
                reference: arg.parse()?,
                given: arg.to_owned(),
            })
        } else {
            Ok(Input::File(arg.into()))
        }
    }

    /// The argument as given, as a path (how messages name it).
    pub fn name(&self) -> PathBuf {
        match self {
            Input::File(path) => path.clone(),
            Input::Registry { given, .. } => given.into(),
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::File(path) => write!(f, "{}", path.display()),
            Input::Registry { given, .. } => f.write_str(given),
        }
    }
}

/// clap's value parser for `KEY=VALUE` pairs (`--wire IMPORT=PLUG`, `--dep NS:NAME=PATH`): both sides non-empty.
pub fn pair(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err("expected KEY=VALUE with both sides non-empty".to_owned()),
    }
}

/// clap's value parser for a registry reference given alone (`weld push FILE REF`, `weld pull REF`), with or
/// without `oci://`.
pub fn reference(arg: &str) -> Result<Reference, ReferenceError> {
    arg.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_paths() {
        assert!(matches!(Input::parse("app.wasm"), Ok(Input::File(_))));
        assert!(matches!(
            Input::parse("oci://localhost:5000/demo/app:1"),
            Ok(Input::Registry { .. })
        ));
        assert!(Input::parse("oci://BAD REF!!").is_err());
        assert_eq!(
            pair("a:b/c=greeter"),
            Ok(("a:b/c".into(), "greeter".into()))
        );
        assert!(pair("nonsense").is_err() && pair("=x").is_err() && pair("x=").is_err());
    }
}

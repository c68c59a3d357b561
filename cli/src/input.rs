//! Arguments shared by several subcommands, parsed by clap so that a malformed value is bad usage (exit 2).

use std::fmt;
use std::path::PathBuf;
use weld_registry_client::layout::{LayoutReference, LayoutReferenceError};
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
    /// An artifact in an OCI image layout (`oci:DIR[:TAG]`), with the text the user gave.
    Layout {
        /// The parsed reference.
        reference: LayoutReference,
        /// The argument as given.
        given: String,
    },
}

/// Why an argument is not a valid registry or layout reference.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A bad `oci://` reference.
    #[error(transparent)]
    Registry(#[from] ReferenceError),
    /// A bad `oci:DIR[:TAG]` reference.
    #[error(transparent)]
    Layout(#[from] LayoutReferenceError),
}

impl Input {
    /// The short name of a reference, which names its instance in a composition: the repository's last segment
    /// (`greeter` for `oci://host/demo/greeter:1.0`), a layout's directory name (`greeter` for
    /// `oci:build/greeter:1.0`). `None` for a file, named by its stem.
    pub fn short_name(&self) -> Option<String> {
        match self {
            Input::File(_) => None,
            Input::Registry { reference, .. } => {
                reference.repository.rsplit('/').next().map(str::to_owned)
            }
            Input::Layout { reference, .. } => reference
                .dir
                .components()
                .next_back()
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        }
    }

    /// clap's value parser: text starting with `oci://` must be a valid registry reference, text starting with
    /// `oci:` a valid layout reference (skopeo's syntax; write `./oci:x` for a file of that name); anything else
    /// is a path.
    pub fn parse(arg: &str) -> Result<Input, InputError> {
        if Reference::is_reference(arg) {
            Ok(Input::Registry {
                reference: arg.parse()?,
                given: arg.to_owned(),
            })
        } else if LayoutReference::is_layout(arg) {
            Ok(Input::Layout {
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
            Input::Registry { given, .. } | Input::Layout { given, .. } => given.into(),
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::File(path) => write!(f, "{}", path.display()),
            Input::Registry { given, .. } | Input::Layout { given, .. } => f.write_str(given),
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

/// Where an artifact is, given alone (`weld push FILE REF`, `weld pull REF`, `weld sign`, `weld verify`): a
/// registry, or an OCI image layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `[oci://]host[:port]/repository[:tag][@digest]`.
    Registry(Reference),
    /// `oci:DIR[:TAG]` or `oci:DIR@digest`.
    Layout(LayoutReference),
}

impl Target {
    /// The digest the reference pins, if any.
    pub fn digest(&self) -> Option<&str> {
        match self {
            Target::Registry(r) => r.digest.as_deref(),
            Target::Layout(r) => r.digest.as_deref(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Registry(r) => r.fmt(f),
            Target::Layout(r) => r.fmt(f),
        }
    }
}

/// clap's value parser for [`Target`]: `oci:DIR[:TAG]` is a layout; anything else a registry reference, with or
/// without `oci://`.
pub fn target(arg: &str) -> Result<Target, InputError> {
    if LayoutReference::is_layout(arg) {
        Ok(Target::Layout(arg.parse()?))
    } else {
        Ok(Target::Registry(arg.parse()?))
    }
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
        assert!(matches!(
            Input::parse("oci:build/app:1"),
            Ok(Input::Layout { .. })
        ));
        assert!(matches!(Input::parse("./oci:x"), Ok(Input::File(_))));
        assert!(matches!(target("oci:dir"), Ok(Target::Layout(_))));
        assert!(matches!(
            target("localhost:5000/a:1"),
            Ok(Target::Registry(_))
        ));
        assert_eq!(
            pair("a:b/c=greeter"),
            Ok(("a:b/c".into(), "greeter".into()))
        );
        assert!(pair("nonsense").is_err() && pair("=x").is_err() && pair("x=").is_err());
    }

    #[test]
    fn references_are_named_after_their_repository_or_directory() {
        let name = |arg: &str| Input::parse(arg).unwrap().short_name();
        assert_eq!(
            name("oci://host:5000/demo/greeter:1.0"),
            Some("greeter".into())
        );
        assert_eq!(
            name(
                "oci://localhost:5000/greeter@sha256:ab00000000000000000000000000000000000000000000000000000000000000"
            ),
            Some("greeter".into())
        );
        assert_eq!(name("oci:build/greeter:1.0"), Some("greeter".into()));
        assert_eq!(name("oci:/abs/x/"), Some("x".into()));
        assert_eq!(name("dir/app.wasm"), None);
    }
}

//! Artifact references: `[oci://]host[:port]/repository[:tag][@sha256:<hex>]`, with the grammar of the OCI
//! distribution spec.

use std::fmt;
use std::str::FromStr;

/// A reference to an artifact in an OCI registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host, with its port if any: `localhost:5000`, `ghcr.io`.
    pub registry: String,
    /// Repository path: `demo/hello`.
    pub repository: String,
    /// Tag, if one was given.
    pub tag: Option<String>,
    /// Digest (`sha256:<64 hex>`), if one was given; it pins the content.
    pub digest: Option<String>,
}

/// Why a string is not a valid reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// No `/` separates a registry host from the repository.
    #[error(
        "`{0}` names no registry: write `host[:port]/repository[:tag]`, e.g. `localhost:5000/demo/hello:1.0`"
    )]
    NoRegistry(String),
    /// The registry part is not a host name or `host:port`.
    #[error(
        "`{0}` is not a registry host (expected a name like `ghcr.io`, `localhost` or `127.0.0.1:5000`)"
    )]
    BadRegistry(String),
    /// The repository path breaks the OCI grammar.
    #[error(
        "`{0}` is not a repository name: path components of lowercase letters and digits, separated by `.`, `_`, `__` or `-`"
    )]
    BadRepository(String),
    /// The tag breaks the OCI grammar.
    #[error(
        "`{0}` is not a tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
    )]
    BadTag(String),
    /// The digest is not `sha256:` and 64 lowercase hex digits.
    #[error("`{0}` is not a digest: expected `sha256:` followed by 64 lowercase hex digits")]
    BadDigest(String),
}

impl Reference {
    /// The prefix that marks a registry reference where a file path could also stand.
    pub const SCHEME: &'static str = "oci://";

    /// True if `s` should be read as a registry reference rather than a path: it starts with `oci://`.
    pub fn is_reference(s: &str) -> bool {
        s.starts_with(Self::SCHEME)
    }

    /// The tag to use: the one given, or `latest`.
    pub fn tag(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        let rest = s.strip_prefix(Self::SCHEME).unwrap_or(s);
        let (rest, digest) = match rest.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (rest, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| ReferenceError::NoRegistry(s.to_string()))?;
        // As docker reads it, a first part without `.` or `:` that is not `localhost` is a path, not a host:
        // `demo/greeter:1.0` names no registry (weld has no default one).
        if !(registry.contains(['.', ':']) || registry == "localhost") {
            return Err(ReferenceError::NoRegistry(s.to_string()));
        }
        // A `:` after the last `/` starts the tag; one before it belongs to the registry's port.
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag)),
            _ => (path, None),
        };
        if !valid_registry(registry) {
            return Err(ReferenceError::BadRegistry(registry.to_string()));
        }
        if !valid_repository(repository) {
            return Err(ReferenceError::BadRepository(repository.to_string()));
        }
        if let Some(tag) = tag.filter(|t| !valid_tag(t)) {
            return Err(ReferenceError::BadTag(tag.to_string()));
        }
        if let Some(digest) = digest.filter(|d| !valid_digest(d)) {
            return Err(ReferenceError::BadDigest(digest.to_string()));
        }
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn valid_registry(registry: &str) -> bool {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    host_ok && port_ok
}

fn valid_repository(repository: &str) -> bool {
    !repository.is_empty() && repository.split('/').all(valid_path_component)
}

/// One path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        match bytes[i] {
            b'.' => i += 1,
            b'_' => {
                i += if bytes.get(i + 1) == Some(&b'_') {
                    2
                } else {
                    1
                }
            }
            b'-' => {
                while bytes.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
    }
}

pub(crate) fn valid_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len())
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// The oci-client form of a reference: by digest if it has one, else by tag.
pub(crate) fn oci_reference(reference: &Reference) -> oci_client::Reference {
    match &reference.digest {
        Some(digest) => oci_client::Reference::with_digest(
            reference.registry.clone(),
            reference.repository.clone(),
            digest.clone(),
        ),
        None => oci_client::Reference::with_tag(
            reference.registry.clone(),
            reference.repository.clone(),
            reference.tag().to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn full_references_parse_and_print_back() {
        let text = format!("localhost:5000/demo/hello:1.0@{DIGEST}");
        let r: Reference = format!("oci://{text}").parse().unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "demo/hello");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert_eq!(r.digest.as_deref(), Some(DIGEST));
        assert_eq!(r.to_string(), text);
    }

    #[test]
    fn the_tag_defaults_to_latest_and_a_port_is_not_a_tag() {
        let r: Reference = "127.0.0.1:5000/app".parse().unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref(), r.tag()),
            ("127.0.0.1:5000", None, "latest")
        );
        let r: Reference = "ghcr.io/org/my_app__x-y.z:v1.2.3-rc.1".parse().unwrap();
        assert_eq!(r.repository, "org/my_app__x-y.z");
    }

    #[test]
    fn bad_references_say_which_part_is_wrong() {
        let cases = [
            ("hello", ReferenceError::NoRegistry("hello".into())),
            (
                "demo/greeter:1.0",
                ReferenceError::NoRegistry("demo/greeter:1.0".into()),
            ),
            (
                "bad_host!.example/x",
                ReferenceError::BadRegistry("bad_host!.example".into()),
            ),
            (
                "localhost:99999/x",
                ReferenceError::BadRegistry("localhost:99999".into()),
            ),
            (
                "localhost/Demo",
                ReferenceError::BadRepository("Demo".into()),
            ),
            (
                "localhost/a//b",
                ReferenceError::BadRepository("a//b".into()),
            ),
            ("localhost/a-:1", ReferenceError::BadRepository("a-".into())),
            (
                "localhost/a.-b",
                ReferenceError::BadRepository("a.-b".into()),
            ),
            (
                "localhost/a___b",
                ReferenceError::BadRepository("a___b".into()),
            ),
            ("localhost/a:.x", ReferenceError::BadTag(".x".into())),
            (
                "localhost/a@sha256:12",
                ReferenceError::BadDigest("sha256:12".into()),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Reference>().unwrap_err(), expected, "{text}");
        }
    }

    #[test]
    fn only_the_scheme_marks_a_reference() {
        assert!(Reference::is_reference("oci://localhost/x"));
        assert!(!Reference::is_reference("./localhost/x.wasm"));
    }
}

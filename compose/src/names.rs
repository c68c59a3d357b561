//! Versioned extern names (`ns:pkg/iface@1.2.3`) and the semver rule that decides which export may satisfy an
//! import: the same name, or the same unversioned name with a version on the same semver track. The track rule
//! is wac-types' `are_semver_compatible` (the one wasmtime's linker and wac's encoder use: same major for >= 1.0,
//! same major.minor for 0.x, a 0.0.x or pre-release version only itself), so matching and import merging never
//! disagree.

use semver::Version;
use wac_types::are_semver_compatible;

/// How an export's name relates to an import's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Relation {
    /// The very same name.
    Exact,
    /// The same interface at a semver-compatible version.
    Compatible(Version),
    /// The same interface at a version on another semver track.
    Incompatible,
    /// Another interface.
    Unrelated,
}

/// Splits a name at its version: `wasi:io/streams@0.2.9` gives (`wasi:io/streams`, `Some(0.2.9)`). A name without
/// a (valid) version keeps its whole text as the base.
pub(crate) fn split(name: &str) -> (&str, Option<Version>) {
    match name.rsplit_once('@') {
        Some((base, version)) => match Version::parse(version) {
            Ok(v) => (base, Some(v)),
            Err(_) => (name, None),
        },
        None => (name, None),
    }
}

/// Relates an export name to an import name.
pub(crate) fn relate(import: &str, export: &str) -> Relation {
    if import == export {
        return Relation::Exact;
    }
    let (import_base, _) = split(import);
    let (export_base, export_version) = split(export);
    if import_base != export_base {
        return Relation::Unrelated;
    }
    match export_version {
        Some(version) if are_semver_compatible(import, export) => Relation::Compatible(version),
        _ => Relation::Incompatible,
    }
}

/// Whether `name` is a WASI interface (`wasi:*`), which the host usually provides.
pub fn is_wasi(name: &str) -> bool {
    name.starts_with("wasi:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn the_same_major_is_compatible_from_one_on() {
        assert_eq!(relate("a:b/c@1.0.0", "a:b/c@1.0.0"), Relation::Exact);
        assert_eq!(
            relate("a:b/c@1.0.0", "a:b/c@1.2.0"),
            Relation::Compatible(v("1.2.0"))
        );
        assert_eq!(relate("a:b/c@1.0.0", "a:b/c@2.0.0"), Relation::Incompatible);
        assert_eq!(relate("a:b/c@1.0.0", "a:b/d@1.0.0"), Relation::Unrelated);
    }

    #[test]
    fn zero_versions_need_the_same_minor_and_pre_releases_match_only_themselves() {
        assert_eq!(
            relate("wasi:io/streams@0.2.9", "wasi:io/streams@0.2.12"),
            Relation::Compatible(v("0.2.12"))
        );
        assert_eq!(
            relate("wasi:io/streams@0.2.0", "wasi:io/streams@0.3.0"),
            Relation::Incompatible
        );
        assert_eq!(relate("a:b/c@0.0.1", "a:b/c@0.0.2"), Relation::Incompatible);
        assert_eq!(
            relate("a:b/c@1.0.0-rc1", "a:b/c@1.0.0"),
            Relation::Incompatible
        );
        assert_eq!(relate("a:b/c", "a:b/c@1.0.0"), Relation::Incompatible);
    }

    #[test]
    fn names_split_at_their_version() {
        assert_eq!(split("greet"), ("greet", None));
        assert_eq!(split("a:b/c@1.2.3"), ("a:b/c", Some(v("1.2.3"))));
        assert_eq!(split("a:b/c@x"), ("a:b/c@x", None));
        assert!(is_wasi("wasi:cli/run@0.2.0") && !is_wasi("weld:examples/greeter"));
    }
}

//! Which imports of a component the host cannot provide, found before anything runs, and which need nothing at
//! all: an interface of types only (records, enums, variants, flags; no function, no resource), which a
//! component imports just to `use` a type from it.

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// The `wasi:cli` interfaces weld links, the same in 0.2 and 0.3 (0.3's `types` holds only types).
const CLI: &[&str] = &[
    "environment",
    "exit",
    "stdin",
    "stdout",
    "stderr",
    "terminal-input",
    "terminal-output",
    "terminal-stdin",
    "terminal-stdout",
    "terminal-stderr",
];

/// The interfaces weld links, per WASI package, at any 0.2.x version (`wasmtime_wasi::p2`, `wasmtime_wasi_http::p2`).
const PROVIDED_0_2: &[(&str, &[&str])] = &[
    ("cli", CLI),
    ("clocks", &["monotonic-clock", "wall-clock"]),
    ("filesystem", &["types", "preopens"]),
    ("io", &["error", "poll", "streams"]),
    ("random", &["random", "insecure", "insecure-seed"]),
    (
        "sockets",
        &[
            "network",
            "instance-network",
            "udp",
            "udp-create-socket",
            "tcp",
            "tcp-create-socket",
            "ip-name-lookup",
        ],
    ),
    ("http", &["types", "outgoing-handler"]),
];

/// The interfaces weld links, per WASI package, at any 0.3.x version: the WASI 0.3.0 set wasmtime 48 implements
/// (`wasmtime_wasi::p3`, `wasmtime_wasi_http::p3`). `wasi:clocks/timezone` is unstable in 0.3.0 and not linked;
/// `wasi:cli/types` holds only types and needs nothing.
const PROVIDED_0_3: &[(&str, &[&str])] = &[
    ("cli", CLI),
    ("clocks", &["types", "monotonic-clock", "system-clock"]),
    ("filesystem", &["types", "preopens"]),
    ("random", &["random", "insecure", "insecure-seed"]),
    ("sockets", &["types", "ip-name-lookup"]),
    ("http", &["types", "client"]),
];

/// Whether `name` (`wasi:cli/stdout@0.3.0`) is a WASI 0.3 interface: an import that makes a component run on
/// wasmtime's asynchronous path (a WASI 0.3 host function may only be called from a concurrent call).
/// A pre-release (`0.3.0-rc-2026-03-15`) is not 0.3: wasmtime 48 provides 0.3.0 itself.
pub(crate) fn is_wasi_0_3(name: &str) -> bool {
    wasi_name(name)
        .and_then(|(_, version)| version)
        .and_then(final_release)
        == Some(3)
}

/// A `wasi:PATH@VERSION` name split: the path after `wasi:` and the version, if any; `None` for a name outside
/// `wasi:`.
fn wasi_name(name: &str) -> Option<(&str, Option<&str>)> {
    let rest = name.strip_prefix("wasi:")?;
    Some(match rest.split_once('@') {
        Some((path, version)) => (path, Some(version)),
        None => (rest, None),
    })
}

/// The WASI release `version` is a final version of: `2` for 0.2.x, `3` for 0.3.x; `None` for a pre-release or
/// another version (semver).
fn final_release(version: &str) -> Option<u64> {
    let v = semver::Version::parse(version).ok()?;
    (v.major == 0 && v.pre.is_empty() && (v.minor == 2 || v.minor == 3)).then_some(v.minor)
}

/// An import the host does not provide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingImport {
    /// Its name.
    pub name: String,
    /// Why the host does not provide it.
    pub why: Unprovided,
}

/// Why the host does not provide an import: it links the standard WASI interfaces of final 0.2.x and 0.3.x
/// releases by name ([`host_provides`]), and nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unprovided {
    /// Not a WASI interface: only a component that exports it can provide it.
    NotWasi,
    /// A `wasi:` name that is not one of the standard interfaces; `release` is its WASI release line (`0.2`,
    /// `0.3`) when it has a version.
    NotStandard {
        /// `major.minor` of its version.
        release: Option<String>,
    },
    /// A pre-release of WASI 0.3 (`0.3.0-rc-2026-03-15`), which matches only itself (semver).
    PreRelease {
        /// The version it names.
        version: String,
    },
    /// A release line other than 0.2 and 0.3.
    OtherRelease {
        /// The version it names.
        version: String,
    },
    /// A WASI interface named without a version.
    Unversioned,
}

impl Unprovided {
    /// Whether a component that exports the import could provide it: what is not WASI, or not a standard WASI
    /// interface. The others are WASI versions the host does not speak, which the component is rebuilt for.
    pub fn pluggable(&self) -> bool {
        matches!(self, Unprovided::NotWasi | Unprovided::NotStandard { .. })
    }
}

impl std::fmt::Display for Unprovided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unprovided::NotWasi => write!(
                f,
                "not a WASI interface: only a component that exports it provides it"
            ),
            Unprovided::NotStandard { release: None } => write!(
                f,
                "not one of the standard WASI interfaces the host provides"
            ),
            Unprovided::NotStandard {
                release: Some(release),
            } => write!(
                f,
                "not one of the standard WASI {release} interfaces the host provides"
            ),
            Unprovided::PreRelease { version } => write!(
                f,
                "WASI {version} is a pre-release snapshot of 0.3, which matches only itself; the host provides \
                 the final WASI 0.3.x (0.3.0 and later)"
            ),
            Unprovided::OtherRelease { version } => write!(
                f,
                "the host provides WASI 0.2.x and 0.3.x, and this is WASI {version}"
            ),
            Unprovided::Unversioned => write!(
                f,
                "an unversioned WASI import; the host provides WASI 0.2.x and 0.3.x interfaces by their \
                 versioned names"
            ),
        }
    }
}

/// What the host does about the imports of one component.
pub(crate) struct Needs {
    /// Imports nothing provides, with what would.
    pub(crate) missing: Vec<MissingImport>,
    /// Imports of interfaces that hold only types: satisfied by an empty instance, as wasmtime's linker checks
    /// nothing of an instance's type exports (component model: types are structural, they have no definition).
    pub(crate) types_only: Vec<String>,
}

/// What `component` needs of the host: every import weld does not provide, in the component's order, and the
/// types-only ones, which need nothing.
pub(crate) fn needs(engine: &Engine, component: &Component) -> Needs {
    let mut needs = Needs {
        missing: Vec::new(),
        types_only: Vec::new(),
    };
    for (name, item) in component.component_type().imports(engine) {
        let Some(why) = unprovided(name) else {
            continue;
        };
        if holds_only_types(engine, &item.ty) {
            needs.types_only.push(name.to_owned());
        } else {
            needs.missing.push(MissingImport {
                name: name.to_owned(),
                why,
            });
        }
    }
    needs
}

/// Whether `item` is an instance whose exports are all value types (a resource, a function, anything else needs a
/// definition).
fn holds_only_types(engine: &Engine, item: &ComponentItem) -> bool {
    match item {
        ComponentItem::ComponentInstance(instance) => instance
            .exports(engine)
            .all(|(_, export)| matches!(export.ty, ComponentItem::Type(_))),
        _ => false,
    }
}

/// Whether weld's host links the import `name` by its name alone: one of the standard WASI interfaces of
/// [`PROVIDED_0_2`] or [`PROVIDED_0_3`] at a final (not pre-release) 0.2.x or 0.3.x version. wasmtime links any
/// 0.2.x or 0.3.x import to the version it implements (a pre-release matches only itself: semver). Interfaces that
/// hold only types need nothing although this says `false` for those outside the tables (`wasi:cli/types@0.3.0`):
/// that takes the component's types to tell.
pub fn host_provides(name: &str) -> bool {
    let Some((path, Some(version))) = wasi_name(name) else {
        return false;
    };
    let Some((package, interface)) = path.split_once('/') else {
        return false;
    };
    let provided = match final_release(version) {
        Some(2) => PROVIDED_0_2,
        Some(3) => PROVIDED_0_3,
        _ => return false,
    };
    provided
        .iter()
        .any(|(p, interfaces)| *p == package && interfaces.contains(&interface))
}

/// Why `name` is not provided, or `None` when it is.
fn unprovided(name: &str) -> Option<Unprovided> {
    if host_provides(name) {
        return None;
    }
    let Some((path, version)) = wasi_name(name) else {
        return Some(Unprovided::NotWasi);
    };
    if !path.contains('/') {
        return Some(Unprovided::NotStandard { release: None });
    }
    let Some(version) = version else {
        return Some(Unprovided::Unversioned);
    };
    Some(match semver::Version::parse(version) {
        Ok(v) if !v.pre.is_empty() && v.major == 0 && v.minor == 3 => Unprovided::PreRelease {
            version: v.to_string(),
        },
        Ok(v) if v.major == 0 && (v.minor == 2 || v.minor == 3) => Unprovided::NotStandard {
            release: Some(format!("{}.{}", v.major, v.minor)),
        },
        _ => Unprovided::OtherRelease {
            version: version.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::{Unprovided, unprovided};

    #[test]
    fn standard_wasi_at_any_0_2_or_0_3_version_is_provided() {
        for name in [
            "wasi:cli/environment@0.2.0",
            "wasi:io/streams@0.2.12",
            "wasi:io/streams@0.2.99",
            "wasi:http/outgoing-handler@0.2.3",
            "wasi:sockets/tcp@0.2.0",
            "wasi:cli/stdout@0.3.0",
            "wasi:cli/environment@0.3.2",
            "wasi:clocks/system-clock@0.3.0",
            "wasi:filesystem/preopens@0.3.1",
            "wasi:http/client@0.3.0",
        ] {
            assert_eq!(unprovided(name), None, "{name}");
        }
    }

    #[test]
    fn everything_else_says_why() {
        let why = |name| unprovided(name).unwrap();
        assert_eq!(why("weld:examples/greeter@1.0.0"), Unprovided::NotWasi);
        assert_eq!(
            why("wasi:cli/environment@0.4.0"),
            Unprovided::OtherRelease {
                version: "0.4.0".into()
            }
        );
        assert!(matches!(
            why("wasi:cli/environment@0.3.0-rc-2026-03-15"),
            Unprovided::PreRelease { .. }
        ));
        assert!(!why("wasi:cli/environment@0.3.0-rc-2026-03-15").pluggable());
        assert_eq!(
            why("wasi:io/streams@0.3.0"),
            Unprovided::NotStandard {
                release: Some("0.3".into())
            }
        );
        assert!(unprovided("wasi:http/handler@0.3.0").is_some());
        assert!(super::is_wasi_0_3("wasi:cli/stdout@0.3.2"));
        assert!(!super::is_wasi_0_3("wasi:cli/stdout@0.2.9"));
        assert!(!super::is_wasi_0_3("weld:x/y@0.3.0"));
        let keyvalue = why("wasi:keyvalue/store@0.2.0");
        assert!(keyvalue.pluggable());
        assert_eq!(
            keyvalue.to_string(),
            "not one of the standard WASI 0.2 interfaces the host provides"
        );
        assert_eq!(why("wasi:cli/environment"), Unprovided::Unversioned);
        assert_eq!(
            why("wasi:nothing"),
            Unprovided::NotStandard { release: None }
        );
        assert!(unprovided("wasi:http/incoming-handler@0.2.0").is_some());
        for name in [
            "weld:x/y@1.0.0",
            "wasi:cli/environment@0.9.0",
            "wasi:cli/environment",
        ] {
            let text = why(name).to_string();
            assert!(!text.contains("weld ") && !text.contains("--"), "{text}");
        }
    }
}

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
pub(crate) fn is_wasi_0_3(name: &str) -> bool {
    weld_wit::wasi_release(name).as_deref() == Some("0.3")
}

/// An import the host does not provide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingImport {
    /// Its name.
    pub name: String,
    /// What would provide it.
    pub hint: String,
}

/// What the host does about the imports of one component.
pub(crate) struct Needs {
    /// Imports nothing provides, with what would.
    pub(crate) missing: Vec<MissingImport>,
    /// Imports of interfaces that hold only types: satisfied by an empty instance, as wasmtime's linker checks
    /// nothing of an instance's type exports (component model: types are structural, they have no definition).
    pub(crate) types_only: Vec<String>,
}

/// What `component` needs of the host: every import weld does not provide, in the component's order (`file` names
/// the component in the hints), and the types-only ones, which need nothing.
pub(crate) fn needs(engine: &Engine, component: &Component, file: &str) -> Needs {
    let mut needs = Needs {
        missing: Vec::new(),
        types_only: Vec::new(),
    };
    for (name, item) in component.component_type().imports(engine) {
        let Some(hint) = hint(name, file) else {
            continue;
        };
        if holds_only_types(engine, &item.ty) {
            needs.types_only.push(name.to_owned());
        } else {
            needs.missing.push(MissingImport {
                name: name.to_owned(),
                hint,
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
    let Some(rest) = name.strip_prefix("wasi:") else {
        return false;
    };
    let Some((path, version)) = rest.split_once('@') else {
        return false;
    };
    let Some((package, interface)) = path.split_once('/') else {
        return false;
    };
    let provided = match semver::Version::parse(version) {
        Ok(v) if v.pre.is_empty() && v.major == 0 && v.minor == 2 => PROVIDED_0_2,
        Ok(v) if v.pre.is_empty() && v.major == 0 && v.minor == 3 => PROVIDED_0_3,
        _ => return false,
    };
    provided
        .iter()
        .any(|(p, interfaces)| *p == package && interfaces.contains(&interface))
}

/// Why `name` is not provided, or `None` when it is.
fn hint(name: &str, file: &str) -> Option<String> {
    if host_provides(name) {
        return None;
    }
    let plug =
        format!("plug it: weld compose {file} --plug <a component that exports it> -o out.wasm");
    let Some(rest) = name.strip_prefix("wasi:") else {
        return Some(format!(
            "not a WASI interface, so no flag grants it; {plug}"
        ));
    };
    let (path, version) = match rest.split_once('@') {
        Some((path, version)) => (path, Some(version)),
        None => (rest, None),
    };
    if !path.contains('/') {
        return Some(format!(
            "not one of the standard WASI interfaces weld run provides; {plug}"
        ));
    }
    let version = version.and_then(|v| semver::Version::parse(v).ok());
    match version {
        Some(v) if !v.pre.is_empty() && v.major == 0 && v.minor == 3 => Some(format!(
            "WASI {v} is a pre-release snapshot of 0.3, which matches only itself; weld run provides the final \
             WASI 0.3.x (0.3.0 and later): rebuild the component with a toolchain that targets 0.3.0"
        )),
        Some(v) if !(v.major == 0 && (v.minor == 2 || v.minor == 3)) => Some(format!(
            "weld run provides WASI 0.2.x and 0.3.x, and this is WASI {v}; build the component for WASI 0.2 or 0.3"
        )),
        None => Some("an unversioned WASI import; weld run provides WASI 0.2.x and 0.3.x interfaces by their versioned names".into()),
        Some(v) => Some(format!(
            "not one of the standard WASI {}.{} interfaces weld run provides; {plug}",
            v.major, v.minor
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::hint;

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
            assert_eq!(hint(name, "a.wasm"), None, "{name}");
        }
    }

    #[test]
    fn everything_else_says_why() {
        assert!(
            hint("weld:examples/greeter@1.0.0", "app.wasm")
                .unwrap()
                .contains("weld compose app.wasm --plug")
        );
        assert!(
            hint("wasi:cli/environment@0.4.0", "a.wasm")
                .unwrap()
                .contains("WASI 0.4.0")
        );
        assert!(
            hint("wasi:cli/environment@0.3.0-rc-2026-03-15", "a.wasm")
                .unwrap()
                .contains("pre-release")
        );
        assert!(hint("wasi:io/streams@0.3.0", "a.wasm").is_some());
        assert!(hint("wasi:http/handler@0.3.0", "a.wasm").is_some());
        assert!(super::is_wasi_0_3("wasi:cli/stdout@0.3.2"));
        assert!(!super::is_wasi_0_3("wasi:cli/stdout@0.2.9"));
        assert!(!super::is_wasi_0_3("weld:x/y@0.3.0"));
        assert!(
            hint("wasi:keyvalue/store@0.2.0", "a.wasm")
                .unwrap()
                .contains("not one of the standard")
        );
        assert!(
            hint("wasi:cli/environment", "a.wasm")
                .unwrap()
                .contains("unversioned")
        );
        assert!(hint("wasi:http/incoming-handler@0.2.0", "a.wasm").is_some());
    }
}

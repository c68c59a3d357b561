//! The capability summary: which host powers (files, network, environment, ...) a component asks for, derived
//! from what it imports. `weld inspect` shows it; `weld run` will grant or refuse them.

use serde::Serialize;
use std::collections::BTreeMap;
use wit_parser::{Resolve, WorldId, WorldItem};

/// A capability a host can grant or withhold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// Stdin, stdout, stderr and the terminal interfaces.
    Stdio,
    /// Environment variables, arguments and the initial working directory.
    Env,
    /// Wall and monotonic clocks, timers.
    Clocks,
    /// Random numbers.
    Random,
    /// Preopened directories and files.
    Filesystem,
    /// TCP, UDP and IP name lookup.
    Sockets,
    /// Outgoing (or incoming) HTTP.
    Http,
    /// Exiting with a status.
    Exit,
}

impl Capability {
    /// Its name as shown to users: `filesystem`, `sockets`, ...
    pub fn name(self) -> &'static str {
        match self {
            Capability::Stdio => "stdio",
            Capability::Env => "env",
            Capability::Clocks => "clocks",
            Capability::Random => "random",
            Capability::Filesystem => "filesystem",
            Capability::Sockets => "sockets",
            Capability::Http => "http",
            Capability::Exit => "exit",
        }
    }
}

/// What a component needs from its host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Capabilities {
    /// Each capability needed, with the imports that need it.
    pub needs: BTreeMap<Capability, Vec<String>>,
    /// WASI imports that carry no capability of their own (`wasi:io/streams`, ...).
    pub wasi_support: Vec<String>,
    /// Imports that are not WASI: another component (or `weld compose`) must provide them.
    pub other_imports: Vec<String>,
    /// Imports of interfaces that hold only types (no function, no resource), which need nothing: `weld run`
    /// satisfies them with an empty instance, as wasmtime does, and `weld compose` may leave them open.
    pub types_only: Vec<String>,
    /// Every WASI import by the release line it belongs to (`0.2`, `0.3`; `unversioned`), from its version:
    /// real components often import two side by side (a language runtime on 0.2, the app's world on 0.3).
    pub wasi: BTreeMap<String, Vec<String>>,
}

impl Capabilities {
    /// The summary for a world's imports.
    pub fn of_world(resolve: &Resolve, world: WorldId) -> Capabilities {
        let mut caps = Capabilities::default();
        for (key, item) in &resolve.worlds[world].imports {
            let name = resolve.name_world_key(key);
            caps.note_release(&name);
            match item {
                WorldItem::Interface { id, .. } if types_only(resolve, *id) => {
                    caps.types_only.push(name)
                }
                WorldItem::Interface { .. } => caps.add_interface(name),
                WorldItem::Function(_) => caps.other_imports.push(name),
                WorldItem::Type { .. } => {}
            }
        }
        caps.demote_rootless();
        caps
    }

    /// The summary for a core module's imports `(module, name)`, reading `wasi_snapshot_preview1` functions.
    pub fn of_core_imports<'a>(
        imports: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Capabilities {
        let mut caps = Capabilities::default();
        for (module, name) in imports {
            let qualified = format!("{module}::{name}");
            if !is_preview1(module) {
                caps.other_imports.push(qualified);
                continue;
            }
            match preview1_capability(name) {
                Some(cap) => caps.needs.entry(cap).or_default().push(qualified),
                None => caps.wasi_support.push(qualified),
            }
        }
        caps
    }

    /// The summary for a component's own imports `(name, kind)` as read from its binary (`kind` as in
    /// [`crate::Extern::kind`]: an `instance` is an interface, a `type` needs nothing, anything else must be
    /// provided), for a component whose WIT cannot be read.
    pub fn of_component_imports<'a>(
        imports: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Capabilities {
        let mut caps = Capabilities::default();
        for (name, kind) in imports {
            caps.note_release(name);
            match kind {
                "instance" => caps.add_interface(name.to_owned()),
                "type" => {}
                _ => caps.other_imports.push(name.to_owned()),
            }
        }
        caps.demote_rootless();
        caps
    }

    /// Files the imports of a capability whose authority comes through a root the component does not import as
    /// support: `wasi:filesystem/types` without `preopens`, `wasi:sockets/tcp` without a socket creator or name
    /// lookup, `wasi:http/types` without a way to send a request. Their methods act on handles only a root
    /// hands out, so they grant nothing (this is how `weld virt --deny` leaves a component; Spin's deny
    /// adapter draws the same line).
    fn demote_rootless(&mut self) {
        for cap in [
            Capability::Filesystem,
            Capability::Sockets,
            Capability::Http,
        ] {
            let Some(imports) = self.needs.get(&cap) else {
                continue;
            };
            let rooted = imports.iter().any(|name| {
                let interface = name
                    .split('@')
                    .next()
                    .and_then(|path| path.rsplit_once('/'))
                    .map_or("", |(_, i)| i);
                is_root(cap, interface)
            });
            if !rooted && let Some(imports) = self.needs.remove(&cap) {
                self.wasi_support.extend(imports);
            }
        }
    }

    /// Files a WASI import under its release line.
    fn note_release(&mut self, name: &str) {
        if let Some(release) = wasi_release(name) {
            self.wasi.entry(release).or_default().push(name.to_owned());
        }
    }

    fn add_interface(&mut self, name: String) {
        let Some(rest) = name.strip_prefix("wasi:") else {
            self.other_imports.push(name);
            return;
        };
        let path = rest.split('@').next().unwrap_or(rest);
        let (package, interface) = path.split_once('/').unwrap_or((path, ""));
        match interface_capability(package, interface) {
            Some(cap) => self.needs.entry(cap).or_default().push(name),
            None => self.wasi_support.push(name),
        }
    }

    /// Adds what `other` needs to what this needs.
    pub fn merge(&mut self, other: Capabilities) {
        for (cap, imports) in other.needs {
            self.needs.entry(cap).or_default().extend(imports);
        }
        self.wasi_support.extend(other.wasi_support);
        self.other_imports.extend(other.other_imports);
        self.types_only.extend(other.types_only);
        for (release, imports) in other.wasi {
            self.wasi.entry(release).or_default().extend(imports);
        }
    }

    /// True when the component imports nothing at all (interfaces of types alone included).
    pub fn is_empty(&self) -> bool {
        self.needs.is_empty()
            && self.wasi_support.is_empty()
            && self.other_imports.is_empty()
            && self.types_only.is_empty()
    }
}

/// The WASI release line of `name` (`wasi:cli/stdout@0.3.0` -> `0.3`, a pre-release such as `0.3.0-rc-2026-03-15`
/// -> `0.3.0-rc-2026-03-15`, no version -> `unversioned`), or `None` when it is not a WASI interface.
pub fn wasi_release(name: &str) -> Option<String> {
    let rest = name.strip_prefix("wasi:")?;
    let Some((_, version)) = rest.split_once('@') else {
        return Some("unversioned".to_owned());
    };
    Some(match semver::Version::parse(version) {
        Ok(v) if v.pre.is_empty() => format!("{}.{}", v.major, v.minor),
        _ => version.to_owned(),
    })
}

/// Whether interface `id` holds only types: no function, and no resource among its types.
fn types_only(resolve: &Resolve, id: wit_parser::InterfaceId) -> bool {
    let interface = &resolve.interfaces[id];
    interface.functions.is_empty()
        && interface
            .types
            .values()
            .all(|ty| !matches!(resolve.types[*ty].kind, wit_parser::TypeDefKind::Resource))
}

/// True for the core module names of WASI preview1 (`wasi_snapshot_preview1`, and the older `wasi_unstable`).
pub(crate) fn is_preview1(module: &str) -> bool {
    module == "wasi_snapshot_preview1" || module == "wasi_unstable"
}

/// The capability of the WASI interface `package/interface` (`package` without `wasi:`), if it carries one.
pub fn interface_capability(package: &str, interface: &str) -> Option<Capability> {
    Some(match (package, interface) {
        ("filesystem", _) => Capability::Filesystem,
        ("sockets", _) => Capability::Sockets,
        ("http", _) => Capability::Http,
        ("clocks", _) => Capability::Clocks,
        ("random", _) => Capability::Random,
        ("cli", "environment") => Capability::Env,
        ("cli", "exit") => Capability::Exit,
        ("cli", i) if i.starts_with("std") || i.starts_with("terminal") => Capability::Stdio,
        _ => return None,
    })
}

/// Whether `interface` of a WASI package of `cap` hands out the capability (WASI 0.2 and 0.3 names): for files,
/// sockets and HTTP, the interfaces the authority comes through (`preopens`, the socket creators and name
/// lookup, 0.3's `types`, `outgoing-handler`, 0.3's `client` and an imported `handler`); the others of those
/// packages hold types and methods on handles only a root hands out. Every interface of the other capabilities
/// is a root. The line is the one Spin's deny adapter draws (`spinframework/spin:crates/capabilities`).
pub fn is_root(cap: Capability, interface: &str) -> bool {
    match cap {
        Capability::Filesystem => interface == "preopens",
        Capability::Sockets => matches!(
            interface,
            "tcp-create-socket" | "udp-create-socket" | "ip-name-lookup" | "types"
        ),
        Capability::Http => matches!(interface, "outgoing-handler" | "client" | "handler"),
        _ => true,
    }
}

fn preview1_capability(name: &str) -> Option<Capability> {
    Some(match name {
        n if n.starts_with("path_") || n.starts_with("fd_prestat") || n == "fd_readdir" => {
            Capability::Filesystem
        }
        n if n.starts_with("fd_") => Capability::Stdio,
        n if n.starts_with("environ_") || n.starts_with("args_") => Capability::Env,
        n if n.starts_with("clock_") || n == "poll_oneoff" => Capability::Clocks,
        "random_get" => Capability::Random,
        n if n.starts_with("sock_") => Capability::Sockets,
        "proc_exit" | "proc_raise" => Capability::Exit,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WitSource;

    #[test]
    fn world_imports_map_to_capabilities() {
        let src = WitSource::from_wit_text(
            "t.wit",
            "package a:b;
             package wasi:cli@0.2.0 { interface environment { get-environment: func() -> list<tuple<string, string>>; }
                                      interface stdout { get: func(); } }
             package wasi:io@0.2.0 { interface streams { f: func(); } }
             package wasi:filesystem@0.2.0 { interface preopens { f: func(); } }
             package x:y { interface greeter { greet: func(); } interface units { enum unit { mm, cm } } }
             world w { import wasi:cli/environment@0.2.0; import wasi:cli/stdout@0.2.0; import wasi:io/streams@0.2.0;
                       import wasi:filesystem/preopens@0.2.0; import x:y/greeter; import log: func();
                       import x:y/units; }",
        )
        .unwrap();
        let world = src.resolve.select_world(&[src.package], Some("w")).unwrap();
        let caps = Capabilities::of_world(&src.resolve, world);
        assert_eq!(
            caps.needs.keys().copied().collect::<Vec<_>>(),
            [Capability::Stdio, Capability::Env, Capability::Filesystem]
        );
        assert_eq!(caps.wasi_support, ["wasi:io/streams@0.2.0"]);
        assert_eq!(caps.other_imports, ["x:y/greeter", "log"]);
        assert_eq!(caps.types_only, ["x:y/units"]);
    }

    #[test]
    fn component_imports_read_from_the_binary_map_to_capabilities() {
        let caps = Capabilities::of_component_imports([
            ("wasi:cli/stdout@0.2.0", "instance"),
            ("wasi:io/streams@0.2.0", "instance"),
            ("base", "instance"),
            ("id", "type"),
            ("log", "func"),
        ]);
        assert_eq!(caps.needs[&Capability::Stdio], ["wasi:cli/stdout@0.2.0"]);
        assert_eq!(caps.wasi_support, ["wasi:io/streams@0.2.0"]);
        assert_eq!(caps.other_imports, ["base", "log"]);
        assert_eq!(caps.wasi["0.2"].len(), 2);
    }

    #[test]
    fn wasi_0_2_and_0_3_imports_are_told_apart() {
        let caps = Capabilities::of_component_imports([
            ("wasi:cli/stdout@0.2.9", "instance"),
            ("wasi:cli/stdout@0.3.0", "instance"),
            ("wasi:cli/environment@0.3.2", "instance"),
            ("wasi:filesystem/types@0.3.0-rc-2026-03-15", "instance"),
        ]);
        assert_eq!(
            caps.needs[&Capability::Stdio],
            ["wasi:cli/stdout@0.2.9", "wasi:cli/stdout@0.3.0"]
        );
        assert_eq!(caps.needs[&Capability::Env], ["wasi:cli/environment@0.3.2"]);
        assert_eq!(caps.wasi["0.2"], ["wasi:cli/stdout@0.2.9"]);
        assert_eq!(
            caps.wasi["0.3"],
            ["wasi:cli/stdout@0.3.0", "wasi:cli/environment@0.3.2"]
        );
        assert_eq!(
            caps.wasi["0.3.0-rc-2026-03-15"],
            ["wasi:filesystem/types@0.3.0-rc-2026-03-15"]
        );
        assert_eq!(wasi_release("x:y/z@1.0.0"), None);
        assert_eq!(
            wasi_release("wasi:cli/stdout").as_deref(),
            Some("unversioned")
        );
    }

    #[test]
    fn preview1_imports_map_to_capabilities() {
        let caps = Capabilities::of_core_imports([
            ("wasi_snapshot_preview1", "fd_write"),
            ("wasi_snapshot_preview1", "path_open"),
            ("wasi_snapshot_preview1", "sched_yield"),
            ("env", "host_log"),
        ]);
        assert_eq!(
            caps.needs[&Capability::Stdio],
            ["wasi_snapshot_preview1::fd_write"]
        );
        assert_eq!(
            caps.needs[&Capability::Filesystem],
            ["wasi_snapshot_preview1::path_open"]
        );
        assert_eq!(caps.wasi_support, ["wasi_snapshot_preview1::sched_yield"]);
        assert_eq!(caps.other_imports, ["env::host_log"]);
    }
}

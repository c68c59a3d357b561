//! The WASI families `weld virt` decides inside a component, and which of their interfaces it provides.

use serde::{Deserialize, Serialize};

/// A family of WASI interfaces, by package (and, in `wasi:cli`, by interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// `wasi:filesystem`.
    Filesystem,
    /// `wasi:sockets`.
    Sockets,
    /// Outgoing `wasi:http` (`outgoing-handler`).
    Http,
    /// `wasi:config`.
    Config,
    /// `wasi:cli/environment`.
    Env,
    /// `wasi:clocks`.
    Clocks,
    /// `wasi:random`.
    Random,
    /// `wasi:cli` standard streams and terminals.
    Stdio,
    /// `wasi:cli/exit`.
    Exit,
    /// `wasi:io` (streams, polling, errors).
    Io,
}

/// How a family can be decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Every call answers with the error (or the empty answer) a host gives a guest it has not granted.
    Deny,
    /// Every call traps.
    Stub,
}

impl Family {
    /// Every family, in the order policies list them.
    pub const ALL: [Family; 10] = [
        Family::Filesystem,
        Family::Sockets,
        Family::Http,
        Family::Config,
        Family::Env,
        Family::Clocks,
        Family::Random,
        Family::Stdio,
        Family::Exit,
        Family::Io,
    ];

    /// Its name: `filesystem`, `sockets`, ... (as `weld inspect` names capabilities).
    pub fn name(self) -> &'static str {
        match self {
            Family::Filesystem => "filesystem",
            Family::Sockets => "sockets",
            Family::Http => "http",
            Family::Config => "config",
            Family::Env => "env",
            Family::Clocks => "clocks",
            Family::Random => "random",
            Family::Stdio => "stdio",
            Family::Exit => "exit",
            Family::Io => "io",
        }
    }

    /// The family named `text`: its name, its WASI package (`wasi:filesystem`) or one of its interfaces
    /// (`wasi:cli/environment`, `wasi:cli/stdin`, `wasi:clocks/wall-clock`), with or without a version.
    pub fn parse(text: &str) -> Option<Family> {
        let bare = text.strip_prefix("wasi:").unwrap_or(text);
        let bare = bare.split('@').next().unwrap_or(bare);
        Family::ALL
            .into_iter()
            .find(|f| f.name() == bare)
            .or_else(|| {
                let (package, interface) = bare.split_once('/')?;
                Family::of_interface(package, interface)
            })
    }

    /// How the family can be decided: the families whose root calls have an error case (or an empty answer) are
    /// denied; the others, with no way to say no, can only trap. The environment is fixed, not decided.
    pub fn decision(self) -> Option<Decision> {
        match self {
            Family::Filesystem | Family::Sockets | Family::Http | Family::Config => {
                Some(Decision::Deny)
            }
            Family::Clocks | Family::Random | Family::Stdio | Family::Exit | Family::Io => {
                Some(Decision::Stub)
            }
            Family::Env => None,
        }
    }

    /// The family of the WASI interface `package/interface` (`package` without `wasi:`).
    pub(super) fn of_interface(package: &str, interface: &str) -> Option<Family> {
        Some(match (package, interface) {
            ("filesystem", _) => Family::Filesystem,
            ("sockets", _) => Family::Sockets,
            ("http", _) => Family::Http,
            ("config", _) => Family::Config,
            ("clocks", _) => Family::Clocks,
            ("random", _) => Family::Random,
            ("io", _) => Family::Io,
            ("cli", "environment") => Family::Env,
            ("cli", "exit") => Family::Exit,
            ("cli", i) if i.starts_with("std") || i.starts_with("terminal") => Family::Stdio,
            _ => return None,
        })
    }

    /// Whether `interface` is one a denied family's authority comes through: the ones `weld virt` provides when
    /// it denies the family. The others only hold types and methods on handles that only a root hands out
    /// (`wasi:filesystem/types`, `wasi:sockets/tcp`, `wasi:http/types`), so they may stay imported. The
    /// capability roots are those of Spin's deny adapter (`spinframework/spin:crates/capabilities`), with WASI
    /// 0.3's: `wasi:sockets/types` (its sockets are made by `tcp-socket.create`), `wasi:http/client` and an
    /// imported `wasi:http/handler` (both send requests).
    pub(super) fn is_root(self, interface: &str) -> bool {
        match self {
            Family::Filesystem => interface == "preopens",
            Family::Sockets => matches!(
                interface,
                "tcp-create-socket" | "udp-create-socket" | "ip-name-lookup" | "types"
            ),
            Family::Http => matches!(interface, "outgoing-handler" | "client" | "handler"),
            Family::Env => interface == "environment",
            _ => true,
        }
    }

    /// The case of the family's error type that says the guest may not (`error-code.access` of
    /// `wasi:filesystem/types`, `access-denied` of `wasi:sockets/network`, `HTTP-request-denied` of
    /// `wasi:http/types`); what `weld run` answers a guest it has not granted.
    pub(super) fn denied_case(self) -> Option<&'static str> {
        match self {
            Family::Filesystem => Some("access"),
            Family::Sockets => Some("access-denied"),
            Family::Http => Some("HTTP-request-denied"),
            _ => None,
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_named_as_inspect_names_them_or_by_package() {
        assert_eq!(Family::parse("filesystem"), Some(Family::Filesystem));
        assert_eq!(Family::parse("wasi:sockets"), Some(Family::Sockets));
        assert_eq!(Family::parse("wasi:http@0.2.3"), Some(Family::Http));
        assert_eq!(Family::parse("wasi:cli/environment"), Some(Family::Env));
        assert_eq!(Family::parse("wasi:cli/stdin@0.2.3"), Some(Family::Stdio));
        assert_eq!(
            Family::parse("wasi:clocks/wall-clock"),
            Some(Family::Clocks)
        );
        assert_eq!(Family::parse("disk"), None);
        for family in Family::ALL {
            assert_eq!(Family::parse(family.name()), Some(family));
        }
    }
}

//! The WASI families `weld virt` decides inside a component, and which of their interfaces it provides.

use serde::{Deserialize, Serialize};
use weld_wit::Capability;

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

    /// The family of the WASI interface `package/interface` (`package` without `wasi:`): the capability
    /// `weld inspect` gives it, or `wasi:config` and `wasi:io`, which carry none of their own there.
    pub(super) fn of_interface(package: &str, interface: &str) -> Option<Family> {
        match package {
            "config" => Some(Family::Config),
            "io" => Some(Family::Io),
            _ => weld_wit::interface_capability(package, interface).map(Family::from),
        }
    }

    /// Whether `interface` is one a denied family's authority comes through: the ones `weld virt` provides when
    /// it denies the family (`weld_wit::is_root`: `preopens`, the socket creators and name lookup, 0.3's
    /// `wasi:sockets/types`, `outgoing-handler`, 0.3's `wasi:http/client` and an imported `handler`). The
    /// others only hold types and methods on handles that only a root hands out, so they may stay imported.
    pub(super) fn is_root(self, interface: &str) -> bool {
        self.capability()
            .is_none_or(|cap| weld_wit::is_root(cap, interface))
    }

    /// The capability `weld inspect` names the family by, if it has one.
    fn capability(self) -> Option<Capability> {
        Some(match self {
            Family::Filesystem => Capability::Filesystem,
            Family::Sockets => Capability::Sockets,
            Family::Http => Capability::Http,
            Family::Env => Capability::Env,
            Family::Clocks => Capability::Clocks,
            Family::Random => Capability::Random,
            Family::Stdio => Capability::Stdio,
            Family::Exit => Capability::Exit,
            Family::Config | Family::Io => return None,
        })
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

impl From<Capability> for Family {
    fn from(cap: Capability) -> Family {
        match cap {
            Capability::Filesystem => Family::Filesystem,
            Capability::Sockets => Family::Sockets,
            Capability::Http => Family::Http,
            Capability::Env => Family::Env,
            Capability::Clocks => Family::Clocks,
            Capability::Random => Family::Random,
            Capability::Stdio => Family::Stdio,
            Capability::Exit => Family::Exit,
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

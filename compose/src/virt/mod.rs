//! Capabilities decided inside a component, at build time: [`virtualize`] plugs the component's WASI imports
//! that a [`Policy`] names with a provider generated from those very imports, so that no later host can grant
//! them.
//!
//! - **Deny** (`filesystem`, `sockets`, outgoing `http`, `config`): every call answers as `weld run` answers a
//!   guest it has not granted: no preopened directory, `access-denied`, `HTTP-request-denied`, no such key.
//!   Only the family's roots are provided (`wasi:filesystem/preopens`, the socket creators and name lookup,
//!   `wasi:http/outgoing-handler`); the interfaces of types and of methods on handles only a root hands out stay
//!   imported, harmless.
//! - **Stub** (`clocks`, `random`, `stdio`, `exit`, `io`): every call traps, naming the function and saying it
//!   was stubbed; for families with no way to say no, so that a component can import nothing at all.
//! - **Environment**: `wasi:cli/environment` answers with fixed variables; arguments and the working directory
//!   still come from the host unless fixed too.
//!
//! Providers are generated from the component's own WIT (any WASI 0.2 minor version, no prebuilt binary), then
//! plugged by weld's composition. It fails closed: if an import of a denied or stubbed family is still open in
//! the result, [`virtualize`] returns [`VirtError::LeftOpen`] and nothing. The policy is recorded in a custom
//! section ([`POLICY_SECTION`]) that [`Policy::from_section`] reads back. See docs/commands/virt.md.

mod family;
mod layout;
mod module;
mod provider;

pub use family::{Decision, Family};

use crate::{Component, ComposeError, Composition, Options, compose};
use provider::role_of;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use weld_wit::{BoxError, WitSource};

/// The name of the custom section that records a [`Policy`], as JSON.
pub const POLICY_SECTION: &str = "weld-virt-policy";

/// What to decide inside a component.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Policy {
    /// Families whose calls answer as an ungranted host would (each [`Decision::Deny`]).
    pub deny: BTreeSet<Family>,
    /// Families whose calls trap (each [`Decision::Stub`]).
    pub stub: BTreeSet<Family>,
    /// The environment variables the component sees, whatever the host grants, in order. In the section only
    /// their names are kept... see [`Policy::recorded`].
    pub env: Option<Vec<(String, String)>>,
    /// The arguments the component sees (the working directory is then none); `None`: the host's.
    pub args: Option<Vec<String>>,
}

/// A policy as recorded in the result: the families, and the names (not the values) of the variables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Recorded {
    /// Families denied.
    pub deny: Vec<Family>,
    /// Families stubbed.
    pub stub: Vec<Family>,
    /// Names of the fixed variables, when the environment is fixed.
    pub env: Option<Vec<String>>,
    /// Whether the arguments are fixed.
    pub args_fixed: bool,
}

impl Policy {
    /// Whether it decides nothing.
    pub fn is_empty(&self) -> bool {
        self.deny.is_empty() && self.stub.is_empty() && self.env.is_none() && self.args.is_none()
    }

    /// What the result records of it: values of variables and arguments stay out of the section (they are in
    /// the provider's data all the same: a policy is no place for secrets).
    pub fn recorded(&self) -> Recorded {
        Recorded {
            deny: self.deny.iter().copied().collect(),
            stub: self.stub.iter().copied().collect(),
            env: self
                .env
                .as_ref()
                .map(|vars| vars.iter().map(|(k, _)| k.clone()).collect()),
            args_fixed: self.args.is_some(),
        }
    }

    /// Reads the policies recorded in [`POLICY_SECTION`] custom sections of a component, or of components
    /// inside it (one per `virtualize` each went through), in the order they appear. Sections that do not parse
    /// are skipped.
    pub fn from_section(component: &[u8]) -> Vec<Recorded> {
        wasmparser::Parser::new(0)
            .parse_all(component)
            .map_while(Result::ok)
            .filter_map(|payload| match payload {
                wasmparser::Payload::CustomSection(section) if section.name() == POLICY_SECTION => {
                    serde_json::from_slice(section.data()).ok()
                }
                _ => None,
            })
            .collect()
    }
}

/// Why a component could not be virtualized.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VirtError {
    /// A family was asked for in a way it cannot be decided (`clocks` denied: it has no error case).
    #[error("{family} cannot be {}: {}", if *.asked == Decision::Deny { "denied" } else { "stubbed" }, match .can {
        Some(Decision::Deny) => "its calls can say no, so it is denied, not stubbed",
        Some(Decision::Stub) => "its calls have no way to say no, so it can only be stubbed (every call traps)",
        None => "its values are fixed instead",
    })]
    Unsupported {
        /// The family.
        family: Family,
        /// What was asked.
        asked: Decision,
        /// What the family allows.
        can: Option<Decision>,
    },
    /// The component is not one weld can read the world of.
    #[error("cannot read the world of `{label}`")]
    World {
        /// The input.
        label: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// An import the policy does not decide uses an interface it does: the import cannot stay with the host while
    /// its types come from the provider.
    #[error(
        "`{import}` uses `{uses}`, which the policy decides, so it cannot stay with the host: decide {} too",
        match .family { Some(f) => format!("its family, {f},"), None => "it".to_owned() }
    )]
    Entangled {
        /// The import left out.
        import: String,
        /// Its family, when it has one.
        family: Option<Family>,
        /// The decided interface it uses.
        uses: String,
    },
    /// The environment was already fixed inside the component by an earlier `virtualize`: that provider answers
    /// first, so fixing it again would have no effect.
    #[error(
        "the environment was already fixed inside it by an earlier weld virt, whose values the component keeps \
         seeing; virtualize the original component instead"
    )]
    AlreadyFixed,
    /// A decided import has async functions (WASI 0.3 `wasi:sockets/types`, `wasi:http/client`): providers for
    /// them cannot be generated yet.
    #[error(
        "`{import}` has async functions (WASI 0.3), which weld virt cannot provide yet; it provides synchronous \
         interfaces (every WASI 0.2 one, and 0.3's preopens and environment)"
    )]
    Async {
        /// The import.
        import: String,
    },
    /// The generated provider did not encode: a weld bug.
    #[error("the generated provider is not a valid component (a weld bug)")]
    Provider(#[source] BoxError),
    /// Plugging the provider failed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// Fail closed: imports of a denied or stubbed family are still open in the result.
    #[error("the result still imports {}: it would reach the host, so nothing was made", .imports.join(", "))]
    LeftOpen {
        /// The imports, by name.
        imports: Vec<String>,
    },
}

/// A virtualized component.
pub struct Virtualized {
    /// The component with its provider plugged in; `None` when the policy decides none of its imports (then
    /// the result is the input, unchanged).
    pub composition: Option<Composition>,
    input: Vec<u8>,
    /// Each import now provided inside, with the family and what its calls do.
    pub provided: Vec<Provided>,
    /// Families the policy names that the component does not import: nothing to do for them.
    pub untouched: Vec<Family>,
    section: Vec<u8>,
}

/// One import decided inside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Provided {
    /// The import (`wasi:filesystem/preopens@0.2.3`).
    pub import: String,
    /// Its family.
    pub family: Family,
    /// What its calls do: `denied`, `stubbed`, `fixed`.
    pub does: &'static str,
}

impl Virtualized {
    /// The bytes in order: the composition's pieces, then the policy section.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let body: Box<dyn Iterator<Item = &[u8]>> = match &self.composition {
            Some(composition) => Box::new(composition.pieces()),
            None => Box::new(std::iter::once(self.input.as_slice())),
        };
        body.chain(std::iter::once(self.section.as_slice()))
    }

    /// The component's size in bytes.
    pub fn size(&self) -> u64 {
        self.pieces().map(|piece| piece.len() as u64).sum()
    }

    /// The whole component in one buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.pieces().flatten().copied().collect()
    }

    /// Writes the component to `out`, piece by piece.
    ///
    /// # Errors
    /// What `out` returns.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.pieces().try_for_each(|piece| out.write_all(piece))
    }
}

/// Checks that each family of `policy` is asked for in a way it can be decided.
///
/// # Errors
/// [`VirtError::Unsupported`].
pub fn check_policy(policy: &Policy) -> Result<(), VirtError> {
    let asked = policy
        .deny
        .iter()
        .map(|f| (*f, Decision::Deny))
        .chain(policy.stub.iter().map(|f| (*f, Decision::Stub)));
    for (family, asked) in asked {
        let can = family.decision();
        if can != Some(asked) {
            return Err(VirtError::Unsupported { family, asked, can });
        }
    }
    Ok(())
}

/// Decides `policy` inside `component`: generates the provider from its imports, plugs it, checks that no
/// import of a denied or stubbed family is left, and records the policy. A policy that decides none of the
/// component's imports gives the input back unchanged (so running it twice changes nothing more).
///
/// # Errors
/// [`VirtError`]: a family asked for in a way it cannot be decided, an unreadable world, an import entangled
/// with a decided one, a WASI 0.3 import, an import left open (fail closed), or the composition's own errors.
pub fn virtualize(component: Component, policy: &Policy) -> Result<Virtualized, VirtError> {
    check_policy(policy)?;
    let (source, world) = world_of(&component)?;
    let resolve = &source.resolve;
    let fixes_env = policy.env.is_some() || policy.args.is_some();
    if fixes_env
        && Policy::from_section(&component.bytes)
            .iter()
            .any(|recorded| recorded.env.is_some() || recorded.args_fixed)
    {
        return Err(VirtError::AlreadyFixed);
    }
    // The families the policy finds something to decide in (a denied family's roots, any stubbed import).
    let imported: BTreeSet<Family> = resolve.worlds[world]
        .imports
        .values()
        .filter_map(|item| match item {
            wit_parser::WorldItem::Interface { id, .. } => {
                Some(role_of(resolve, *id, policy)?.family())
            }
            _ => None,
        })
        .collect();
    let named: BTreeSet<Family> = policy
        .deny
        .iter()
        .chain(&policy.stub)
        .copied()
        .chain(fixes_env.then_some(Family::Env))
        .collect();
    let untouched = named.difference(&imported).copied().collect();
    let provider = provider::provider(resolve, world, policy)?;
    let (composition, input, provided) = match provider {
        Some(provider) => {
            let plug = Component::new("weld-virt-provider.wasm", provider.component);
            let composition = compose(component, vec![plug], &Options::default())?;
            let provided = provider
                .provides
                .into_iter()
                .map(|(import, role)| Provided {
                    import,
                    family: role.family(),
                    does: role.does(),
                })
                .collect();
            (Some(composition), Vec::new(), provided)
        }
        None => (None, component.bytes, Vec::new()),
    };
    let open: Vec<String> = match &composition {
        Some(composition) => composition.report.imports.clone(),
        None => resolve.worlds[world]
            .imports
            .keys()
            .map(|key| resolve.name_world_key(key))
            .collect(),
    };
    let left: Vec<String> = open
        .into_iter()
        .filter(|name| still_reaches_host(name, policy))
        .collect();
    if !left.is_empty() {
        return Err(VirtError::LeftOpen { imports: left });
    }
    // Nothing decided, nothing recorded: the result is the input, so running it again changes nothing.
    let section = if composition.is_some() {
        policy_section(policy)
    } else {
        Vec::new()
    };
    Ok(Virtualized {
        composition,
        input,
        provided,
        untouched,
        section,
    })
}

/// The provider [`virtualize`] would plug into `component` for `policy`, alone: a component that exports the
/// decided interfaces under the component's own import names (to inspect, or to compose by hand). `None` when
/// the policy decides none of the component's imports.
///
/// # Errors
/// As [`virtualize`], except that nothing is plugged, so nothing is checked for being left open.
pub fn provider(component: &Component, policy: &Policy) -> Result<Option<Vec<u8>>, VirtError> {
    check_policy(policy)?;
    let (source, world) = world_of(component)?;
    Ok(provider::provider(&source.resolve, world, policy)?.map(|p| p.component))
}

/// The component's world, decoded.
///
/// # Errors
/// [`VirtError::World`]: not a component (a core module, a WIT package), or its world cannot be read.
fn world_of(component: &Component) -> Result<(WitSource, wit_parser::WorldId), VirtError> {
    if !wasmparser::Parser::is_component(&component.bytes) {
        return Err(VirtError::World {
            label: component.label.clone(),
            source: "it is not a component (a core module, or not WebAssembly): make it one first \
                     (`wasm-tools component new`, or the toolchain's own step)"
                .into(),
        });
    }
    let path = std::path::Path::new(&component.label);
    let source = WitSource::from_binary(path, &component.bytes).map_err(|e| VirtError::World {
        label: component.label.clone(),
        source: Box::new(e),
    })?;
    let world = source.world.ok_or_else(|| VirtError::World {
        label: component.label.clone(),
        source: "it has no world (a WIT package, not a component)".into(),
    })?;
    Ok((source, world))
}

/// Whether the open import `name` belongs to a family the policy denies (a root) or stubs.
fn still_reaches_host(name: &str, policy: &Policy) -> bool {
    let Some(rest) = name.strip_prefix("wasi:") else {
        return false;
    };
    let path = rest.split('@').next().unwrap_or(rest);
    let Some((package, interface)) = path.split_once('/') else {
        return false;
    };
    match Family::of_interface(package, interface) {
        Some(family) if policy.stub.contains(&family) => true,
        Some(family) => policy.deny.contains(&family) && family.is_root(interface),
        None => false,
    }
}

/// The policy's custom section, encoded (id 0, the name, the JSON of [`Policy::recorded`]).
fn policy_section(policy: &Policy) -> Vec<u8> {
    use wasm_encoder::Encode;
    let json = serde_json::to_vec(&policy.recorded()).unwrap_or_default();
    let section = wasm_encoder::CustomSection {
        name: POLICY_SECTION.into(),
        data: json.into(),
    };
    let mut bytes = Vec::new();
    wasm_encoder::ComponentSectionId::CoreCustom.encode(&mut bytes);
    section.encode(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_root_of_a_denied_family_or_any_import_of_a_stubbed_one_fails_closed() {
        let policy = Policy {
            deny: [Family::Filesystem, Family::Sockets].into(),
            stub: [Family::Clocks].into(),
            ..Policy::default()
        };
        for open in [
            "wasi:filesystem/preopens@0.2.0",
            "wasi:sockets/ip-name-lookup@0.2.12",
            "wasi:clocks/wall-clock@0.2.3",
            "wasi:clocks/monotonic-clock",
        ] {
            assert!(still_reaches_host(open, &policy), "{open}");
        }
        for harmless in [
            "wasi:filesystem/types@0.2.0",
            "wasi:sockets/tcp@0.2.0",
            "wasi:http/outgoing-handler@0.2.0",
            "weld:examples/greeter@1.0.0",
        ] {
            assert!(!still_reaches_host(harmless, &policy), "{harmless}");
        }
    }

    #[test]
    fn the_recorded_policy_keeps_the_names_of_variables_never_their_values() {
        let policy = Policy {
            env: Some(vec![("TOKEN".into(), "s3cret".into())]),
            ..Policy::default()
        };
        let section = policy_section(&policy);
        assert!(!section.windows(6).any(|w| w == b"s3cret"));
        let mut component = wat::parse_str("(component)").unwrap();
        component.extend(section);
        let recorded = Policy::from_section(&component);
        assert_eq!(recorded.len(), 1);
        assert_eq!(recorded[0].env, Some(vec!["TOKEN".to_owned()]));
    }
}

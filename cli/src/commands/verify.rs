//! `weld verify REF --key PUB`: which signatures a component in a registry has, and which verify.

use crate::input::Target;
use crate::output;
use crate::registry::RegistryOpts;
use crate::report::{DIM, ERROR, GOOD};
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use weld_registry_client::Verdict;

/// Check the cosign signatures of a component in an OCI registry: resolve the reference to its manifest digest,
/// read the signatures stored under `sha256-<hex>.sig`, and say for each whether a given key verifies it and
/// whether it signs that digest. Reads signatures made by `weld sign` and by `cosign sign --key`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld verify localhost:5000/demo/hello:1.0 --key weld.pub
  weld verify ghcr.io/me/app@sha256:<digest> --key alice.pub --key bob.pub --json

Without --key, the keys of WELD_VERIFY_KEYS are used.

Exit status: 0 if a key verifies a signature of the component, 1 if none does (or the registry fails),
2 on bad usage.")]
pub struct Opts {
    /// What to verify: `host[:port]/repository[:tag]` or `...@sha256:<digest>`, with or without `oci://`; or
    /// `oci:DIR[:TAG]` in an OCI image layout.
    #[arg(value_parser = crate::input::target)]
    pub reference: Target,
    /// A trusted public key (PEM, ECDSA P-256), as `weld key generate` or `cosign generate-key-pair` writes it;
    /// repeatable.
    #[arg(long = "key", value_name = "FILE")]
    pub keys: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Report {
    reference: String,
    digest: String,
    signature: String,
    verified: bool,
    signatures: Vec<Signature>,
}

/// One signature in `--json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Signature {
    payload: String,
    /// `verified`, `no-trusted-key`, `other-digest` or `malformed`.
    verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
}

impl Opts {
    /// Runs `weld verify`.
    pub fn run(self) -> Result<ExitCode> {
        // The keys given (`--key`, or `--verify-key` as on other commands), else those of WELD_VERIFY_KEYS.
        let mut keys = crate::keys::read_all(&self.keys, "--key")?;
        keys.extend(crate::keys::read_all(
            &self.registry.verify_keys,
            "--verify-key",
        )?);
        if keys.is_empty() {
            keys = crate::keys::read_all(&crate::keys::from_env()?, crate::keys::VERIFY_KEYS_VAR)?;
        }
        if keys.is_empty() {
            return Err(crate::report::usage(
                "verify",
                format!(
                    "no key to verify with: give --key FILE, or set {}",
                    crate::keys::VERIFY_KEYS_VAR
                ),
            ));
        }
        let session = self.registry.connection()?;
        let public: Vec<_> = keys.iter().map(|(_, k)| k.clone()).collect();
        let verification = match &self.reference {
            Target::Registry(reference) => session.verify(reference, &public)?,
            Target::Layout(reference) => session.verify_in_layout(reference, &public)?,
        };
        let signatures: Vec<Signature> = verification
            .signatures
            .iter()
            .map(|found| {
                let mut s = Signature {
                    payload: found.payload_digest.clone(),
                    verdict: "",
                    key: None,
                    key_id: None,
                    signed_digest: None,
                    why: None,
                };
                match &found.verdict {
                    Verdict::Verified { key, key_id } => {
                        s.verdict = "verified";
                        s.key = Some(keys[*key].0.clone());
                        s.key_id = Some(key_id.clone());
                    }
                    Verdict::NoTrustedKey => s.verdict = "no-trusted-key",
                    Verdict::OtherDigest { signed } => {
                        s.verdict = "other-digest";
                        s.signed_digest = Some(signed.clone());
                    }
                    Verdict::Malformed { why } => {
                        s.verdict = "malformed";
                        s.why = Some(why.clone());
                    }
                }
                s
            })
            .collect();
        let verified = verification.verified().is_some();
        if self.json {
            output::print_json(&Report {
                reference: verification.reference.clone(),
                digest: verification.manifest_digest.clone(),
                signature: verification.signature_reference.to_string(),
                verified,
                signatures,
            })?;
        } else {
            output::print(&human(&verification, &signatures, verified))?;
        }
        Ok(if verified {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// The human report: the digest, one line per signature, the verdict.
fn human(
    verification: &weld_registry_client::Verification,
    signatures: &[Signature],
    verified: bool,
) -> String {
    let mut out = format!(
        "{} {}\n{DIM}signatures at {}{DIM:#}\n",
        verification.reference, verification.manifest_digest, verification.signature_reference
    );
    for s in signatures {
        let detail = match s.verdict {
            "verified" => format!(
                "by key {} ({})",
                s.key_id.as_deref().unwrap_or_default(),
                s.key
                    .as_deref()
                    .unwrap_or_else(|| std::path::Path::new(""))
                    .display()
            ),
            "no-trusted-key" => "no key given verifies it".to_owned(),
            "other-digest" => format!(
                "by a trusted key, but for another manifest: {}",
                s.signed_digest.as_deref().unwrap_or_default()
            ),
            _ => s.why.clone().unwrap_or_default(),
        };
        out.push_str(&format!("  {:<15} {}  {detail}\n", s.verdict, s.payload));
    }
    let count = signatures
        .iter()
        .filter(|s| s.verdict == "verified")
        .count();
    if verified {
        out.push_str(&format!(
            "{GOOD}verified{GOOD:#}: {count} of {}\n",
            crate::units::count(signatures.len(), "signature")
        ));
    } else {
        out.push_str(&format!(
            "{ERROR}not verified{ERROR:#}: {}\n",
            verification.summary()
        ));
    }
    out
}

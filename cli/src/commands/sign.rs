//! `weld sign REF --key KEY`: sign a component in a registry, in cosign's format.

use crate::input::Target;
use crate::output;
use crate::registry::RegistryOpts;
use crate::report::GOOD;
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use weld_registry_client::Signed;

/// Sign a component in an OCI registry the way cosign signs: an ECDSA P-256 signature over cosign's Simple
/// Signing payload (the manifest digest and the repository), stored beside it under the tag `sha256-<hex>.sig`,
/// so `cosign verify --key` and `weld verify` both check it. A tag is resolved to its digest first: the signature
/// is for that exact content.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld key generate                                   writes weld.key and weld.pub
  weld sign localhost:5000/demo/hello:1.0 --key weld.key
  weld push hello.wasm localhost:5000/demo/hello:1.0 --sign weld.key    push and sign at once

An encrypted key's password comes from WELD_KEY_PASSWORD (or COSIGN_PASSWORD, as cosign reads it).
Signatures already there are kept; signing again with the same key adds nothing.

Exit status: 0 once signed, 1 if the key cannot be read or the registry refuses, 2 on bad usage.")]
pub struct Opts {
    /// What to sign: `host[:port]/repository[:tag]` or `...@sha256:<digest>`, with or without `oci://`; or
    /// `oci:DIR[:TAG]` in an OCI image layout, where the signature is stored too.
    #[arg(value_parser = crate::input::target)]
    pub reference: Target,
    /// The private key (PEM: cosign's encrypted key, PKCS#8 or SEC1; ECDSA P-256).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// What `--json` prints for a signing (also under `signature` in `weld push --sign --json`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    reference: String,
    digest: String,
    signature: String,
    key: String,
    added: bool,
    signatures: usize,
}

impl Report {
    /// The report of `signed`, the signing of `reference`.
    pub fn of(reference: &str, signed: &Signed) -> Report {
        Report {
            reference: reference.to_owned(),
            digest: signed.manifest_digest.clone(),
            signature: signed.signature_reference.to_string(),
            key: signed.key_id.clone(),
            added: signed.added,
            signatures: signed.signatures,
        }
    }
}

/// One line saying what was signed, and where the signature is.
pub fn describe(signed: &Signed) -> String {
    let what = if signed.added {
        "signed"
    } else {
        "already signed"
    };
    format!(
        "{GOOD}{what}{GOOD:#} {} with key {}\nsignature: {} ({} in all)\n",
        signed.manifest_digest,
        signed.key_id,
        signed.signature_reference,
        crate::units::count(signed.signatures, "signature")
    )
}

impl Opts {
    /// Runs `weld sign`.
    pub fn run(self) -> Result<ExitCode> {
        if !self.registry.verify_keys.is_empty() {
            return Err(crate::report::usage(
                "sign",
                "--verify-key checks what is pulled; `weld verify REF --key PUB` checks a signature",
            ));
        }
        let key = crate::keys::read_private(&self.key)?;
        let session = self.registry.connection()?;
        let signed = match &self.reference {
            Target::Registry(reference) => session.sign(reference, &key)?,
            Target::Layout(reference) => session.sign_in_layout(reference, &key)?,
        };
        if self.json {
            output::print_json(&Report::of(&self.reference.to_string(), &signed))?;
        } else {
            output::print(&describe(&signed))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

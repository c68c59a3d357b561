//! `weld push FILE REF`: validate a component and publish it to an OCI registry as a Wasm artifact.

use crate::output::{self, human_size};
use crate::registry::RegistryOpts;
use crate::report::GOOD;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use weld_registry_client::{PushOptions, Reference, VERSION};

/// Push a component to an OCI registry in the standard Wasm artifact format (config
/// `application/vnd.wasm.config.v0+json` recording its imports and exports, one `application/wasm` layer), which
/// wkg and oras read too. The component is validated first; the tag is created only once everything is uploaded.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld push hello.wasm localhost:5000/demo/hello:1.0
  weld push app.wasm ghcr.io/me/app:1.2.0 --annotation org.opencontainers.image.source=https://example.com/app
  echo \"$TOKEN\" | weld push app.wasm registry.example.com/team/app:dev --username me --password-stdin

Prints the manifest digest: `REF@<digest>` pulls exactly what was pushed.

Exit status: 0 once pushed, 1 if the file is not a valid component or the registry refuses it, 2 on bad usage.")]
pub struct Opts {
    /// The component to push (`.wasm`, or `.wat` text).
    pub file: PathBuf,
    /// Where to push it: `host[:port]/repository[:tag]` (tag `latest` if none), with or without `oci://`.
    #[arg(value_parser = crate::input::reference)]
    pub reference: Reference,
    /// An annotation of the manifest, `KEY=VALUE` (repeatable).
    #[arg(long = "annotation", short = 'a', value_name = "KEY=VALUE", value_parser = annotation)]
    pub annotations: Vec<(String, String)>,
    /// The version to record (`org.opencontainers.image.version`); by default the tag, if it is a semver version.
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// Sign what was pushed with the private key in FILE, as `weld sign` does (cosign's format).
    #[arg(long, value_name = "FILE")]
    pub sign: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Report {
    reference: String,
    digest: String,
    component_digest: String,
    size: u64,
    uploaded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<crate::commands::sign::Report>,
}

impl Opts {
    /// Runs `weld push`.
    pub fn run(self) -> Result<ExitCode> {
        if self.file.to_str().is_some_and(|f| f.starts_with("oci://")) {
            return Err(crate::report::usage(
                "push",
                format!(
                    "`{}`: push takes a file; to copy a component between registries, `weld pull` it, then \
                     `weld push` the file",
                    self.file.display()
                ),
            ));
        }
        if self.reference.digest.is_some() {
            return Err(crate::report::usage(
                "push",
                format!(
                    "`{}`: push to a tag, not a digest (the digest is what push prints)",
                    self.reference
                ),
            ));
        }
        let reference = Reference {
            tag: Some(self.reference.tag().to_owned()),
            ..self.reference.clone()
        };
        if !self.registry.verify_keys.is_empty() {
            return Err(crate::report::usage(
                "push",
                "--verify-key checks what is pulled; to sign what you push, use --sign KEY",
            ));
        }
        let bytes = weld_wit::read_wasm(&self.file)?;
        // A key that cannot be read stops the push before anything is uploaded.
        let key = self
            .sign
            .as_deref()
            .map(crate::keys::read_private)
            .transpose()?;
        let options = PushOptions {
            created: created()?,
            annotations: self.annotations(&reference),
        };
        let session = self.registry.session()?;
        let pushed = session.push(&self.file, bytes, &reference, options)?;
        let signed = match &key {
            Some(key) => Some(session.sign(
                &Reference {
                    digest: Some(pushed.manifest_digest.clone()),
                    ..reference.clone()
                },
                key,
            )?),
            None => None,
        };
        if self.json {
            output::print_json(&Report {
                reference: reference.to_string(),
                digest: pushed.manifest_digest,
                component_digest: pushed.layer_digest,
                size: pushed.size,
                uploaded: pushed.uploaded,
                signature: signed.as_ref().map(|signed| {
                    crate::commands::sign::Report::of(&reference.to_string(), signed)
                }),
            })?;
        } else {
            let already = if pushed.uploaded {
                ""
            } else {
                ", its bytes were already there"
            };
            output::print(&format!(
                "{GOOD}pushed{GOOD:#} {} ({}{already}) to {reference}\ndigest: {}\n",
                self.file.display(),
                human_size(pushed.size as usize),
                pushed.manifest_digest
            ))?;
            if let Some(signed) = &signed {
                output::print(&crate::commands::sign::describe(signed))?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    fn annotations(&self, reference: &Reference) -> BTreeMap<String, String> {
        let mut annotations = BTreeMap::new();
        let version = self.version.clone().or_else(|| {
            let tag = reference.tag();
            semver::Version::parse(tag.strip_prefix('v').unwrap_or(tag))
                .ok()
                .map(|_| tag.to_owned())
        });
        if let Some(version) = version {
            annotations.insert(VERSION.to_owned(), version);
        }
        annotations.extend(self.annotations.iter().cloned());
        annotations
    }
}

/// clap's value parser for `--annotation KEY=VALUE`: the key non-empty, the value possibly empty.
fn annotation(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE".to_owned()),
    }
}

/// When the artifact is made: now, or `SOURCE_DATE_EPOCH` for reproducible pushes.
fn created() -> Result<SystemTime> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(secs) if !secs.is_empty() => {
            let secs: u64 = secs.trim().parse().map_err(|_| {
                anyhow::anyhow!("SOURCE_DATE_EPOCH=`{secs}`: expected seconds since 1970")
            })?;
            Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        }
        _ => Ok(SystemTime::now()),
    }
}

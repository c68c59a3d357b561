//! `weld push FILE REF`: validate a component and publish it to an OCI registry as a Wasm artifact.

use crate::input::Target;
use crate::output;
use crate::registry::RegistryOpts;
use crate::report::GOOD;
use crate::units::human_size;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use weld_registry_client::layout::LayoutReference;
use weld_registry_client::signing::PrivateKey;
use weld_registry_client::{PushOptions, Pushed, Reference, Registry, Signed, VERSION};

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
    /// Where to push it: `host[:port]/repository[:tag]` (tag `latest` if none), with or without `oci://`; or an
    /// OCI image layout, `oci:DIR[:TAG]` (skopeo's syntax), written offline.
    #[arg(value_parser = crate::input::target)]
    pub reference: Target,
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
#[serde(rename_all = "kebab-case")]
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
        if self.reference.digest().is_some() {
            return Err(crate::report::usage(
                "push",
                format!(
                    "`{}`: push to a tag, not a digest (the digest is what push prints)",
                    self.reference
                ),
            ));
        }
        if !self.registry.verify_keys.is_empty() {
            return Err(crate::report::usage(
                "push",
                "--verify-key checks what is pulled; to sign what you push, use --sign KEY",
            ));
        }
        let bytes = weld_files::read_wasm(&self.file)?;
        // A key that cannot be read stops the push before anything is uploaded.
        let key = self
            .sign
            .as_deref()
            .map(crate::keys::read_private)
            .transpose()?;
        let tag = match &self.reference {
            Target::Registry(r) => r.tag(),
            Target::Layout(r) => r.tag(),
        };
        let options = PushOptions {
            created: created()?,
            annotations: self.annotations(tag),
        };
        let session = self.registry.connection()?;
        let (pushed, signed) = match &self.reference {
            Target::Registry(reference) => {
                self.to_registry(&session, reference, bytes, options, key)?
            }
            Target::Layout(reference) => {
                self.to_layout(&session, reference, bytes, options, key)?
            }
        };
        let reference = &pushed.reference;
        if self.json {
            output::print_json(&Report {
                reference: reference.clone(),
                digest: pushed.manifest_digest.clone(),
                component_digest: pushed.layer_digest.clone(),
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
                human_size(pushed.size),
                pushed.manifest_digest
            ))?;
            if let Some(signed) = &signed {
                output::print(&crate::commands::sign::describe(signed))?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Pushes to a registry, tag `latest` if none, and signs with `key`.
    fn to_registry(
        &self,
        session: &Registry,
        reference: &Reference,
        bytes: Vec<u8>,
        options: PushOptions,
        key: Option<PrivateKey>,
    ) -> Result<(Pushed, Option<Signed>)> {
        let reference = Reference {
            tag: Some(reference.tag().to_owned()),
            ..reference.clone()
        };
        let pushed = session.push(&self.file, bytes, &reference, options)?;
        let signed = match &key {
            Some(key) => Some(session.sign(
                &Reference {
                    digest: Some(pushed.manifest_digest.clone()),
                    ..reference
                },
                key,
            )?),
            None => None,
        };
        Ok((pushed, signed))
    }

    /// Writes to an OCI image layout, tag `latest` if none, and signs there with `key`.
    fn to_layout(
        &self,
        session: &Registry,
        reference: &LayoutReference,
        bytes: Vec<u8>,
        options: PushOptions,
        key: Option<PrivateKey>,
    ) -> Result<(Pushed, Option<Signed>)> {
        let pushed = session.push_to_layout(&self.file, bytes, reference, options)?;
        let signed = match &key {
            Some(key) => Some(session.sign_in_layout(
                &LayoutReference {
                    tag: None,
                    digest: Some(pushed.manifest_digest.clone()),
                    ..reference.clone()
                },
                key,
            )?),
            None => None,
        };
        Ok((pushed, signed))
    }

    fn annotations(&self, tag: &str) -> BTreeMap<String, String> {
        let mut annotations = BTreeMap::new();
        let version = self.version.clone().or_else(|| {
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

//! `weld pull REF`: fetch a component from an OCI registry, verified, into a file.

use crate::input::Target;
use crate::output;
use crate::registry::{RegistryOpts, describe, describe_layout};
use crate::report::GOOD;
use crate::units::human_size;
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use weld_registry_client::PullOrigin;

/// Pull a component from an OCI registry: resolve the tag (or take the digest), check that the artifact is a
/// Wasm component, verify every digest, and write the component atomically. Content is cached by digest, so a
/// pinned reference pulled once needs no network again.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld pull localhost:5000/demo/hello:1.0                 writes hello.wasm
  weld pull ghcr.io/me/app@sha256:<digest> -o app.wasm
  weld pull oci:build/app:1.0 -o app.wasm                 from an OCI image layout

Exit status: 0 once written; 1 if the registry refuses, the artifact is not a component
or a digest does not match (nothing is written then); 2 on bad usage.")]
pub struct Opts {
    /// What to pull: `host[:port]/repository[:tag]` or `...@sha256:<digest>`, with or without `oci://`; or
    /// `oci:DIR[:TAG]`, from an OCI image layout.
    #[arg(value_parser = crate::input::target)]
    pub reference: Target,
    /// Where to write the component; by default `<last part of the repository>.wasm` here.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
    output: PathBuf,
    cached: bool,
}

impl Opts {
    /// Runs `weld pull`.
    pub fn run(self) -> Result<ExitCode> {
        let name = match &self.reference {
            Target::Registry(r) => r.repository.rsplit('/').next().map(str::to_owned),
            Target::Layout(r) => r.dir.file_name().map(|n| n.to_string_lossy().into_owned()),
        };
        let output = self.output.clone().unwrap_or_else(|| {
            PathBuf::from(format!("{}.wasm", name.as_deref().unwrap_or("component")))
        });
        let session = self.registry.session()?;
        let (pulled, said) = match &self.reference {
            Target::Registry(reference) => {
                let pulled = crate::registry::pull(&session, reference)?;
                crate::registry::warn_config(
                    &self.reference.to_string(),
                    &pulled.config_media_type,
                );
                let cached = !matches!(pulled.origin, PullOrigin::Registry { downloaded: true });
                let said = describe(&pulled);
                (
                    (
                        pulled.manifest_digest,
                        pulled.layer_digest,
                        pulled.size,
                        pulled.path,
                        cached,
                    ),
                    said,
                )
            }
            Target::Layout(reference) => {
                let read = session
                    .pull_from_layout(reference)
                    .map_err(crate::registry::refusal)?;
                let said = describe_layout(&read);
                (
                    (
                        read.manifest_digest,
                        read.layer_digest,
                        read.size,
                        read.path,
                        false,
                    ),
                    said,
                )
            }
        };
        let (digest, component_digest, size, path, cached) = pulled;
        crate::files::copy_atomic(&path, &output)?;
        if self.json {
            output::print_json(&Report {
                reference: self.reference.to_string(),
                digest,
                component_digest,
                size,
                cached,
                output,
            })?;
        } else {
            output::print(&format!(
                "{said}\n{GOOD}wrote{GOOD:#} {} ({})\n",
                output.display(),
                human_size(size)
            ))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

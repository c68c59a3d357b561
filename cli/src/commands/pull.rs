//! `weld pull REF`: fetch a component from an OCI registry, verified, into a file.

use crate::output::{self, human_size};
use crate::registry::{RegistryOpts, describe};
use crate::report::GOOD;
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use weld_registry_client::Reference;

/// Pull a component from an OCI registry: resolve the tag (or take the digest), check that the artifact is a
/// Wasm component, verify every digest, and write the component atomically. Content is cached by digest, so a
/// pinned reference pulled once needs no network again.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld pull localhost:5000/demo/hello:1.0                 writes hello.wasm
  weld pull ghcr.io/me/app@sha256:<digest> -o app.wasm

Exit status: 0 once written; 1 if the registry refuses, the artifact is not a component
or a digest does not match (nothing is written then); 2 on bad usage.")]
pub struct Opts {
    /// What to pull: `host[:port]/repository[:tag]` or `...@sha256:<digest>`, with or without `oci://`.
    #[arg(value_parser = crate::input::reference)]
    pub reference: Reference,
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
        let reference = &self.reference;
        let output = self.output.clone().unwrap_or_else(|| {
            let name = reference
                .repository
                .rsplit('/')
                .next()
                .unwrap_or("component");
            PathBuf::from(format!("{name}.wasm"))
        });
        let session = self.registry.session()?;
        let pulled = crate::registry::pull(&session, reference)?;
        output::copy_atomic(&pulled.path, &output)?;
        if self.json {
            output::print_json(&Report {
                reference: reference.to_string(),
                digest: pulled.manifest_digest.clone(),
                component_digest: pulled.layer_digest.clone(),
                size: pulled.size,
                cached: !matches!(
                    pulled.origin,
                    weld_registry_client::Origin::Registry { downloaded: true }
                ),
                output,
            })?;
        } else {
            output::print(&format!(
                "{}\n{GOOD}wrote{GOOD:#} {} ({})\n",
                describe(&pulled),
                output.display(),
                human_size(pulled.size as usize)
            ))?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

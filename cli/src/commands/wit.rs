//! `weld wit PATH`: print the WIT of a WIT directory or file, a component, or a core module with WIT metadata.

use crate::input::Input;
use crate::output;
use crate::registry::{RegistryOpts, Sources};
use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Print the WIT of a WIT directory (with `deps/`), a `.wit` file, a component, or a core module that carries
/// component-type metadata.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld wit app.wasm                 the world app.wasm targets, as WIT
  weld wit wit/ --world command     one world of a WIT package and what it uses
  weld wit app.wasm --json          the same as JSON (schema: docs/commands/wit.md)
  weld wit app.wasm --out-dir wit/  write a WIT package directory (deps/ included)
  weld wit wit/                     ...which reads back to the same text

Exit status: 0 on success, 1 if the input cannot be read or holds invalid WIT, 2 on bad usage.")]
pub struct Opts {
    /// A WIT directory, a `.wit` file, a component (`.wasm` or `.wat`), a core module with WIT metadata, or a
    /// registry reference `oci://host[:port]/repo:tag` (or `@sha256:...`).
    #[arg(value_parser = Input::parse)]
    pub path: Input,
    /// Show only this world (`command`, or qualified: `wasi:cli/command@0.2.0`) and what it reaches.
    #[arg(long, value_name = "NAME")]
    pub world: Option<String>,
    /// Keep the items gated by these features (`@unstable(feature = NAME)`), comma-separated or repeated, as
    /// `wasm-tools component wit --features` does. Applies to WIT text; a binary's WIT is already resolved.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub features: Vec<String>,
    /// Keep every feature-gated item.
    #[arg(long)]
    pub all_features: bool,
    /// Print a JSON model (packages, interfaces, worlds, types, functions) instead of WIT text.
    #[arg(long, conflicts_with = "out_dir")]
    pub json: bool,
    /// Write a WIT package directory (the main package, other packages under `deps/`) instead of printing.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// How to reach the registry of an `oci://` reference.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

impl Opts {
    /// Runs `weld wit`.
    pub fn run(self) -> Result<ExitCode> {
        let local = Sources::new(&self.registry).local(&self.path)?;
        let mut src = if local.is_pulled() {
            weld_wit::WitSource::from_bytes(&local.name, &weld_files::read_file(&local.path)?)?
        } else {
            let features = weld_wit::Features {
                names: self.features.clone(),
                all: self.all_features,
            };
            weld_wit::load_with(&local.path, &features)?
        };
        if let Some(world) = &self.world {
            src = src.select_world(world)?;
        }
        if self.json {
            output::print_json(&weld_wit::model::Document::new(&src))?;
        } else if let Some(dir) = &self.out_dir {
            let files: Vec<(PathBuf, String)> = weld_wit::package_files(&src)?
                .into_iter()
                .map(|f| (f.path, f.contents))
                .collect();
            refuse_foreign_wit(dir, &files)?;
            for path in crate::files::write_tree(dir, &files)? {
                eprintln!("wrote {}", path.display());
            }
        } else {
            output::print(&weld_wit::to_wit(&src)?)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// A WIT directory is read as a whole, so `.wit` files already in `dir` (or its `deps/`) that this package would
/// not overwrite would mix with it: refuse rather than write a directory that no longer loads.
fn refuse_foreign_wit(dir: &Path, files: &[(PathBuf, String)]) -> Result<()> {
    for sub in [dir.to_path_buf(), dir.join("deps")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            let is_wit =
                path.extension().is_some_and(|e| e == "wit") || path.is_dir() && sub != *dir;
            if is_wit && !files.iter().any(|(f, _)| f == rel) {
                bail!(
                    "`{}` already holds `{}`, which this package does not write; \
                     use an empty or new directory so the result loads as one package",
                    dir.display(),
                    rel.display()
                );
            }
        }
    }
    Ok(())
}

//! `weld validate FILE...`: validate core modules and components, many files in parallel.

use crate::input::Input;
use crate::output;
use crate::registry::{Local, RegistryOpts, Sources};
use crate::report::{DIM, ERROR, GOOD};
use crate::units::{count, human_size};
use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use weld_wit::{Invalid, Validated};

/// Validate core modules and components (binary, `.wat` text, or every module of a `.wast` script) against the standard WebAssembly features
/// (those wasmtime enables): one verdict per file, `ok` with its kind and size, or the error and its byte offset.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld validate app.wasm
  weld validate *.wasm --json

Exit status: 0 if every file is valid, 1 if any is invalid or unreadable, 2 on bad usage.")]
pub struct Opts {
    /// Files to validate: `.wasm` binaries, `.wat` text or `.wast` scripts, or registry references
    /// `oci://host[:port]/repo:tag` (or `@sha256:...`).
    #[arg(required = true, value_parser = Input::parse)]
    pub files: Vec<Input>,
    /// Print the verdicts as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry of `oci://` references.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// The verdict on one file, as `--json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Verdict {
    /// The file.
    pub path: PathBuf,
    /// Whether it is valid.
    pub valid: bool,
    /// What it is and how big, when valid.
    #[serde(flatten)]
    pub validated: Option<Validated>,
    /// Where and why it is invalid (absent when valid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Why a file failed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Problem {
    /// Byte offset in the binary, when the binary itself is at fault.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl Opts {
    /// Runs `weld validate`.
    pub fn run(self) -> Result<ExitCode> {
        // Registry references are pulled first, one after the other; then every file is checked in parallel.
        let sources = Sources::new(&self.registry);
        let locals: Vec<Result<Local, String>> = self
            .files
            .iter()
            .map(|f| sources.local(f).map_err(|e| format!("{e:#}")))
            .collect();
        let verdicts: Vec<Verdict> = locals
            .into_par_iter()
            .zip(&self.files)
            .map(|(local, file)| match local {
                Ok(local) => verdict(local),
                Err(message) => Verdict {
                    path: file.name(),
                    valid: false,
                    validated: None,
                    error: Some(Problem {
                        offset: None,
                        message,
                    }),
                },
            })
            .collect();
        if self.json {
            output::print_json(&verdicts)?;
        } else {
            output::print(&human(&verdicts))?;
        }
        Ok(if verdicts.iter().all(|v| v.valid) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

fn verdict(local: Local) -> Verdict {
    let checked = if local.is_pulled() {
        weld_files::read_file(&local.path)
            .map(|bytes| weld_wit::validate(&bytes))
            .map_err(weld_wit::Error::from)
    } else {
        weld_wit::validate_file(&local.path)
    };
    let path = local.name;
    let (validated, error) = match checked {
        Ok(Ok(v)) => (Some(v), None),
        Ok(Err(Invalid { offset, message })) => (
            None,
            Some(Problem {
                offset: Some(offset),
                message,
            }),
        ),
        Err(err) => (
            None,
            Some(Problem {
                offset: None,
                message: weld_wit::one_line(&err),
            }),
        ),
    };
    Verdict {
        path,
        valid: error.is_none(),
        validated,
        error,
    }
}

fn human(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for v in verdicts {
        let path = v.path.display();
        if let Some(Problem { offset, message }) = &v.error {
            match offset {
                Some(at) => out.push_str(&format!(
                    "{ERROR}invalid{ERROR:#} {path}: {message} (at offset {at:#x})\n"
                )),
                None => out.push_str(&format!("{ERROR}error{ERROR:#}   {message}\n")),
            }
        } else if let Some(ok) = &v.validated {
            let kind = match ok.kind {
                weld_wit::FileKind::Module => "core module".to_string(),
                weld_wit::FileKind::Component => "component".to_string(),
                weld_wit::FileKind::Script => {
                    format!("wast script of {}", count(ok.modules, "module"))
                }
            };
            out.push_str(&format!(
                "{GOOD}ok{GOOD:#}      {path}  {DIM}{kind}, {}, {}{DIM:#}\n",
                human_size(ok.size as u64),
                count(ok.functions, "function")
            ));
        }
    }
    if verdicts.len() > 1 {
        let valid = verdicts.iter().filter(|v| v.valid).count();
        out.push_str(&format!(
            "{}: {valid} valid, {} invalid\n",
            count(verdicts.len(), "file"),
            verdicts.len() - valid
        ));
    }
    out
}

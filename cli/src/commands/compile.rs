//! `weld compile C.wasm -o C.cwasm`: compile a component to native code ahead of time.

use crate::output;
use crate::units::human_size;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use weld_runtime::{EngineSettings, Runtime};

/// Compile a component ahead of time to a `.cwasm` that `weld run --allow-precompiled` loads without compiling.
/// The file only loads in the same weld version on the same kind of CPU. The code is always Cranelift's; it comes
/// from the cache of compiled code when that holds it, and goes into it otherwise.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld compile hello.wasm -o hello.cwasm
  weld run --allow-precompiled hello.cwasm

Exit status: 0 on success, 1 if the component cannot be compiled (nothing is written), 2 on bad usage.")]
pub struct Opts {
    /// The component (`.wasm` or `.wat`).
    pub component: PathBuf,
    /// Where to write the compiled code (default: the component's path with `.cwasm`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compile with fuel metering, for `weld run --fuel`.
    #[arg(long)]
    pub fuel: bool,
    /// Compile with interruption checks, for `weld run --timeout`.
    #[arg(long)]
    pub interruptible: bool,
}

impl Opts {
    /// Runs `weld compile`.
    pub fn run(self) -> Result<ExitCode> {
        let compiling = crate::progress::Compiling::default();
        let runtime = Runtime::new(
            EngineSettings {
                fuel: self.fuel,
                interruptible: self.interruptible,
                ..Default::default()
            },
            crate::paths::compiled_cache(),
        )?
        .on_compile(compiling.hook());
        let start = Instant::now();
        let loaded = runtime.load(&self.component, false)?;
        drop(compiling);
        let artifact = loaded
            .component
            .serialize()
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "cannot serialise the compiled `{}`",
                    self.component.display()
                )
            })?;
        let output = self
            .output
            .unwrap_or_else(|| self.component.with_extension("cwasm"));
        crate::files::write_atomic(&output, &artifact)?;
        output::print(&format!(
            "compiled {} -> {} ({}) in {}\n",
            self.component.display(),
            output.display(),
            human_size(artifact.len() as u64),
            crate::units::millis(start.elapsed())
        ))?;
        Ok(ExitCode::SUCCESS)
    }
}

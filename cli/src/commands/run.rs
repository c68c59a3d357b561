//! `weld run C.wasm [-- ARGS]`: run a wasi:cli command, or call exported functions with `--invoke`, sandboxed.

use crate::input::Input;
use crate::report;
use crate::sandbox::{Failure, SandboxOpts, argv0};
use anyhow::Result;
use std::process::ExitCode;
use std::time::Duration;
use weld_runtime::{LimitHit, RunError, RunSpec, Stdio};

/// Run a component under the embedded wasmtime: a `wasi:cli/run` command with ARGS, or exported functions with
/// --invoke. The guest gets stdio, clocks and random, and nothing else unless granted: no files, no environment
/// variables, no network.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld run hello.wasm -- alice bob                     a command, with arguments
  weld run app.wasm --dir data::/data:ro --env LANG=C   grant a read-only directory and one variable
  weld run greeter.wasm --invoke 'greet(\"world\")'       call an export; arguments and result in WAVE
  weld run types.wasm --invoke 'counter.new(5)' --invoke 'counter.get(counter1)'
  weld run untrusted.wasm --timeout 2s --max-memory 64MiB --fuel 100000000

Exit status: the guest's own exit status for a command; 0 when every --invoke call returned;
1 when the component cannot run or traps; 124 when --timeout, 125 when --max-memory and 126
when --fuel stopped it; 2 on bad usage.")]
pub struct Opts {
    /// The component: `.wasm`, `.wat`, a `.cwasm` from `weld compile` (with --allow-precompiled), or a registry
    /// reference `oci://host[:port]/repo:tag` (or `@sha256:...`), pulled and verified.
    #[arg(value_parser = Input::parse)]
    pub component: Input,
    /// Arguments for the guest; argv[0] is the component's file name.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
    /// Call an exported function instead of running a command: `greet("world")`, `iface#f(1, [2])` or
    /// `res.method(res1)`. Repeat it to make several calls, in order, on one instance.
    #[arg(long, value_name = "CALL")]
    pub invoke: Vec<String>,
    /// The grants, limits and code options.
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

impl Opts {
    /// Runs `weld run`.
    pub fn run(self) -> Result<ExitCode> {
        crate::sandbox::finish(self.execute())
    }

    fn execute(self) -> Result<ExitCode, Failure> {
        let limits = self.sandbox.limits();
        let ready = self.sandbox.load(&self.component, None)?;
        let pre = ready.linked(ready.runtime.prepare(&ready.loaded))?;
        let component = ready.name;
        let spec = RunSpec {
            grants: self.sandbox.grants(),
            limits,
            args: std::iter::once(argv0(&component))
                .chain(self.args)
                .collect(),
            stdio: Stdio::Inherit,
            stuck: limits.timeout.map(stuck),
        };
        if self.invoke.is_empty() {
            let status = ready.runtime.run_command(&pre, &component, spec)?;
            return Ok(ExitCode::from((status & 0xff) as u8));
        }
        // Each result is printed as its call returns, so a later call that fails leaves the earlier ones shown.
        let mut printed = Ok(());
        ready
            .runtime
            .invoke(&pre, spec, &self.invoke, |_, result| {
                if !result.is_empty() && printed.is_ok() {
                    printed = crate::output::print(&format!("{result}\n"));
                }
            })?;
        printed?;
        Ok(ExitCode::SUCCESS)
    }
}

/// What happens when a guest is still blocked in the host after its timeout: say so and end the process.
fn stuck(timeout: Duration) -> Box<dyn FnOnce() + Send> {
    Box::new(move || {
        let err = RunError::Limit(LimitHit::Timeout(timeout));
        let code = crate::sandbox::exit_code(&err);
        report::print_error(&anyhow::Error::new(err));
        std::process::exit(code.into());
    })
}

//! One module per subcommand, each with an `Opts` struct (its arguments) and `run(self)`.

use std::process::ExitCode;

pub mod cache;
pub mod compile;
pub mod completions;
pub mod compose;
pub mod inspect;
pub mod key;
pub mod man;
pub mod pull;
pub mod push;
pub mod run;
pub mod serve;
pub mod sign;
pub mod targets;
pub mod validate;
pub mod verify;
pub mod virt;
pub mod wit;

/// The subcommands of `weld`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the WIT of a WIT directory or file, or of a component.
    Wit(wit::Opts),
    /// Show a component's or module's imports, exports, nested parts, sizes and needed capabilities.
    Inspect(inspect::Opts),
    /// Validate core modules and components.
    Validate(validate::Opts),
    /// Link components into one: plug each import with another component's export, transitively.
    Compose(compose::Opts),
    /// Check that a component targets a world: its imports, exports and their types.
    Targets(targets::Opts),
    /// Decide capabilities inside a component: deny, stub or fix WASI families, so no host can grant them.
    Virt(virt::Opts),
    /// Run a component sandboxed: a wasi:cli command, or exported functions with --invoke.
    Run(run::Opts),
    /// Serve a wasi:http handler over HTTP, a fresh sandboxed instance per request.
    Serve(serve::Opts),
    /// Compile a component ahead of time to native code (`.cwasm`).
    Compile(compile::Opts),
    /// Show or clean the cache of compiled code.
    Cache(cache::Opts),
    /// Push a component to an OCI registry as a Wasm artifact.
    Push(push::Opts),
    /// Pull a component from an OCI registry, verified.
    Pull(pull::Opts),
    /// Sign a component in an OCI registry, in cosign's format.
    Sign(sign::Opts),
    /// Check the signatures of a component in an OCI registry.
    Verify(verify::Opts),
    /// Generate signing keys.
    Key(key::Opts),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::Opts),
    /// Print weld's manual page, or write all of them to a folder.
    Man(man::Opts),
}

impl Command {
    /// Runs the subcommand. `Ok` carries the exit code of work that completed (1 when it found a problem and
    /// reported it, such as an invalid file); `Err` is a failure to do the work at all.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            Command::Wit(opts) => opts.run(),
            Command::Inspect(opts) => opts.run(),
            Command::Validate(opts) => opts.run(),
            Command::Compose(opts) => opts.run(),
            Command::Targets(opts) => opts.run(),
            Command::Virt(opts) => opts.run(),
            Command::Run(opts) => opts.run(),
            Command::Serve(opts) => opts.run(),
            Command::Compile(opts) => opts.run(),
            Command::Cache(opts) => opts.run(),
            Command::Push(opts) => opts.run(),
            Command::Pull(opts) => opts.run(),
            Command::Sign(opts) => opts.run(),
            Command::Verify(opts) => opts.run(),
            Command::Key(opts) => opts.run(),
            Command::Completions(opts) => opts.run(),
            Command::Man(opts) => opts.run(),
        }
    }
}

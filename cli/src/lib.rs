//! `weld-cli`: the `weld` command line, thin over weld's libraries: options (clap), rendering (text, JSON, miette
//! diagnostics, progress bars) and exit codes.
//!
//! `main.rs` only parses and dispatches; every subcommand lives in its own module under [`commands`], with shared
//! arguments in [`input`], [`options`] and [`sandbox`], registry access in [`registry`], signing keys in [`keys`],
//! the lockfile in [`lock`], the background tier-up in [`tier_up`], and output in [`output`] (stdout), [`files`]
//! (atomic writes), [`units`] (numbers for people), [`report`] (errors) and [`wiring`] (composition reports). The
//! work itself is done by `weld-wit`, `weld-compose`, `weld-runtime` and `weld-registry-client`
//! (docs/architecture.md).

pub mod advice;
pub mod commands;
pub mod files;
pub mod headers;
pub mod input;
pub mod keys;
pub mod lock;
pub mod options;
pub mod output;
pub mod paths;
pub mod plugged;
pub mod progress;
pub mod prose;
pub mod registry;
pub mod report;
pub mod sandbox;
pub mod tier_up;
pub mod units;
pub mod values;
pub mod wiring;

pub use commands::Command;

/// weld: one CLI for the WebAssembly component model.
///
/// Read WIT, inspect, validate, compose, run and publish components.
#[derive(Debug, clap::Parser)]
#[command(name = "weld", version, about, max_term_width = 100)]
pub struct Cli {
    /// When to use colour in human output.
    #[command(flatten)]
    pub color: options::ColorOpt,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}

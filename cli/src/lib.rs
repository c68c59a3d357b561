//! `weld-cli`: the `weld` command line and the engines behind it.
//!
//! `main.rs` only parses and dispatches; every subcommand lives in its own module under [`commands`], with shared
//! option handling in [`options`] and output helpers in [`output`] and [`report`].
#![deny(missing_docs)]

pub mod commands;
pub mod compose;
pub mod options;
pub mod output;
pub mod registry;
pub mod report;
pub mod run;

pub use commands::Command;

/// weld: one CLI for the WebAssembly component model.
///
/// Read WIT, inspect, validate and compose components.
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

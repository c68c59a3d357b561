//! The `weld` binary: parse the command line, run the command, print any error, exit with its code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    weld_cli::files::errors_for_oversized_writes();
    let cli = weld_cli::Cli::parse();
    cli.color.apply();
    weld_cli::report::catch_panics(|| match cli.command.run() {
        Ok(code) => code,
        Err(err) => weld_cli::report::print_error(&err),
    })
}

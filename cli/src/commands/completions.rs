//! `weld completions SHELL`: a completion script for bash, zsh, fish, PowerShell or elvish, generated from weld's
//! own argument definitions (clap_complete), so it always knows every subcommand and flag.

use anyhow::Result;
use std::process::ExitCode;

/// Print a shell completion script for weld to stdout.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld completions bash > ~/.local/share/bash-completion/completions/weld
  weld completions zsh > ~/.zfunc/_weld          (with fpath+=~/.zfunc before compinit)
  weld completions fish > ~/.config/fish/completions/weld.fish
  weld completions powershell >> $PROFILE")]
pub struct Opts {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl Opts {
    /// Runs `weld completions`.
    pub fn run(self) -> Result<ExitCode> {
        let mut command = <crate::Cli as clap::CommandFactory>::command();
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut command, "weld", &mut script);
        crate::output::print(&String::from_utf8_lossy(&script))?;
        Ok(ExitCode::SUCCESS)
    }
}

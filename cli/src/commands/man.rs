//! `weld man`: weld's manual pages in roff (clap_mangen), from the same definitions as `--help`.

use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

/// Print weld's manual page (`weld.1`), or write one page per command to a folder.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld man | man -l -                                  read it now
  weld man --out-dir /usr/local/share/man/man1         weld.1, weld-compose.1, weld-key-generate.1, ...

Exit status: 0 once printed or written, 1 if the folder cannot be written.")]
pub struct Opts {
    /// Write `weld.1` and a page for each command (`weld-run.1`, `weld-key-generate.1`, ...) to DIR, all or none.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

impl Opts {
    /// Runs `weld man`.
    pub fn run(self) -> Result<ExitCode> {
        let mut command =
            <crate::Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
        command.build();
        let Some(dir) = &self.out_dir else {
            crate::output::print(&page(command)?.1)?;
            return Ok(ExitCode::SUCCESS);
        };
        let mut pages = Vec::new();
        collect(command, &mut pages)?;
        let written = crate::files::write_tree(dir, &pages)?;
        crate::output::print(&format!(
            "wrote {} in {}\n",
            crate::units::count(written.len(), "manual page"),
            dir.display()
        ))?;
        Ok(ExitCode::SUCCESS)
    }
}

/// The page of `command` and of each command under it, named as man expects (`weld-key-generate.1`).
fn collect(command: clap::Command, pages: &mut Vec<(PathBuf, String)>) -> Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub.clone(), pages)?;
    }
    let (name, text) = page(command)?;
    pages.push((PathBuf::from(name), text));
    Ok(())
}

/// The file name and the roff text of `command`'s page.
fn page(command: clap::Command) -> Result<(String, String)> {
    let man = clap_mangen::Man::new(command);
    let mut text = Vec::new();
    man.render(&mut text)
        .context("failed to render the manual page")?;
    Ok((
        man.get_filename(),
        String::from_utf8_lossy(&text).into_owned(),
    ))
}

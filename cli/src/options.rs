//! Options shared by several subcommands.

/// `--color auto|always|never`, applied once before a command runs.
#[derive(Debug, Clone, clap::Args)]
pub struct ColorOpt {
    /// Colour in human output: `auto` colours only a terminal and honours `NO_COLOR`.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: clap::ColorChoice,
}

impl ColorOpt {
    /// Makes the choice the process-wide default for stdout and stderr.
    pub fn apply(&self) {
        let choice = match self.color {
            clap::ColorChoice::Auto => anstream::ColorChoice::Auto,
            clap::ColorChoice::Always => anstream::ColorChoice::Always,
            clap::ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

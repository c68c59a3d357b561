//! Printing errors: `error: <what failed>` in bold red on a terminal, then each cause on its own line.

use anstyle::{AnsiColor, Style};
use std::io::Write;
use std::process::ExitCode;

/// Style of the `error:` prefix.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
/// Style of `ok` verdicts and other good news.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// Style of headings in human output.
pub const HEADING: Style = Style::new().bold();
/// Style of secondary detail (sizes, offsets).
pub const DIM: Style = Style::new().dimmed();

/// Style of the `warning:` prefix.
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// Prints `warning: <text>` to stderr: something the user should know that does not stop the work.
pub fn warn(text: &str) {
    let _ = writeln!(
        anstream::stderr().lock(),
        "{WARNING}warning{WARNING:#}: {text}"
    );
}

/// Prints `err` with its chain of causes to stderr and returns the exit code for it: 1, or 0 when stdout was
/// closed early (`weld wit x.wasm | head`), which is not a failure.
pub fn print_error(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    let mut stderr = anstream::stderr().lock();
    let _ = writeln!(stderr, "{ERROR}error{ERROR:#}: {err}");
    let causes: Vec<String> = err.chain().skip(1).map(ToString::to_string).collect();
    if !causes.is_empty() {
        let _ = writeln!(stderr, "\nCaused by:");
        for (i, cause) in causes.iter().enumerate() {
            let _ = writeln!(stderr, "    {i}: {cause}");
        }
    }
    ExitCode::FAILURE
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

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

/// The message of the last panic, kept by the hook [`catch_panics`] installs.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Runs `main_work` so that no panic reaches the user as a crash dump. weld turns panics inside the libraries it
/// calls into errors where it calls them (a damaged component that a decoder chokes on, say), so the default
/// hook's message would be noise before a proper error; it is kept instead. A panic that nothing caught is
/// reported here as an internal error, exit status 101.
pub fn catch_panics(main_work: impl FnOnce() -> ExitCode) -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(main_work)).unwrap_or_else(|_| {
        let what = LAST_PANIC
            .lock()
            .ok()
            .and_then(|last| last.clone())
            .unwrap_or_default();
        let _ = writeln!(
            anstream::stderr().lock(),
            "{ERROR}error{ERROR:#}: internal error, a bug in weld (please report it): {what}"
        );
        ExitCode::from(101)
    })
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

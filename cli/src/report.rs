//! Printing errors, once, at the edge: `error: <what failed>` in bold red on a terminal, then the causes. A cause
//! with a place in a text file (WIT, a `.wac` document, a compose file) is drawn as miette's graphical report, the
//! way wac and rustc draw theirs: the file, the line, every labelled span and the help. Bad usage found after
//! parsing is clap's error, exit 2. A closed stdout is a quiet exit 0.

use anstyle::{AnsiColor, Style};
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::io::Write;
use std::process::ExitCode;
use weld_wit::SourceError;

/// Style of the `error:` prefix.
pub const ERROR: Style = AnsiColor::Red.on_default().bold();
/// The style of the `help:` label of the advice under an error.
const HELP: Style = AnsiColor::Cyan.on_default().bold();
/// Style of `ok` verdicts and other good news.
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
/// Style of headings in human output.
pub const HEADING: Style = Style::new().bold();
/// Style of secondary detail (sizes, offsets).
pub const DIM: Style = Style::new().dimmed();

/// Style of the `warning:` prefix.
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// Width diagnostics are drawn to (clap's help uses the same).
const WIDTH: usize = 100;

/// Prints `warning: <text>` to stderr: something the user should know that does not stop the work.
pub fn warn(text: &str) {
    let _ = writeln!(
        anstream::stderr().lock(),
        "{WARNING}warning{WARNING:#}: {text}"
    );
}

/// The message of the last panic, kept by the hook [`catch_panics`] installs.
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Runs `main_work` so that no panic reaches the user as a crash dump. weld turns panics inside the libraries known
/// to panic into errors where it calls them (wit-parser's decoders, wac's encoder), so the default hook's message
/// would be noise before a proper error; it is kept instead. A panic that nothing caught is weld's own bug: it is
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

/// Prints `err` with its chain of causes to stderr and returns the exit code for it: 1; 2 for bad usage (a
/// [`clap::Error`] made after parsing, see [`usage`]); 0 when stdout was closed early (`weld wit x.wasm | head`),
/// which is not a failure.
pub fn print_error(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    if let Some(usage) = err.downcast_ref::<clap::Error>() {
        let _ = usage.print();
        return ExitCode::from(2);
    }
    let _ = anstream::stderr().write_all(render(err).as_bytes());
    ExitCode::FAILURE
}

/// The text [`print_error`] prints: the headline, the plain causes, then a graphical report of the first cause
/// that has a place in a file, which draws its own causes.
pub fn render(err: &anyhow::Error) -> String {
    let mut chain = err.chain();
    let headline = chain.next().map(message).unwrap_or_default();
    let mut out = format!("{ERROR}error{ERROR:#}: {headline}\n");
    let mut causes = Vec::new();
    let mut located = None;
    for cause in chain {
        if let Some(diagnostic) = cause.downcast_ref::<SourceError>() {
            located = Some(diagnostic);
            break;
        }
        causes.push(message(cause));
    }
    if let Some(diagnostic) = err.downcast_ref::<SourceError>() {
        located = Some(diagnostic);
        causes.clear();
    }
    if !causes.is_empty() {
        out.push_str("\nCaused by:\n");
        for (i, cause) in causes.iter().enumerate() {
            out.push_str(&format!("    {i}: {cause}\n"));
        }
    }
    if let Some(diagnostic) = located {
        out.push('\n');
        out.push_str(&graphical(diagnostic));
    }
    if let Some(advice) = crate::advice::advice(err) {
        out.push_str(&format!("\n{HELP}help{HELP:#}: {advice}\n"));
    }
    out
}

/// One link of an error chain in words: the error's own message, or weld's fuller one where the CLI words the
/// data the error carries (a composition's report, [`crate::prose`]).
fn message(cause: &(dyn std::error::Error + 'static)) -> String {
    cause
        .downcast_ref::<weld_compose::ComposeError>()
        .and_then(crate::prose::compose_error)
        .unwrap_or_else(|| cause.to_string())
}

/// A diagnostic drawn as miette draws it: coloured like the rest of stderr (never with `NO_COLOR` or off a
/// terminal), every label and the help kept, its causes below it. A label on a very long line (generated WIT or
/// WAC can put one at column 70,000) is not drawn, as wit-parser and wasm-tools do not draw it: miette pads with
/// the column as a format width, which panics past 65,535, and the line would not read anyway.
fn graphical(diagnostic: &SourceError) -> String {
    if !drawable(diagnostic) {
        return placed(diagnostic);
    }
    let theme = if anstream::stderr().current_choice() == anstream::ColorChoice::Never {
        GraphicalTheme::unicode_nocolor()
    } else {
        GraphicalTheme::unicode()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_cause_chain();
    if handler.render_report(&mut out, diagnostic).is_err() {
        // The renderer only fails writing into a String, which cannot fail; say the message at least.
        out = format!("{}: {diagnostic}\n", diagnostic.location());
    }
    out
}

/// The longest line a diagnostic is drawn for.
const LONGEST_DRAWN_LINE: usize = 500;

/// Whether every label of `diagnostic` sits on a line short enough to draw.
fn drawable(diagnostic: &SourceError) -> bool {
    let text = diagnostic.text();
    diagnostic.spans().iter().all(|label| {
        let at = label.offset().min(text.len());
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        end - start <= LONGEST_DRAWN_LINE
    })
}

/// A diagnostic without its source lines: `file:line:column: message`, then each label's place and words, the
/// help and the causes.
fn placed(diagnostic: &SourceError) -> String {
    let mut out = format!("{}: {diagnostic}\n", diagnostic.location());
    for label in diagnostic.spans() {
        let (line, column) = weld_wit::line_column(diagnostic.text(), label.offset());
        if let Some(words) = label.label() {
            out.push_str(&format!(
                "  {}:{line}:{column}: {words}\n",
                diagnostic.path()
            ));
        }
    }
    if let Some(help) = miette::Diagnostic::help(diagnostic) {
        out.push_str(&format!("  help: {help}\n"));
    }
    let mut cause = std::error::Error::source(diagnostic);
    while let Some(c) = cause {
        out.push_str(&format!("  caused by: {c}\n"));
        cause = c.source();
    }
    out
}

/// A usage error found after clap parsed the command line (a value that only makes sense beside another):
/// printed by clap, with the subcommand's usage line, exit status 2.
pub fn usage(subcommand: &str, message: impl std::fmt::Display) -> anyhow::Error {
    let mut command = <crate::Cli as clap::CommandFactory>::command();
    command.build();
    let mut command = command
        .find_subcommand(subcommand)
        .cloned()
        .unwrap_or(command);
    anyhow::Error::new(command.error(clap::error::ErrorKind::ValueValidation, message))
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::{LabeledSpan, MietteDiagnostic};
    use std::path::Path;

    /// The text without its styles, as a pipe gets it.
    fn plain(text: String) -> String {
        anstream::adapter::strip_str(&text).to_string()
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot compose `weld.toml`")]
    struct Outer(#[source] SourceError);

    #[test]
    fn located_causes_are_drawn_with_every_label_and_the_help() {
        let diagnostic = MietteDiagnostic::new("`a` redefined")
            .with_label(LabeledSpan::new_primary_with_span(
                Some("redefined here".into()),
                15..16,
            ))
            .and_label(LabeledSpan::at(4..5, "first defined here"))
            .with_help("rename one of them");
        let located = SourceError::new(Path::new("x.wac"), "let a = 1;\nlet a = 2;\n", diagnostic)
            .caused_by(std::io::Error::other("underneath"));
        let text = plain(render(&anyhow::Error::new(Outer(located))));
        assert!(
            text.starts_with("error: cannot compose `weld.toml`\n"),
            "{text}"
        );
        for part in [
            "`a` redefined",
            "x.wac:2:5",
            "redefined here",
            "first defined here",
            "rename one of them",
            "underneath",
        ] {
            assert!(text.contains(part), "{part} missing from:\n{text}");
        }
        assert!(!text.contains("Caused by"), "{text}");
    }

    #[test]
    fn plain_causes_are_listed() {
        let err = anyhow::Error::new(std::io::Error::other("disk on fire"))
            .context("failed to write `x`");
        assert_eq!(
            plain(render(&err)),
            "error: failed to write `x`\n\nCaused by:\n    0: disk on fire\n"
        );
    }

    #[test]
    fn usage_errors_carry_the_usage_line() {
        let err = usage("compose", "`--graph x`: no such format");
        let text = plain(
            err.downcast_ref::<clap::Error>()
                .unwrap()
                .render()
                .to_string(),
        );
        assert!(
            text.contains("no such format") && text.contains("Usage: weld compose"),
            "{text}"
        );
    }

    /// Regression (wasm-tools#2439 in kind): a diagnostic at column 70,000 panicked miette's formatter.
    #[test]
    fn a_label_on_a_very_long_line_is_placed_not_drawn() {
        let line = format!("let x = {}bad;", " ".repeat(70_000));
        let at = line.find("bad").unwrap();
        let located = SourceError::new(
            Path::new("big.wac"),
            format!("package a:b;\n{line}\n"),
            MietteDiagnostic::new("unknown package `bad`").with_label(
                LabeledSpan::new_primary_with_span(Some("here".into()), 13 + at..13 + at + 3),
            ),
        );
        let text = plain(render(&anyhow::Error::new(Outer(located))));
        assert!(
            text.contains("big.wac:2:70009: unknown package `bad`")
                && text.contains("big.wac:2:70009: here"),
            "{text}"
        );
        assert!(text.len() < 500, "no line is drawn: {}", text.len());
    }

    #[test]
    fn a_closed_stdout_is_not_a_failure() {
        let err = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("failed to write to stdout");
        assert_eq!(print_error(&err), ExitCode::SUCCESS);
    }
}

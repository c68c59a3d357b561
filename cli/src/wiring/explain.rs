//! The human renderings of a [`Report`]: the short summary printed after every compose, and the full wiring table
//! of `--explain`. Styled with the CLI's palette; anstream strips the styles where colour is off.

use crate::prose::{open_reason, why_open};
use crate::report::{DIM, ERROR, GOOD, HEADING};
use crate::units::count;
use weld_compose::{Outcome, Problem, Rejection, Report, Rule, is_wasi};

/// The longest import name that the table aligns the others to.
const ALIGN: usize = 60;

/// Every import of every instance: plugged ones with their provider, open ones with the reason, failed ones with
/// the problem. With `all` false, open `wasi:*` imports are counted on one line per instance instead of listed;
/// with `all` true, candidates that were turned down are listed under their import too.
pub fn wiring(report: &Report, all: bool) -> String {
    let mut out = String::new();
    // Names are aligned into a column, but a very long one (names have no length limit) must neither push every
    // other line out nor exceed what the formatter pads to: past ALIGN, a name takes the room it needs.
    let width = report
        .instances
        .iter()
        .flat_map(|i| i.imports.iter().map(|imp| imp.name.len()))
        .filter(|len| *len <= ALIGN)
        .max()
        .unwrap_or(0);
    for instance in &report.instances {
        out.push_str(&format!("  {HEADING}{}{HEADING:#}\n", instance.component));
        let mut host = 0;
        for import in &instance.imports {
            let name = &import.name;
            let line = match &import.outcome {
                Outcome::Plugged { by, export, rule } => {
                    let how = match rule {
                        Rule::Exact => String::new(),
                        Rule::Semver => format!(" {DIM}(as {export}, semver-compatible){DIM:#}"),
                        Rule::Wire => format!(" {DIM}(wired){DIM:#}"),
                        Rule::Wac if export.is_empty() => {
                            format!(" {DIM}(the whole instance){DIM:#}")
                        }
                        Rule::Wac if export != name => format!(" {DIM}(as {export}){DIM:#}"),
                        Rule::Wac => String::new(),
                        Rule::TypeOfPlug => {
                            format!(" {DIM}({export}, the type of an interface it supplies){DIM:#}")
                        }
                    };
                    format!("{GOOD}<-{GOOD:#} {by}{how}")
                }
                Outcome::Open { .. } if !all && is_wasi(name) => {
                    host += 1;
                    continue;
                }
                Outcome::Open { reason } if all => {
                    format!("{DIM}open: {}{DIM:#}", open_reason(*reason))
                }
                Outcome::Open { .. } => {
                    format!("{DIM}open: {}{DIM:#}", why_open(import).unwrap_or_default())
                }
                Outcome::Error { problem } => format!("{ERROR}error{ERROR:#}: {}", brief(problem)),
            };
            out.push_str(&format!("    {name:width$}  {line}\n"));
            if all {
                for c in &import.rejected {
                    out.push_str(&format!(
                        "    {:width$}    {DIM}not {} (`{}`): {}{DIM:#}\n",
                        "",
                        c.component,
                        c.export,
                        rejection(&c.why)
                    ));
                }
            }
        }
        if host > 0 {
            out.push_str(&format!(
                "    {DIM}{} open, for the host{DIM:#}\n",
                count(host, "wasi:* import")
            ));
        }
        if instance.imports.is_empty() {
            out.push_str(&format!("    {DIM}(no imports){DIM:#}\n"));
        }
    }
    for merge in &report.merged {
        out.push_str(&format!(
            "  merged {} into one import of {}\n",
            merge.from.join(", "),
            merge.into
        ));
    }
    let failed = report.problems().next().is_some();
    for unused in report.unused.iter().filter(|_| !failed) {
        out.push_str(&format!(
            "  {DIM}not used: {unused} (none of its exports was needed){DIM:#}\n"
        ));
    }
    out
}

/// Why a candidate was not used, for people.
fn rejection(why: &Rejection) -> String {
    match why {
        Rejection::Version => "its version is not semver-compatible with the import's".into(),
        Rejection::AlsoFits => "it fits too".into(),
        Rejection::Types {
            difference: Some(d),
        } => format!("the types differ: {d}"),
        _ => "the types differ".into(),
    }
}

/// `--explain`: the wiring with every import and every turned-down candidate, then the result's imports and
/// exports.
pub fn explain(report: &Report) -> String {
    let mut out = format!("{HEADING}wiring{HEADING:#}\n");
    out.push_str(&wiring(report, true));
    for (title, names) in [("imports", &report.imports), ("exports", &report.exports)] {
        out.push_str(&format!("{HEADING}result {title}{HEADING:#}\n"));
        if names.is_empty() {
            out.push_str(&format!("  {DIM}(none){DIM:#}\n"));
        }
        for name in names {
            out.push_str(&format!("  {name}\n"));
        }
    }
    out
}

/// A problem in a few words, for one line of the wiring table (the library's error says it in a paragraph).
fn brief(problem: &Problem) -> String {
    match problem {
        Problem::TypeMismatch { component, .. } => format!("the types of {component} differ"),
        Problem::Ambiguous { candidates } => format!(
            "ambiguous: {}",
            candidates
                .iter()
                .map(|c| c.component.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Problem::Cycle { path } => format!("cycle: {}", path.join(" -> ")),
        Problem::WireNoExport { component, .. } => {
            format!("wired to {component}, which does not export it")
        }
        Problem::SharedResource {
            resource,
            defined_by,
            ..
        } => format!("open, but uses resource `{resource}` of the plugged `{defined_by}`"),
    }
}

//! The composition report and its errors in English: why an import stays open, what a problem is, and the
//! messages of the failures that carry a report. The library says these as data ([`OpenReason`], [`Problem`],
//! [`ComposeError`]'s report); this is the one place weld words them.

use crate::units::count;
use weld_compose::{ComposeError, Import, OpenReason, Outcome, Problem, Report, is_wasi};

/// The message weld prints for `err` where it has more to say than the library's own message (which names the
/// imports, not why): a failure that carries the report. `None` for the others.
pub fn compose_error(err: &ComposeError) -> Option<String> {
    Some(match err {
        ComposeError::NothingToCompose(report) => nothing_to_compose(err, report),
        ComposeError::Unresolved(report) => problems(report),
        ComposeError::Closed {
            closed,
            open,
            report,
        } => {
            let open: Vec<String> = open
                .iter()
                .map(|import| {
                    let why = report
                        .instances
                        .iter()
                        .filter(|i| i.component == import.importer)
                        .flat_map(|i| &i.imports)
                        .find(|i| i.name == import.name)
                        .and_then(why_open)
                        .unwrap_or_default();
                    format!("{} (imported by {}: {why})", import.name, import.importer)
                })
                .collect();
            format!(
                "{} forbids open imports, and {} would stay open:\n  - {}",
                closed.describe(),
                count(open.len(), "import"),
                open.join("\n  - ")
            )
        }
        _ => return None,
    })
}

/// Why an import stays open, in a phrase.
pub fn open_reason(reason: OpenReason) -> &'static str {
    match reason {
        OpenReason::NoExport => "no component exports it",
        OpenReason::TypesOnly => "it holds only types, which need no provider",
        OpenReason::Type => "a type, which needs no provider",
        OpenReason::TypesNamedByImports => {
            "its types are imported on their own too (a world's `use`), so it stays open with them; it holds only \
             types, which need no provider"
        }
        OpenReason::RootExports => {
            "only the root exports it, and the root's exports do not plug imports"
        }
        OpenReason::Version => "only incompatible versions are exported",
        OpenReason::NotWired => "the .wac file leaves it open",
    }
}

/// A one-paragraph explanation of `problem`, `import` being the name of the import concerned and `consumer` the
/// component importing it.
fn explain(problem: &Problem, consumer: &str, import: &str) -> String {
    match problem {
        Problem::TypeMismatch {
            component,
            export,
            differences,
        } => {
            let mut text = format!(
                "`{import}` of {consumer} cannot be plugged with `{export}` of {component}: the types differ"
            );
            for d in differences {
                text.push_str(&format!("\n    {d} (in {component})"));
                if !d.first.is_empty() {
                    text.push_str(&format!("\n      first difference: {}", d.first));
                }
            }
            text
        }
        Problem::Ambiguous { candidates } => {
            let names: Vec<String> = candidates
                .iter()
                .map(|c| format!("{} (`{}`)", c.component, c.export))
                .collect();
            format!(
                "`{import}` of {consumer} could be plugged by {}; a wire chooses one",
                names.join(" or ")
            )
        }
        Problem::Cycle { path } => format!(
            "`{import}` of {consumer} would close a cycle: {}",
            path.join(" -> ")
        ),
        Problem::WireNoExport { component, exports } => format!(
            "`{import}` of {consumer} is wired to {component}, which exports nothing of that name (it exports: {})",
            if exports.is_empty() {
                "nothing".to_owned()
            } else {
                exports.join(", ")
            }
        ),
        Problem::SharedResource {
            resource,
            defined_by,
            plugged_by,
            in_wac,
            is_type,
        } => {
            let advice = if *is_type {
                format!(
                    "A type import cannot be plugged: leave `{defined_by}` open (do not take it from \
                     {plugged_by})"
                )
            } else if *in_wac {
                format!(
                    "Give `{import}` an instance's export in the document too, or leave `{defined_by}` to be \
                     imported (do not take it from {plugged_by})"
                )
            } else {
                format!(
                    "Plug `{import}` too (with a component that exports it), or leave `{defined_by}` open \
                     (leave out {plugged_by})"
                )
            };
            format!(
                "`{import}` of {consumer} would stay open, but it uses resource `{resource}` of `{defined_by}`, \
                 which {plugged_by} supplies inside the composition; an import of the result cannot use a \
                 resource made inside it. {advice}"
            )
        }
    }
}

/// Why the import stays open, with what was on offer and turned down (`only incompatible versions are exported
/// (base-v2 has weld:base/base@2.0.0)`), so that a message needs nothing else to be understood. `None` if it does
/// not stay open.
pub fn why_open(import: &Import) -> Option<String> {
    let Outcome::Open { reason } = &import.outcome else {
        return None;
    };
    let offers: Vec<String> = import
        .rejected
        .iter()
        .map(|c| format!("{} has {}", c.component, c.export))
        .collect();
    Some(if offers.is_empty() {
        open_reason(*reason).to_owned()
    } else {
        format!("{} ({})", open_reason(*reason), offers.join(", "))
    })
}

/// Why nothing was composed: no plug supplies an import, and what the root imports instead.
fn nothing_to_compose(err: &ComposeError, report: &Report) -> String {
    let wanted: Vec<String> = report
        .instances
        .iter()
        .flat_map(|i| &i.imports)
        .filter(|import| !is_wasi(&import.name))
        .map(|import| match why_open(import) {
            Some(why) => format!("{}: {why}", import.name),
            None => import.name.clone(),
        })
        .collect();
    let imports_any = report
        .instances
        .first()
        .is_some_and(|root| !root.imports.is_empty());
    let wanted = if !imports_any {
        "it imports nothing".to_owned()
    } else if wanted.is_empty() {
        "it imports nothing but WASI".to_owned()
    } else {
        format!("its imports:\n  - {}", wanted.join("\n  - "))
    };
    // The library's message names the plugs and the root; this adds what the root imports and why each stays open.
    format!("{err}; {wanted}")
}

/// Every problem that failed the composition, each in a paragraph.
fn problems(report: &Report) -> String {
    let problems: Vec<String> = report
        .problems()
        .map(|(consumer, import, problem)| explain(problem, consumer, import))
        .collect();
    match problems.as_slice() {
        [one] => one.clone(),
        many => format!(
            "{} imports cannot be plugged:\n  - {}",
            many.len(),
            many.join("\n  - ")
        ),
    }
}

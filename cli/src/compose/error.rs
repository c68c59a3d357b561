//! Why a composition failed. Variants that come after matching carry the [`Report`] so that the CLI can still show
//! the wiring that led there.

use super::report::Report;

/// A failed composition.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A library weld composes with failed on these inputs in a way it does not report as an error (a panic,
    /// caught): the inputs are unusual or damaged, and the libraries have a bug.
    #[error(
        "cannot compose these components: {0} (a bug in the composition libraries that weld caught)"
    )]
    Internal(String),
    /// An input is not a component the graph can take.
    #[error("`{label}` cannot be composed: {message}")]
    Load {
        /// The input, as the user named it.
        label: String,
        /// What is wrong with it.
        message: String,
    },
    /// A compose file or a `.wac` document is wrong at a place (`file:line:column`).
    #[error("{location}: {message}")]
    File {
        /// `file:line:column`, or the file alone.
        location: String,
        /// What is wrong there.
        message: String,
    },
    /// The request itself is inconsistent (a wire names an unknown component, two inputs share a name, ...).
    #[error("{0}")]
    Request(String),
    /// Some imports could not be decided: type mismatches, ambiguities, cycles.
    #[error("{}", describe_problems(.0))]
    Unresolved(Box<Report>),
    /// `--closed` forbids imports that stay open.
    #[error("{message}")]
    Closed {
        /// Which imports stay open, and why.
        message: String,
        /// The wiring.
        report: Box<Report>,
    },
    /// Two open imports must become one import of the result, but their types conflict.
    #[error("{0}")]
    ImportConflict(String),
    /// The composition graph refused an edge or an export (a bug in weld if matching said it fits).
    #[error("failed to build the composition graph: {0}")]
    Graph(String),
    /// Encoding the graph failed.
    #[error("failed to encode the composed component: {0}")]
    Encode(String),
    /// The encoded result does not validate.
    #[error("the composed component is invalid: {0}")]
    Invalid(weld_wit::Invalid),
}

impl ComposeError {
    /// The wiring that led to the failure, when matching got that far.
    pub fn report(&self) -> Option<&Report> {
        match self {
            ComposeError::Unresolved(report) | ComposeError::Closed { report, .. } => Some(report),
            _ => None,
        }
    }
}

fn describe_problems(report: &Report) -> String {
    let problems: Vec<String> = report
        .problems()
        .map(|(consumer, import, problem)| problem.describe(consumer, import))
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

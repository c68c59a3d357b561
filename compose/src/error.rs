//! Why a composition failed. Variants that come after matching carry the [`Report`] so that a caller can still show
//! the wiring that led there; every variant that wraps a failure underneath keeps it as its source.

#[cfg(doc)]
use crate::report::Outcome;
use crate::report::Report;
use std::path::PathBuf;
use weld_wit::{BoxError, SourceError};

/// A failed composition.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComposeError {
    /// A library weld calls panicked on these inputs instead of returning an error (wac-graph's encoder is known
    /// to): a bug in that library, caught where weld calls it.
    #[error(
        "cannot compose these components: {library} panicked ({message}); a bug in {library} that weld caught"
    )]
    LibraryPanic {
        /// The library.
        library: &'static str,
        /// The panic's message.
        message: String,
    },
    /// An input is not a component the graph can take (a core module, a WIT package, damaged bytes).
    #[error("`{label}` cannot be composed")]
    Load {
        /// The input, as the user named it.
        label: String,
        /// What is wrong with it.
        #[source]
        source: BoxError,
    },
    /// An input is an encoded WIT package: types only, no code.
    #[error(
        "`{label}` is a WIT package (types only, no code), not a component: compose the component that implements \
         its world (built with wit-bindgen, componentize-py, jco, ...)"
    )]
    WitPackage {
        /// The input, as the user named it.
        label: String,
    },
    /// Plugs were given, and none of them supplies an import: the result would be the root alone. The report
    /// says what the root imports and why each import stays open.
    #[error(
        "nothing to compose: none of the plugs ({}) supplies an import of {}",
        .0.unused.join(", "),
        .0.instances.first().map_or("the root", |i| i.component.as_str())
    )]
    NothingToCompose(Box<Report>),
    /// A compose file or a `.wac` document could not be read.
    #[error("failed to read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A compose file or a `.wac` document is wrong at a place; the source is a [`SourceError`] with the spans.
    #[error("cannot compose `{}`", path.display())]
    Document {
        /// The file.
        path: PathBuf,
        /// Where and what.
        #[source]
        source: SourceError,
    },
    /// The request itself is inconsistent.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Some imports could not be decided: type mismatches, ambiguities, cycles. The message names them and the
    /// kind of each problem; the report holds the problems as data ([`Outcome::Error`]).
    #[error("{}", unresolved(.0))]
    Unresolved(Box<Report>),
    /// [`Options::closed`](crate::Options::closed) forbids imports that stay open.
    #[error(
        "{} forbids open imports, and {} would stay open: {}",
        closed.describe(),
        count(open.len(), "import"),
        list(open)
    )]
    Closed {
        /// The policy that was asked for.
        closed: crate::Closed,
        /// Each import that would stay open, and who imports it; why is in the report (its [`Outcome::Open`]).
        open: Vec<ImportOf>,
        /// The wiring.
        report: Box<Report>,
    },
    /// Two open imports must become one import of the result, but their types conflict.
    #[error(
        "`{first}` imported by {first_importer} and `{second}` imported by {second_importer} must become one import \
         of the composition, but their types conflict"
    )]
    ImportConflict {
        /// The first import of the name.
        first: String,
        /// The instance that imports it.
        first_importer: Box<str>,
        /// The import that conflicts with it.
        second: String,
        /// The instance that imports that.
        second_importer: Box<str>,
        /// Whether the two names differ by their version, so that keeping versions apart would help.
        versions_differ: bool,
        /// What the type merge said.
        #[source]
        source: BoxError,
        /// The wiring so far (every instance's imports), so the conflict can be seen in context.
        report: Option<Box<Report>>,
    },
    /// An open import whose type the composition cannot express as an import of its own: a resource (or a type
    /// holding one) that an import takes from an instance with no import of its own to alias it from, such as an
    /// instance nested inside another import. (From a top-level instance import with a plain name, `base`, it is
    /// aliased from that import, as wasm-compose does.) A copy of a resource would be a new resource.
    #[error(
        "`{import}` imported by {importer} cannot stay an import of the composition: its types cannot be \
         expressed there; plug it with a component that exports it, or give the interface its types come from a \
         package name (`ns:pkg/name`)"
    )]
    ImportInexpressible {
        /// The import.
        import: String,
        /// The instance that imports it.
        importer: String,
        /// What the type merge said.
        #[source]
        source: BoxError,
    },
    /// The composition graph refused an edge or an export (a bug in weld if matching said it fits).
    #[error("failed to build the composition graph")]
    Graph(#[source] BoxError),
    /// Encoding the graph failed.
    #[error("failed to encode the composed component")]
    Encode(#[source] wac_graph::EncodeError),
    /// weld's encoder could not write the composition.
    #[error("failed to encode the composition")]
    Encoding(#[source] crate::encode::EncodeError),
    /// The encoded result does not validate.
    #[error("the composed component is invalid{}", limit_hint(.0))]
    Invalid(#[source] weld_wit::Invalid),
}

/// A request that contradicts itself or its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Two inputs have the same label.
    #[error("`{0}` is given twice")]
    Twice(String),
    /// A wire names the root.
    #[error("a wire names the root `{0}`; the root's exports are not used to plug imports")]
    WireToRoot(String),
    /// A wire names no plug.
    #[error("a wire names `{target}`, which is not one of the plugs ({})", plugs.join(", "))]
    WireToNothing {
        /// What the wire names.
        target: String,
        /// The plugs there are.
        plugs: Vec<String>,
    },
    /// A wire could name several plugs.
    #[error(
        "the wire to `{target}` could name any of {}; use the path as given",
        candidates.join(", ")
    )]
    WireAmbiguous {
        /// What the wire names.
        target: String,
        /// The plugs it could mean.
        candidates: Vec<String>,
    },
    /// A wire matched no import of any instance.
    #[error(
        "the wire `{import}` = `{component}` matches no import of the components that were instantiated"
    )]
    WireUnused {
        /// The import it names.
        import: String,
        /// The plug it names.
        component: String,
    },
}

impl ComposeError {
    /// A graph error as a [`ComposeError::Graph`], with its causes.
    pub(crate) fn graph(err: impl std::error::Error + Send + Sync + 'static) -> ComposeError {
        ComposeError::Graph(Box::new(err))
    }

    /// The wiring that led to the failure, when matching got that far.
    pub fn report(&self) -> Option<&Report> {
        match self {
            ComposeError::Unresolved(report)
            | ComposeError::NothingToCompose(report)
            | ComposeError::Closed { report, .. } => Some(report),
            ComposeError::ImportConflict { report, .. } => report.as_deref(),
            _ => None,
        }
    }
}

/// An import of one instance of a composition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOf {
    /// The import's name (`wasi:http/types@0.2.3`).
    pub name: String,
    /// The instance that imports it, as the report names it.
    pub importer: String,
}

impl std::fmt::Display for ImportOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` of {}", self.name, self.importer)
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list<T: std::fmt::Display>(items: &[T]) -> String {
    let texts: Vec<String> = items.iter().map(T::to_string).collect();
    match texts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => texts.concat(),
    }
}

/// The imports that could not be decided, each with the kind of its problem.
fn unresolved(report: &Report) -> String {
    let problems: Vec<String> = report
        .problems()
        .map(|(consumer, import, problem)| format!("`{import}` of {consumer} ({})", problem.kind()))
        .collect();
    match problems.as_slice() {
        [one] => format!("{one} cannot be plugged"),
        many => format!(
            "{} cannot be plugged: {}",
            count(many.len(), "import"),
            list(many)
        ),
    }
}

/// What a validator limit means for a composition: every instance counts, the ones plugs export included.
/// What a validator message means for a composition, for the shapes weld does not yet catch before encoding (the
/// validator's own words stay in the cause).
fn limit_hint(invalid: &weld_wit::Invalid) -> &'static str {
    let message = invalid.message.as_str();
    if message.contains("count exceeds limit") {
        " (a limit of the component-model validator that wasmtime shares; every instance counts, including the \
         instance each plug exports)"
    } else if message.contains("resource types are not the same") {
        ": an instance is given a resource from one provider and, in another argument, something that uses the \
         same resource from another provider (two instances of one interface, or two versions of it); take both \
         from the same instance"
    } else if message.contains("not valid to be used as export") {
        ": an export uses a type that the result neither imports nor exports; export the interface that defines \
         it as well"
    } else if message.contains("not valid to be used as import") {
        ": an import of the result would name a type of an instance inside it; leave the interface that defines \
         that type open too"
    } else {
        ""
    }
}

/// `1 import`, `2 imports`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

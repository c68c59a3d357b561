//! Errors at a place in a text file: a WIT file, a `.wac` document, a compose file. Each keeps the file's text, the
//! diagnostic with every labelled span and help it has, and its causes, so that the CLI can draw it the way wac and
//! rustc do (miette's graphical report) and an embedder can read the spans as data.

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use std::fmt;
use std::path::Path;

pub use weld_files::BoxError;

/// A diagnostic tied to one text file: its labels point into [`SourceError::text`].
///
/// `Display` gives the diagnostic's message alone; [`SourceError::location`] gives `file:line:column` of its first
/// label (1-based, columns in characters, as wac and rustc count them). It is one pointer wide, so errors that hold
/// it unboxed stay small, and a cause chain reaches it as itself (`downcast_ref::<SourceError>()`).
pub struct SourceError(Box<Inner>);

struct Inner {
    source_code: NamedSource<String>,
    diagnostic: Box<dyn Diagnostic + Send + Sync + 'static>,
    cause: Option<BoxError>,
}

impl SourceError {
    /// `diagnostic`, whose labels are byte ranges of `text`, the contents of the file `path`.
    pub fn new(
        path: &Path,
        text: impl Into<String>,
        diagnostic: impl Diagnostic + Send + Sync + 'static,
    ) -> SourceError {
        SourceError(Box::new(Inner {
            source_code: NamedSource::new(path.display().to_string(), text.into()),
            diagnostic: Box::new(diagnostic),
            cause: None,
        }))
    }

    /// The same, with `cause` as the error's source (what failed underneath, such as reading a file the label
    /// names).
    pub fn caused_by(mut self, cause: impl Into<BoxError>) -> SourceError {
        self.0.cause = Some(cause.into());
        self
    }

    /// The file, as given.
    pub fn path(&self) -> &str {
        self.0.source_code.name()
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        self.0.source_code.inner()
    }

    /// The labelled spans, primary first where the diagnostic marks one.
    pub fn spans(&self) -> Vec<LabeledSpan> {
        let mut labels: Vec<LabeledSpan> = self
            .0
            .diagnostic
            .labels()
            .map(Iterator::collect)
            .unwrap_or_default();
        labels.sort_by_key(|l| !l.primary());
        labels
    }

    /// `file:line:column` of the first (primary) label, or the file alone when there is none.
    pub fn location(&self) -> String {
        match self.spans().first() {
            Some(label) => {
                let (line, column) = line_column(self.text(), label.offset());
                format!("{}:{line}:{column}", self.path())
            }
            None => self.path().to_owned(),
        }
    }
}

/// An error and its causes on one line, joined with `: ` (`failed to read `x`: No such file or directory`): for a
/// verdict in a report, or a line of log, where the cause chain cannot be drawn.
pub fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl fmt::Debug for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceError")
            .field("location", &self.location())
            .field("diagnostic", &self.0.diagnostic)
            .field("cause", &self.0.cause)
            .finish()
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0.diagnostic, f)
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.cause {
            Some(cause) => Some(&**cause),
            None => self.0.diagnostic.source(),
        }
    }
}

impl Diagnostic for SourceError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.diagnostic.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.0.diagnostic.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.diagnostic.help()
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.diagnostic.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.0.source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.diagnostic.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.0.diagnostic.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.0.diagnostic.diagnostic_source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let text = "a = 1\nroot = \"x\"\né = \"y\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 13), (2, 8));
        // `é` is two bytes and one column.
        assert_eq!(line_column(text, text.find("= \"y").unwrap()), (3, 3));
        assert_eq!(line_column(text, 10_000), (4, 1));
    }

    #[test]
    fn the_location_is_that_of_the_primary_label() {
        let diagnostic = miette::MietteDiagnostic::new("bad value")
            .with_label(LabeledSpan::at(0..1, "other"))
            .and_label(LabeledSpan::new_primary_with_span(
                Some("here".into()),
                6..10,
            ));
        let err = SourceError::new(Path::new("f.toml"), "a = 1\nroot = 2\n", diagnostic);
        assert_eq!(err.location(), "f.toml:2:1");
        assert_eq!(err.to_string(), "bad value");
        assert_eq!(err.spans().len(), 2);
    }
}

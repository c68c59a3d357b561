//! Writing results to stdout: text and JSON, never panicking on a closed pipe. Files are in `files`, numbers for
//! people in `units`.

use anyhow::{Context, Result};
use std::io::Write;

/// Writes `text` to stdout. A closed pipe comes back as an error that `report` treats as a quiet exit.
pub fn print(text: &str) -> Result<()> {
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("failed to write to stdout")
}

/// Writes `value` to stdout as pretty JSON followed by a newline.
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    print(&json(value)?)
}

/// `value` as pretty JSON followed by a newline.
pub fn json(value: &impl serde::Serialize) -> Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("failed to serialise JSON")?;
    text.push('\n');
    Ok(text)
}

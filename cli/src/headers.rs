//! `weld serve -H`: headers set on every request, given as `NAME: VALUE` or read from a file with `@FILE`
//! (`wasmtime serve -H` takes the same forms).

use anyhow::{Context as _, Result, bail};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::path::PathBuf;

/// One `-H` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderArg {
    /// `NAME: VALUE`, checked when parsed.
    One(HeaderName, HeaderValue),
    /// `@FILE`: one `NAME: VALUE` a line, read when the server starts.
    File(PathBuf),
}

impl HeaderArg {
    /// Parses `-H`'s value: `@FILE`, or one header (bad usage when it is not `NAME: VALUE` with a valid name
    /// and value).
    pub fn parse(text: &str) -> Result<HeaderArg, String> {
        match text.strip_prefix('@') {
            Some("") => Err("`@` needs a file: -H @headers.txt".into()),
            Some(path) => Ok(HeaderArg::File(PathBuf::from(path))),
            None => header(text).map(|(name, value)| HeaderArg::One(name, value)),
        }
    }

    /// Adds the header, or each header of the file, to `headers`.
    ///
    /// # Errors
    /// The file cannot be read, or one of its lines is not a header (named by its line number).
    pub fn add_to(&self, headers: &mut HeaderMap) -> Result<()> {
        match self {
            HeaderArg::One(name, value) => {
                headers.append(name, value.clone());
            }
            HeaderArg::File(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the headers of -H @{}", path.display())
                })?;
                for (number, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    match header(line) {
                        Ok((name, value)) => {
                            headers.append(name, value);
                        }
                        Err(why) => bail!("{}:{}: {why}", path.display(), number + 1),
                    }
                }
            }
        }
        Ok(())
    }
}

/// Headers that say how the request or its connection is framed (RFC 9110 §7.2 and §7.6.1, RFC 9112 §6): the
/// server takes them from the client, and setting them for the handler would lie about the request.
const FRAMING: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// `NAME: VALUE` (spaces around the value are dropped): a header, or why it is not one.
fn header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!("`{text}` is not a header: write `NAME: VALUE`"));
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("`{}` is not a valid header name", name.trim()))?;
    if FRAMING.contains(&name.as_str()) {
        return Err(format!(
            "`{name}` cannot be set with -H: it frames the request or the connection, which the server reads \
             from the client (a forged one would tell the handler a body length or an authority that is not so)"
        ));
    }
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        format!("the value of `{name}` holds a character a header may not (a control character)")
    })?;
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_header_is_parsed_and_bad_ones_say_why() {
        let HeaderArg::One(name, value) = HeaderArg::parse("X-Tenant:  acme ").unwrap() else {
            panic!("not one header");
        };
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-tenant", "acme")
        );
        assert!(
            HeaderArg::parse("no colon")
                .unwrap_err()
                .contains("NAME: VALUE")
        );
        assert!(
            HeaderArg::parse("bad name: x")
                .unwrap_err()
                .contains("not a valid header name")
        );
        assert!(
            HeaderArg::parse("x: a\u{1}b")
                .unwrap_err()
                .contains("control character")
        );
        assert!(HeaderArg::parse("@").is_err());
        // Regression: `-H 'Content-Length: 5'` told the handler a false body length; `Host` and
        // `Transfer-Encoding` were dropped without a word.
        for framing in [
            "Content-Length: 5",
            "Host: evil.com",
            "Transfer-Encoding: chunked",
            "Connection: close",
        ] {
            let err = HeaderArg::parse(framing).unwrap_err();
            assert!(err.contains("cannot be set with -H"), "{err}");
        }
        assert_eq!(
            HeaderArg::parse("@h.txt").unwrap(),
            HeaderArg::File(PathBuf::from("h.txt"))
        );
    }

    #[test]
    fn a_file_gives_a_header_a_line_and_names_the_line_that_is_not_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.txt");
        std::fs::write(&path, "# tenant\nx-a: 1\n\nx-b: 2\nx-a: 3\n").unwrap();
        let mut headers = HeaderMap::new();
        HeaderArg::File(path.clone()).add_to(&mut headers).unwrap();
        let a: Vec<_> = headers.get_all("x-a").iter().collect();
        assert_eq!(a, ["1", "3"]);
        assert_eq!(headers["x-b"], "2");
        std::fs::write(&path, "x-a: 1\nbroken\n").unwrap();
        let err = HeaderArg::File(path).add_to(&mut headers).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("h.txt:2: `broken` is not a header: write `NAME: VALUE`"),
            "{err}"
        );
    }
}

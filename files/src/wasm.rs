//! WebAssembly as a binary or as WAT text.

use crate::error::{Error, Result};
use crate::read::read_file;
use std::borrow::Cow;
use std::path::Path;

/// Reads a WebAssembly file from disk: a binary as is, WAT text compiled to a binary. Errors name the file.
pub fn read_wasm(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_file(path)?;
    Ok(match wasm_bytes(path, &bytes)? {
        Cow::Borrowed(_) => bytes,
        Cow::Owned(compiled) => compiled,
    })
}

/// Reads any file weld accepts as WebAssembly: a binary as is (borrowed), WAT text compiled to a binary.
pub fn wasm_bytes<'a>(path: &Path, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>> {
    if bytes.is_empty() {
        return Err(Error::Empty {
            path: path.to_path_buf(),
        });
    }
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes.into());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if looks_like_wat(path, text) => {
            wat::parse_str(text).map(Into::into).map_err(|mut err| {
                err.set_path(path);
                Error::Wat {
                    path: path.to_path_buf(),
                    source: Box::new(err),
                }
            })
        }
        // A short ELF file can be ASCII: the magic decides, not the encoding.
        Ok(_) if !bytes.starts_with(ELF) => Err(Error::UnknownFormat {
            path: path.to_path_buf(),
            reason: "it is text, but not WebAssembly text (WAT)".into(),
        }),
        _ => Err(not_wasm(path, bytes)),
    }
}

/// The magic number of an ELF file: what precompiled code is.
const ELF: &[u8] = b"\x7fELF";

/// The error for `bytes` of the file `path` that are neither a WebAssembly binary nor WAT text: an ELF file is
/// [`Error::Precompiled`], anything else [`Error::UnknownFormat`] quoting its first bytes.
pub fn not_wasm(path: &Path, bytes: &[u8]) -> Error {
    if bytes.starts_with(ELF) {
        // What `weld compile` and `wasmtime compile` write; one wasmtime did not recognise is damaged or foreign.
        return Error::Precompiled {
            path: path.to_path_buf(),
        };
    }
    let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    Error::UnknownFormat {
        path: path.to_path_buf(),
        reason: format!(
            "it starts with the bytes `{}`, not the `00 61 73 6d` (\\0asm) magic number of a WebAssembly binary",
            head.join(" ")
        ),
    }
}

/// Whether `text`, the contents of `path`, is WAT rather than WIT: the extension says so (`.wat`, `.wast`; never
/// `.wit`), or the first token after `;;` comments is an s-expression.
pub fn looks_like_wat(path: &Path, text: &str) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if matches!(ext, "wat" | "wast") {
        return true;
    }
    if ext == "wit" {
        return false;
    }
    let mut rest = text.trim_start();
    // Skip `;; line comments` before the first token.
    while let Some(stripped) = rest.strip_prefix(";;") {
        rest = stripped
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest.starts_with('(')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> std::path::PathBuf {
        Path::new("dir").join(name)
    }

    #[test]
    fn a_binary_is_borrowed_and_wat_is_compiled() {
        let binary = b"\0asm\x01\0\0\0";
        assert!(matches!(
            wasm_bytes(&named("a.wasm"), binary),
            Ok(Cow::Borrowed(_))
        ));
        let compiled = wasm_bytes(&named("a.txt"), b";; a module\n(module)").unwrap();
        assert_eq!(&*compiled, binary);
    }

    #[test]
    fn bad_wat_names_the_file_with_a_line_and_column() {
        let Err(Error::Wat { path, source }) =
            wasm_bytes(&named("bad.wat"), b"(module\n  (func (nope)))")
        else {
            panic!("expected a WAT error");
        };
        assert_eq!(path, named("bad.wat"));
        let text = source.to_string();
        assert!(text.contains("bad.wat:2:"), "{text}");
    }

    #[test]
    fn empty_elf_and_other_bytes_are_told_apart() {
        assert!(matches!(
            wasm_bytes(&named("e.wasm"), b""),
            Err(Error::Empty { .. })
        ));
        assert!(matches!(
            wasm_bytes(&named("c.cwasm"), b"\x7fELF\x02\x01"),
            Err(Error::Precompiled { .. })
        ));
        let Err(Error::UnknownFormat { reason, .. }) = wasm_bytes(&named("x.wasm"), b"\x89PNG\r\n")
        else {
            panic!("expected an unknown format");
        };
        assert!(reason.contains("`89 50 4e 47`"), "{reason}");
        assert!(matches!(
            wasm_bytes(&named("w.wit"), b"package a:b;"),
            Err(Error::UnknownFormat { .. })
        ));
    }

    #[test]
    fn wat_is_told_from_wit_by_extension_then_by_the_first_token() {
        assert!(looks_like_wat(&named("x.wat"), "package a:b;"));
        assert!(!looks_like_wat(&named("x.wit"), "(module)"));
        assert!(looks_like_wat(&named("x"), ";; one\n;; two\n  (component)"));
        assert!(!looks_like_wat(&named("x"), "package a:b;"));
    }
}

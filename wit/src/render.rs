//! Rendering a [`WitSource`] as WIT text, and as the files of a WIT package directory.

use crate::error::{Error, Result};
use crate::guard::caught;
use crate::source::WitSource;
use std::collections::HashMap;
use std::path::PathBuf;
use wit_component::WitPrinter;
use wit_parser::PackageId;

/// The WIT text of `src`: the main package, then every other package shown in `package x:y { ... }` form.
///
/// For a component this is the same text as `wasm-tools component wit` prints.
pub fn to_wit(src: &WitSource) -> Result<String> {
    print(src, src.package, &src.packages[1..])
}

/// One file of a WIT package directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitFile {
    /// Path relative to the directory: `<name>.wit` for the main package, `deps/<name>.wit` for the others.
    pub path: PathBuf,
    /// The WIT text.
    pub contents: String,
}

/// The files of a WIT package directory holding `src`: the main package at the top, every other package shown
/// under `deps/`, so that loading the directory gives back the same packages.
pub fn package_files(src: &WitSource) -> Result<Vec<WitFile>> {
    let stems = file_stems(src);
    src.packages
        .iter()
        .map(|id| {
            let contents = print(src, *id, &[])?;
            let file = format!("{}.wit", stems[id]);
            let path = if *id == src.package {
                PathBuf::from(file)
            } else {
                PathBuf::from("deps").join(file)
            };
            Ok(WitFile { path, contents })
        })
        .collect()
}

/// File names for the packages: `name`, else `namespace-name`, else `namespace-name@version`: the shortest that is
/// unique among the packages shown.
fn file_stems(src: &WitSource) -> HashMap<wit_parser::PackageId, String> {
    let candidates = |id: &wit_parser::PackageId| {
        let name = &src.resolve.packages[*id].name;
        let full = format!("{}-{}", name.namespace, name.name);
        let versioned = match &name.version {
            Some(v) => format!("{full}@{v}"),
            None => full.clone(),
        };
        [name.name.clone(), full, versioned]
    };
    let all: Vec<_> = src.packages.iter().map(candidates).collect();
    src.packages
        .iter()
        .zip(&all)
        .map(|(id, mine)| {
            let unique = (0..3)
                .find(|level| all.iter().filter(|c| c[*level] == mine[*level]).count() == 1)
                .unwrap_or(2);
            (*id, mine[unique].clone())
        })
        .collect()
}

/// Prints `package`, and `nested` in `package x:y { ... }` form, with wit-component's printer. Its panics are
/// caught: it assumes shapes that a valid component can lack (a type aliased from an instance import without an
/// interface name, as in wasm-compose's `resources-and-aliases` test, makes it unwrap `None`), and weld answers
/// those with an error.
fn print(src: &WitSource, package: PackageId, nested: &[PackageId]) -> Result<String> {
    let printed = caught(|| {
        let mut printer = WitPrinter::default();
        printer
            .print(&src.resolve, package, nested)
            .map(|()| printer.output.to_string())
    });
    match printed {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(err)) => Err(Error::Decode {
            path: src.path.clone(),
            source: err.context("failed to print WIT").into(),
        }),
        Err(message) => Err(Error::LibraryPanic {
            path: src.path.clone(),
            library: "wit-component's WIT printer",
            message,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "package a:b@1.0.0;
interface i { use c:d/t.{x}; f: func(v: x); }
world w { import i; }
world other { export i; }
package c:d { interface t { type x = u32; } interface unused { g: func(); } }
";

    #[test]
    fn prints_main_package_first_and_nested_after() {
        let src = WitSource::from_wit_text("t.wit", TEXT).unwrap();
        let text = to_wit(&src).unwrap();
        assert!(text.starts_with("package a:b@1.0.0;"), "{text}");
        assert!(text.contains("package c:d {"), "{text}");
    }

    #[test]
    fn package_files_read_back_to_the_same_text() {
        let src = WitSource::from_wit_text("t.wit", TEXT).unwrap();
        let dir = std::env::temp_dir().join(format!("weld-wit-render-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for file in package_files(&src).unwrap() {
            let path = dir.join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file.contents).unwrap();
        }
        let back = crate::load(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(to_wit(&back).unwrap(), to_wit(&src).unwrap());
    }

    #[test]
    fn selecting_a_world_keeps_only_what_it_reaches() {
        let src = WitSource::from_wit_text("t.wit", TEXT).unwrap();
        let text = to_wit(&src.select_world("w").unwrap()).unwrap();
        assert!(text.contains("world w"), "{text}");
        assert!(!text.contains("world other"), "{text}");
        assert!(text.contains("interface t"), "{text}");
        assert!(!text.contains("unused"), "{text}");
    }

    #[test]
    fn unknown_world_lists_the_worlds() {
        let src = WitSource::from_wit_text("t.wit", TEXT).unwrap();
        let err = src.select_world("nope").unwrap_err().to_string();
        assert!(err.contains("a:b/w@1.0.0"), "{err}");
    }
}

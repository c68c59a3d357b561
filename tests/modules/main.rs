//! The house rule "no module circles", checked: in every crate of the workspace, no top-level module reaches itself
//! through the `crate::<module>` paths the modules use (a module's files are its `.rs` file and its folder). A
//! circle makes two modules one job in two files; break it by moving what both need to a module of its own (as
//! `weld-runtime`'s `store.rs` and `weld-compose`'s `ComposeError::graph` did).
//!
//! Paths through the crate root's re-exports (`crate::Handler`) are not followed, nor are `super::` paths (inside
//! one module). Run it alone: `cargo test -p weld-tests --test modules`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates whose modules are checked, by folder.
const CRATES: [&str; 6] = [
    "files",
    "wit",
    "compose",
    "runtime",
    "registry-client",
    "cli",
];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file of `src` belongs to (`runner` for `runner.rs` and `runner/load.rs`), or `None` for
/// the crate root (`lib.rs`, `main.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).unwrap().components().next()?;
    let name = first.as_os_str().to_str()?.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The names `text` reaches through `crate::` paths, in code (comments and the unit tests after `#[cfg(test)]`
/// are not the module's design): `crate::store::settle` and `use crate::{store, cache::Digest}` name `store` and
/// `cache`. Names that are not modules (a function re-exported at the root) are filtered out by the caller.
fn uses(text: &str) -> BTreeSet<String> {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = code.as_str();
    let mut named = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let part = part.trim();
                named.extend(first_segment(part).or_else(|| bare(part)));
            }
        } else {
            named.extend(first_segment(rest));
        }
    }
    named
}

/// A lowercase name alone in a `use crate::{...}` group (`store`), which may be a module.
fn bare(name: &str) -> Option<String> {
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
    .then(|| name.to_owned())
}

/// The first path segment of `path` when it is a lowercase module name.
fn first_segment(path: &str) -> Option<String> {
    let end = path
        .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(path.len());
    let name = &path[..end];
    (!name.is_empty() && path[end..].starts_with("::")).then(|| name.to_owned())
}

/// The module graph of the crate whose sources are in `src`: module to the modules it uses.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(src, &file) else {
            continue;
        };
        let mut used = uses(&std::fs::read_to_string(&file).unwrap());
        used.remove(&module);
        graph.entry(module).or_default().extend(used);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for used in graph.values_mut() {
        used.retain(|name| modules.contains(name));
    }
    graph
}

/// A circle through `start`, if there is one: the modules along it, `start` first and last.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().expect("never empty");
        for next in graph.get(last).into_iter().flatten() {
            if next == start {
                let mut found = path.clone();
                found.push(start.to_owned());
                return Some(found);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_reaches_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut circles = Vec::new();
    for krate in CRATES {
        let graph = graph(&root.join(krate).join("src"));
        for module in graph.keys() {
            if let Some(found) = circle(&graph, module) {
                circles.push(format!("{krate}: {}", found.join(" -> ")));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "module circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_check_reads_grouped_and_nested_paths_and_finds_a_circle() {
    let named = uses(
        "use crate::{store::settle, cache};\nlet x = crate::limits::Hit;\n// crate::docs::X\n\
         #[cfg(test)]\nmod tests { use crate::engine; }\n",
    );
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["cache", "limits", "store"]
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, uses)| (m.to_owned(), uses.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circle(&graph, "a").unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(circle(&graph, "d"), None);
}

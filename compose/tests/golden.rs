//! Golden tests of the composition engine, in-process: one folder per case under `tests/cases/`, the inputs as
//! data and the expected outputs beside them.
//!
//! A case holds `compose.toml` (a weld compose file) or `compose.wac` (a WAC document, its packages under `deps/`
//! or named in `deps.toml` as `"ns:name" = "<reference>"`, a reference being any of those below). Components are referenced as `fixture:<name>` (a
//! component of the weld-fixtures crate, built from its WAT and WIT) or as a path in the case folder: `.wat`
//! text (a component or a core module); a `.wit` file, encoded as a WIT package binary the way
//! `wasm-tools component wit --wasm` encodes it; or `file.wit#world`, a component of that world whose core module
//! does nothing, the way `wasm-tools component embed --dummy` and `component new` make one (for shapes of types
//! that need no running). Expected, beside them:
//! - `report.json`: the wiring report, as `weld compose --json` prints it (the schema docs/compose.md pins);
//! - `result.wit`: the WIT of the composed component, on success; or `result.wat`, its text, when WIT cannot say
//!   what it imports (a resource its imports alias from a plain-named import: wit-parser cannot decode that, or
//!   wit-component cannot print it, and `wasm-tools component wit` fails on it the same way);
//! - `error.txt`: the error with its causes, and for a diagnostic its `file:line:column`, every label and help.
//!
//! `BLESS=1 cargo test -p weld-compose --test golden` rewrites the expectations; `cargo test ... -- <case>` runs one.

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use weld_compose::{
    BoxError, ComposeError, ComposeFile, Composition, Options, Resolver, SourceError, WacDocument,
    compose, compose_wac,
};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/cases exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    let trials = cases
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            Trial::test(name, move || check(&dir))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// The expectation files a case may have.
const OUTPUTS: [&str; 4] = ["report.json", "result.wit", "result.wat", "error.txt"];

/// Composes the case in `dir` and compares (or, with `BLESS=1`, writes) what it gives.
fn check(dir: &Path) -> Result<(), Failed> {
    let produced = outputs(dir, run(dir));
    let bless = std::env::var_os("BLESS").is_some();
    let mut wrong = Vec::new();
    for name in OUTPUTS {
        let path = dir.join(name);
        let expected = std::fs::read_to_string(&path).ok();
        let actual = produced.get(name);
        if expected.as_ref() == actual {
            continue;
        }
        if bless {
            match actual {
                Some(text) => std::fs::write(&path, text)?,
                None => std::fs::remove_file(&path)?,
            }
            continue;
        }
        wrong.push(format!(
            "{name}:\n--- expected\n{}\n--- actual\n{}",
            expected.as_deref().unwrap_or("(no such file)"),
            actual.map_or("(not produced)", String::as_str)
        ));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} differs (BLESS=1 rewrites it):\n{}",
            dir.display(),
            wrong.join("\n")
        )
        .into())
    }
}

/// Composes the case.
fn run(dir: &Path) -> Result<Composition, ComposeError> {
    let resolver = CaseResolver;
    let wac = dir.join("compose.wac");
    if wac.is_file() {
        let deps = match std::fs::read_to_string(dir.join("deps.toml")) {
            Ok(text) => toml_map(&text)
                .into_iter()
                .map(|(name, reference)| (name.clone(), resolver.dep_file(&name, &reference, dir)))
                .collect(),
            Err(_) => Default::default(),
        };
        let document = WacDocument {
            path: wac,
            deps_dir: dir.join("deps"),
            deps,
        };
        return compose_wac(&document, &Options::default());
    }
    let file = ComposeFile::load(&dir.join("compose.toml"), &resolver)?;
    let options = file.options();
    compose(file.root, file.plugs, &options)
}

/// What a case produced, by expectation file name, with the case folder's path replaced by `$CASE` (and, in WAT,
/// weld's version in the producers section by `$VERSION`; in the validator's text, resource ids by `{..}`).
fn outputs(
    dir: &Path,
    result: Result<Composition, ComposeError>,
) -> BTreeMap<&'static str, String> {
    let mut out = BTreeMap::new();
    let json = |report| serde_json::to_string_pretty(report).unwrap() + "\n";
    match result {
        Ok(composition) => {
            out.insert("report.json", json(&composition.report));
            let bytes = composition.to_bytes();
            let wit = weld_wit::WitSource::from_binary(Path::new("composed.wasm"), &bytes)
                .ok()
                .and_then(|src| weld_wit::to_wit(&src).ok());
            match wit {
                Some(wit) => out.insert("result.wit", wit),
                None => out.insert(
                    "result.wat",
                    wasmprinter::print_bytes(&bytes).expect("it prints as WAT"),
                ),
            };
        }
        Err(err) => {
            if let Some(report) = err.report() {
                out.insert("report.json", json(report));
            }
            out.insert("error.txt", render(&err));
        }
    }
    let case = dir.display().to_string();
    let version = format!("\"weld\" \"{}\"", env!("CARGO_PKG_VERSION"));
    out.into_iter()
        .map(|(name, text)| {
            let text = text.replace(&case, "$CASE");
            let text = text.replace(&version, "\"weld\" \"$VERSION\"");
            (name, without_resource_ids(&text))
        })
        .collect()
}

/// `text` with the validator's `ResourceId { .. }` written without its numbers, which count the resources of the
/// whole test process and so depend on which cases ran before.
fn without_resource_ids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("ResourceId {") {
        out.push_str(&rest[..at]);
        out.push_str("ResourceId {..}");
        rest = rest[at..].split_once('}').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out
}

/// An error as plain text: the message, then each cause; a diagnostic with its place, labels and help.
fn render(err: &ComposeError) -> String {
    let mut out = format!("error: {err}\n");
    let mut cause = err.source();
    while let Some(c) = cause {
        match c.downcast_ref::<SourceError>() {
            Some(located) => {
                out.push_str(&format!("at {}: {located}\n", located.location()));
                for label in located.spans() {
                    let (line, column) = weld_wit::line_column(located.text(), label.offset());
                    out.push_str(&format!(
                        "  {} {line}:{column}: {}\n",
                        if label.primary() { "primary" } else { "label" },
                        label.label().unwrap_or("")
                    ));
                }
                if let Some(help) = miette::Diagnostic::help(located) {
                    out.push_str(&format!("  help: {help}\n"));
                }
            }
            None => out.push_str(&format!("caused by: {c}\n")),
        }
        cause = c.source();
    }
    out
}

/// `fixture:<name>` builds a weld-fixtures component; anything else is a file of the case.
struct CaseResolver;

impl CaseResolver {
    /// The file a `.wac` case's `deps.toml` gives package `name`: a path as [`CaseResolver::path`] finds it, or, for
    /// `file.wit#world`, that world's component (see [`Resolver::resolve`]) written to a temporary file.
    fn dep_file(&self, name: &str, reference: &str, base: &Path) -> PathBuf {
        if !reference.contains('#') {
            return self.path(reference, base);
        }
        let bytes = self
            .resolve(reference, base)
            .unwrap_or_else(|e| panic!("failed to build {reference}: {e}"));
        let case = base.file_name().unwrap().to_string_lossy();
        let dir = std::env::temp_dir().join("weld-golden-deps").join(&*case);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.wasm", name.replace(':', "-")));
        std::fs::write(&file, bytes).unwrap();
        file
    }

    /// The file a reference names.
    fn path(&self, reference: &str, base: &Path) -> PathBuf {
        match reference.strip_prefix("fixture:") {
            Some(name) => {
                let cache = std::env::temp_dir().join("weld-test-fixtures");
                weld_fixtures::ensure(&cache, name)
                    .unwrap_or_else(|e| panic!("failed to build fixture {name}: {e:#}"))
            }
            None => base.join(reference),
        }
    }
}

impl Resolver for CaseResolver {
    fn resolve(&self, reference: &str, base: &Path) -> Result<Vec<u8>, BoxError> {
        let (file, world) = match reference.split_once('#') {
            Some((file, world)) => (file, Some(world)),
            None => (reference, None),
        };
        let path = self.path(file, base);
        if path.extension().is_none_or(|e| e != "wit") {
            return Ok(weld_files::read_wasm(&path)?);
        }
        let mut resolve = wit_parser::Resolve::default();
        let package = resolve.push_file(&path)?;
        let Some(world) = world else {
            return Ok(wit_component::encode(&resolve, package)?);
        };
        let world = resolve.select_world(&[package], Some(world))?;
        let mut module =
            wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
        wit_component::embed_component_metadata(
            &mut module,
            &resolve,
            world,
            wit_component::StringEncoding::UTF8,
        )?;
        Ok(wit_component::ComponentEncoder::default()
            .module(&module)?
            .validate(true)
            .encode()?)
    }
}

/// `"key" = "value"` lines of a flat TOML table.
fn toml_map(text: &str) -> BTreeMap<String, String> {
    let table: toml::Table = text.parse().expect("deps.toml is TOML");
    table
        .into_iter()
        .map(|(k, v)| (k, v.as_str().expect("values are strings").to_owned()))
        .collect()
}

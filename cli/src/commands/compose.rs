//! `weld compose ROOT --plug C...`: link components into one by plugging imports with exports, transitively; also
//! from a compose file (`-c weld.toml`) or a `.wac` document.

use crate::commands::virt::{PolicyOpts, describe};
use crate::input::{Input, pair};
use crate::lock;
use crate::output;
use crate::registry::{RegistryOpts, Sources};
use crate::report::{GOOD, usage};
use crate::units::{count, human_size};
use crate::wiring::{explain, graphviz};
use anyhow::{Context, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use weld_compose::{
    Closed, Component, ComposeError, ComposeFile, Composition, Options, WacDocument, compose,
    compose_wac,
    virt::{Virtualized, virtualize},
};

/// Compose components: plug each import of ROOT with another component's export (same name, or a
/// semver-compatible version, type-checked), transitively, into ONE component that exports what ROOT exports.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld compose app.wasm --plug greeter.wasm -o hello.wasm
  weld compose app.wasm -p reverse.wasm -p upper.wasm -o app2.wasm --explain
  weld compose app.wasm -p a.wasm -p b.wasm --wire weld:examples/greeter=b.wasm -o out.wasm
  weld compose app.wasm -p greeter.wasm --closed -o out.wasm     fail if a non-wasi import stays open
  weld compose -c weld.toml                                      a compose file (docs/compose.md)
  weld compose app.wac --deps-dir deps -o out.wasm               a WAC document, as `wac compose` takes it

Exit status: 0 on success, 1 if the components cannot be composed (the summary and the reason are printed and
nothing is written), 2 on bad usage.")]
pub struct Opts {
    /// The root component (`.wasm`, `.wat` or `oci://host[:port]/repo:tag`), or a `.wac` document.
    #[arg(required_unless_present = "config", value_parser = Input::parse)]
    pub root: Option<Input>,
    /// A component that may satisfy imports (a file or an `oci://` reference; repeatable, any order). Plugs
    /// nothing needs are left out.
    #[arg(short, long = "plug", value_name = "COMPONENT", value_parser = Input::parse)]
    pub plugs: Vec<Input>,
    /// A compose file naming the components, the root, the wiring and the output.
    #[arg(short = 'c', long = "config", value_name = "FILE", conflicts_with_all = ["root", "plugs"])]
    pub config: Option<PathBuf>,
    /// Where to write the composed component (written only once it validates). Without it nothing is written.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Plug IMPORT (a full name, or one without its version) with PLUG (a plug's path, file name or stem),
    /// whatever else exports it.
    #[arg(long, value_name = "IMPORT=PLUG", value_parser = pair)]
    pub wire: Vec<(String, String)>,
    /// Fail if an import stays open: any but `wasi:*` ones, or with `=all` any at all.
    #[arg(long, value_name = "WHICH", num_args = 0..=1, require_equals = true, default_missing_value = "non-wasi")]
    pub closed: Option<ClosedArg>,
    /// Keep open imports that differ only by a compatible version (`wasi:io/streams@0.2.0` and `@0.2.12`) as
    /// separate imports, instead of merging them into one import of the newest.
    #[arg(long)]
    pub no_merge_imports: bool,
    /// Print the whole wiring table: every import, every candidate considered, the result's imports and exports.
    #[arg(long, conflicts_with = "json")]
    pub explain: bool,
    /// Print the wiring as JSON (schema: docs/compose.md).
    #[arg(long)]
    pub json: bool,
    /// Write the instance graph to FILE as `dot` or `mermaid`.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"])]
    pub graph: Vec<String>,
    /// For `.wac` documents: where packages live, as `<namespace>/<name>.wasm`, `.wat` or a WIT folder.
    #[arg(long, value_name = "DIR", default_value = "deps")]
    pub deps_dir: PathBuf,
    /// For `.wac` documents: the file of one package, overriding `--deps-dir`.
    #[arg(long = "dep", value_name = "NS:NAME=PATH", value_parser = pair)]
    pub deps: Vec<(String, String)>,
    /// Record in FILE (JSON) what the composition was built from: each file with its SHA-256, each `oci://`
    /// reference with the manifest and layer digests it resolved to, the options that shape the output, weld's
    /// version and the output's digest.
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Check against --lock's FILE instead of writing it: refuse, before composing, when an input or an option
    /// differs from it or a tag now resolves to another digest; fetch `oci://` inputs by their locked digests.
    #[arg(long, requires = "lock")]
    pub locked: bool,
    /// Decide capabilities inside the result, as `weld virt` does (docs/commands/virt.md).
    #[command(flatten, next_help_heading = "Virtualize the result (as weld virt)")]
    pub virt: PolicyOpts,
    /// How to reach the registries of `oci://` components.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// Which imports `--closed` forbids to stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClosedArg {
    /// Every import but `wasi:*` ones must be plugged.
    NonWasi,
    /// Every import must be plugged.
    All,
}

impl Opts {
    /// Runs `weld compose`.
    pub fn run(self) -> Result<ExitCode> {
        let graph = self.graph_target()?;
        let policy = self.virt.policy()?;
        crate::commands::virt::check_usage(&policy, "compose")?;
        if !policy.is_empty() && self.lock.is_some() {
            return Err(usage(
                "compose",
                "--lock records the composition itself: lock it without --deny, --stub, --env or --args, then run \
                 weld virt on its output",
            ));
        }
        let mut options = Options {
            wires: self.wire.clone(),
            closed: match self.closed {
                None => Closed::No,
                Some(ClosedArg::NonWasi) => Closed::NonWasi,
                Some(ClosedArg::All) => Closed::All,
            },
            no_merge_imports: self.no_merge_imports,
        };
        let pins = match (&self.lock, self.locked) {
            (Some(path), true) => Some(lock::read(path)?),
            _ => None,
        };
        let mut sources = Sources::new(&self.registry);
        if self.lock.is_some() {
            sources = sources.locking(pins.clone());
        }
        const NOT_COMPOSED: &str = "nothing was composed";
        // The compose file or `.wac` document, which a lock records beside the inputs.
        let mut config_input = None;
        let (what, output, result) = if let Some(config) = &self.config {
            let file = ComposeFile::load(config, &sources)?;
            options.wires.extend(file.wires);
            options.closed = self.closed.map_or(file.closed, |_| options.closed);
            options.no_merge_imports |= file.no_merge_imports;
            let output = self.output.clone().or(file.output);
            let what = config.display().to_string();
            if self.lock.is_some() {
                config_input = Some(lock::file(config)?);
            }
            if let Some(pins) = &pins {
                let inputs = sources.recorded();
                lock::check(
                    self.lock_path(),
                    pins,
                    config_input.as_ref(),
                    &inputs,
                    &options,
                    NOT_COMPOSED,
                )?;
            }
            (what, output, compose(file.root, file.plugs, &options))
        } else {
            let root = self
                .root
                .as_ref()
                .expect("clap requires ROOT without --config");
            let result = match root {
                Input::File(path) if self.is_wac() => {
                    if self.lock.is_some() {
                        config_input = Some(lock::file(path)?);
                    }
                    self.compose_wac(path, &options)?
                }
                _ => {
                    let (root, plugs) = read_components(&sources, root, &self.plugs)?;
                    if let Some(pins) = &pins {
                        let inputs = sources.recorded();
                        lock::check(
                            self.lock_path(),
                            pins,
                            None,
                            &inputs,
                            &options,
                            NOT_COMPOSED,
                        )?;
                    }
                    compose(root, plugs, &options)
                }
            };
            (root.to_string(), self.output.clone(), result)
        };
        // What each registry reference resolved to, before the summary (on stderr when stdout is JSON).
        let pulled = sources.summary();
        if self.json {
            eprint!("{pulled}");
        } else {
            output::print(&pulled)?;
        }
        let composition = match result {
            Ok(c) => c,
            Err(err) => return Err(self.failed(err)),
        };
        if !self.is_wac() {
            warn_unplugged(&composition);
        }
        // Everything that is printed or written is made first, so that nothing can fail after a file is written.
        let virtualized = if policy.is_empty() {
            None
        } else {
            let composed = Component::new(what.clone(), composition.to_bytes());
            Some(
                virtualize(composed, &policy)
                    .with_context(|| format!("cannot virtualize the composition of `{what}`"))?,
            )
        };
        let summary = self.summary(&what, output.as_deref(), &composition, virtualized.as_ref())?;
        let graph =
            graph.map(|(format, path)| (graphviz::render(&composition.report, format), path));
        let inputs = lock::inputs(&sources, &composition);
        let written_lock = match (&self.lock, &pins) {
            (_, Some(pins)) => {
                // A `.wac` document's packages are known only once wac has read them: checked here, before
                // anything is written.
                if self.is_wac() {
                    let nothing = "nothing was written";
                    lock::check(
                        self.lock_path(),
                        pins,
                        config_input.as_ref(),
                        &inputs,
                        &options,
                        nothing,
                    )?;
                }
                lock::check_output(self.lock_path(), pins, &composition)?;
                None
            }
            (Some(path), None) => {
                lock::writable(path, output.as_deref(), &inputs, config_input.as_ref())?;
                Some((
                    path,
                    lock::made(config_input, inputs, &options, &composition).to_json(),
                ))
            }
            (None, None) => None,
        };
        if let Some(path) = &output {
            crate::files::write_atomic_with(path, |file| match &virtualized {
                Some(virtualized) => virtualized.write_to(file),
                None => composition.write_to(file),
            })?;
        }
        if let Some((text, path)) = &graph {
            crate::files::write_atomic(path, text.as_bytes())?;
        }
        if let Some((path, text)) = &written_lock {
            crate::files::write_atomic(path, text.as_bytes())?;
        }
        output::print(&summary)?;
        Ok(ExitCode::SUCCESS)
    }

    /// The lock file (`--lock`), which `--locked` requires.
    fn lock_path(&self) -> &Path {
        self.lock.as_deref().unwrap_or(Path::new("weld.lock"))
    }

    /// Whether the root is a `.wac` document, which does its own wiring.
    fn is_wac(&self) -> bool {
        matches!(&self.root, Some(Input::File(path)) if path.extension().is_some_and(|e| e == "wac"))
    }

    fn compose_wac(
        &self,
        path: &Path,
        options: &Options,
    ) -> Result<Result<Composition, ComposeError>> {
        if !self.plugs.is_empty() {
            return Err(usage(
                "compose",
                "`--plug` does not apply to a .wac document: it names its packages itself (use --deps-dir or --dep)",
            ));
        }
        if !options.wires.is_empty() {
            return Err(usage(
                "compose",
                "`--wire` does not apply to a .wac document: its wiring is in the document",
            ));
        }
        let document = WacDocument {
            path: path.to_path_buf(),
            deps_dir: self.deps_dir.clone(),
            deps: self
                .deps
                .iter()
                .map(|(name, path)| (name.clone(), PathBuf::from(path)))
                .collect(),
        };
        Ok(compose_wac(&document, options))
    }

    /// Prints what can still be shown about a failed composition, and gives back the error to report.
    fn failed(&self, err: ComposeError) -> anyhow::Error {
        if let Some(report) = err.report() {
            let shown = if self.json {
                serde_json::to_string_pretty(report)
                    .map(|j| j + "\n")
                    .unwrap_or_default()
            } else {
                format!("{}\n", explain::wiring(report, self.explain))
            };
            let _ = output::print(&shown);
        }
        anyhow::Error::new(err)
    }

    /// What is printed after a composition: the JSON report, or the summary line and the wiring.
    /// With `virtualized` (the policy's options), the size and the open imports are the virtualized result's,
    /// and what was decided follows the wiring (in JSON, under `virtualized`).
    fn summary(
        &self,
        what: &str,
        output: Option<&Path>,
        composition: &Composition,
        virtualized: Option<&Virtualized>,
    ) -> Result<String> {
        let report = &composition.report;
        let (size, open) = match virtualized.and_then(|v| v.composition.as_ref().map(|c| (v, c))) {
            Some((v, c)) => (v.size(), c.report.imports.len()),
            None => (composition.size(), report.imports.len()),
        };
        if self.json {
            let mut json = serde_json::to_value(report)?;
            if let (Some(v), Some(object)) = (virtualized, json.as_object_mut()) {
                let result = v.composition.as_ref().map(|c| &c.report.imports);
                object.insert(
                    "virtualized".into(),
                    serde_json::json!({
                        "provided": v.provided,
                        "untouched": v.untouched,
                        "imports": result.unwrap_or(&report.imports),
                        "size": size,
                    }),
                );
            }
            return output::json(&json);
        }
        let target = match output {
            Some(path) => format!("wrote {} ({})", path.display(), human_size(size)),
            None => format!("{} composed, not written (no -o)", human_size(size)),
        };
        let mut text = format!(
            "{GOOD}composed{GOOD:#} {what}: {}, {}; {target}\n",
            count(report.instances.len(), "instance"),
            count(open, "open import"),
        );
        if self.explain {
            text.push_str(&explain::explain(report));
        } else {
            text.push_str(&explain::wiring(report, false));
        }
        if let Some(v) = virtualized {
            text.push_str(&format!(
                "virtualized ({} more than the composition):\n{}",
                human_size(size.saturating_sub(composition.size())),
                describe(what, v)
            ));
        }
        Ok(text)
    }

    /// `--graph FORMAT FILE`: the format is checked here, as a usage error, because clap parses the two values
    /// of one flag alike.
    fn graph_target(&self) -> Result<Option<(graphviz::Format, PathBuf)>> {
        let [format, path] = self.graph.as_slice() else {
            return Ok(None);
        };
        let format = <graphviz::Format as clap::ValueEnum>::from_str(format, false).map_err(|_| {
            usage(
                "compose",
                format!("invalid value '{format}' for '--graph <FORMAT> <FILE>': the graph formats are `dot` and `mermaid`"),
            )
        })?;
        Ok(Some((format, PathBuf::from(path))))
    }
}

/// Warnings about plugs that did nothing: none given at all (the result is the root as it is), or some left out.
fn warn_unplugged(composition: &Composition) {
    let report = &composition.report;
    if let [root] = report.instances.as_slice()
        && report.unused.is_empty()
    {
        crate::report::warn(&format!(
            "nothing to compose: no plug was given, so the result is {} as it is (give plugs with --plug)",
            root.component
        ));
    }
    crate::wiring::warn_unused_plugs(&report.unused);
}

/// Pulls the registry references among the root and the plugs, then reads them all (in parallel: WAT is
/// compiled, binaries are read as they are).
fn read_components(
    sources: &Sources,
    root: &Input,
    plugs: &[Input],
) -> Result<(Component, Vec<Component>)> {
    let locals = std::iter::once(root)
        .chain(plugs)
        .map(|arg| sources.local(arg))
        .collect::<Result<Vec<_>>>()?;
    let mut all: Vec<Component> = locals
        .par_iter()
        .zip(std::iter::once(root).chain(plugs).collect::<Vec<_>>())
        .map(|(local, input)| sources.component(input, local))
        .collect::<Result<_>>()?;
    let root = all.remove(0);
    Ok((root, all))
}

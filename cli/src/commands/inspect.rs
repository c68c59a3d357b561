//! `weld inspect FILE`: a component's or module's imports and exports with full signatures, its nested
//! components and modules with sizes, custom sections and producers, and the capabilities it needs.

use crate::input::Input;
use crate::output;
use crate::registry::{RegistryOpts, Sources};
use crate::report::{DIM, HEADING, WARNING};
use crate::units::{count, human_size};
use anyhow::Result;
use std::fmt::Write as _;
use std::process::ExitCode;
use weld_compose::virt::{Family, Policy, Recorded};
use weld_wit::{Capabilities, Extern, Inspection, Limits, Node, NodeKind, model};

/// Show what a component or core module imports and exports (with full function signatures), what it is made
/// of (nested components and core modules with their sizes, custom sections, producers), and which WASI
/// capabilities it needs.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld inspect app.wasm
  weld inspect app.wasm --json      (schema: docs/commands/inspect.md)

Exit status: 0 on success, 1 if the file cannot be read or is malformed, 2 on bad usage.\n\
inspect reads the structure and the component types; `weld validate` checks function bodies too.")]
pub struct Opts {
    /// A component or core module (`.wasm` binary or `.wat` text), or a registry reference
    /// `oci://host[:port]/repo:tag` (or `@sha256:...`).
    #[arg(value_parser = Input::parse)]
    pub file: Input,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry of an `oci://` reference.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

impl Opts {
    /// Runs `weld inspect`.
    pub fn run(self) -> Result<ExitCode> {
        let sources = Sources::new(&self.registry);
        let local = sources.local(&self.file)?;
        let bytes = weld_files::read_file(&local.path)?;
        let report = weld_wit::inspect_bytes(&local.name, &bytes)?;
        let virtualized = Policy::from_section(&bytes);
        if self.json {
            let mut json = serde_json::to_value(&report)?;
            if let Some(caps) = json
                .get_mut("capabilities")
                .and_then(serde_json::Value::as_object_mut)
            {
                caps.insert("unprovided".into(), unprovided(&report.capabilities).into());
            }
            if let Some(json) = json.as_object_mut()
                && !virtualized.is_empty()
            {
                json.insert("virtualized".into(), serde_json::to_value(&virtualized)?);
            }
            output::print_json(&json)?;
        } else {
            let mut text = human(&report);
            write_virtualized(&mut text, &virtualized, &report.capabilities);
            output::print(&text)?;
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn human(report: &Inspection) -> String {
    let mut out = String::new();
    let kind = match report.root.kind {
        NodeKind::WitPackage => "WIT package (types only, no code: nothing to run or compose)",
        other => kind_name(other),
    };
    let _ = writeln!(
        out,
        "{HEADING}{}{HEADING:#}: {kind}, {}",
        report.path.display(),
        human_size(report.size as u64)
    );
    match &report.world {
        Some(world) => write_world(&mut out, world),
        None => {
            if let Some(why) = &report.world_unavailable {
                let _ = writeln!(out, "\n{DIM}no world: {why}{DIM:#}");
            }
            write_core_externs(&mut out, &report.root)
        }
    }
    write_capabilities(&mut out, &report.capabilities);
    let _ = writeln!(out, "\n{HEADING}structure{HEADING:#}");
    write_node(&mut out, &report.root, "  ", "  ");
    out
}

/// The policies `weld virt` recorded, one line each, and a warning for a denied or stubbed family the component
/// still asks the host for (a section is only a record: it may have been copied onto another component).
fn write_virtualized(out: &mut String, policies: &[Recorded], caps: &Capabilities) {
    if policies.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{HEADING}virtualized{HEADING:#} (by weld virt)");
    for policy in policies {
        let families = |verb: &str, families: &[Family]| {
            (!families.is_empty()).then(|| {
                let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
                format!("{verb} {}", names.join(", "))
            })
        };
        let parts: Vec<String> = [
            families("deny", &policy.deny),
            families("stub", &policy.stub),
            policy
                .env
                .as_ref()
                .map(|names| format!("env fixed: {}", names.join(", "))),
            policy.args_fixed.then(|| "args fixed".to_owned()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let _ = writeln!(out, "  {}", parts.join("; "));
        for family in policy.deny.iter().chain(&policy.stub) {
            let held = caps
                .needs
                .iter()
                .find(|(cap, _)| cap.name() == family.name());
            if let Some((_, imports)) = held {
                let _ = writeln!(
                    out,
                    "  {WARNING}warning{WARNING:#}: the policy does not hold: it still imports {}",
                    imports.join(", ")
                );
            }
        }
    }
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Component => "component",
        NodeKind::Module => "core module",
        NodeKind::WitPackage => "WIT package",
    }
}

fn write_world(out: &mut String, world: &model::World) {
    let _ = writeln!(out, "\n{HEADING}world{HEADING:#} {}", world.id);
    for (verb, entries) in [("import", &world.imports), ("export", &world.exports)] {
        for entry in entries {
            let _ = writeln!(out, "  {verb} {}", entry.name);
            for f in entry.functions.iter().chain(&entry.function) {
                let name = match &f.resource {
                    Some(r) => format!("{r}.{}", f.name),
                    None => f.name.clone(),
                };
                let _ = writeln!(out, "    {name}: {}", f.signature);
            }
            if let Some(t) = &entry.typedef {
                let _ = writeln!(out, "    type {} ({})", t.name, t.kind);
            }
        }
    }
}

fn write_core_externs(out: &mut String, node: &Node) {
    for (title, list) in [("imports", &node.imports), ("exports", &node.exports)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{HEADING}{title}{HEADING:#}");
        for e in list {
            let _ = writeln!(out, "  {}", extern_line(e));
        }
    }
}

fn extern_line(e: &Extern) -> String {
    let name = match &e.module {
        Some(m) => format!("{m}::{}", e.name),
        None => e.name.clone(),
    };
    match &e.signature {
        Some(sig) => format!("{name}  {DIM}{} {sig}{DIM:#}", e.kind),
        None => format!("{name}  {DIM}{}{DIM:#}", e.kind),
    }
}

fn write_capabilities(out: &mut String, caps: &Capabilities) {
    let _ = writeln!(out, "\n{HEADING}capabilities{HEADING:#}");
    if caps.is_empty() {
        let _ = writeln!(out, "  none: it imports nothing");
        return;
    }
    for (cap, imports) in &caps.needs {
        let _ = writeln!(
            out,
            "  {:<11} {DIM}{}{DIM:#}",
            cap.name(),
            imports.join(", ")
        );
    }
    if caps.needs.is_empty() {
        let _ = writeln!(out, "  none from the host's sandbox");
    }
    if !caps.wasi_support.is_empty() {
        let _ = writeln!(
            out,
            "  {DIM}also (no capability of their own): {}{DIM:#}",
            caps.wasi_support.join(", ")
        );
    }
    if !caps.other_imports.is_empty() {
        let _ = writeln!(
            out,
            "  not WASI, must come from another component or the host: {}",
            caps.other_imports.join(", ")
        );
    }
    if !caps.types_only.is_empty() {
        let _ = writeln!(
            out,
            "  {DIM}types only, need nothing: {}{DIM:#}",
            caps.types_only.join(", ")
        );
    }
    if !caps.wasi.is_empty() {
        let releases: Vec<String> = caps
            .wasi
            .iter()
            .map(|(release, imports)| match release.as_str() {
                "unversioned" => format!("unversioned ({})", imports.len()),
                "0.3" => format!("0.3 ({}; run and served as a preview)", imports.len()),
                release => format!("{release} ({})", imports.len()),
            })
            .collect();
        let _ = writeln!(out, "  WASI        {}", releases.join(", "));
    }
    let unprovided = unprovided(caps);
    if !unprovided.is_empty() {
        let _ = writeln!(
            out,
            "  not provided by weld run or serve: {} (another WASI release, a pre-release snapshot or an \
             interface outside the standard set; plug it with `weld compose`)",
            unprovided.join(", ")
        );
    }
}

/// The WASI imports that weld's host does not link by name (`weld_runtime::host_provides`) and that are not
/// types only, sorted: the component runs only once something else supplies them.
fn unprovided(caps: &Capabilities) -> Vec<String> {
    let mut names: Vec<String> = caps
        .wasi
        .values()
        .flatten()
        .filter(|name| !weld_runtime::host_provides(name) && !caps.types_only.contains(name))
        .cloned()
        .collect();
    names.sort();
    names
}

fn write_node(out: &mut String, node: &Node, first: &str, rest: &str) {
    let name = node
        .name
        .as_deref()
        .map(|n| format!(" {n:?}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{first}{}{name}  {}  {DIM}{}{DIM:#}",
        kind_name(node.kind),
        human_size(node.size as u64),
        node_details(node)
    );
    let children = node.children.len();
    // The node's own details come before its children, continuing the tree line when children follow.
    let pipe = if children > 0 { "│  " } else { "   " };
    if !node.producers.is_empty() {
        let producers: Vec<String> = node
            .producers
            .iter()
            .map(|p| {
                format!("{} {} {}", p.field, p.name, p.version)
                    .trim_end()
                    .to_string()
            })
            .collect();
        let _ = writeln!(
            out,
            "{rest}{pipe}{DIM}producers: {}{DIM:#}",
            producers.join("; ")
        );
    }
    if !node.custom_sections.is_empty() {
        let sections: Vec<String> = node
            .custom_sections
            .iter()
            .map(|c| format!("{} ({})", c.name, human_size(c.size as u64)))
            .collect();
        let _ = writeln!(
            out,
            "{rest}{pipe}{DIM}custom sections: {}{DIM:#}",
            sections.join(", ")
        );
    }
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == children;
        let (branch, cont) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        write_node(
            out,
            child,
            &format!("{rest}{branch}"),
            &format!("{rest}{cont}"),
        );
    }
}

fn node_details(node: &Node) -> String {
    let mut parts = vec![
        count(node.imports.len(), "import"),
        count(node.exports.len(), "export"),
    ];
    if node.kind == NodeKind::Module {
        parts.push(count(node.functions as usize, "function"));
        parts.extend(node.memories.iter().map(|m| limits("memory", m, "pages")));
        parts.extend(node.tables.iter().map(|t| {
            let element = t.element.as_deref().unwrap_or("table");
            limits(&format!("table of {element}"), t, "elements")
        }));
    }
    parts.join(", ")
}

fn limits(what: &str, l: &Limits, unit: &str) -> String {
    let max = l.maximum.map_or("unbounded".to_string(), |m| m.to_string());
    let imported = if l.imported { "imported " } else { "" };
    format!("{imported}{what} {}..{max} {unit}", l.initial)
}

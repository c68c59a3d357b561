//! `weld targets COMPONENT [WIT] --world WORLD`: whether a component targets a world, and what differs.

use crate::input::Input;
use crate::output;
use crate::registry::{RegistryOpts, Sources};
use crate::report::{DIM, ERROR, GOOD};
use anyhow::Result;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use weld_compose::{Component, Conformance, Side, targets};

/// Check that a component targets a world: it imports only what the world imports and exports all the world
/// exports, with fitting types (as `wasm-tools component targets` and `wac targets` decide it).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld targets app.wasm --world command          against the world `command` of ./wit
  weld targets app.wasm wit/ --world wasi:cli/command@0.2.0
  weld targets app.wasm shop.wit --json          the verdict and the differences as JSON

A component may import less than the world offers, and a semver-compatible version of what it imports. Every
difference is listed: imports the world does not have, exports the world requires that the component lacks, and
for each item whose types differ, both sides in WIT.

Exit status: 0 when the component targets the world, 1 when it does not or an input cannot be read, 2 on bad
usage.")]
pub struct Opts {
    /// The component (`.wasm` or `.wat`), or a registry reference `oci://host[:port]/repo:tag`.
    #[arg(value_parser = Input::parse)]
    pub component: Input,
    /// The WIT that defines the world: a directory (with `deps/`), a `.wit` file or an encoded WIT package.
    #[arg(default_value = "wit")]
    pub wit: PathBuf,
    /// The world (`command`, or qualified: `wasi:cli/command@0.2.0`); needed when the package has several.
    #[arg(long, value_name = "NAME")]
    pub world: Option<String>,
    /// Print the verdict and the differences as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry of an `oci://` reference.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// What `--json` prints.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Verdict<'a> {
    component: String,
    conforms: bool,
    #[serde(flatten)]
    conformance: &'a Conformance,
}

impl Opts {
    /// Runs `weld targets`.
    pub fn run(self) -> Result<ExitCode> {
        let mut wit = weld_wit::load(&self.wit)?;
        let main_worlds: Vec<String> = wit.resolve.packages[wit.package]
            .worlds
            .keys()
            .cloned()
            .collect();
        match (&self.world, main_worlds.as_slice()) {
            (Some(world), _) => wit = wit.select_world(world)?,
            (None, [only]) if wit.world.is_none() => wit = wit.select_world(only)?,
            _ => {}
        }
        let sources = Sources::new(&self.registry);
        let local = sources.local(&self.component)?;
        let label = local.name.display().to_string();
        let component = Component::new(label.clone(), sources.read(&local)?);
        let conformance = targets(component, &wit)?;
        if self.json {
            output::print_json(&Verdict {
                component: label,
                conforms: conformance.conforms(),
                conformance: &conformance,
            })?;
        } else {
            output::print(&render(&label, &conformance))?;
        }
        Ok(if conformance.conforms() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// The verdict for people: one line when the component targets the world, else every difference.
fn render(label: &str, c: &Conformance) -> String {
    if c.conforms() {
        return format!("{GOOD}ok{GOOD:#}  {label} targets {}\n", c.world);
    }
    let mut out = format!("{ERROR}no{ERROR:#}  {label} does not target {}\n", c.world);
    for import in &c.extra_imports {
        out.push_str(&format!(
            "  import {import}: the world does not import it\n"
        ));
    }
    for export in &c.missing_exports {
        out.push_str(&format!(
            "  export {}: missing\n    {DIM}the world exports {}{DIM:#}\n",
            export.name, export.expected
        ));
    }
    for mismatch in &c.mismatches {
        let side = match mismatch.side {
            Side::Import => "import",
            Side::Export => "export",
        };
        out.push_str(&format!("  {side} {}: the types differ\n", mismatch.name));
        for d in &mismatch.differences {
            let item = if d.item.is_empty() {
                String::new()
            } else {
                format!("{}: ", d.item)
            };
            out.push_str(&format!(
                "    {item}the world has {}\n    {:width$}the component has {}\n",
                d.expected,
                "",
                d.found.as_deref().unwrap_or("nothing: it is missing"),
                width = item.len()
            ));
            if !d.first.is_empty() {
                out.push_str(&format!(
                    "      {DIM}first difference: {}{DIM:#}\n",
                    d.first
                ));
            }
        }
    }
    out
}

//! `weld virt COMPONENT -o OUT --deny FAMILY --env K=V ...`: capabilities decided inside a component.

use crate::input::Input;
use crate::output;
use crate::registry::{RegistryOpts, Sources};
use crate::report::{DIM, GOOD};
use crate::units::human_size;
use crate::values::parse_env;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use weld_compose::virt::{Family, Policy, Provided, Recorded, Virtualized, provider, virtualize};

/// Decide capabilities inside a component, so that no host can grant them later: deny a WASI family (every call
/// answers as an ungranted host would), stub one (every call traps), fix the environment. The providers are
/// generated from the component's own imports and plugged in; the policy is recorded in the result.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld virt app.wasm --deny filesystem --env MODE=prod -o app.virt.wasm
  weld virt app.wasm --deny sockets --deny http -o offline.wasm
  weld virt lib.wasm --stub clocks --stub random --stub stdio --stub exit --stub io \\
      --deny filesystem -o pure.wasm
  weld virt app.wasm --env-from-file prod.env --args app,--fast -o app.virt.wasm

Denied families (their calls can say no): filesystem (no preopened directory), sockets
(access-denied), http (outgoing requests: HTTP-request-denied), config (no such key).
Stubbed families (their calls cannot say no, so they trap, naming the function): clocks,
random, stdio, exit, io. Variables given with --env are all the component sees; arguments
still come from the host unless --args fixes them. Values are stored in the component as
plain bytes: do not fix secrets this way.

Fails closed: if an import of a denied or stubbed family would still reach the host,
nothing is written.

Exit status: 0 on success, 1 if the component cannot be virtualized (nothing is written),
2 on bad usage.")]
pub struct Opts {
    /// The component (`.wasm`, `.wat` or `oci://host[:port]/repo:tag`).
    #[arg(value_parser = Input::parse)]
    pub component: Input,
    /// Where to write the result.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// What to decide.
    #[command(flatten)]
    pub policy: PolicyOpts,
    /// Write only the generated provider: a component exporting the decided interfaces under the component's
    /// own import names, to compose by hand (`weld compose app.wasm -p provider.wasm`; nothing is checked or
    /// recorded then).
    #[arg(long)]
    pub provider_only: bool,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// How to reach the registry of an `oci://` reference.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

/// The policy's flags, shared by `weld virt` and `weld compose`.
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyOpts {
    /// Deny a family: filesystem, sockets, http, config (repeatable; `wasi:filesystem` also works).
    #[arg(long, value_name = "FAMILY", value_parser = parse_family)]
    pub deny: Vec<Family>,
    /// Stub a family: clocks, random, stdio, exit, io (repeatable). Every call traps.
    #[arg(long, value_name = "FAMILY", value_parser = parse_family)]
    pub stub: Vec<Family>,
    /// A variable the component sees, whatever the host grants (repeatable; NAME alone takes weld's own value).
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Variables from a file: one NAME=VALUE a line; blank lines and lines starting with `#` are skipped.
    #[arg(long, value_name = "FILE")]
    pub env_from_file: Option<PathBuf>,
    /// Fix the arguments (argv[0] included), comma-separated (an argument cannot hold a comma); `--args ''`
    /// fixes none. The working directory is then none too.
    #[arg(long, value_name = "A,B,...")]
    pub args: Option<String>,
}

impl PolicyOpts {
    /// The policy the flags give (empty when none was given).
    ///
    /// # Errors
    /// An `--env-from-file` that cannot be read or holds a line that is not `NAME=VALUE`.
    pub fn policy(&self) -> Result<Policy> {
        let mut given = self.env.clone();
        if let Some(path) = &self.env_from_file {
            given.extend(read_env_file(path)?);
        }
        // A name given twice takes its last value, in the place of its first.
        let mut env: Vec<(String, String)> = Vec::new();
        for (name, value) in given {
            match env.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => env.push((name, value)),
            }
        }
        Ok(Policy {
            deny: self.deny.iter().copied().collect(),
            stub: self.stub.iter().copied().collect(),
            env: (!env.is_empty() || self.env_from_file.is_some()).then_some(env),
            args: self.args.as_deref().map(|args| match args {
                "" => Vec::new(),
                args => args.split(',').map(str::to_owned).collect(),
            }),
        })
    }
}

/// What was decided, for people: a line per import decided, and a note per family with nothing to decide.
pub fn describe(label: &str, virtualized: &Virtualized) -> String {
    let mut out = String::new();
    for provided in &virtualized.provided {
        out.push_str(&format!(
            "  {:<8} {}  {DIM}{}{DIM:#}\n",
            provided.does, provided.import, provided.family
        ));
    }
    for family in &virtualized.untouched {
        out.push_str(&format!(
            "{DIM}note: {label} imports no {family}: nothing to do for it{DIM:#}\n"
        ));
    }
    out
}

fn parse_family(text: &str) -> Result<Family, String> {
    Family::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Family::ALL
            .iter()
            .filter(|f| f.decision().is_some())
            .map(|f| f.name())
            .collect();
        format!("`{text}` is not a family: one of {}", names.join(", "))
    })
}

/// A family asked for in a way it cannot be decided (`--deny clocks`) is bad usage of `subcommand`.
pub fn check_usage(policy: &Policy, subcommand: &str) -> Result<()> {
    weld_compose::virt::check_policy(policy)
        .map_err(|err| crate::report::usage(subcommand, format!("{err}")))
}

/// What `--json` prints.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Done<'a> {
    component: String,
    output: &'a Path,
    size: u64,
    input_size: u64,
    provided: &'a [Provided],
    untouched: Vec<Family>,
    policy: Recorded,
}

impl Opts {
    /// Runs `weld virt`.
    pub fn run(self) -> Result<ExitCode> {
        let policy = self.policy.policy()?;
        if policy.is_empty() {
            return Err(crate::report::usage(
                "virt",
                "nothing to decide: give --deny, --stub, --env, --env-from-file or --args",
            ));
        }
        check_usage(&policy, "virt")?;
        let sources = Sources::new(&self.registry);
        let local = sources.local(&self.component)?;
        let component = sources.component(&self.component, &local)?;
        let label = component.label.clone();
        let input_size = component.bytes.len() as u64;
        let cannot = || format!("cannot virtualize `{label}`");
        if self.provider_only {
            let Some(provider) = provider(&component, &policy).with_context(cannot)? else {
                anyhow::bail!(
                    "`{label}` imports nothing the policy decides: there is no provider to write"
                );
            };
            crate::files::write_atomic(&self.output, &provider)?;
            if self.json {
                output::print_json(&serde_json::json!({
                    "component": label,
                    "output": self.output,
                    "size": provider.len(),
                    "provider-only": true,
                }))?;
            } else {
                output::print(&format!(
                    "{GOOD}wrote{GOOD:#} {} (the provider alone, {})\n",
                    self.output.display(),
                    human_size(provider.len() as u64)
                ))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        let virtualized = virtualize(component, &policy).with_context(cannot)?;
        crate::files::write_atomic_with(&self.output, |file| virtualized.write_to(file))?;
        let size = virtualized.size();
        if self.json {
            output::print_json(&Done {
                component: label,
                output: &self.output,
                size,
                input_size,
                provided: &virtualized.provided,
                untouched: virtualized.untouched.clone(),
                policy: policy.recorded(),
            })?;
            return Ok(ExitCode::SUCCESS);
        }
        let mut out = format!(
            "{GOOD}wrote{GOOD:#} {} ({}, {} more than {label})\n",
            self.output.display(),
            human_size(size),
            human_size(size.saturating_sub(input_size)),
        );
        out.push_str(&describe(&label, &virtualized));
        output::print(&out)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// The variables of an `--env-from-file`, naming the file and the line of one that is not `NAME=VALUE`.
fn read_env_file(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut vars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        // The value is kept as written, spaces included; only the line's end goes.
        let line = line.strip_suffix('\r').unwrap_or(line);
        let start = line.trim_start();
        if start.is_empty() || start.starts_with('#') {
            continue;
        }
        match start.split_once('=') {
            Some((name, value)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
                vars.push((name.to_owned(), value.to_owned()))
            }
            _ => anyhow::bail!(
                "`{}` line {}: expected NAME=VALUE (a name without spaces), found `{line}`",
                path.display(),
                n + 1
            ),
        }
    }
    Ok(vars)
}

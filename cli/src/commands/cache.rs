//! `weld cache`: what the cache of compiled code holds, and cleaning it; `weld cache fill`, hidden, is the
//! background compile that a first run on Winch starts.

use crate::output;
use crate::units::human_size;
use crate::values::parse_duration;
use anyhow::{Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use weld_runtime::{Cleaned, CodeCache, EngineSettings, Filled, Runtime, Usage};

/// Show what the cache of compiled code holds (compiled components, most recently used first, and the
/// functions they share), or clean it. The cache lives in `$WELD_CACHE_DIR/compiled` (default
/// `~/.cache/weld/compiled`) and is capped at `$WELD_CACHE_MAX_SIZE` (default 2GiB): past the cap, what was used
/// least recently goes first.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld cache                          size, entries and shared functions
  weld cache --json
  weld cache clean --older-than 30d   remove what no run used for 30 days
  weld cache clean                    empty it

Exit status: 0 on success, 1 when the cache cannot be read or cleaned, 2 on bad usage.")]
pub struct Opts {
    /// What to do; without one, show the cache.
    #[command(subcommand)]
    pub action: Option<Action>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `weld cache` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Remove cached code and shared functions: all of it, or what was last used longer ago than --older-than.
    Clean {
        /// Only what no run used for this long (e.g. 12h, 30d).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        older_than: Option<Duration>,
    },
    /// Compile COMPONENT with Cranelift into the cache, unless it is there or being compiled: what a first run on
    /// Winch starts in the background.
    #[command(hide = true)]
    Fill {
        /// The component file.
        component: PathBuf,
        /// For runs with --fuel.
        #[arg(long)]
        fuel: bool,
        /// For runs with --timeout.
        #[arg(long)]
        interruptible: bool,
    },
}

impl Opts {
    /// Runs `weld cache`.
    pub fn run(self) -> Result<ExitCode> {
        let cache = crate::paths::compiled_cache()
            .context("no cache directory: set WELD_CACHE_DIR or HOME")?;
        match self.action {
            None => show(&cache, self.json),
            Some(Action::Clean { older_than }) => clean(&cache, older_than, self.json),
            Some(Action::Fill {
                component,
                fuel,
                interruptible,
            }) => fill(cache, &component, fuel, interruptible),
        }
    }
}

/// `weld cache fill`: at a lower priority than the runs it serves, compiles into the cache.
fn fill(cache: CodeCache, component: &Path, fuel: bool, interruptible: bool) -> Result<ExitCode> {
    // SAFETY: setpriority only changes this process's scheduling priority; it touches no memory of ours.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
    let settings = EngineSettings {
        fuel,
        interruptible,
        ..Default::default()
    };
    let filled = Runtime::new(settings, Some(cache))?.fill(component)?;
    let line = match filled {
        Filled::Present(entry) => format!("already cached: {}\n", entry.display()),
        Filled::Busy => "another process is compiling it\n".to_owned(),
        Filled::Stored(entry, took, reuse) => format!(
            "compiled {} in {} ({} of {} functions reused): {}\n",
            component.display(),
            crate::units::millis(took),
            reuse.hits,
            reuse.lookups,
            entry.display()
        ),
    };
    output::print(&line)?;
    Ok(ExitCode::SUCCESS)
}

/// `weld cache [--json]`.
fn show(cache: &CodeCache, json: bool) -> Result<ExitCode> {
    let usage = cache
        .usage()
        .with_context(|| format!("cannot read the cache `{}`", cache.dir().display()))?;
    if json {
        output::print_json(&UsageJson::new(cache, &usage))?;
    } else {
        output::print(&render(cache, &usage, SystemTime::now()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `weld cache clean [--older-than D] [--json]`.
fn clean(cache: &CodeCache, older_than: Option<Duration>, json: bool) -> Result<ExitCode> {
    let cleaned = cache
        .clean(older_than)
        .with_context(|| format!("cannot clean the cache `{}`", cache.dir().display()))?;
    let compositions =
        crate::plugged::clean(older_than).context("cannot clean the cached compositions")?;
    if json {
        output::print_json(&CleanedJson::from(cleaned))?;
    } else {
        output::print(&format!(
            "removed {} compiled component{}, {} shared function{} and {} other file{} ({}) from {}\n",
            cleaned.entries,
            plural(cleaned.entries),
            cleaned.functions,
            plural(cleaned.functions),
            cleaned.other,
            plural(cleaned.other),
            human_size(cleaned.bytes),
            cache.dir().display()
        ))?;
        if compositions.0 > 0 {
            output::print(&format!(
                "removed {} cached composition file{} ({}) made by --plug\n",
                compositions.0,
                plural(compositions.0),
                human_size(compositions.1)
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The text report of `weld cache`.
fn render(cache: &CodeCache, usage: &Usage, now: SystemTime) -> String {
    let mut text = format!(
        "{}: {} of {}\n  {} compiled component{}, {} shared function{} ({})\n",
        cache.dir().display(),
        human_size(usage.total_bytes),
        human_size(cache.cap()),
        usage.entries.len(),
        plural(usage.entries.len() as u64),
        usage.functions.0,
        plural(usage.functions.0),
        human_size(usage.functions.1),
    );
    if usage.entries.is_empty() {
        return text;
    }
    text.push_str(&format!(
        "\n{:<12} {:<9} {:>10} {:>10}  {}\n",
        "last used", "compiler", "size", "compile", "source"
    ));
    for entry in &usage.entries {
        let age = now.duration_since(entry.last_used).unwrap_or_default();
        text.push_str(&format!(
            "{:<12} {:<9} {:>10} {:>10}  {}\n",
            format!("{} ago", humantime::format_duration(round(age))),
            entry.compiler,
            human_size(entry.bytes),
            entry
                .compile_ms
                .map_or("-".to_owned(), |ms| format!("{:.1} s", ms as f64 / 1000.0)),
            entry
                .source
                .as_deref()
                .map_or("(unknown)".into(), |p| p.display().to_string()),
        ));
    }
    text
}

/// `age` to its largest unit (`3h`, `2days`), as a person reads a listing.
fn round(age: Duration) -> Duration {
    let secs = age.as_secs();
    let unit = [86_400, 3_600, 60, 1]
        .into_iter()
        .find(|unit| secs >= *unit)
        .unwrap_or(1);
    Duration::from_secs(secs / unit * unit)
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `weld cache --json`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct UsageJson {
    dir: PathBuf,
    cap_bytes: u64,
    total_bytes: u64,
    entries: Vec<EntryJson>,
    shared_functions: Count,
    other_files: Count,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct EntryJson {
    key: String,
    bytes: u64,
    /// `Cranelift` (optimised) or `Winch` (baseline, until the optimised code replaces it).
    compiler: String,
    source: Option<PathBuf>,
    compile_ms: Option<u64>,
    created: String,
    last_used: String,
}

#[derive(Serialize)]
struct Count {
    count: u64,
    bytes: u64,
}

impl UsageJson {
    fn new(cache: &CodeCache, usage: &Usage) -> Self {
        let time = |t: SystemTime| humantime::format_rfc3339_seconds(t).to_string();
        UsageJson {
            dir: cache.dir().to_owned(),
            cap_bytes: cache.cap(),
            total_bytes: usage.total_bytes,
            entries: usage
                .entries
                .iter()
                .map(|e| EntryJson {
                    key: e.key.clone(),
                    bytes: e.bytes,
                    compiler: e.compiler.clone(),
                    source: e.source.clone(),
                    compile_ms: e.compile_ms,
                    created: time(e.created),
                    last_used: time(e.last_used),
                })
                .collect(),
            shared_functions: Count {
                count: usage.functions.0,
                bytes: usage.functions.1,
            },
            other_files: Count {
                count: usage.other.0,
                bytes: usage.other.1,
            },
        }
    }
}

/// `weld cache clean --json`.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct CleanedJson {
    removed_entries: u64,
    removed_functions: u64,
    removed_other: u64,
    freed_bytes: u64,
}

impl From<Cleaned> for CleanedJson {
    fn from(c: Cleaned) -> Self {
        CleanedJson {
            removed_entries: c.entries,
            removed_functions: c.functions,
            removed_other: c.other,
            freed_bytes: c.bytes,
        }
    }
}

//! `weld run C.wasm [-- ARGS]`: run a wasi:cli command, or call exported functions with `--invoke`, sandboxed.

use crate::input::Input;
use crate::registry::{RegistryOpts, Sources};
use crate::report;
use anyhow::Result;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;
use weld_runtime::{
    AddressRanges, DirGrant, EngineSettings, Grants, HttpHosts, LimitHit, Limits, Loaded, Origin,
    RunError, RunSpec, Runtime, Stdio, Tiering, parse_duration, parse_env, parse_size,
};

/// Run a component under the embedded wasmtime: a `wasi:cli/run` command with ARGS, or exported functions with
/// --invoke. The guest gets stdio, clocks and random, and nothing else unless granted: no files, no environment
/// variables, no network.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld run hello.wasm -- alice bob                     a command, with arguments
  weld run app.wasm --dir data::/data:ro --env LANG=C   grant a read-only directory and one variable
  weld run greeter.wasm --invoke 'greet(\"world\")'       call an export; arguments and result in WAVE
  weld run types.wasm --invoke 'counter.new(5)' --invoke 'counter.get(counter1)'
  weld run untrusted.wasm --timeout 2s --max-memory 64MiB --fuel 100000000

Exit status: the guest's own exit status for a command; 0 when every --invoke call returned;
1 when the component cannot run or traps; 124 when --timeout, 125 when --max-memory and 126
when --fuel stopped it; 2 on bad usage.")]
pub struct Opts {
    /// The component: `.wasm`, `.wat`, a `.cwasm` from `weld compile` (with --allow-precompiled), or a registry
    /// reference `oci://host[:port]/repo:tag` (or `@sha256:...`), pulled and verified.
    #[arg(value_parser = Input::parse)]
    pub component: Input,
    /// Arguments for the guest; argv[0] is the component's file name.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
    /// Call an exported function instead of running a command: `greet("world")`, `iface#f(1, [2])` or
    /// `res.method(res1)`. Repeat it to make several calls, in order, on one instance.
    #[arg(long, value_name = "CALL")]
    pub invoke: Vec<String>,
    /// Let the guest use the host directory HOST, seen as GUEST (default: the same path); a `:ro` suffix makes it
    /// read-only.
    #[arg(long, value_name = "HOST[::GUEST][:ro]")]
    pub dir: Vec<DirGrant>,
    /// Like --dir, read-only.
    #[arg(long, value_name = "HOST[::GUEST]")]
    pub dir_ro: Vec<DirGrant>,
    /// Set an environment variable for the guest; NAME alone passes the host's value.
    #[arg(long, value_name = "NAME[=VALUE]", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Pass the whole host environment to the guest (before any --env).
    #[arg(long)]
    pub inherit_env: bool,
    /// Let the guest use sockets (TCP, UDP) and name lookups: to any address, or only these comma-separated
    /// addresses and CIDR ranges.
    #[arg(long, value_name = "RANGES", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub allow_net: Option<AddressRanges>,
    /// Let the guest send HTTP requests (wasi:http/outgoing-handler): to any host, or only these
    /// comma-separated `host` or `host:port`.
    #[arg(long, value_name = "HOSTS", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub allow_http: Option<HttpHosts>,
    /// Largest size any linear memory may grow to (e.g. 64MiB); tables get the same budget at 8 bytes per
    /// element.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Stop the guest after this long (e.g. 500ms, 2s, 1m).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Stop the guest after it burns this much fuel (about one unit per instruction).
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Compile afresh: neither read nor write the compiled-code cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Which compiler makes code the cache does not hold: `auto` runs on Winch (fast to compile) at once and
    /// compiles optimised Cranelift code into the cache in the background for the next run (Cranelift when
    /// there is no cache); `cranelift` compiles optimised code now and caches it; `winch` always runs on Winch,
    /// never cached.
    #[arg(long, value_enum, value_name = "COMPILER", default_value_t = CompilerChoice::Auto, env = "WELD_COMPILER")]
    pub compiler: CompilerChoice,
    /// Load a precompiled `.cwasm` (native code: only files you compiled yourself).
    #[arg(long)]
    pub allow_precompiled: bool,
    /// Say on stderr where the compiled code came from (cache or compiler) and how long it took, and what a
    /// registry reference resolved to.
    #[arg(short, long)]
    pub verbose: bool,
    /// How to reach the registry of an `oci://` component.
    #[command(flatten)]
    pub registry: RegistryOpts,
}

impl Opts {
    /// Runs `weld run`.
    pub fn run(self) -> Result<ExitCode> {
        match self.execute() {
            Ok(status) => Ok(status),
            Err(Failure::Run(RunError::OutputClosed(_))) => Ok(ExitCode::SUCCESS),
            Err(Failure::Run(err)) => {
                let code = err.exit_code();
                report::print_error(&anyhow::Error::new(err));
                Ok(ExitCode::from(code))
            }
            Err(Failure::Other(err)) => Err(err),
        }
    }

    fn execute(self) -> Result<ExitCode, Failure> {
        let limits = Limits {
            max_memory: self.max_memory,
            timeout: self.timeout,
            fuel: self.fuel,
        };
        let settings = EngineSettings {
            fuel: self.fuel.is_some(),
            interruptible: self.timeout.is_some(),
            ..Default::default()
        };
        let cache = if self.no_cache {
            None
        } else {
            crate::paths::compiled_cache()
        };
        let caching = cache.is_some();
        let compiling = crate::progress::Compiling::default();
        let runtime = Runtime::new(settings, cache)?
            .with_tiering(self.compiler.into())
            .on_compile(compiling.hook());
        let sources = Sources::new(&self.registry);
        let local = sources.local(&self.component)?;
        // Registry content is never taken as native code, whatever --allow-precompiled says.
        let allow_precompiled = self.allow_precompiled && !local.is_pulled();
        let loaded = runtime.load_file(&local.name, &local.path, allow_precompiled)?;
        drop(compiling);
        // Tier up: Cranelift code for the next run, compiled by a background process.
        let tier_up = match loaded.origin {
            Origin::Baseline { filling: false, .. }
                if self.compiler == CompilerChoice::Auto && caching =>
            {
                Some(super::cache::spawn_fill(&local.path, settings))
            }
            _ => None,
        };
        if self.verbose {
            eprint!("{}", sources.summary());
            say_origin(&loaded);
            match tier_up {
                Some(Ok(pid)) => eprintln!(
                    "weld: compiling optimised code into the cache in the background (process {pid})"
                ),
                Some(Err(e)) => eprintln!("weld: cannot start the background compile: {e}"),
                None => {}
            }
        }
        let pre = runtime.prepare(&loaded)?;

        let mut dirs = self.dir;
        dirs.extend(self.dir_ro.into_iter().map(|d| DirGrant {
            read_only: true,
            ..d
        }));
        let component = self.component.name();
        let spec = RunSpec {
            grants: Grants {
                dirs,
                env: self.env,
                inherit_env: self.inherit_env,
                net: self.allow_net,
                http: self.allow_http,
            },
            limits,
            args: std::iter::once(argv0(&component))
                .chain(self.args)
                .collect(),
            stdio: Stdio::Inherit,
            stuck: limits.timeout.map(stuck),
        };
        if self.invoke.is_empty() {
            let status = runtime.run_command(&pre, &component, spec)?;
            return Ok(ExitCode::from((status & 0xff) as u8));
        }
        let mut out = String::new();
        runtime.invoke(&pre, spec, &self.invoke, |_, result| {
            if !result.is_empty() {
                out.push_str(&result);
                out.push('\n');
            }
        })?;
        crate::output::print(&out)?;
        Ok(ExitCode::SUCCESS)
    }
}

/// `--compiler`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CompilerChoice {
    /// Cached code, else Winch now and Cranelift into the cache in the background.
    Auto,
    /// Cranelift, cached.
    Cranelift,
    /// Winch, never cached.
    Winch,
}

impl From<CompilerChoice> for Tiering {
    fn from(choice: CompilerChoice) -> Tiering {
        match choice {
            CompilerChoice::Auto => Tiering::Auto,
            CompilerChoice::Cranelift => Tiering::Cranelift,
            CompilerChoice::Winch => Tiering::Winch,
        }
    }
}

/// Why `weld run` stopped: the run itself (with its own exit code), or anything around it.
enum Failure {
    Run(RunError),
    Other(anyhow::Error),
}

impl From<RunError> for Failure {
    fn from(err: RunError) -> Failure {
        Failure::Run(err)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Failure {
        Failure::Other(err)
    }
}

impl From<weld_wit::Error> for Failure {
    fn from(err: weld_wit::Error) -> Failure {
        Failure::Run(err.into())
    }
}

/// The guest's argv[0]: the component's file name.
fn argv0(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// What happens when a guest is still blocked in the host after its timeout: say so and end the process.
fn stuck(timeout: Duration) -> Box<dyn FnOnce() + Send> {
    Box::new(move || {
        let err = RunError::Limit(LimitHit::Timeout(timeout));
        let code = err.exit_code();
        report::print_error(&anyhow::Error::new(err));
        std::process::exit(code.into());
    })
}

/// `--verbose`: where the code came from.
fn say_origin(loaded: &Loaded) {
    let file = loaded.path.display();
    let line = match &loaded.origin {
        Origin::Cached { entry, read } => {
            let how = if *read {
                ""
            } else {
                "; found from the file's stamp, without reading it"
            };
            format!("using cached code for {file} ({}){how}", entry.display())
        }
        Origin::Precompiled => format!("using precompiled {file}"),
        Origin::Baseline {
            took,
            replaced,
            filling,
        } => {
            let mut line = format!(
                "compiled {file} with Winch in {}",
                crate::output::millis(*took)
            );
            push_replaced(&mut line, replaced.as_ref());
            if *filling {
                line.push_str("; another process is compiling optimised code into the cache");
            }
            line
        }
        Origin::Compiled {
            took,
            stored,
            replaced,
            reuse,
        } => {
            let mut line = format!(
                "compiled {file} with Cranelift in {}",
                crate::output::millis(*took)
            );
            if let Some(reuse) = reuse.filter(|r| r.lookups > 0) {
                line.push_str(&format!(
                    " ({} of {} functions reused from the cache)",
                    reuse.hits, reuse.lookups
                ));
            }
            push_replaced(&mut line, replaced.as_ref());
            match stored {
                Some(Ok(entry)) => line.push_str(&format!("; cached at {}", entry.display())),
                Some(Err(why)) => line.push_str(&format!(
                    "; could not cache it: {}",
                    weld_wit::one_line(&**why)
                )),
                None => line.push_str(" (cache off)"),
            }
            line
        }
    };
    eprintln!("weld: {line}");
}

/// Says why an existing cache entry was not used, if there was one.
fn push_replaced(line: &mut String, replaced: Option<&weld_runtime::BoxError>) {
    if let Some(why) = replaced {
        line.push_str(&format!(
            "; the cache entry was rebuilt because {}",
            weld_wit::one_line(&**why)
        ));
    }
}

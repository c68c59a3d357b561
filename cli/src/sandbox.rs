//! What `weld run` and `weld serve` share: the grants a guest gets, its limits, where its code comes from (the
//! cache, a compiler, a precompiled file, a registry), and loading the component with them.

use crate::input::Input;
use crate::plugged::{Linked, Plugs};
use crate::registry::{RegistryOpts, Sources};
use crate::values::{dir_grant, parse_duration, parse_env, parse_size};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use weld_runtime::{
    AddressRanges, CodeOrigin, DirGrant, EngineSettings, Grants, HttpHosts, LimitHit, Loaded,
    RunError, RunLimits, Runtime, Tiering, UnusedGrant,
};

/// The sandbox options of `weld run` and `weld serve`.
#[derive(Debug, clap::Args)]
pub struct SandboxOpts {
    /// Compose this component in before running (repeatable), as `weld compose COMPONENT --plug ...` would: the
    /// composition is cached by its inputs' digests, so the next run starts from its cached code.
    #[arg(long, value_name = "PLUG", value_parser = Input::parse)]
    pub plug: Vec<Input>,
    /// With --plug: satisfy IMPORT from PLUG (its path as given, file name or stem), as `weld compose --wire`
    /// does, when several plugs could.
    #[arg(long, value_name = "IMPORT=PLUG", value_parser = crate::input::pair, requires = "plug")]
    pub wire: Vec<(String, String)>,
    /// Let the guest use the host directory HOST, seen as GUEST (default: the same path); a `:ro` suffix makes it
    /// read-only.
    #[arg(long, value_name = "HOST[::GUEST][:ro]", value_parser = dir_grant)]
    pub dir: Vec<DirGrant>,
    /// Like --dir, read-only.
    #[arg(long, value_name = "HOST[::GUEST]", value_parser = dir_grant)]
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
    /// Let the guest send HTTP requests (wasi:http/outgoing-handler, 0.3's wasi:http/client): to any host, or only these
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

/// A component loaded under [`SandboxOpts`], ready to prepare.
pub struct Ready {
    /// The runtime it was loaded by.
    pub runtime: Runtime,
    /// Its code.
    pub loaded: Loaded,
    /// The name it goes by: its path, or its registry reference.
    pub name: PathBuf,
    /// The `--plug`s composed into it, by the names they were given.
    pub plugs: Vec<String>,
}

impl Ready {
    /// `linked` (preparing it to run or to serve), with a failure to link it told as the composition's when plugs
    /// were composed in: what the user runs is then the composition, and the advice adds a `--plug`.
    pub fn linked<T>(&self, linked: Result<T, RunError>) -> Result<T, Failure> {
        match linked {
            Err(err) if !self.plugs.is_empty() => Err(Failure::Other(
                anyhow::Error::new(err).context(crate::advice::Composed {
                    root: self.name.display().to_string(),
                    plugs: self.plugs.clone(),
                }),
            )),
            other => Ok(other?),
        }
    }
}

impl SandboxOpts {
    /// The limits asked for.
    pub fn limits(&self) -> RunLimits {
        RunLimits {
            max_memory: self.max_memory,
            timeout: self.timeout,
            fuel: self.fuel,
        }
    }

    /// `component` with `--plug`s composed in, loaded: from the cached composition when there is one, made again
    /// when that file does not load (a damaged cache entry). Returns the loaded code and the composed file, if
    /// it is in the cache.
    fn load_plugged(
        &self,
        runtime: &Runtime,
        sources: &Sources,
        component: &Input,
    ) -> Result<(Loaded, Option<PathBuf>), Failure> {
        let how = Plugs {
            plugs: &self.plug,
            wires: &self.wire,
            cached: !self.no_cache,
        };
        let name = component.name();
        let mut retried = false;
        loop {
            let (linked, unused) = crate::plugged::link(sources, component, &how)?;
            if !retried {
                crate::wiring::warn_unused_plugs(&unused);
            }
            match linked {
                Linked::File { path, reused } => match runtime.load_file(&name, &path, false) {
                    Ok(loaded) => return Ok((loaded, Some(path))),
                    Err(_) if reused && !retried => {
                        crate::plugged::forget(&path);
                        retried = true;
                    }
                    Err(err) => return Err(err.into()),
                },
                Linked::Bytes(bytes) => {
                    return Ok((runtime.load_bytes(&name, bytes, false)?, None));
                }
            }
        }
    }

    /// The flag behind a grant, for a warning.
    fn grant_flag(&self, grant: UnusedGrant) -> &'static str {
        match grant {
            UnusedGrant::Dirs if self.dir.is_empty() => "--dir-ro",
            UnusedGrant::Dirs => "--dir",
            UnusedGrant::Env if self.env.is_empty() => "--inherit-env",
            UnusedGrant::Env => "--env",
            UnusedGrant::Net => "--allow-net",
            UnusedGrant::Http => "--allow-http",
            _ => "a grant",
        }
    }

    /// The grants asked for (`--dir-ro` as read-only `--dir`).
    pub fn grants(&self) -> Grants {
        let mut dirs = self.dir.clone();
        dirs.extend(self.dir_ro.iter().cloned().map(|d| DirGrant {
            read_only: true,
            ..d
        }));
        Grants {
            dirs,
            env: self.env.clone(),
            inherit_env: self.inherit_env,
            net: self.allow_net.clone(),
            http: self.allow_http.clone(),
        }
    }

    /// Loads `component` (pulling a registry reference) on an engine for these limits; `serving` is
    /// `Some(max concurrent requests)` for a server, whose engine is pooled and always interruptible (requests
    /// take turns). Under `--compiler auto` a component compiled by Winch gets its Cranelift code compiled into
    /// the cache by a background process. With `--verbose` it says where the code came from.
    pub fn load(&self, component: &Input, serving: Option<u32>) -> Result<Ready, Failure> {
        let settings = EngineSettings {
            fuel: self.fuel.is_some(),
            interruptible: self.timeout.is_some() || serving.is_some(),
            pooling: serving,
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
            .with_winch_from(crate::paths::winch_from())
            .on_compile(compiling.hook());
        let sources = Sources::new(&self.registry);
        let (loaded, file) = if self.plug.is_empty() {
            let local = sources.local(component)?;
            // Registry content is never taken as native code, whatever --allow-precompiled says.
            let allow_precompiled = self.allow_precompiled && !local.is_pulled();
            let loaded = runtime.load_file(&local.name, &local.path, allow_precompiled)?;
            (loaded, Some(local.path))
        } else {
            self.load_plugged(&runtime, &sources, component)?
        };
        drop(compiling);
        let imports = runtime.import_names(&loaded)?;
        for unused in self.grants().unused_by(imports.iter().map(String::as_str)) {
            crate::report::warn(&format!(
                "{} grants nothing: {} imports none of {}",
                self.grant_flag(unused),
                component.name().display(),
                unused.family()
            ));
        }
        // Tier up: Cranelift code for the next run, compiled by a background process.
        let tier_up = match loaded.origin {
            CodeOrigin::Winch { filling: false, .. }
            | CodeOrigin::CachedWinch { filling: false, .. }
                if self.compiler == CompilerChoice::Auto && caching =>
            {
                file.as_deref()
                    .map(|path| crate::tier_up::spawn_fill(path, settings))
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
        Ok(Ready {
            runtime,
            loaded,
            name: component.name(),
            plugs: self
                .plug
                .iter()
                .map(|p| p.name().display().to_string())
                .collect(),
        })
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

/// Why a run or a server stopped: the run itself (with its own exit code), or anything around it.
pub enum Failure {
    /// The guest, or loading and linking it (with its own exit code).
    Run(RunError),
    /// Anything around it.
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

impl From<weld_files::Error> for Failure {
    fn from(err: weld_files::Error) -> Failure {
        Failure::Run(err.into())
    }
}

/// The guest's argv[0]: the component's file name.
pub fn argv0(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The exit status weld ends with for a run that failed: the guest's own status for an exit (its low 8 bits, as a
/// shell sees it), 0 when the guest's stdout reader went away, 124 for the time limit (as `timeout(1)`), 125 for
/// the memory or table limit, 126 for fuel, 2 for an `--invoke` that is not `name(arguments)` (bad usage), 1 for
/// anything else. docs/run.md lists them.
pub fn exit_code(err: &RunError) -> u8 {
    match err {
        RunError::Exit(status) => (*status & 0xff) as u8,
        RunError::InvokeSyntax { .. } => 2,
        RunError::OutputClosed(_) => 0,
        RunError::Limit(LimitHit::Timeout(_)) => 124,
        RunError::Limit(LimitHit::Memory(_) | LimitHit::Table(_)) => 125,
        RunError::Limit(LimitHit::Fuel(_)) => 126,
        _ => 1,
    }
}

/// The exit code of a run or a server: a guest's own or a limit's code for what the guest did (reported on
/// stderr first), quiet success when stdout's reader went away.
pub fn finish(result: Result<ExitCode, Failure>) -> Result<ExitCode> {
    match result {
        Ok(status) => Ok(status),
        Err(Failure::Run(RunError::OutputClosed(_))) => Ok(ExitCode::SUCCESS),
        Err(Failure::Run(err)) => {
            let code = exit_code(&err);
            crate::report::print_error(&anyhow::Error::new(err));
            Ok(ExitCode::from(code))
        }
        Err(Failure::Other(err)) => Err(err),
    }
}

/// `--verbose`: where the code came from.
fn say_origin(loaded: &Loaded) {
    let file = loaded.path.display();
    let line = match &loaded.origin {
        CodeOrigin::Cached { entry, read } => {
            let how = if *read {
                ""
            } else {
                "; found from the file's stamp, without reading it"
            };
            format!("using cached code for {file} ({}){how}", entry.display())
        }
        CodeOrigin::Precompiled => format!("using precompiled {file}"),
        CodeOrigin::CachedWinch {
            entry,
            read,
            filling,
        } => {
            let how = if *read {
                ""
            } else {
                "; found from the file's stamp, without reading it"
            };
            let mut line = format!(
                "using Winch's cached code for {file} ({}){how}",
                entry.display()
            );
            push_filling(&mut line, *filling);
            line
        }
        CodeOrigin::Winch {
            stored,
            took,
            replaced,
            filling,
        } => {
            let mut line = format!(
                "compiled {file} with Winch in {}",
                crate::units::millis(*took)
            );
            push_replaced(&mut line, replaced.as_ref());
            match stored {
                Some(Ok(_)) => {
                    line.push_str("; kept in the cache until optimised code replaces it")
                }
                Some(Err(why)) => line.push_str(&format!(
                    "; could not cache it: {}",
                    weld_wit::one_line(&**why)
                )),
                None => {}
            }
            push_filling(&mut line, *filling);
            line
        }
        CodeOrigin::Cranelift {
            took,
            stored,
            replaced,
            reuse,
            winch_refused,
        } => {
            let mut line = format!(
                "compiled {file} with Cranelift in {}",
                crate::units::millis(*took)
            );
            if let Some(why) = winch_refused {
                line.push_str(&format!(
                    " (Winch cannot compile it: {}; Cranelift's code is cached for the next run)",
                    weld_wit::one_line(&**why)
                ));
            }
            push_reuse(&mut line, *reuse);
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

/// Says that another process is filling the cache, if one is.
fn push_filling(line: &mut String, filling: bool) {
    if filling {
        line.push_str("; another process is compiling optimised code into the cache");
    }
}

/// Says how many of the compile's functions came from the shared store, if it looked any up.
fn push_reuse(line: &mut String, reuse: Option<weld_runtime::Reuse>) {
    if let Some(reuse) = reuse.filter(|r| r.lookups > 0) {
        line.push_str(&format!(
            " ({} of {} functions found in the shared store, not compiled)",
            reuse.hits, reuse.lookups
        ));
    }
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

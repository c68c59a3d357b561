//! [`Runtime`]: load (compile or take from the cache), prepare (link once), then run a command or invoke exports,
//! each run in a fresh store with its grants and limits.

use crate::cache::{self, Cache};
use crate::engine::{EngineSettings, engine};
use crate::error::{BoxError, RunError};
use crate::grants::{self, Grants, Stdio};
use crate::host::{self, Host};
use crate::imports;
use crate::invoke::{self, Export, exports};
use crate::limits::{self, LimitHit, Limits, Watchdog};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Precompiled, Store};

/// An engine, its linker and (optionally) a cache of compiled code.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Host>,
    cache: Option<Cache>,
}

/// A component ready to link, and where its code came from.
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The compiled component.
    pub component: Component,
    /// Where the code came from.
    pub origin: Origin,
}

/// Where a loaded component's code came from.
#[derive(Debug)]
pub enum Origin {
    /// The cache entry at this path.
    Cached(PathBuf),
    /// Compiled now, in this long; `stored` says where it was cached, or why it could not be (`None` when
    /// there is no cache).
    Compiled {
        /// Compile time.
        took: Duration,
        /// The cache entry written, or why none was.
        stored: Option<Result<PathBuf, BoxError>>,
        /// Why the existing entry was rebuilt, if there was one.
        replaced: Option<BoxError>,
    },
    /// A precompiled file (`weld compile`).
    Precompiled,
}

/// What a run may use and how long: the grants, limits and arguments.
pub struct RunSpec {
    /// The capabilities granted.
    pub grants: Grants,
    /// The limits.
    pub limits: Limits,
    /// The guest's arguments, argv[0] first.
    pub args: Vec<String>,
    /// Where the guest's stdio goes.
    pub stdio: Stdio,
    /// Called when the guest is still running `grace` after its timeout because it is blocked in the host.
    pub stuck: Option<Box<dyn FnOnce() + Send>>,
}

/// How long a guest blocked in a host call gets after the timeout before `stuck` is called.
const GRACE: Duration = Duration::from_millis(500);

impl Runtime {
    /// A runtime with these engine settings, caching compiled code in `cache` when given.
    pub fn new(settings: EngineSettings, cache: Option<Cache>) -> Result<Self, RunError> {
        let engine = engine(settings)?;
        let linker = host::linker(&engine).map_err(|e| RunError::Engine(e.into()))?;
        Ok(Runtime {
            engine,
            linker,
            cache,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Reads `path` and gets its compiled code: from the cache, by compiling it, or, for a precompiled file
    /// and only when `allow_precompiled`, by loading it.
    pub fn load(&self, path: &Path, allow_precompiled: bool) -> Result<Loaded, RunError> {
        self.load_bytes(path, weld_wit::read_file(path)?, allow_precompiled)
    }

    /// Like [`Runtime::load`], for `bytes` already read from the file named `path`.
    pub fn load_bytes(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        allow_precompiled: bool,
    ) -> Result<Loaded, RunError> {
        let loaded = |component, origin| Loaded {
            path: path.to_owned(),
            component,
            origin,
        };
        match Engine::detect_precompiled(&bytes) {
            Some(Precompiled::Component) if allow_precompiled => {
                // SAFETY: the user vouched for this file with --allow-precompiled; wasmtime still checks that
                // it was compiled by this wasmtime version, for this CPU and with these settings.
                let component =
                    unsafe { Component::deserialize(&self.engine, &bytes) }.map_err(|e| {
                        RunError::Precompiled {
                            path: path.to_owned(),
                            source: e.into(),
                        }
                    })?;
                return Ok(loaded(component, Origin::Precompiled));
            }
            Some(Precompiled::Component) => {
                return Err(RunError::PrecompiledNotAllowed {
                    path: path.to_owned(),
                });
            }
            Some(Precompiled::Module) => {
                return Err(RunError::PrecompiledModule {
                    path: path.to_owned(),
                });
            }
            None => {}
        }
        let wasm = weld_wit::wasm_bytes(path, &bytes)?;
        if wasmparser::Parser::is_core_wasm(&wasm) {
            return Err(RunError::CoreModule {
                path: path.to_owned(),
            });
        }
        let (component, origin) = self.compile_cached(path, &wasm)?;
        Ok(loaded(component, origin))
    }

    /// Compiles `wasm`, going through the cache when there is one.
    fn compile_cached(&self, path: &Path, wasm: &[u8]) -> Result<(Component, Origin), RunError> {
        let Some(cache) = &self.cache else {
            let start = Instant::now();
            let component = self.compile(path, wasm)?;
            let origin = Origin::Compiled {
                took: start.elapsed(),
                stored: None,
                replaced: None,
            };
            return Ok((component, origin));
        };
        let entry = cache.entry(&self.engine, wasm);
        let replaced: Option<BoxError> = match cache.lookup(&entry) {
            cache::Lookup::Hit(artifact) => {
                // SAFETY: the entry was written by weld's own compiler for this engine (its name carries the
                // engine's compatibility hash) and its checksum matched, so it is the artifact weld wrote.
                match unsafe { Component::deserialize(&self.engine, artifact) } {
                    Ok(component) => return Ok((component, Origin::Cached(entry))),
                    Err(e) => Some(Box::new(Refused(e.into()))),
                }
            }
            cache::Lookup::Miss => None,
            cache::Lookup::Corrupt(why) => Some(why.into()),
        };
        let start = Instant::now();
        let component = self.compile(path, wasm)?;
        let took = start.elapsed();
        let stored = component
            .serialize()
            .map_err(BoxError::from)
            .and_then(|artifact| cache.store(&entry, &artifact).map_err(BoxError::from))
            .map(|()| entry);
        Ok((
            component,
            Origin::Compiled {
                took,
                stored: Some(stored),
                replaced,
            },
        ))
    }

    /// Compiles a component with Cranelift.
    pub fn compile(&self, path: &Path, wasm: &[u8]) -> Result<Component, RunError> {
        Component::new(&self.engine, wasm).map_err(|e| RunError::Compile {
            path: path.to_owned(),
            source: e.into(),
        })
    }

    /// Checks every import and links the component once; the result instantiates quickly, any number of times.
    pub fn prepare(&self, loaded: &Loaded) -> Result<InstancePre<Host>, RunError> {
        let file = loaded.path.display().to_string();
        let needs = imports::needs(&self.engine, &loaded.component, &file);
        if !needs.missing.is_empty() {
            return Err(RunError::Missing {
                path: loaded.path.clone(),
                imports: needs.missing,
            });
        }
        let link_error = |e: wasmtime::Error| RunError::Link {
            path: loaded.path.clone(),
            source: e.into(),
        };
        if needs.types_only.is_empty() {
            return self
                .linker
                .instantiate_pre(&loaded.component)
                .map_err(link_error);
        }
        // An interface of types alone is satisfied by an empty instance of that name.
        let mut linker = self.linker.clone();
        for name in &needs.types_only {
            linker.instance(name).map_err(link_error)?;
        }
        linker
            .instantiate_pre(&loaded.component)
            .map_err(link_error)
    }

    /// A store for one run: the WASI context of `spec`'s grants, its memory limit and fuel.
    fn store(&self, spec: &RunSpec) -> Result<Store<Host>, RunError> {
        let wasi = grants::wasi_ctx(&spec.grants, &spec.args, spec.stdio)?;
        let limiter = limits::Limiter::new(spec.limits.max_memory);
        let mut store = Store::new(
            &self.engine,
            Host::new(wasi, spec.grants.http.clone(), limiter),
        );
        store.limiter(|host| &mut host.limiter);
        if spec.limits.timeout.is_some() {
            store.set_epoch_deadline(1);
        }
        if let Some(fuel) = spec.limits.fuel {
            store
                .set_fuel(fuel)
                .map_err(|_| RunError::FuelNotCompiled)?;
        }
        Ok(store)
    }

    /// Runs a `wasi:cli/run` command and returns the guest's exit status (0 for `ok`, 1 for `err`, or what it
    /// passed to `exit`).
    pub fn run_command(
        &self,
        pre: &InstancePre<Host>,
        path: &Path,
        mut spec: RunSpec,
    ) -> Result<i32, RunError> {
        let component = pre.component();
        let run = component
            .component_type()
            .exports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .find(|name| name.starts_with("wasi:cli/run@0.2."))
            .ok_or_else(|| RunError::NotACommand {
                path: path.to_owned(),
                functions: exports(&self.engine, component)
                    .iter()
                    .map(Export::path)
                    .collect(),
            })?;
        let mut store = self.store(&spec)?;
        let _watchdog = self.watchdog(&mut spec);
        let outcome = (|| {
            let instance = pre.instantiate(&mut store)?;
            let iface = instance
                .get_export_index(&mut store, None, &run)
                .ok_or_else(|| wasmtime::format_err!("no export {run}"))?;
            let index = instance
                .get_export_index(&mut store, Some(&iface), "run")
                .ok_or_else(|| wasmtime::format_err!("{run} has no `run` function"))?;
            let func = instance.get_typed_func::<(), (Result<(), ()>,)>(&mut store, index)?;
            let (result,) = func.call(&mut store, ())?;
            wasmtime::Result::Ok(result)
        })();
        match outcome {
            Ok(Ok(())) => Ok(0),
            Ok(Err(())) => Ok(1),
            Err(err) => match settle(RunError::from_guest(err), &store, &spec.limits) {
                RunError::Exit(status) => Ok(status),
                other => Err(other),
            },
        }
    }

    /// Instantiates the component and makes each call in `calls` in order, handing each result (WAVE) to
    /// `result` with its expression.
    pub fn invoke(
        &self,
        pre: &InstancePre<Host>,
        mut spec: RunSpec,
        calls: &[String],
        mut result: impl FnMut(&str, String),
    ) -> Result<(), RunError> {
        let mut store = self.store(&spec)?;
        let _watchdog = self.watchdog(&mut spec);
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| settle(RunError::from_guest(e), &store, &spec.limits))?;
        let mut session = invoke::Session::new(&self.engine, pre.component(), instance);
        for call in calls {
            let text = session
                .call(&mut store, call)
                .map_err(|e| settle(e, &store, &spec.limits))?;
            result(call, text);
        }
        Ok(())
    }

    /// Starts the clock when there is a timeout.
    fn watchdog(&self, spec: &mut RunSpec) -> Option<Watchdog> {
        let timeout = spec.limits.timeout?;
        let stuck = spec.stuck.take().unwrap_or_else(|| Box::new(|| {}));
        Some(Watchdog::start(&self.engine, timeout, GRACE, stuck))
    }
}

/// A cache entry that passed weld's checks but that wasmtime would not load (another build of the same version,
/// say): rebuilt, with wasmtime's reason kept.
#[derive(Debug, thiserror::Error)]
#[error("wasmtime refused it")]
struct Refused(#[source] BoxError);

/// Turns a trap that a limit caused into that limit.
fn settle(err: RunError, store: &Store<Host>, limits: &Limits) -> RunError {
    if let Some(hit) = store.data().limiter.hit() {
        return RunError::Limit(hit);
    }
    match (&err, limits) {
        (
            RunError::Trap {
                code: Some(wasmtime::Trap::Interrupt),
                ..
            },
            Limits {
                timeout: Some(t), ..
            },
        ) => RunError::Limit(LimitHit::Timeout(*t)),
        (
            RunError::Trap {
                code: Some(wasmtime::Trap::OutOfFuel),
                ..
            },
            Limits { fuel: Some(f), .. },
        ) => RunError::Limit(LimitHit::Fuel(*f)),
        _ => err,
    }
}

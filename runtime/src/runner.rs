//! [`Runtime`]: load (map cached code, compile, or load a precompiled file), prepare (link once), then run a
//! command or invoke exports, each run in a fresh store with its grants and limits.

use crate::cache::{self, Cache, Digest, FunctionStore, Reuse, Stamp};
use crate::concurrent;
use crate::engine::{Compiler, EngineSettings, engine_sharing};
use crate::error::{BoxError, RunError};
use crate::grants::{self, Grants, Stdio};
use crate::host::{self, Host};
use crate::imports;
use crate::invoke::{self, Export, exports};
use crate::limits::{self, LimitHit, Limits, Watchdog};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Precompiled, Store};

/// How a load picks its compiler when the cache has no code for the component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tiering {
    /// Cached Cranelift code when there is some. Otherwise Winch, several times faster to compile, and the
    /// caller fills the cache with Cranelift code for the next run ([`Runtime::fill`]; weld's CLI does that in a
    /// background process). Without a cache, Cranelift.
    Auto,
    /// Cranelift: cached code when there is some, else compiled and cached.
    #[default]
    Cranelift,
    /// Winch, always; its code is never cached.
    Winch,
}

/// One compiler's engine and the linkers made for it (a component links only against its own engine's linker):
/// the synchronous one, and the concurrent one (WASI 0.2 async and 0.3), built when first needed.
struct Tier {
    engine: Engine,
    linker: Linker<Host>,
    concurrent: OnceLock<Linker<Host>>,
}

impl Tier {
    fn new(
        settings: EngineSettings,
        functions: Option<Arc<FunctionStore>>,
    ) -> Result<Tier, RunError> {
        let engine = engine_sharing(
            settings,
            functions.map(|f| f as Arc<dyn wasmtime::CacheStore>),
        )?;
        let linker = host::linker(&engine).map_err(|e| RunError::Engine(e.into()))?;
        Ok(Tier {
            engine,
            linker,
            concurrent: OnceLock::new(),
        })
    }

    /// The linker for guests called on wasmtime's concurrent path.
    fn concurrent(&self) -> Result<&Linker<Host>, RunError> {
        if let Some(linker) = self.concurrent.get() {
            return Ok(linker);
        }
        let linker = host::linker_async(&self.engine).map_err(|e| RunError::Engine(e.into()))?;
        Ok(self.concurrent.get_or_init(|| linker))
    }
}

/// Told when a compile starts: the file and the compiler. For progress displays.
pub type OnCompile = Box<dyn Fn(&Path, Compiler) + Send + Sync>;

/// Engines (Cranelift, and Winch once needed), their linkers, and (optionally) a cache of compiled code.
pub struct Runtime {
    settings: EngineSettings,
    optimizing: Tier,
    baseline: OnceLock<Tier>,
    cache: Option<Cache>,
    functions: Option<Arc<FunctionStore>>,
    tiering: Tiering,
    winch_from: u64,
    on_compile: Option<OnCompile>,
}

/// A component ready to link, and where its code came from.
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The compiled component.
    pub component: Component,
    /// Where the code came from.
    pub origin: Origin,
    /// The compiler that made the code.
    pub compiler: Compiler,
}

/// Where a loaded component's code came from.
#[derive(Debug)]
pub enum Origin {
    /// The cache entry `entry`, mapped.
    Cached {
        /// The artifact's file.
        entry: PathBuf,
        /// Whether the component file was read to find it: false when the cache's index knew the file's
        /// contents from its stamp.
        read: bool,
    },
    /// Compiled now by Cranelift, in this long; `stored` says where it was cached, or why it could not be
    /// (`None` when there is no cache).
    Compiled {
        /// Compile time.
        took: Duration,
        /// The cache entry written, or why none was.
        stored: Option<Result<PathBuf, BoxError>>,
        /// Why the existing entry was rebuilt, if there was one.
        replaced: Option<BoxError>,
        /// Functions looked up in and found in the shared store, when there is one.
        reuse: Option<Reuse>,
        /// Why Winch could not take the component, when [`Tiering::Auto`] tried it first: Cranelift compiled it
        /// at once instead, into the cache.
        winch_refused: Option<BoxError>,
    },
    /// Winch's code from the cache entry `entry`, mapped: a run under [`Tiering::Auto`] before the optimised code
    /// arrived. The cache wants filling, unless `filling` says another process is at it.
    CachedBaseline {
        /// The artifact's file.
        entry: PathBuf,
        /// Whether the component file was read to find it.
        read: bool,
        /// Whether another process holds the optimised entry's compile lock (is filling it now).
        filling: bool,
    },
    /// Compiled now by Winch, in this long. Under [`Tiering::Auto`] it is kept in the cache (`stored`) until the
    /// optimised code replaces it, and the cache wants filling, unless `filling` says another process is at it.
    Baseline {
        /// Where the code was cached, or why it could not be (`None`: not cached, under [`Tiering::Winch`] or
        /// without a cache).
        stored: Option<Result<PathBuf, BoxError>>,
        /// Compile time.
        took: Duration,
        /// Why the existing entry is unusable, if there was one.
        replaced: Option<BoxError>,
        /// Whether another process holds the entry's compile lock (is filling it now).
        filling: bool,
    },
    /// A precompiled file (`weld compile`), mapped.
    Precompiled,
}

/// Code compiled just now.
struct Compiled {
    component: Component,
    took: Duration,
    /// The shared functions reused, when there is a store of them.
    reuse: Option<Reuse>,
}

/// Code Cranelift compiled just now, and what became of it.
struct Fresh {
    compiled: Compiled,
    /// Where it was stored, or why it could not be.
    stored: Result<PathBuf, BoxError>,
}

/// What [`Runtime::fill`] did.
#[derive(Debug)]
pub enum Filled {
    /// The cache already held sound code.
    Present(PathBuf),
    /// Another process is compiling the same entry.
    Busy,
    /// Compiled and stored, in this long, with this reuse of shared functions.
    Stored(PathBuf, Duration, Reuse),
}

/// What a run may use and how long: the grants, limits and arguments.
pub struct RunSpec {
    /// The capabilities granted.
    pub grants: Grants,
    /// The limits.
    pub limits: Limits,
    /// The guest's arguments, `argv[0]` first.
    pub args: Vec<String>,
    /// Where the guest's stdio goes.
    pub stdio: Stdio,
    /// Called when the guest is still running `grace` after its timeout because it is blocked in the host.
    pub stuck: Option<Box<dyn FnOnce() + Send>>,
}

/// The size from which [`Tiering::Auto`] starts a component on Winch, in bytes (256 KiB). Below it Cranelift
/// compiles in a fraction of a second (about 0.1 s for a 22 KB C command built with wasi-libc, against Winch's
/// 0.02 s, on the 2-core machine of docs/performance.md), which is worth more than a background process per first
/// run: no process outlives the run, so a script that removes its cache folder right after never races one.
pub const DEFAULT_WINCH_FROM: u64 = 256 * 1024;

/// How long a guest blocked in a host call gets after the timeout before `stuck` is called.
const GRACE: Duration = Duration::from_millis(500);

impl Runtime {
    /// A runtime with these engine settings, caching compiled code (and the functions Cranelift compiles, shared
    /// between components) in `cache` when given. It compiles with
    /// `settings.compiler` until [`Runtime::with_tiering`] says otherwise.
    pub fn new(settings: EngineSettings, cache: Option<Cache>) -> Result<Self, RunError> {
        let functions = cache.as_ref().map(|c| Arc::new(c.functions()));
        let tiering = match settings.compiler {
            Compiler::Cranelift => Tiering::Cranelift,
            Compiler::Winch => Tiering::Winch,
        };
        let settings = EngineSettings {
            compiler: Compiler::Cranelift,
            ..settings
        };
        Ok(Runtime {
            settings,
            optimizing: Tier::new(settings, functions.clone())?,
            baseline: OnceLock::new(),
            cache,
            functions,
            tiering,
            winch_from: DEFAULT_WINCH_FROM,
            on_compile: None,
        })
    }

    /// The same runtime, where [`Tiering::Auto`] starts on Winch only components of at least `bytes` bytes (see
    /// [`DEFAULT_WINCH_FROM`]); smaller ones are compiled with Cranelift into the cache at once.
    pub fn with_winch_from(self, bytes: u64) -> Self {
        Runtime {
            winch_from: bytes,
            ..self
        }
    }

    /// The same runtime, picking compilers as `tiering` says.
    pub fn with_tiering(self, tiering: Tiering) -> Self {
        Runtime { tiering, ..self }
    }

    /// The same runtime, calling `on_compile` whenever a compile starts.
    pub fn on_compile(self, on_compile: OnCompile) -> Self {
        Runtime {
            on_compile: Some(on_compile),
            ..self
        }
    }

    /// The Cranelift engine (the one cached and precompiled code belongs to).
    pub fn engine(&self) -> &Engine {
        &self.optimizing.engine
    }

    /// Functions looked up in and found in the shared store so far, when there is one.
    pub fn reuse(&self) -> Option<Reuse> {
        self.functions.as_ref().map(|f| f.reuse())
    }

    /// The tier of `compiler`, built on first use.
    fn tier(&self, compiler: Compiler) -> Result<&Tier, RunError> {
        if compiler == Compiler::Cranelift {
            return Ok(&self.optimizing);
        }
        if let Some(tier) = self.baseline.get() {
            return Ok(tier);
        }
        let settings = EngineSettings {
            compiler: Compiler::Winch,
            ..self.settings
        };
        let tier = Tier::new(settings, None)?;
        Ok(self.baseline.get_or_init(|| tier))
    }

    /// Gets `path`'s compiled code: mapped from the cache (found from the file's stamp, without reading the file,
    /// when the cache's index knows it), compiled, or, for a precompiled file and only when `allow_precompiled`,
    /// mapped from the file.
    pub fn load(&self, path: &Path, allow_precompiled: bool) -> Result<Loaded, RunError> {
        self.load_file(path, path, allow_precompiled)
    }

    /// Like [`Runtime::load`] for the file at `path`, named `name` in messages (a pulled component's reference).
    pub fn load_file(
        &self,
        name: &Path,
        path: &Path,
        allow_precompiled: bool,
    ) -> Result<Loaded, RunError> {
        if let Some(loaded) = self.load_indexed(name, path) {
            return Ok(loaded);
        }
        if allow_precompiled
            && matches!(
                Engine::detect_precompiled_file(path),
                Ok(Some(Precompiled::Component))
            )
        {
            // SAFETY: the user vouched for this file with --allow-precompiled; wasmtime still checks that it was
            // compiled by this wasmtime version, for this CPU and with these settings.
            let component =
                unsafe { Component::deserialize_file(self.engine(), path) }.map_err(|e| {
                    RunError::Precompiled {
                        path: name.to_owned(),
                        source: e.into(),
                    }
                })?;
            return Ok(self.loaded(name, component, Origin::Precompiled, Compiler::Cranelift));
        }
        let before = std::fs::metadata(path).ok().map(|m| Stamp::of(&m));
        let bytes = weld_wit::read_file(path)?;
        let digest = Digest::of(&bytes);
        if let (Some(cache), Some(before)) = (&self.cache, before) {
            cache.index().remember(path, &before, &digest);
        }
        self.load_contents(name, bytes, digest, allow_precompiled)
    }

    /// Like [`Runtime::load`], for `bytes` already read from the file named `path`.
    pub fn load_bytes(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        allow_precompiled: bool,
    ) -> Result<Loaded, RunError> {
        let digest = Digest::of(&bytes);
        self.load_contents(path, bytes, digest, allow_precompiled)
    }

    /// The cached code of `path`, when the index knows its contents and the cache holds sound code for them.
    fn load_indexed(&self, name: &Path, path: &Path) -> Option<Loaded> {
        let cache = self
            .cache
            .as_ref()
            .filter(|_| self.tiering != Tiering::Winch)?;
        let digest = cache.index().known(path)?;
        let key = cache.key(self.engine(), &digest);
        let cache::Lookup::Hit(artifact) = cache.lookup(&key) else {
            return self.cached_baseline(cache, &key, &digest, name, false);
        };
        // SAFETY: see `compile_cached`.
        let component = unsafe { Component::deserialize_file(self.engine(), &artifact) }.ok()?;
        let origin = Origin::Cached {
            entry: artifact,
            read: false,
        };
        Some(self.loaded(name, component, origin, Compiler::Cranelift))
    }

    /// Winch's cached code of `digest`, when [`Tiering::Auto`] finds no optimised code (the entry `optimised`) and a
    /// run before kept Winch's: mapped as the optimised code is, and checked as it is (an entry swapped or damaged
    /// is compiled again, never run).
    fn cached_baseline(
        &self,
        cache: &Cache,
        optimised: &cache::Key,
        digest: &Digest,
        name: &Path,
        read: bool,
    ) -> Option<Loaded> {
        if self.tiering != Tiering::Auto {
            return None;
        }
        let engine = &self.tier(Compiler::Winch).ok()?.engine;
        let cache::Lookup::Hit(artifact) = cache.lookup(&cache.key(engine, digest)) else {
            return None;
        };
        // SAFETY: as in `compile_cached`: written by weld for this engine, its length and checksum checked.
        let component = unsafe { Component::deserialize_file(engine, &artifact) }.ok()?;
        let origin = Origin::CachedBaseline {
            entry: artifact,
            read,
            filling: cache.locked(optimised),
        };
        Some(self.loaded(name, component, origin, Compiler::Winch))
    }

    /// Loads the contents `bytes` (with `digest`) of the file named `path`.
    fn load_contents(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        digest: Digest,
        allow_precompiled: bool,
    ) -> Result<Loaded, RunError> {
        match Engine::detect_precompiled(&bytes) {
            Some(Precompiled::Component) if allow_precompiled => {
                // SAFETY: as in `load_file`.
                let component =
                    unsafe { Component::deserialize(self.engine(), &bytes) }.map_err(|e| {
                        RunError::Precompiled {
                            path: path.to_owned(),
                            source: e.into(),
                        }
                    })?;
                return Ok(self.loaded(path, component, Origin::Precompiled, Compiler::Cranelift));
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
        if weld_wit::is_wit_package(&wasm) {
            return Err(RunError::WitPackage {
                path: path.to_owned(),
            });
        }
        self.compile_cached(path, &wasm, &digest, self.tiering)
    }

    /// A [`Loaded`] of `path`.
    fn loaded(
        &self,
        path: &Path,
        component: Component,
        origin: Origin,
        compiler: Compiler,
    ) -> Loaded {
        Loaded {
            path: path.to_owned(),
            component,
            origin,
            compiler,
        }
    }

    /// Gets code for `wasm` (contents `digest`) as `tiering` says: cached, Cranelift (then cached), or Winch.
    fn compile_cached(
        &self,
        path: &Path,
        wasm: &[u8],
        digest: &Digest,
        tiering: Tiering,
    ) -> Result<Loaded, RunError> {
        let cache = self.cache.as_ref().filter(|_| tiering != Tiering::Winch);
        let Some(cache) = cache else {
            let compiler = match tiering {
                Tiering::Winch => Compiler::Winch,
                Tiering::Auto | Tiering::Cranelift => Compiler::Cranelift,
            };
            let Compiled {
                component,
                took,
                reuse,
            } = self.compile_with(compiler, path, wasm)?;
            let origin = match compiler {
                Compiler::Winch => Origin::Baseline {
                    stored: None,
                    took,
                    replaced: None,
                    filling: false,
                },
                Compiler::Cranelift => Origin::Compiled {
                    took,
                    stored: None,
                    replaced: None,
                    reuse,
                    winch_refused: None,
                },
            };
            return Ok(self.loaded(path, component, origin, compiler));
        };
        let key = cache.key(self.engine(), digest);
        let replaced: Option<BoxError> = match cache.lookup(&key) {
            cache::Lookup::Hit(artifact) => {
                // SAFETY: the entry was written by weld's own compiler for this engine (its name carries the
                // engine's compatibility hash), and its length and checksum match its record, so it is the
                // artifact weld wrote.
                match unsafe { Component::deserialize_file(self.engine(), &artifact) } {
                    Ok(component) => {
                        let origin = Origin::Cached {
                            entry: artifact,
                            read: true,
                        };
                        return Ok(self.loaded(path, component, origin, Compiler::Cranelift));
                    }
                    Err(e) => Some(Box::new(Refused(e.into()))),
                }
            }
            cache::Lookup::Miss => None,
            cache::Lookup::Corrupt(why) => Some(why.into()),
        };
        // Winch now only when the cache can take the Cranelift code for the next run, and the component is big
        // enough for Winch to save time worth a background compile; otherwise Cranelift now.
        // Winch refuses some valid components Cranelift compiles (its configuration lacks GC, so a constant
        // expression may not read a global; no exceptions or tail calls): those go to Cranelift at once, into the
        // cache, where the next run finds them.
        let mut winch_refused = None;
        if tiering == Tiering::Auto
            && let Some(loaded) = self.cached_baseline(cache, &key, digest, path, true)
        {
            return Ok(loaded);
        }
        if tiering == Tiering::Auto && cache.writable() && wasm.len() as u64 >= self.winch_from {
            match self.compile_with(Compiler::Winch, path, wasm) {
                Ok(Compiled {
                    component, took, ..
                }) => {
                    // Kept at once, so that the next run maps it rather than compiling again while the optimised
                    // code is still being made.
                    let baseline = cache.key(&self.tier(Compiler::Winch)?.engine, digest);
                    let stored =
                        component
                            .serialize()
                            .map_err(BoxError::from)
                            .and_then(|artifact| {
                                cache
                                    .store(&baseline, &artifact, path, took, "Winch")
                                    .map_err(BoxError::from)
                            });
                    let origin = Origin::Baseline {
                        stored: Some(stored),
                        took,
                        replaced,
                        filling: cache.locked(&key),
                    };
                    return Ok(self.loaded(path, component, origin, Compiler::Winch));
                }
                Err(RunError::Compile { source, .. }) => winch_refused = Some(source),
                Err(other) => return Err(other),
            }
        }
        let fresh = self.compile_into(cache, &key, path, wasm)?;
        let Fresh { compiled, stored } = fresh;
        let origin = Origin::Compiled {
            took: compiled.took,
            stored: Some(stored),
            replaced,
            reuse: compiled.reuse,
            winch_refused,
        };
        Ok(self.loaded(path, compiled.component, origin, Compiler::Cranelift))
    }

    /// Compiles `wasm` with Cranelift and stores it as the entry `key`.
    fn compile_into(
        &self,
        cache: &Cache,
        key: &cache::Key,
        path: &Path,
        wasm: &[u8],
    ) -> Result<Fresh, RunError> {
        let compiled = self.compile_with(Compiler::Cranelift, path, wasm)?;
        let stored = compiled
            .component
            .serialize()
            .map_err(BoxError::from)
            .and_then(|artifact| {
                cache
                    .store(key, &artifact, path, compiled.took, "Cranelift")
                    .map_err(BoxError::from)
            });
        Ok(Fresh { compiled, stored })
    }

    /// Compiles `path` with Cranelift into the cache, unless the cache already holds sound code for it or another
    /// process is compiling it (a lock on the entry, held while compiling): what fills the cache after a run on
    /// Winch. Racing fills never corrupt an entry (see [`Cache::store`]).
    pub fn fill(&self, path: &Path) -> Result<Filled, RunError> {
        let Some(cache) = &self.cache else {
            return Err(RunError::NoCache);
        };
        let bytes = weld_wit::read_file(path)?;
        let digest = Digest::of(&bytes);
        let key = cache.key(self.engine(), &digest);
        let Some(_lock) = cache.lock(&key).map_err(|e| RunError::CacheIo(e.into()))? else {
            return Ok(Filled::Busy);
        };
        if let cache::Lookup::Hit(artifact) = cache.lookup(&key) {
            self.drop_baseline(cache, &digest);
            return Ok(Filled::Present(artifact));
        }
        let wasm = weld_wit::wasm_bytes(path, &bytes)?;
        let fresh = self.compile_into(cache, &key, path, &wasm)?;
        if fresh.stored.is_ok() {
            self.drop_baseline(cache, &digest);
        }
        Ok(Filled::Stored(
            fresh.stored.map_err(RunError::CacheIo)?,
            fresh.compiled.took,
            fresh.compiled.reuse.unwrap_or_default(),
        ))
    }

    /// Removes Winch's entry of `digest`, which the optimised code has replaced (what a run finds first now).
    fn drop_baseline(&self, cache: &Cache, digest: &Digest) {
        if let Ok(tier) = self.tier(Compiler::Winch) {
            let _ = cache.remove(&cache.key(&tier.engine, digest));
        }
    }

    /// Compiles a component with Cranelift (reusing shared functions when there is a cache).
    pub fn compile(&self, path: &Path, wasm: &[u8]) -> Result<Component, RunError> {
        Ok(self
            .compile_with(Compiler::Cranelift, path, wasm)?
            .component)
    }

    /// Compiles a component with `compiler`, timing it and counting the shared functions it reused.
    fn compile_with(
        &self,
        compiler: Compiler,
        path: &Path,
        wasm: &[u8],
    ) -> Result<Compiled, RunError> {
        if let Some(on_compile) = &self.on_compile {
            on_compile(path, compiler);
        }
        let engine = &self.tier(compiler)?.engine;
        let before = self.reuse().unwrap_or_default();
        let start = Instant::now();
        let component = Component::new(engine, wasm).map_err(|e| RunError::Compile {
            path: path.to_owned(),
            source: e.into(),
        })?;
        let took = start.elapsed();
        let reuse = self.reuse().map(|now| now.since(before));
        Ok(Compiled {
            component,
            took,
            reuse,
        })
    }

    /// Checks every import and links the component once; the result instantiates quickly, any number of times.
    /// A component that imports WASI 0.3 or exports an async function is linked for wasmtime's concurrent path,
    /// which [`Runtime::run_command`] and [`Runtime::invoke`] then take.
    pub fn prepare(&self, loaded: &Loaded) -> Result<InstancePre<Host>, RunError> {
        let tier = self.tier(loaded.compiler)?;
        let linker = if concurrent::needed(&loaded.component) {
            tier.concurrent()?
        } else {
            &tier.linker
        };
        link(loaded, &tier.engine, linker)
    }

    /// Like [`Runtime::prepare`] for a `wasi:http/incoming-handler@0.2` or `wasi:http/handler@0.3` component,
    /// linked against the asynchronous host (WASI 0.2 and 0.3) that [`Server`](crate::Server) calls it with.
    ///
    /// # Errors
    /// [`RunError::NotAHandler`] when the component exports no such interface (it names what it exports), and
    /// those of [`Runtime::prepare`].
    pub fn prepare_handler(&self, loaded: &Loaded) -> Result<crate::Handler, RunError> {
        let tier = self.tier(loaded.compiler)?;
        let pre = link(loaded, &tier.engine, tier.concurrent()?)?;
        crate::Handler::new(pre, &loaded.path)
    }
}

/// Checks every import of `loaded` against what `linker` provides, and links it.
fn link(
    loaded: &Loaded,
    engine: &Engine,
    linker: &Linker<Host>,
) -> Result<InstancePre<Host>, RunError> {
    let needs = imports::needs(engine, &loaded.component);
    if !needs.missing.is_empty() {
        return Err(RunError::Missing {
            path: loaded.path.clone(),
            imports: needs.missing,
        });
    }
    let link_error = |e: wasmtime::Error| RunError::link(&loaded.path, e);
    if needs.types_only.is_empty() {
        return linker
            .instantiate_pre(&loaded.component)
            .map_err(link_error);
    }
    // An interface of types alone is satisfied by an empty instance of that name.
    let mut linker = linker.clone();
    for name in &needs.types_only {
        linker.instance(name).map_err(link_error)?;
    }
    linker
        .instantiate_pre(&loaded.component)
        .map_err(link_error)
}

impl Runtime {
    /// A store for one run: the WASI context of `spec`'s grants, its memory limit and fuel.
    fn store(&self, engine: &Engine, spec: &RunSpec) -> Result<Store<Host>, RunError> {
        let wasi = grants::wasi_ctx(&spec.grants, &spec.args, spec.stdio)?;
        store_for(engine, wasi, &spec.grants, &spec.limits)
    }

    /// Runs a `wasi:cli/run` command (0.2.x, or 0.3.x on wasmtime's concurrent path) and returns the guest's exit
    /// status (0 for `ok`, 1 for `err`, or what it passed to `exit`).
    pub fn run_command(
        &self,
        pre: &InstancePre<Host>,
        path: &Path,
        mut spec: RunSpec,
    ) -> Result<i32, RunError> {
        let component = pre.component();
        let run = component
            .component_type()
            .exports(component.engine())
            .map(|(name, _)| name.to_owned())
            .find(|name| RUN.iter().any(|prefix| name.starts_with(prefix)))
            .ok_or_else(|| RunError::NotACommand {
                path: path.to_owned(),
                functions: exports(component.engine(), component)
                    .iter()
                    .map(Export::path)
                    .collect(),
            })?;
        let engine = pre.component().engine();
        let mut store = self.store(engine, &spec)?;
        let _watchdog = watchdog(engine, &mut spec);
        let outcome = if concurrent::needed(component) {
            let work = async {
                let instance = pre.instantiate_async(&mut store).await?;
                let func = run_function(&instance, &mut store, &run)?;
                let (result,) = func.call_async(&mut store, ()).await?;
                wasmtime::Result::Ok(result)
            };
            closed_output(concurrent::run(spec.limits.timeout, async {
                work.await.map_err(RunError::from_guest)
            }))
        } else {
            (|| {
                let instance = pre.instantiate(&mut store)?;
                let func = run_function(&instance, &mut store, &run)?;
                let (result,) = func.call(&mut store, ())?;
                wasmtime::Result::Ok(result)
            })()
            .map_err(RunError::from_guest)
        };
        match outcome {
            Ok(Ok(())) => Ok(0),
            Ok(Err(())) => Ok(1),
            Err(err) => match settle(err, &store, &spec.limits) {
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
        let engine = pre.component().engine();
        let mut store = self.store(engine, &spec)?;
        let _watchdog = watchdog(engine, &mut spec);
        if concurrent::needed(pre.component()) {
            let limits = spec.limits;
            let work = async {
                let instance = pre
                    .instantiate_async(&mut store)
                    .await
                    .map_err(RunError::from_guest)?;
                let mut session = invoke::Session::new(engine, pre.component(), instance);
                for call in calls {
                    result(call, session.call_concurrent(&mut store, call).await?);
                }
                Ok(())
            };
            return closed_output(concurrent::run(limits.timeout, work))
                .map_err(|e| settle(e, &store, &limits));
        }
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| settle(RunError::from_guest(e), &store, &spec.limits))?;
        let mut session = invoke::Session::new(engine, pre.component(), instance);
        for call in calls {
            let text = session
                .call(&mut store, call)
                .map_err(|e| settle(e, &store, &spec.limits))?;
            result(call, text);
        }
        Ok(())
    }
}

/// `outcome`, unless the guest's stdout was closed by its reader during the run: then the run stopped for that
/// ([`RunError::OutputClosed`]). WASI 0.3's stdout hands a closed pipe to the guest as an error code it may ignore
/// or turn into a failure of its own, where 0.2's stops the guest at once (`stdio.rs`); either way the run ends as
/// `weld run c.wasm | head` should.
fn closed_output<T>(outcome: Result<T, RunError>) -> Result<T, RunError> {
    if crate::stdio::stdout_closed() {
        return Err(RunError::OutputClosed(
            std::io::ErrorKind::BrokenPipe.into(),
        ));
    }
    outcome
}

/// The export a command has, at any 0.2 or 0.3 version (wasmtime resolves `@0.x.y` to the version it
/// implements, as it does for imports).
pub(crate) const RUN: [&str; 2] = ["wasi:cli/run@0.2.", "wasi:cli/run@0.3."];

/// The `run` function of the instance's `run` export (`wasi:cli/run@0.2.x` or `@0.3.x`).
fn run_function(
    instance: &wasmtime::component::Instance,
    mut store: impl wasmtime::AsContextMut,
    run: &str,
) -> wasmtime::Result<wasmtime::component::TypedFunc<(), (Result<(), ()>,)>> {
    let iface = instance
        .get_export_index(&mut store, None, run)
        .ok_or_else(|| wasmtime::format_err!("no export {run}"))?;
    let index = instance
        .get_export_index(&mut store, Some(&iface), "run")
        .ok_or_else(|| wasmtime::format_err!("{run} has no `run` function"))?;
    instance.get_typed_func::<(), (Result<(), ()>,)>(&mut store, index)
}

/// A store with this WASI context, the HTTP grants of `grants`, and `limits`' memory limit and fuel; with a
/// timeout, it is interrupted at the engine's next epoch (the caller's clock advances it).
pub(crate) fn store_for(
    engine: &Engine,
    wasi: wasmtime_wasi::WasiCtx,
    grants: &Grants,
    limits: &Limits,
) -> Result<Store<Host>, RunError> {
    let limiter = limits::Limiter::new(limits.max_memory);
    let mut store = Store::new(engine, Host::new(wasi, grants.http.clone(), limiter));
    store.limiter(|host| &mut host.limiter);
    if limits.timeout.is_some() {
        store.set_epoch_deadline(1);
    }
    if let Some(fuel) = limits.fuel {
        store
            .set_fuel(fuel)
            .map_err(|_| RunError::FuelNotCompiled)?;
    }
    Ok(store)
}

/// Starts the clock when there is a timeout.
fn watchdog(engine: &Engine, spec: &mut RunSpec) -> Option<Watchdog> {
    let timeout = spec.limits.timeout?;
    let stuck = spec.stuck.take().unwrap_or_else(|| Box::new(|| {}));
    Some(Watchdog::start(engine, timeout, GRACE, stuck))
}

/// A cache entry that passed weld's checks but that wasmtime would not load (another build of the same version,
/// say): rebuilt, with wasmtime's reason kept.
#[derive(Debug, thiserror::Error)]
#[error("wasmtime refused it")]
struct Refused(#[source] BoxError);

/// Turns a trap that a limit caused into that limit.
pub(crate) fn settle(err: RunError, store: &Store<Host>, limits: &Limits) -> RunError {
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

#[cfg(test)]
mod tests;

//! [`Runtime`]: load (map cached code, compile, or load a precompiled file), prepare (link once), then run a
//! command or invoke exports, each run in a fresh store with its grants and limits.

use crate::cache::{CodeCache, FunctionStore, Reuse};
use crate::engine::{Compiler, EngineSettings, engine};
use crate::error::{BoxError, RunError};
use crate::grants::{Grants, Stdio};
use crate::host::Host;
use crate::limits::RunLimits;
use crate::linker;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

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
        let engine = engine(
            settings,
            functions.map(|f| f as Arc<dyn wasmtime::CacheStore>),
        )?;
        let linker = linker::linker(&engine).map_err(|e| RunError::Engine(e.into()))?;
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
        let linker = linker::linker_async(&self.engine).map_err(|e| RunError::Engine(e.into()))?;
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
    cache: Option<CodeCache>,
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
    pub origin: CodeOrigin,
    /// The compiler that made the code.
    pub compiler: Compiler,
}

/// Where a loaded component's code came from.
#[derive(Debug)]
pub enum CodeOrigin {
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
    Cranelift {
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
    CachedWinch {
        /// The artifact's file.
        entry: PathBuf,
        /// Whether the component file was read to find it.
        read: bool,
        /// Whether another process holds the optimised entry's compile lock (is filling it now).
        filling: bool,
    },
    /// Compiled now by Winch, in this long. Under [`Tiering::Auto`] it is kept in the cache (`stored`) until the
    /// optimised code replaces it, and the cache wants filling, unless `filling` says another process is at it.
    Winch {
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
    pub limits: RunLimits,
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

impl Runtime {
    /// A runtime with these engine settings, caching compiled code (and the functions Cranelift compiles, shared
    /// between components) in `cache` when given. It compiles with
    /// `settings.compiler` until [`Runtime::with_tiering`] says otherwise.
    pub fn new(settings: EngineSettings, cache: Option<CodeCache>) -> Result<Self, RunError> {
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
}

mod link;
mod load;
mod run;

#[cfg(test)]
mod tests;

//! Getting a component's code: mapped from the cache, compiled (with tiering and the shared functions), or a
//! precompiled file; filling the cache in the background.

use super::{CodeOrigin, Compiled, Filled, Fresh, Loaded, Runtime, Tiering};
use crate::cache::{self, CodeCache, Digest, Stamp};
use crate::engine::Compiler;
use crate::error::{BoxError, RunError};
use std::path::Path;
use std::time::Instant;
use wasmtime::component::{Component, types::ComponentItem};
use wasmtime::{Engine, Precompiled};

impl Runtime {
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
            return Ok(self.loaded(
                name,
                component,
                CodeOrigin::Precompiled,
                Compiler::Cranelift,
            ));
        }
        let before = std::fs::metadata(path).ok().map(|m| Stamp::of(&m));
        let bytes = weld_files::read_file(path)?;
        let digest = Digest::of(&bytes);
        if let (Some(cache), Some(before)) = (&self.cache, before) {
            cache.index().remember(path, &before, &digest);
        }
        self.load_contents(name, bytes, Some(digest), allow_precompiled)
    }

    /// Like [`Runtime::load`], for `bytes` already read from the file named `path`.
    pub fn load_bytes(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        allow_precompiled: bool,
    ) -> Result<Loaded, RunError> {
        self.load_contents(path, bytes, None, allow_precompiled)
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
        let origin = CodeOrigin::Cached {
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
        cache: &CodeCache,
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
        let origin = CodeOrigin::CachedWinch {
            entry: artifact,
            read,
            filling: cache.locked(optimised),
        };
        Some(self.loaded(name, component, origin, Compiler::Winch))
    }

    /// Loads the contents `bytes` of the file named `path`; `digest` is theirs when the caller has it already.
    fn load_contents(
        &self,
        path: &Path,
        bytes: Vec<u8>,
        digest: Option<Digest>,
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
                return Ok(self.loaded(
                    path,
                    component,
                    CodeOrigin::Precompiled,
                    Compiler::Cranelift,
                ));
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
        // The contents' digest names compiled code in the cache; code loaded as it is needs none.
        let digest = digest.unwrap_or_else(|| Digest::of(&bytes));
        let wasm = weld_files::wasm_bytes(path, &bytes)?;
        if wasmparser_wasmtime::Parser::is_core_wasm(&wasm) {
            return Err(RunError::CoreModule {
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
        origin: CodeOrigin,
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
                Compiler::Winch => CodeOrigin::Winch {
                    stored: None,
                    took,
                    replaced: None,
                    filling: false,
                },
                Compiler::Cranelift => CodeOrigin::Cranelift {
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
                        let origin = CodeOrigin::Cached {
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
                    let origin = CodeOrigin::Winch {
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
        let origin = CodeOrigin::Cranelift {
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
        cache: &CodeCache,
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
    /// Winch. Racing fills never corrupt an entry (see [`CodeCache::store`]).
    pub fn fill(&self, path: &Path) -> Result<Filled, RunError> {
        let Some(cache) = &self.cache else {
            return Err(RunError::NoCache);
        };
        let bytes = weld_files::read_file(path)?;
        let digest = Digest::of(&bytes);
        let key = cache.key(self.engine(), &digest);
        let Some(_lock) = cache.lock(&key).map_err(|e| RunError::CacheIo(e.into()))? else {
            return Ok(Filled::Busy);
        };
        if let cache::Lookup::Hit(artifact) = cache.lookup(&key) {
            self.drop_baseline(cache, &digest);
            return Ok(Filled::Present(artifact));
        }
        let wasm = weld_files::wasm_bytes(path, &bytes)?;
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
    fn drop_baseline(&self, cache: &CodeCache, digest: &Digest) {
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
        // Before its code can be stored: a cache hit is then never a WIT package.
        if is_wit_package(engine, &component) {
            return Err(RunError::WitPackage {
                path: path.to_owned(),
            });
        }
        let reuse = self.reuse().map(|now| now.since(before));
        Ok(Compiled {
            component,
            took,
            reuse,
        })
    }
}

/// Whether `component` is an encoded WIT package (what `wasm-tools component wit --wasm` and
/// `wit_component::encode` write): it imports nothing and exports only component types, its worlds and
/// interfaces, which wasmtime's types show as [`ComponentItem::Component`]. A component of code with nothing but
/// nested components as exports would look the same, and has nothing to run either.
fn is_wit_package(engine: &Engine, component: &Component) -> bool {
    let ty = component.component_type();
    let mut exports = ty.exports(engine).peekable();
    ty.imports(engine).next().is_none()
        && exports.peek().is_some()
        && exports.all(|(_, item)| matches!(item.ty, ComponentItem::Component(_)))
}

/// A cache entry that passed weld's checks but that wasmtime would not load (another build of the same version,
/// say): rebuilt, with wasmtime's reason kept.
#[derive(Debug, thiserror::Error)]
#[error("wasmtime refused it")]
struct Refused(#[source] BoxError);

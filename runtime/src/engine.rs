//! The one wasmtime configuration weld compiles and runs with.

use crate::error::RunError;
use std::sync::Arc;
use wasmtime::{
    CacheStore, Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
    Strategy,
};

/// Core instances a pooled component may have: the shared-everything linking of componentize-py makes a dozen or
/// more (libc, libpython, shims, adapters).
const CORE_INSTANCES_PER_COMPONENT: u32 = 32;

/// Memories and tables a pooled component may have.
const MEMORIES_PER_COMPONENT: u32 = 4;

/// Bytes of each pooled linear memory kept resident when its slot is freed and reset in place (copied back from
/// the memory image) instead of with `madvise`. Each fresh instance of a language runtime writes to megabytes of
/// its heap image; without this every such page is a copy-on-write fault, and in a multi-threaded server each
/// fault also flushes the other cores' TLBs (`perf` showed a quarter of `weld serve`'s time in page faults and TLB
/// shootdowns on a componentize-py handler). Which bytes are reset is found with Linux's `PAGEMAP_SCAN` (6.7 and
/// later; elsewhere the first bytes are copied back whether written or not): only the pages the request wrote.
///
/// Measured with `runtime/benches/serve-vs-wasmtime.py` (requests/s, 16 connections), on a componentize-py and a
/// jco handler: no keep 385 and 1450; 16 MiB copied back whole 650-740 and 1400-1600 (the copy of
/// StarlingMonkey's image is 60% of the time); 16 MiB with the scan 490-650 and 2470 (a CPython request
/// dirties more scattered regions than the scan reports, 32, and the rest is `madvise`d). 8, 32 and 64 MiB did
/// no better. It costs at most this much resident memory per slot in use.
const KEEP_RESIDENT: usize = 16 << 20;

/// Bytes of each pooled table kept resident likewise (a language runtime's function table is a few hundred KiB).
const TABLE_KEEP_RESIDENT: usize = 1 << 20;

/// Elements a pooled table may hold: a language runtime's function table (CPython's, StarlingMonkey's) holds tens
/// of thousands, past wasmtime's default of 20,000.
const POOLED_TABLE_ELEMENTS: usize = 200_000;

/// The engine settings a compiled artifact depends on: code compiled under one setting cannot run under another,
/// so they are part of the cache key (through [`Engine::precompile_compatibility_hash`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineSettings {
    /// Count fuel (`--fuel`): every basic block pays, so it is off unless asked for.
    pub fuel: bool,
    /// Check for interruption at every loop header and function entry (`--timeout`): a load and a compare each,
    /// and the possible call out keeps loop values from staying in registers, so it is off unless asked for.
    pub interruptible: bool,
    /// Take instances, memories and tables from a pool reserved once for this many component instances alive at
    /// once, instead of mapping fresh memory for each instance: for an embedder instantiating the same component
    /// again and again (`weld serve`, one instance per request). A one-shot `weld run` instantiates once and
    /// gains nothing from it. Not part of the compiled code: a cache entry serves either way.
    pub pooling: Option<u32>,
    /// The compiler that makes the code.
    pub compiler: Compiler,
}

/// One of wasmtime's two compilers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compiler {
    /// Cranelift, the optimising compiler: the code the cache keeps.
    #[default]
    Cranelift,
    /// Winch, the baseline compiler: one pass per function, several times faster to compile, slower code. It
    /// compiles the core wasm of today's toolchains (no GC, exceptions or tail calls; wasmtime's
    /// `Config::strategy` documents what it lacks), with fuel and interruption checks.
    Winch,
}

impl std::fmt::Display for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Compiler::Cranelift => "Cranelift",
            Compiler::Winch => "Winch",
        })
    }
}

/// Builds the engine: the component model with the features current toolchains emit (the async built-ins of
/// jco's backends, error contexts, and with Cranelift exceptions and GC for newer language runtimes), epoch
/// interruption (what `--timeout` uses) and fuel when asked, the pooling allocator for embedders. With
/// `functions`, Cranelift reuses functions compiled before from it (its incremental compilation cache) and adds
/// the ones it compiles. A Winch engine is built without the store: wasmtime 48's
/// Winch refuses one (`enable_incremental_compilation` fails, "not supported on this platform"), so Winch compiles
/// everything it is given, trampolines included.
///
/// # Errors
/// [`RunError::Engine`] when wasmtime refuses the configuration (a CPU or platform it cannot compile for).
pub(crate) fn engine(
    settings: EngineSettings,
    functions: Option<Arc<dyn CacheStore>>,
) -> Result<Engine, RunError> {
    let functions = functions.filter(|_| settings.compiler == Compiler::Cranelift);
    Engine::new(&config(settings, functions)?).map_err(|e| RunError::Engine(e.into()))
}

/// The wasmtime configuration of [`engine`].
fn config(
    settings: EngineSettings,
    functions: Option<Arc<dyn CacheStore>>,
) -> Result<Config, RunError> {
    let mut config = Config::new();
    // The component-model extensions come from weld's one feature set, so that what `weld validate` accepts is
    // what runs.
    let extra = weld_files::COMPONENT_MODEL_ASYNC;
    config
        .wasm_component_model(true)
        .wasm_component_model_async(true)
        .wasm_component_model_more_async_builtins(extra.more_async_builtins)
        .wasm_component_model_async_stackful(extra.async_stackful)
        .wasm_component_model_error_context(extra.error_context)
        .epoch_interruption(settings.interruptible)
        .consume_fuel(settings.fuel);
    match settings.compiler {
        Compiler::Cranelift => {
            config
                .strategy(Strategy::Cranelift)
                .wasm_exceptions(true)
                .wasm_gc(true)
                .wasm_function_references(true)
                .wasm_tail_call(true);
        }
        Compiler::Winch => {
            config.strategy(Strategy::Winch);
        }
    }
    if let Some(functions) = functions {
        config
            .enable_incremental_compilation(functions)
            .map_err(|e| RunError::Engine(e.into()))?;
    }
    if let Some(instances) = settings.pooling {
        let instances = instances.max(1);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(instances)
            .total_core_instances(instances * CORE_INSTANCES_PER_COMPONENT)
            .total_memories(instances * MEMORIES_PER_COMPONENT)
            .total_tables(instances * MEMORIES_PER_COMPONENT)
            .total_stacks(instances)
            .max_memories_per_module(MEMORIES_PER_COMPONENT)
            .max_tables_per_module(MEMORIES_PER_COMPONENT)
            .table_elements(POOLED_TABLE_ELEMENTS)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(TABLE_KEEP_RESIDENT)
            .pagemap_scan(Enabled::Auto);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Ok(config)
}

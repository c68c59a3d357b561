//! The one wasmtime configuration weld compiles and runs with.

use crate::error::RunError;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Component instances a pooling engine holds at once (each may have up to four core instances, memories and
/// tables).
const POOL: u32 = 64;

/// The engine settings a compiled artifact depends on: code compiled under one setting cannot run under another,
/// so they are part of the cache key (through [`Engine::precompile_compatibility_hash`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineSettings {
    /// Count fuel (`--fuel`): every basic block pays, so it is off unless asked for.
    pub fuel: bool,
    /// Check for interruption at every loop header and function entry (`--timeout`): a load and a compare each,
    /// and the possible call out keeps loop values from staying in registers, so it is off unless asked for.
    pub interruptible: bool,
    /// Take instances, memories and tables from a pool reserved once, instead of mapping fresh memory for each
    /// instance: for an embedder instantiating the same component again and again. A one-shot `weld run`
    /// instantiates once and gains nothing from it.
    pub pooling: bool,
}

/// Builds the engine: the component model with the features current toolchains emit (the async built-ins of
/// jco's backends, error contexts, exceptions and GC for newer language runtimes), epoch interruption (what
/// `--timeout` uses) and fuel when asked, the pooling allocator for embedders.
pub fn engine(settings: EngineSettings) -> Result<Engine, RunError> {
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .wasm_component_model_async(true)
        .wasm_component_model_more_async_builtins(true)
        .wasm_component_model_async_stackful(true)
        .wasm_component_model_error_context(true)
        .wasm_exceptions(true)
        .wasm_gc(true)
        .wasm_function_references(true)
        .wasm_tail_call(true)
        .epoch_interruption(settings.interruptible)
        .consume_fuel(settings.fuel);
    if settings.pooling {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(POOL)
            .total_core_instances(4 * POOL)
            .total_memories(4 * POOL)
            .total_tables(4 * POOL);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config).map_err(|e| RunError::Engine(e.into()))
}

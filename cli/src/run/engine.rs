//! The one wasmtime configuration weld compiles and runs with.

use super::RunError;
use wasmtime::{Config, Engine};

/// The engine settings a compiled artifact depends on: code compiled under one setting cannot run under another,
/// so they are part of the cache key (through [`Engine::precompile_compatibility_hash`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineSettings {
    /// Count fuel (`--fuel`): every basic block pays, so it is off unless asked for.
    pub fuel: bool,
}

/// Builds the engine: the component model with the features current toolchains emit (the async built-ins of
/// jco's backends, error contexts, exceptions and GC for newer language runtimes), epoch interruption always on
/// (it is what `--timeout` uses, and keeping it on gives one kind of compiled code), fuel when asked.
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
        .epoch_interruption(true)
        .consume_fuel(settings.fuel);
    Engine::new(&config).map_err(|e| RunError::Engine(format!("{e:#}")))
}

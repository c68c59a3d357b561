//! The component-model extensions weld turns on, as data both feature vocabularies are made from.

/// Component-model async extensions beyond what wasmparser enables by default (the component model, its async
/// functions, `stream` and `future`). Each field is one switch of the component model's explainer
/// (`design/mvp/Explainer.md` in WebAssembly/component-model) under its emoji gate; wasmparser names them
/// `WasmFeatures::CM_*`, wasmtime's `Config` `wasm_component_model_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncExtensions {
    /// `error-context` (📝): the `error-context.*` built-ins and type.
    pub error_context: bool,
    /// The synchronous `stream.*`/`future.*` built-ins and other later async built-ins (🚝).
    pub more_async_builtins: bool,
    /// Stackful async lifts (🚟): an async export that blocks with `waitable-set.wait`.
    pub async_stackful: bool,
}

/// weld's one choice: all three extensions, which wasmtime 48's engine runs and today's toolchains emit (jco's
/// and componentize-qjs's async built-ins). `weld validate` accepts what this turns on, and weld's engine runs it.
pub const COMPONENT_MODEL_ASYNC: AsyncExtensions = AsyncExtensions {
    error_context: true,
    more_async_builtins: true,
    async_stackful: true,
};

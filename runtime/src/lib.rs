//! `weld-runtime`: the embedded wasmtime host behind `weld run`, `weld serve` and `weld compile`.
//!
//! A run goes: [`Runtime::load`] (code mapped from the [`CodeCache`] of compiled code, found from the file's stamp;
//! or compiled, by Cranelift or, under [`Tiering::Auto`], by Winch first with [`Runtime::fill`] to put Cranelift
//! code in the cache; or a precompiled file) -> [`Runtime::prepare`] (every import checked and linked once) -> [`Runtime::run_command`]
//! or [`Runtime::invoke`] (a fresh store with the granted capabilities and the limits). The guest gets stdio,
//! clocks and random, and nothing else unless [`Grants`] say so; [`RunLimits`] bound its memory, time and fuel.
//! A `wasi:http` handler is served instead with [`Runtime::prepare_handler`] and a [`Server`]: a fresh instance
//! per request, under the same grants and per-request limits.
//!
//! Like weld's other libraries it never prints, exits or reads stdin on its own behalf: errors are [`RunError`]s
//! with their causes, and what to do when a guest outlives its timeout is the caller's callback.
//!
//! ```
//! use std::path::Path;
//! use weld_runtime::{EngineSettings, Grants, RunLimits, RunSpec, Runtime, Stdio};
//!
//! // A component exporting `add`, in WAT (a `.wasm` file is read the same way, or taken from the code cache).
//! let wat = r#"(component
//!     (core module $m
//!         (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
//!     (core instance $i (instantiate $m))
//!     (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
//! )"#;
//! let runtime = Runtime::new(EngineSettings::default(), None)?;
//! let loaded = runtime.load_bytes(Path::new("add.wat"), wat.as_bytes().to_vec(), false)?;
//! let pre = runtime.prepare(&loaded)?;
//! let spec = RunSpec {
//!     grants: Grants::default(),
//!     limits: RunLimits::default(),
//!     args: vec!["add.wat".into()],
//!     stdio: Stdio::Null,
//!     stuck: None,
//! };
//! let mut results = Vec::new();
//! runtime.invoke(&pre, spec, &["add(2, 3)".to_owned()], |_, result| results.push(result))?;
//! assert_eq!(results, ["5"]);
//! # Ok::<(), weld_runtime::RunError>(())
//! ```

mod body_gate;
mod cache;
mod concurrent;
mod engine;
mod error;
mod grants;
mod host;
mod imports;
mod invoke;
mod limits;
mod linker;
mod runner;
mod serve;
mod stdio;
mod store;
mod type_text;
mod wave_check;

pub use body_gate::BodyBeforeResponse;
pub use cache::{Cleaned, CodeCache, DEFAULT_CAP, EntryInfo, Reuse, Stamp, Usage};
pub use concurrent::{MAX_READ_BYTES, ReadError};
pub use engine::{Compiler, EngineSettings};
pub use error::{BoxError, RunError};
pub use grants::{AddressRanges, DirGrant, Grants, HttpHosts, Stdio, UnusedGrant};
pub use host::Host;
pub use imports::{MissingImport, Unprovided, host_provides};
pub use invoke::{Export, exports};
pub use limits::{LimitHit, RunLimits};
pub use runner::{
    CodeOrigin, DEFAULT_WINCH_FROM, Filled, Loaded, OnCompile, RunSpec, Runtime, Tiering,
};
pub use serve::{
    Access, BodyTooSlow, ConnectionLimits, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_DRAIN,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_MAX_CONCURRENT,
    DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_MEMORY, DEFAULT_READ_AHEAD, Drained, GuestStream,
    Handler, InstanceReuse, MIN_BODY_RATE, RequestOutcome, ServeLog, ServeSpec, Server, UnreadBody,
};

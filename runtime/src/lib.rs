//! `weld-runtime`: the embedded wasmtime host behind `weld run` and `weld compile`.
//!
//! A run goes: [`Runtime::load`] (a `.wasm`/`.wat` file compiled, or taken from the [`Cache`] of compiled code, or
//! a precompiled file) -> [`Runtime::prepare`] (every import checked and linked once) -> [`Runtime::run_command`]
//! or [`Runtime::invoke`] (a fresh store with the granted capabilities and the limits). The guest gets stdio,
//! clocks and random, and nothing else unless [`Grants`] say so; [`Limits`] bound its memory, time and fuel.
//!
//! Like weld's other libraries it never prints, exits or reads stdin on its own behalf: errors are [`RunError`]s
//! with their causes, and what to do when a guest outlives its timeout is the caller's callback.
//!
//! ```no_run
//! use weld_runtime::{EngineSettings, Grants, Limits, RunSpec, Runtime, Stdio};
//! # fn main() -> Result<(), weld_runtime::RunError> {
//! let runtime = Runtime::new(EngineSettings::default(), None)?;
//! let loaded = runtime.load(std::path::Path::new("greeter.wasm"), false)?;
//! let pre = runtime.prepare(&loaded)?;
//! let spec = RunSpec {
//!     grants: Grants::default(),
//!     limits: Limits::default(),
//!     args: vec!["greeter.wasm".into()],
//!     stdio: Stdio::Null,
//!     stuck: None,
//! };
//! runtime.invoke(&pre, spec, &["greet(\"world\")".to_owned()], |call, result| {
//!     assert_eq!((call, result.as_str()), ("greet(\"world\")", "\"Hello, world!\""));
//! })?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod cache;
mod engine;
mod error;
mod grants;
mod host;
mod imports;
mod invoke;
mod limits;
mod runner;
mod stdio;

pub use cache::Cache;
pub use engine::{EngineSettings, engine};
pub use error::RunError;
pub use grants::{AddressRanges, DirGrant, Grants, HttpHosts, Stdio, parse_env};
pub use host::Host;
pub use imports::MissingImport;
pub use invoke::{Export, exports};
pub use limits::{LimitHit, Limits, Watchdog, parse_duration, parse_size};
pub use runner::{Loaded, Origin, RunSpec, Runtime};

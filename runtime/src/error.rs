//! Why a run failed, or how it ended other than by returning: each case names the file or the limit, and has
//! its exit code.

use crate::imports::MissingImport;
use crate::limits::LimitHit;
use std::path::PathBuf;

/// A boxed error from wasmtime (or another library without a typed error), its causes kept: weld's one
/// definition, from `weld-files`.
pub use weld_files::BoxError;

/// A failed or stopped run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The engine could not be configured.
    #[error("cannot set up the WebAssembly engine")]
    Engine(#[source] BoxError),
    /// Filling the cache was asked of a runtime without one.
    #[error("there is no cache to fill")]
    NoCache,
    /// The cache could not be written.
    #[error("cannot write to the cache of compiled code")]
    CacheIo(#[source] BoxError),
    /// A fuel limit was asked of code compiled without fuel metering.
    #[error("a fuel limit needs code compiled with fuel metering")]
    FuelNotCompiled,
    /// The file could not be read, or is not WebAssembly.
    #[error(transparent)]
    Read(#[from] weld_files::Error),
    /// The file is a core module, not a component.
    #[error("`{}` is a core module; weld runs components (wrap it with `wasm-tools component new`, adding the wasi_snapshot_preview1 adapter if it uses WASI)", path.display())]
    CoreModule {
        /// The file.
        path: PathBuf,
    },
    /// The file is an encoded WIT package: types only, no code.
    #[error(
        "`{}` is a WIT package (types only, no code), not a component: there is nothing to run; run the component \
         that implements its world (built with wit-bindgen, componentize-py, jco, ...)",
        path.display()
    )]
    WitPackage {
        /// The file.
        path: PathBuf,
    },
    /// Cranelift could not compile the component (it is invalid or uses a feature weld does not enable).
    #[error("cannot compile `{}`", path.display())]
    Compile {
        /// The file.
        path: PathBuf,
        /// wasmtime's reason.
        #[source]
        source: BoxError,
    },
    /// A precompiled file was given without leave to load one ([`crate::Runtime::load`]'s `allow_precompiled`).
    #[error("`{}` is precompiled native code: it runs without the checks a `.wasm` file gets, so it is loaded only when that is allowed", path.display())]
    PrecompiledNotAllowed {
        /// The file.
        path: PathBuf,
    },
    /// A precompiled file that this weld cannot load.
    #[error("cannot load precompiled `{}`", path.display())]
    Precompiled {
        /// The file.
        path: PathBuf,
        /// Why: another wasmtime version, another CPU, other settings such as fuel.
        #[source]
        source: BoxError,
    },
    /// A precompiled core module was given where a component was expected.
    #[error("cannot load precompiled `{}`: it is a precompiled core module, not a component", path.display())]
    PrecompiledModule {
        /// The file.
        path: PathBuf,
    },
    /// The component imports what the host does not provide.
    #[error("`{}` needs {} that weld's host does not provide:{}", path.display(), imports_count(imports.len()), missing_list(imports))]
    Missing {
        /// The file.
        path: PathBuf,
        /// Each missing import, with why the host does not provide it.
        imports: Vec<MissingImport>,
    },
    /// An import of a provided interface whose function is `async` where the host's is sync, or the other way
    /// round (WASI 0.3 declares some functions `async func`, others plain): the component was built against a
    /// WIT that is not the standard one.
    #[error(
        "cannot link `{}`: {} declares `{function}` {}, but the host's standard WASI {} it {}; rebuild the \
         component against the WIT of its WASI version",
        path.display(),
        import.as_deref().map_or_else(|| "it".to_owned(), |i| format!("its import `{i}`")),
        if *declared_async { "an `async func`" } else { "a plain (sync) `func`" },
        if *declared_async { "has" } else { "makes" },
        if *declared_async { "as a plain `func`" } else { "an `async func`" },
    )]
    AsyncMismatch {
        /// The file.
        path: PathBuf,
        /// The instance imported (`wasi:cli/environment@0.3.0`), when the function belongs to one.
        import: Option<String>,
        /// The function (`get-arguments`, `[method]descriptor.stat`).
        function: String,
        /// Whether the component declares it `async`.
        declared_async: bool,
    },
    /// Linking failed for another reason (an import of a provided interface with the wrong type).
    #[error("cannot link `{}`", path.display())]
    Link {
        /// The file.
        path: PathBuf,
        /// wasmtime's reason.
        #[source]
        source: BoxError,
    },
    /// Run as a command, but the component does not export `wasi:cli/run`.
    #[error("`{}` is not a command (it does not export wasi:cli/run@0.2 or @0.3); it exports these functions:{}", path.display(), bullet(functions))]
    NotACommand {
        /// The file.
        path: PathBuf,
        /// Its exported functions, for `--invoke`.
        functions: Vec<String>,
    },
    /// Served, but the component does not export `wasi:http/incoming-handler`.
    #[error("`{}` is not an HTTP handler (it does not export wasi:http/incoming-handler@0.2 or wasi:http/handler@0.3){}", path.display(), instead(*command, functions))]
    NotAHandler {
        /// The file.
        path: PathBuf,
        /// Whether it is a `wasi:cli/run` command.
        command: bool,
        /// Its exported functions, for `weld run --invoke`.
        functions: Vec<String>,
    },
    /// A directory grant could not be given (a directory that does not exist, or that weld cannot open).
    #[error("cannot grant the directory `{}`", host.display())]
    Grant {
        /// The directory on the host.
        host: PathBuf,
        /// What went wrong.
        #[source]
        source: BoxError,
    },
    /// A limit stopped the guest.
    #[error("{0}")]
    Limit(LimitHit),
    /// The guest trapped.
    #[error("the guest trapped: {message}{}", backtrace.as_deref().map(|b| format!("\n{b}")).unwrap_or_default())]
    Trap {
        /// The trap code, when wasmtime gave one.
        code: Option<wasmtime::Trap>,
        /// What happened.
        message: String,
        /// The guest's stack, innermost frame first.
        backtrace: Option<String>,
    },
    /// The guest exited with this status (through `wasi:cli/exit`).
    #[error("the guest exited with status {0}")]
    Exit(i32),
    /// The guest's stdout was closed by its reader (`weld run c.wasm | head`): the guest was stopped at its next
    /// write, as a native program would be by `SIGPIPE`. Not a failure of the guest's.
    #[error("the guest's stdout was closed")]
    OutputClosed(#[source] std::io::Error),
    /// `--invoke` named no exported function.
    #[error(
        "no exported function `{wanted}`; the component exports:{}",
        bullet(available)
    )]
    NoSuchFunction {
        /// What was asked for.
        wanted: String,
        /// What there is.
        available: Vec<String>,
    },
    /// `--invoke` named several functions.
    #[error("`{wanted}` is ambiguous; say which:{}", bullet(candidates))]
    AmbiguousFunction {
        /// What was asked for.
        wanted: String,
        /// The functions it could mean, by full name.
        candidates: Vec<String>,
    },
    /// A call is not `name(args)` in WAVE (`weld run --invoke`'s expression).
    #[error("cannot call `{expression}`: {message}")]
    InvokeSyntax {
        /// The expression.
        expression: String,
        /// What is wrong.
        message: String,
    },
    /// The arguments do not fit the function.
    #[error("cannot call `{expression}`: {message}\n  the function is  {signature}")]
    InvokeArguments {
        /// The expression.
        expression: String,
        /// The function's signature.
        signature: String,
        /// What is wrong.
        message: String,
    },
    /// A result could not be shown in WAVE.
    #[error("cannot show the result of `{function}` in WAVE")]
    InvokeResult {
        /// The function.
        function: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// Any other failure while the guest ran (an error raised by a host function).
    #[error("the run failed")]
    Host(#[source] BoxError),
    /// An `--invoke` call failed without a trap: the value it returned does not fit its type (a `char` out of
    /// range, a bad discriminant, invalid UTF-8: the guest is at fault), or passing its values hit one of
    /// wasmtime's limits.
    #[error(
        "calling `{function}` failed: the guest returned a value its type does not allow, or passing the values failed"
    )]
    CallFailed {
        /// The function, as `iface#name` or `name`.
        function: String,
        /// What wasmtime said.
        #[source]
        source: BoxError,
    },
}

impl RunError {
    /// Sorts a failure of wasmtime's linker for the component at `path`: an import whose function differs from
    /// the host's only in being `async` or not becomes [`RunError::AsyncMismatch`], anything else
    /// [`RunError::Link`] with wasmtime's reason. wasmtime 48 tells the async mismatch only in its message, with
    /// advice for embedders (`func_new_concurrent`), so the import and the function are read from its cause
    /// chain: "component imports instance `I`", "instance export `F` has the wrong type", "type mismatch with
    /// async: this import is declared `async func` ..." (`wasmtime/src/runtime/component/matching.rs`).
    pub(crate) fn link(path: &std::path::Path, err: wasmtime::Error) -> Self {
        let causes: Vec<String> = err.chain().map(ToString::to_string).collect();
        let quoted = |prefix: &str| {
            causes.iter().find_map(|cause| {
                let rest = cause.strip_prefix(prefix)?;
                Some(rest[..rest.find('`')?].to_owned())
            })
        };
        let mismatch = causes
            .iter()
            .find_map(|cause| cause.strip_prefix("type mismatch with async: "));
        if let (Some(said), Some(function)) = (mismatch, quoted("instance export `")) {
            return RunError::AsyncMismatch {
                path: path.to_owned(),
                import: quoted("component imports instance `"),
                function,
                declared_async: said.starts_with("this import is declared `async func`"),
            };
        }
        RunError::Link {
            path: path.to_owned(),
            source: err.into(),
        }
    }

    /// Sorts an error that came out of the guest: an exit, a trap (with its backtrace), or a host failure.
    pub fn from_guest(err: wasmtime::Error) -> Self {
        if let Some(exit) = err.downcast_ref::<wasmtime_wasi::I32Exit>() {
            return RunError::Exit(exit.0);
        }
        let closed = err
            .chain()
            .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
            .find(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
        if let Some(io) = closed {
            return RunError::OutputClosed(std::io::Error::new(io.kind(), io.to_string()));
        }
        let backtrace = err
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .map(|b| b.to_string())
            .filter(|b| !b.trim().is_empty());
        match err.downcast_ref::<wasmtime::Trap>() {
            Some(code) => RunError::Trap {
                code: Some(*code),
                message: code.to_string(),
                backtrace,
            },
            None if backtrace.is_some() => RunError::Trap {
                code: None,
                message: format!("{:#}", err.root_cause()),
                backtrace,
            },
            None => RunError::Host(err.into()),
        }
    }
}

fn imports_count(n: usize) -> String {
    if n == 1 {
        "an import".into()
    } else {
        format!("{n} imports")
    }
}

fn missing_list(imports: &[MissingImport]) -> String {
    imports
        .iter()
        .map(|m| format!("\n  - {}: {}", m.name, m.why))
        .collect()
}

/// What a component that is not an HTTP handler is instead.
fn instead(command: bool, functions: &[String]) -> String {
    if command {
        "; it is a command".into()
    } else if functions.is_empty() {
        "; it exports no functions".into()
    } else {
        format!("; it exports these functions:{}", bullet(functions))
    }
}

fn bullet(items: &[String]) -> String {
    if items.is_empty() {
        return " nothing".into();
    }
    items.iter().map(|i| format!("\n  {i}")).collect()
}

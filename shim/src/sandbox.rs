//! Running a container's component: a `wasi:cli` command as the container's process, or a `wasi:http` handler
//! served as `weld serve` serves it, with the grants the container's spec gives (its environment, its volumes, its
//! memory limit) and nothing else.

use crate::annotations::{Asked, Granted};
use crate::context::Process;
use anyhow::Context as _;
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::{RuntimeContext, Source};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use weld_runtime::{Grants, Handler, RunError, RunLimits, RunSpec, Stdio};

/// One container's run. containerd-shim-wasm makes it inside the container (after its root is in place), in the
/// container's own process, whose stdio and exit status are the container's.
#[derive(Default)]
pub struct WeldSandbox;

impl Sandbox for WeldSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> anyhow::Result<i32> {
        // First, before the component is loaded (a compile can take seconds): a pod's termination must not wait for
        // the grace period. A served handler replaces this with `weld serve`'s drain.
        unblock_stop_signals();
        end_on_stop_signals();
        let process = Process::new(ctx.args(), ctx.envs());
        let entrypoint = ctx.entrypoint();
        let name = match &entrypoint.source {
            Source::File(path) => path.clone(),
            Source::Oci(_) => {
                PathBuf::from(process.args.first().map_or("component", String::as_str))
            }
        };
        // containerd-shim-wasm drives this future on a tokio runtime; weld's host blocks on its own (wasmtime-wasi's
        // blocking calls, `weld serve`'s server), which tokio forbids inside another. The run gets a thread of its
        // own.
        let source = &entrypoint.source;
        let result = std::thread::scope(|scope| {
            scope
                .spawn(|| run(&name, source, &process))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        Ok(match result {
            Ok(status) => status,
            Err(err) => {
                let code = match err.downcast_ref::<RunError>() {
                    Some(RunError::Exit(status)) => return Ok(*status),
                    // The reader of the container's stdout went away: not a failure, and nothing to say.
                    Some(RunError::OutputClosed(_)) => return Ok(0),
                    Some(run) => i32::from(weld_cli::sandbox::exit_code(run)),
                    None => 1,
                };
                // The container's stderr: what `ctr task start` and `kubectl logs` show.
                let _ = writeln!(std::io::stderr(), "weld: error: {err:#}");
                code
            }
        })
    }
}

/// What weld's annotations on the container grant: the admission at `start` checked them and left them in the
/// shim's environment, which the container's process inherits.
fn annotated() -> anyhow::Result<Granted> {
    let var = std::env::var(Asked::VAR).ok();
    let asked = Asked::from_var(var.as_deref()).with_context(|| {
        format!(
            "the shim's variable {} is not what `start` writes",
            Asked::VAR
        )
    })?;
    Ok(asked.granted()?)
}

/// The grants of the container: its environment, its volumes, and the networking its annotations ask for.
fn granted(process: &Process, annotated: &Granted) -> Grants {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    Grants {
        dirs: crate::grants::mounted_dirs(&mountinfo, |point| Path::new(point).is_dir()),
        env: process.env.clone(),
        net: annotated.net.clone(),
        http: annotated.http.clone(),
        ..Grants::default()
    }
}

/// Loads the component of `source` (named `name` in messages) and serves it when it is a `wasi:http` handler, or
/// runs it as a command.
fn run(name: &Path, source: &Source<'_>, process: &Process) -> anyhow::Result<i32> {
    let bytes = source
        .as_bytes()
        .with_context(|| format!("cannot read `{}`", name.display()))?;
    // Only code weld's own compiler put in containerd's content store is loaded as native code; a file in the
    // image is WebAssembly, checked as such.
    let precompiled = source.is_precompiled()?;
    let runtime = crate::shim::engine()?;
    let loaded = runtime.load_bytes(name, bytes.into_owned(), precompiled)?;
    let annotated = annotated()?;
    let grants = granted(process, &annotated);
    // Told by the export's name, before anything is linked: a handler is linked by `weld serve`, a command below.
    if Handler::is_exported_by(&loaded.component) {
        // `weld serve` runs the code loaded here: a file of the image is not compiled twice.
        let code = loaded.component.serialize().map_err(anyhow::Error::from);
        let code = code.context("cannot hand the compiled component to `weld serve`")?;
        let served = crate::serve::Served {
            code: &code,
            addr: process.http_addr.as_deref().unwrap_or(DEFAULT_HTTP_ADDR),
            timeout: annotated.timeout,
            max_memory: annotated.max_memory,
        };
        // `weld serve` catches both signals to drain; the handler that ends a command must not run before it.
        default_stop_signals();
        return served.serve(&grants);
    }
    let pre = runtime.prepare(&loaded)?;
    let left = crate::limits::memory_left(Path::new("/sys/fs/cgroup"));
    let limits = RunLimits {
        max_memory: [left, annotated.max_memory].into_iter().flatten().min(),
        timeout: annotated.timeout,
        fuel: None,
    };
    let spec = RunSpec {
        grants,
        limits,
        args: process.args.clone(),
        stdio: Stdio::Inherit,
        stuck: None,
    };
    Ok(runtime.run_command(&pre, name, spec)?)
}

/// Gives SIGTERM and SIGINT back their default action, for `weld serve` to catch them itself (its signal
/// library calls a handler that was there before its own).
fn default_stop_signals() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: restores the default disposition of one signal; no handler runs.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}

/// Where a handler is served when the container does not say (`WELD_HTTP_ADDR`): every address of the
/// container's network, port 8080, as runwasi's wasmtime shim serves.
const DEFAULT_HTTP_ADDR: &str = "0.0.0.0:8080";

/// Unblocks SIGTERM and SIGINT, which the container's process may inherit blocked.
fn unblock_stop_signals() {
    // SAFETY: only this thread's signal mask changes; threads started after this (the run's) inherit it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
}

/// Makes SIGTERM and SIGINT end a command's guest. The guest runs as the container's first process, for which the
/// kernel drops a signal that has no handler: without this, `ctr task kill` and a Kubernetes pod's termination
/// would wait for the SIGKILL after the grace period. The process ends at once with 128 + the signal, as a shell
/// reports a process a signal ended. (`weld serve`, for a handler, installs its own: it drains.)
fn end_on_stop_signals() {
    extern "C" fn end(signal: libc::c_int) {
        // SAFETY: `_exit` is async-signal-safe; nothing else runs in the handler.
        unsafe { libc::_exit(128 + signal) }
    }
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: installs a handler that only calls `_exit`; no Rust state is touched from the signal.
        unsafe {
            libc::signal(
                signal,
                end as extern "C" fn(libc::c_int) as libc::sighandler_t,
            )
        };
    }
}

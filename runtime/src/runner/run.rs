//! Running: a command, or exports invoked with WAVE values, each in a fresh store with its grants and limits.

use super::{RunSpec, Runtime};
use crate::concurrent;
use crate::error::RunError;
use crate::grants::{self};
use crate::host::Host;
use crate::invoke::{self, Export, exports};
use crate::limits::Watchdog;
use crate::store::{settle, store_for};
use std::path::Path;
use std::time::Duration;
use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store};

/// How long a guest blocked in a host call gets after the timeout before `stuck` is called.
const GRACE: Duration = Duration::from_millis(500);

impl Runtime {
    /// A store for one run: the WASI context of `spec`'s grants, its memory limit and fuel.
    fn store(&self, engine: &Engine, spec: &RunSpec) -> Result<Store<Host>, RunError> {
        let wasi = grants::wasi_ctx(&spec.grants, &spec.args, spec.stdio)?;
        store_for(engine, wasi, &spec.grants, &spec.limits)
    }

    /// Runs a `wasi:cli/run` command (0.2.x, or 0.3.x on wasmtime's concurrent path) and returns the guest's exit
    /// status (0 for `ok`, 1 for `err`, or what it passed to `exit`).
    pub fn run_command(
        &self,
        pre: &InstancePre<Host>,
        path: &Path,
        mut spec: RunSpec,
    ) -> Result<i32, RunError> {
        let component = pre.component();
        let run = component
            .component_type()
            .exports(component.engine())
            .map(|(name, _)| name.to_owned())
            .find(|name| RUN.iter().any(|prefix| name.starts_with(prefix)))
            .ok_or_else(|| RunError::NotACommand {
                path: path.to_owned(),
                functions: exports(component.engine(), component)
                    .iter()
                    .map(Export::path)
                    .collect(),
            })?;
        let engine = pre.component().engine();
        let mut store = self.store(engine, &spec)?;
        let _watchdog = watchdog(engine, &mut spec);
        let outcome = if concurrent::needed(component) {
            let work = async {
                let instance = pre.instantiate_async(&mut store).await?;
                let func = run_function(&instance, &mut store, &run)?;
                let (result,) = func.call_async(&mut store, ()).await?;
                wasmtime::Result::Ok(result)
            };
            closed_output(concurrent::run(spec.limits.timeout, async {
                work.await.map_err(RunError::from_guest)
            }))
        } else {
            (|| {
                let instance = pre.instantiate(&mut store)?;
                let func = run_function(&instance, &mut store, &run)?;
                let (result,) = func.call(&mut store, ())?;
                wasmtime::Result::Ok(result)
            })()
            .map_err(RunError::from_guest)
        };
        match outcome {
            Ok(Ok(())) => Ok(0),
            Ok(Err(())) => Ok(1),
            Err(err) => match settle(err, &store, &spec.limits) {
                RunError::Exit(status) => Ok(status),
                other => Err(other),
            },
        }
    }

    /// Instantiates the component and makes each call in `calls` in order, handing each result (WAVE) to
    /// `result` with its expression.
    pub fn invoke(
        &self,
        pre: &InstancePre<Host>,
        mut spec: RunSpec,
        calls: &[String],
        mut result: impl FnMut(&str, String),
    ) -> Result<(), RunError> {
        let engine = pre.component().engine();
        let mut store = self.store(engine, &spec)?;
        let _watchdog = watchdog(engine, &mut spec);
        if concurrent::needed(pre.component()) {
            let limits = spec.limits;
            let work = async {
                let instance = pre
                    .instantiate_async(&mut store)
                    .await
                    .map_err(RunError::from_guest)?;
                let mut session = invoke::Session::new(engine, pre.component(), instance);
                for call in calls {
                    result(call, session.call_concurrent(&mut store, call).await?);
                }
                Ok(())
            };
            return closed_output(concurrent::run(limits.timeout, work))
                .map_err(|e| settle(e, &store, &limits));
        }
        let instance = pre
            .instantiate(&mut store)
            .map_err(|e| settle(RunError::from_guest(e), &store, &spec.limits))?;
        let mut session = invoke::Session::new(engine, pre.component(), instance);
        for call in calls {
            let text = session
                .call(&mut store, call)
                .map_err(|e| settle(e, &store, &spec.limits))?;
            result(call, text);
        }
        Ok(())
    }
}

/// `outcome`, unless the guest's stdout was closed by its reader during the run: then the run stopped for that
/// ([`RunError::OutputClosed`]). WASI 0.3's stdout hands a closed pipe to the guest as an error code it may ignore
/// or turn into a failure of its own, where 0.2's stops the guest at once (`stdio.rs`); either way the run ends as
/// `weld run c.wasm | head` should.
fn closed_output<T>(outcome: Result<T, RunError>) -> Result<T, RunError> {
    if crate::stdio::stdout_closed() {
        return Err(RunError::OutputClosed(
            std::io::ErrorKind::BrokenPipe.into(),
        ));
    }
    outcome
}

/// The export a command has, at any 0.2 or 0.3 version (wasmtime resolves `@0.x.y` to the version it
/// implements, as it does for imports).
pub(crate) const RUN: [&str; 2] = ["wasi:cli/run@0.2.", "wasi:cli/run@0.3."];

/// The `run` function of the instance's `run` export (`wasi:cli/run@0.2.x` or `@0.3.x`).
fn run_function(
    instance: &wasmtime::component::Instance,
    mut store: impl wasmtime::AsContextMut,
    run: &str,
) -> wasmtime::Result<wasmtime::component::TypedFunc<(), (Result<(), ()>,)>> {
    let iface = instance
        .get_export_index(&mut store, None, run)
        .ok_or_else(|| wasmtime::format_err!("no export {run}"))?;
    let index = instance
        .get_export_index(&mut store, Some(&iface), "run")
        .ok_or_else(|| wasmtime::format_err!("{run} has no `run` function"))?;
    instance.get_typed_func::<(), (Result<(), ()>,)>(&mut store, index)
}

/// Starts the clock when there is a timeout.
fn watchdog(engine: &Engine, spec: &mut RunSpec) -> Option<Watchdog> {
    let timeout = spec.limits.timeout?;
    let stuck = spec.stuck.take().unwrap_or_else(|| Box::new(|| {}));
    Some(Watchdog::start(engine, timeout, GRACE, stuck))
}

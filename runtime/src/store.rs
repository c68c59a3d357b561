//! The store of one run or one request: its WASI context and HTTP grants, its memory limit, fuel and epoch
//! deadline; and what a trap in it was (a limit, or the trap itself). `Runtime` and the HTTP server both use it.

use crate::error::RunError;
use crate::grants::Grants;
use crate::host::Host;
use crate::limits::{self, LimitHit, RunLimits};
use wasmtime::{Engine, Store};

/// A store with this WASI context, the HTTP grants of `grants`, and `limits`' memory limit and fuel; with a
/// timeout, it is interrupted at the engine's next epoch (the caller's clock advances it), without one never.
pub(crate) fn store_for(
    engine: &Engine,
    wasi: wasmtime_wasi::WasiCtx,
    grants: &Grants,
    limits: &RunLimits,
) -> Result<Store<Host>, RunError> {
    let limiter = limits::Limiter::new(limits.max_memory);
    let mut store = Store::new(engine, Host::new(wasi, grants.http.clone(), limiter));
    store.limiter(|host| &mut host.limiter);
    // An interruptible engine interrupts a store at its epoch deadline, which starts at 0: without a timeout, the
    // deadline is one that never comes (an embedder may run on an interruptible engine without a time limit, as
    // the containerd shim does, its code compiled for `weld serve`'s engine). Far, not `u64::MAX`: wasmtime adds
    // the current epoch to it.
    store.set_epoch_deadline(if limits.timeout.is_some() {
        1
    } else {
        u64::MAX / 2
    });
    if let Some(fuel) = limits.fuel {
        store
            .set_fuel(fuel)
            .map_err(|_| RunError::FuelNotCompiled)?;
    }
    Ok(store)
}

/// Turns a trap that a limit caused into that limit.
pub(crate) fn settle(err: RunError, store: &Store<Host>, limits: &RunLimits) -> RunError {
    if let Some(hit) = store.data().limiter.hit() {
        return RunError::Limit(hit);
    }
    match (&err, limits) {
        (
            RunError::Trap {
                code: Some(wasmtime::Trap::Interrupt),
                ..
            },
            RunLimits {
                timeout: Some(t), ..
            },
        ) => RunError::Limit(LimitHit::Timeout(*t)),
        (
            RunError::Trap {
                code: Some(wasmtime::Trap::OutOfFuel),
                ..
            },
            RunLimits { fuel: Some(f), .. },
        ) => RunError::Limit(LimitHit::Fuel(*f)),
        _ => err,
    }
}

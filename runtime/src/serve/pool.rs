//! Instances kept between requests, when [`InstanceReuse`] asks for it (an opt-in: by default every request gets
//! a fresh instance). An instance serves one request at a time, so each request keeps its own deadline, fuel and
//! output lines; it goes back to the pool only after a request it answered in full, and is dropped after
//! `max_requests`, after any failure, or once idle for longer than `idle`.
//!
//! wasmtime's `serve` (since 39) reuses WASI 0.3 instances by default, up to 128 requests each and 16 at once
//! (`--max-instance-reuse-count`, `--max-instance-concurrent-reuse-count`, `--idle-instance-timeout`; PR 11807,
//! whose text names the risk: a request can see what an earlier one left in the instance's memory).

use crate::host::Host;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::Store;
use wasmtime_wasi_http::p2::bindings::Proxy;
use wasmtime_wasi_http::p3::bindings::Service;

/// How many requests one instance of a handler may serve, one after another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstanceReuse {
    /// Requests an instance serves before it is dropped; 1 (the default) gives each request a fresh instance.
    /// Anything above 1 lets a request see the state earlier requests left in the instance (globals, its heap,
    /// open resources): only for handlers that keep no secret of one client from the next.
    pub max_requests: u32,
    /// How long an instance may wait for its next request before it is dropped and its memory freed.
    pub idle: Duration,
}

impl Default for InstanceReuse {
    /// A fresh instance per request; 1 s idle, wasmtime's `--idle-instance-timeout` default.
    fn default() -> Self {
        InstanceReuse {
            max_requests: 1,
            idle: Duration::from_secs(1),
        }
    }
}

/// A handler's instance, of either `wasi:http` kind.
pub(super) enum Instance {
    /// `wasi:http/incoming-handler@0.2.x`.
    P2(Proxy),
    /// `wasi:http/handler@0.3.x`.
    P3(Service),
}

/// What a store's callbacks (its output streams, its epoch deadline) read about the request it is serving.
#[derive(Clone, Default)]
pub(super) struct Current {
    /// The request's id, which its output lines carry.
    pub(super) id: Arc<AtomicU64>,
    /// When the request's time is up, if it has a limit.
    pub(super) deadline: Arc<Mutex<Option<Instant>>>,
}

/// A store, its instance once there is one, and what it has served.
pub(super) struct Kept {
    pub(super) store: Store<Host>,
    /// `None` until the first request instantiates the handler in the store.
    pub(super) instance: Option<Instance>,
    pub(super) current: Current,
    /// Requests it has served in full.
    pub(super) served: u32,
    idle_since: Instant,
}

impl Kept {
    /// A new store, with no instance yet.
    pub(super) fn new(store: Store<Host>, current: Current) -> Kept {
        Kept {
            store,
            instance: None,
            current,
            served: 0,
            idle_since: Instant::now(),
        }
    }
}

/// The idle instances of one server, the most recently used last.
pub(super) struct Pool {
    reuse: InstanceReuse,
    idle: Mutex<Vec<Kept>>,
}

impl Pool {
    pub(super) fn new(reuse: InstanceReuse) -> Pool {
        Pool {
            reuse,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The instance that went idle last (its caches are warmest), unless it has waited too long.
    pub(super) fn take(&self) -> Option<Kept> {
        let expired = self.expired();
        let kept = self.lock().pop();
        drop(expired);
        kept
    }

    /// Keeps `kept`, which has just served a request in full, for a later one, unless it has served its share.
    pub(super) fn put(&self, mut kept: Kept) {
        if kept.served >= self.reuse.max_requests {
            return;
        }
        kept.idle_since = Instant::now();
        self.lock().push(kept);
    }

    /// Drops the instances idle for longer than the reuse allows.
    pub(super) fn prune(&self) {
        drop(self.expired());
    }

    /// How often [`Pool::prune`] is worth calling: a few times per idle period.
    pub(super) fn prune_every(&self) -> Duration {
        (self.reuse.idle / 4).max(Duration::from_millis(10))
    }

    /// Takes the instances idle for too long out of the pool; the caller drops them, outside the lock.
    fn expired(&self) -> Vec<Kept> {
        let idle = self.reuse.idle;
        let mut kept = self.lock();
        let (expired, fresh) = std::mem::take(&mut *kept)
            .into_iter()
            .partition(|k| k.idle_since.elapsed() > idle);
        *kept = fresh;
        expired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Kept>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

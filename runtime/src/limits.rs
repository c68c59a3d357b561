//! RunLimits on a run: memory (linear memories and tables), wall-clock time (epoch interruption) and fuel. A limit
//! that is hit stops the guest and is reported by name, with its own exit code.

use std::sync::mpsc;
use std::time::Duration;
use wasmtime::{Engine, ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// The limits of one run; `None` means none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunLimits {
    /// Bytes any one linear memory may grow to; tables may hold this many bytes' worth of 8-byte elements.
    pub max_memory: Option<u64>,
    /// Wall-clock time the guest may run.
    pub timeout: Option<Duration>,
    /// Fuel units the guest may burn (about one per WebAssembly instruction).
    pub fuel: Option<u64>,
}

/// Which limit stopped the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitHit {
    /// `--max-memory`: a memory or table wanted to grow past it.
    Memory(u64),
    /// Without `--max-memory`: a table wanted to grow past the elements every table is capped at.
    Table(usize),
    /// `--timeout`.
    Timeout(Duration),
    /// `--fuel`.
    Fuel(u64),
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Memory(bytes) => write!(
                f,
                "memory limit reached: the guest tried to grow past {}",
                size_text(*bytes)
            ),
            LimitHit::Table(n) => write!(
                f,
                "table limit reached: the guest tried to grow a table past {n} elements, the cap on every table"
            ),
            LimitHit::Timeout(t) => write!(
                f,
                "time limit reached: the guest did not finish within {}",
                humantime::format_duration(*t)
            ),
            LimitHit::Fuel(n) => write!(
                f,
                "fuel exhausted: the guest used all of its {n} units of fuel"
            ),
        }
    }
}

/// A size in the largest binary unit that divides it.
fn size_text(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    format!("{bytes}B")
}

/// The store's resource limiter: wasmtime's `StoreLimits`, trapping on a refused growth so the guest stops,
/// and remembering that the limit (not something else) stopped it.
pub struct Limiter {
    limits: StoreLimits,
    max_memory: Option<u64>,
    /// The elements a table may hold.
    table_cap: usize,
    hit: Option<LimitHit>,
}

/// The most elements a table may hold even without `--max-memory` (80 MiB of references): a guest that grows a
/// table without end would otherwise make the host allocate and zero gigabytes.
const MAX_TABLE_ELEMENTS: usize = 10_000_000;

impl Limiter {
    /// A limiter for `max_memory` (none: no limit beyond the guest's own declared maxima).
    pub fn new(max_memory: Option<u64>) -> Self {
        let table_cap = max_memory.map_or(MAX_TABLE_ELEMENTS, |bytes| {
            (usize::try_from(bytes).unwrap_or(usize::MAX) / 8).min(MAX_TABLE_ELEMENTS)
        });
        let mut builder = StoreLimitsBuilder::new()
            .trap_on_grow_failure(true)
            .table_elements(table_cap);
        if let Some(bytes) = max_memory {
            builder = builder.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        Limiter {
            limits: builder.build(),
            max_memory,
            table_cap,
            hit: None,
        }
    }

    /// The limit the guest hit, if one did. A growth past the guest's own declared maximum (or past what 32-bit
    /// addresses reach) is not one of weld's limits: it stays the trap it is.
    pub fn hit(&self) -> Option<LimitHit> {
        self.hit
    }

    /// Remembers a growth refused because of `limit`: a memory past `--max-memory`, a table past its cap.
    fn record(&mut self, allowed: &wasmtime::Result<bool>, over: bool, limit: LimitHit) {
        if over && !matches!(allowed, Ok(true)) {
            self.hit = Some(limit);
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum);
        if let Some(bytes) = self.max_memory {
            self.record(&allowed, desired as u64 > bytes, LimitHit::Memory(bytes));
        }
        allowed
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.table_growing(current, desired, maximum);
        let limit = match self.max_memory {
            Some(bytes) => LimitHit::Memory(bytes),
            None => LimitHit::Table(MAX_TABLE_ELEMENTS),
        };
        self.record(&allowed, desired > self.table_cap, limit);
        allowed
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Ends a run at its timeout: bumps the engine's epoch, which traps the guest at its next loop or call. A guest
/// blocked in the host (sleeping, reading stdin) never reaches such a point, so if the run has not ended
/// `grace` later, `stuck` is called (the CLI prints the limit and exits).
pub(crate) struct Watchdog {
    done: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    /// Starts the clock.
    pub fn start(
        engine: &Engine,
        timeout: Duration,
        grace: Duration,
        stuck: Box<dyn FnOnce() + Send>,
    ) -> Self {
        let (done, wait) = mpsc::channel::<()>();
        let engine = engine.clone();
        let thread = std::thread::spawn(move || {
            if wait.recv_timeout(timeout) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            engine.increment_epoch();
            if wait.recv_timeout(grace) == Err(mpsc::RecvTimeoutError::Timeout) {
                stuck();
            }
        });
        Watchdog {
            done: Some(done),
            thread: Some(thread),
        }
    }
}

impl Drop for Watchdog {
    /// The run ended: stop the clock.
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_text(16 << 20), "16MiB");
        assert_eq!(size_text(1000), "1000B");
    }

    #[test]
    fn limiter_remembers_a_refusal() {
        let mut limiter = Limiter::new(Some(1 << 20));
        assert!(limiter.memory_growing(0, 1 << 20, None).unwrap());
        assert_eq!(limiter.hit(), None);
        assert!(limiter.memory_growing(1 << 20, 2 << 20, None).is_err());
        assert_eq!(limiter.hit(), Some(LimitHit::Memory(1 << 20)));
    }

    #[test]
    fn a_memory_growing_past_its_own_maximum_without_max_memory_is_not_called_a_table_limit() {
        let mut limiter = Limiter::new(None);
        assert!(
            limiter
                .memory_growing(1 << 20, 8 << 30, Some(4 << 30))
                .is_err()
        );
        assert_eq!(limiter.hit(), None);
        assert!(
            limiter
                .table_growing(0, MAX_TABLE_ELEMENTS + 1, None)
                .is_err()
        );
        assert_eq!(limiter.hit(), Some(LimitHit::Table(MAX_TABLE_ELEMENTS)));
    }

    #[test]
    fn a_memory_refused_for_its_own_maximum_under_a_larger_max_memory_is_not_called_the_limit() {
        let mut limiter = Limiter::new(Some(1 << 30));
        assert!(limiter.memory_growing(0, 2 << 20, Some(1 << 20)).is_err());
        assert_eq!(limiter.hit(), None);
    }

    #[test]
    fn watchdog_stops_quietly_when_the_run_ends_first() {
        let engine = crate::engine::engine(Default::default(), None).unwrap();
        let (tx, rx) = mpsc::channel();
        let dog = Watchdog::start(
            &engine,
            Duration::from_secs(60),
            Duration::ZERO,
            Box::new(move || tx.send(()).unwrap()),
        );
        drop(dog);
        assert!(rx.try_recv().is_err());
    }
}

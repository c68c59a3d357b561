//! The server's clock for `--timeout`: one thread advances the engine's epoch every [`TICK`], and each request's
//! store checks its own deadline at each tick (wasmtime's epoch interruption). Between ticks a guest runs
//! unchecked, so a deadline is kept to within a tick; at each tick a guest that is within its time yields to the
//! other requests on its thread.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::Engine;

/// How often the epoch advances.
pub(super) const TICK: Duration = Duration::from_millis(5);

/// The ticking thread; it stops when this is dropped.
pub(super) struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub(super) fn start(engine: &Engine) -> Ticker {
        let engine = engine.clone();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while stopped.recv_timeout(TICK) == Err(mpsc::RecvTimeoutError::Timeout) {
                engine.increment_epoch();
            }
        });
        Ticker {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

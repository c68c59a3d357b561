//! A spinner on stderr while weld compiles a component: the file, the compiler and the time so far. wasmtime
//! reports no progress within a compile, so this is the phase and the elapsed time. It draws only when stderr is
//! a terminal (indicatif hides it otherwise), in plain text (no colour, so nothing for `NO_COLOR` to turn off),
//! and is cleared when the compile ends.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weld_runtime::OnCompile;

/// The spinner of the compile under way, if any; cleared when dropped.
#[derive(Default)]
pub struct Compiling {
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Compiling {
    /// A hook for [`weld_runtime::Runtime::on_compile`] that starts the spinner.
    pub fn hook(&self) -> OnCompile {
        let slot = Arc::clone(&self.bar);
        Box::new(move |path, compiler| {
            let bar = ProgressBar::new_spinner()
                .with_message(format!("compiling {} with {compiler}", path.display()));
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            if let Ok(mut slot) = slot.lock()
                && let Some(old) = slot.replace(bar)
            {
                old.finish_and_clear();
            }
        })
    }
}

impl Drop for Compiling {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

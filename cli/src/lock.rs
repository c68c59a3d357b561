//! `weld compose --lock FILE` and `--locked`: reading and writing the lock (the format is
//! [`weld_compose::lock`]), and rendering its drift.

use crate::registry::Sources;
use anyhow::{Context, Result};
use std::path::Path;
use weld_compose::Options;
use weld_compose::lock::{Drift, LOCK_VERSION, Lock, Locked, LockedOptions, LockedOutput};

/// Reads the lock in `path`.
pub fn read(path: &Path) -> Result<Lock> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--locked: failed to read the lock `{}`", path.display()))?;
    Lock::from_json(&text).with_context(|| format!("`{}` is not a weld lock", path.display()))
}

/// A file input (the compose file) as locked: its path as given and its SHA-256.
pub fn file(path: &Path) -> Result<Locked> {
    let bytes = weld_wit::read_file(path)?;
    Ok(Locked::File {
        name: path.display().to_string(),
        sha256: weld_compose::lock::sha256(&bytes),
    })
}

/// Refuses, naming every difference, when `inputs` and `options` differ from `lock`; `done` says what this
/// leaves undone (`nothing was composed`).
pub fn check(
    path: &Path,
    lock: &Lock,
    config: Option<&Locked>,
    inputs: &[Locked],
    options: &Options,
    done: &str,
) -> Result<()> {
    let drift = lock.drift(config, inputs, &LockedOptions::of(options));
    refuse(path, &drift, done)
}

/// What a composition used: the inputs `sources` resolved, or a `.wac` document's packages.
pub fn inputs(sources: &Sources, composition: &weld_compose::Composition) -> Vec<Locked> {
    if composition.packages.is_empty() {
        return sources.recorded();
    }
    composition
        .packages
        .iter()
        .map(|(name, sha256)| Locked::Package {
            name: name.clone(),
            sha256: sha256.clone(),
        })
        .collect()
}

/// Refuses when the composed `bytes` differ from the lock's output although every input matched.
pub fn check_output(path: &Path, lock: &Lock, bytes: &[u8]) -> Result<()> {
    let now = weld_compose::lock::sha256(bytes);
    if now == lock.output.sha256 {
        return Ok(());
    }
    let drift = [Drift::Output {
        locked: lock.output.sha256.clone(),
        now,
        locked_by: lock.weld.clone(),
        this: env!("CARGO_PKG_VERSION").to_owned(),
    }];
    refuse(path, &drift, "nothing was written")
}

/// The lock of a composition of `inputs` that gave `bytes`.
pub fn made(config: Option<Locked>, inputs: Vec<Locked>, options: &Options, bytes: &[u8]) -> Lock {
    Lock {
        version: LOCK_VERSION,
        weld: env!("CARGO_PKG_VERSION").to_owned(),
        config,
        inputs,
        options: LockedOptions::of(options),
        output: LockedOutput {
            sha256: weld_compose::lock::sha256(bytes),
            size: bytes.len() as u64,
        },
    }
}

fn refuse(path: &Path, drift: &[Drift], what: &str) -> Result<()> {
    if drift.is_empty() {
        return Ok(());
    }
    let lines: String = drift.iter().map(|d| format!("\n  - {d}")).collect();
    anyhow::bail!(
        "--locked: the composition differs from `{}`:{lines}\n{what}; to accept the change, compose with --lock and \
         without --locked to rewrite the lock",
        path.display()
    )
}

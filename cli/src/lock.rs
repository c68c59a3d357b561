//! `weld compose --lock FILE` and `--locked`: reading and writing the lock (the format is
//! [`weld_compose::lock`]), and rendering its drift.

use crate::registry::Sources;
use anyhow::{Context, Result};
use std::path::Path;
use weld_compose::lock::{
    Drift, LOCK_VERSION, Lock, LockError, Locked, LockedOptions, LockedOutput,
};
use weld_compose::{Composition, Options};

/// Reads the lock in `path`.
pub fn read(path: &Path) -> Result<Lock> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--locked: failed to read the lock `{}`", path.display()))?;
    Lock::from_json(&text).map_err(|err| {
        let what = match &err {
            LockError::Version { found } if *found > LOCK_VERSION => format!(
                "`{}` was written by a newer weld (lock format {found}; this weld, {}, reads {LOCK_VERSION}): \
                 upgrade weld, or compose without --locked to rewrite the lock",
                path.display(),
                env!("CARGO_PKG_VERSION")
            ),
            _ => format!("`{}` is not a usable weld lock", path.display()),
        };
        anyhow::Error::new(err).context(what)
    })
}

/// A file input (the compose file) as locked: its path as given and its SHA-256.
pub fn file(path: &Path) -> Result<Locked> {
    let bytes = weld_files::read_file(path)?;
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
pub fn check_output(path: &Path, lock: &Lock, composition: &Composition) -> Result<()> {
    let now = LockedOutput::of(composition);
    if now == lock.output {
        return Ok(());
    }
    let now = now.sha256;
    let drift = [Drift::Output {
        locked: lock.output.sha256.clone(),
        now,
        locked_by: lock.weld.clone(),
        this: env!("CARGO_PKG_VERSION").to_owned(),
    }];
    refuse(path, &drift, "nothing was written")
}

/// The lock of a composition of `inputs` that gave `composition`.
pub fn made(
    config: Option<Locked>,
    inputs: Vec<Locked>,
    options: &Options,
    composition: &Composition,
) -> Lock {
    Lock {
        version: LOCK_VERSION,
        weld: env!("CARGO_PKG_VERSION").to_owned(),
        config,
        inputs,
        options: LockedOptions::of(options),
        output: LockedOutput::of(composition),
    }
}

/// Checks, before anything is written, that the lock can be written to `path` and would overwrite neither the
/// output nor an input file.
pub fn writable(
    path: &Path,
    output: Option<&Path>,
    inputs: &[Locked],
    config: Option<&Locked>,
) -> Result<()> {
    let same = |other: &Path| match (std::path::absolute(path), std::path::absolute(other)) {
        (Ok(a), Ok(b)) => {
            a == b
                || std::fs::canonicalize(&a)
                    .ok()
                    .is_some_and(|a| std::fs::canonicalize(&b).ok() == Some(a))
        }
        _ => false,
    };
    if output.is_some_and(same) {
        anyhow::bail!(
            "--lock `{}` is also the output (-o): give the lock a file of its own",
            path.display()
        );
    }
    for input in inputs.iter().chain(config) {
        if let Locked::File { name, .. } = input
            && same(Path::new(name))
        {
            anyhow::bail!(
                "--lock `{}` is an input of the composition: give the lock a file of its own",
                path.display()
            );
        }
    }
    if path.is_dir() {
        anyhow::bail!("--lock `{}` is a directory", path.display());
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        anyhow::bail!(
            "--lock `{}`: the folder `{}` does not exist",
            path.display(),
            dir.display()
        );
    }
    Ok(())
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

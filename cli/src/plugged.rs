//! Link at load time: `weld run APP --plug DEP ...` (and `weld serve`) composes the component with its plugs and
//! runs the result. The composition is kept under `<cache root>/compositions/`, named by the SHA-256 of what went
//! into it (weld's version, then each input's digest in order), so a second run composes nothing: it maps the
//! composed file's cached code as any run of a file does. wasmtime cannot do this ("components importing
//! components is not supported", wasmtime issue 5785).

use crate::input::Input;
use crate::registry::Sources;
use anyhow::{Context, Result};
use std::path::PathBuf;
use weld_compose::{Component, Options, compose};

/// What to load: the composed file, or (without a cache root) the composition's bytes.
pub enum Linked {
    /// The composed component, in the cache.
    File(PathBuf),
    /// The composed component, in memory.
    Bytes(Vec<u8>),
}

/// `root` with `plugs` composed in, as `weld compose ROOT --plug ...` would write it: taken from the cache when
/// the same inputs were composed before, else composed and cached (a failure to cache is a warning, not an
/// error: the run goes on from memory). Inputs whose files have not changed are not even read: an index keyed by
/// their stamps (see [`stamp_key`]) gives the composition's name.
pub fn link(sources: &Sources, root: &Input, plugs: &[Input]) -> Result<Linked> {
    let inputs: Vec<(&Input, crate::registry::Local)> = std::iter::once(root)
        .chain(plugs)
        .map(|input| Ok((input, sources.local(input)?)))
        .collect::<Result<_>>()?;
    let dir = crate::paths::cache_root().map(|root| root.join("compositions"));
    let stamped = dir
        .as_ref()
        .zip(stamp_key(&inputs))
        .map(|(dir, key)| dir.join("index").join(key));
    if let (Some(dir), Some(index)) = (&dir, &stamped)
        && let Ok(key) = std::fs::read_to_string(index)
    {
        let path = dir.join(format!("{}.wasm", key.trim()));
        if path.is_file() {
            return Ok(Linked::File(path));
        }
    }
    let mut components = Vec::with_capacity(inputs.len());
    for (input, local) in &inputs {
        let component = Component::new(local.name.display().to_string(), sources.read(local)?);
        components.push(match input.short_name() {
            Some(name) => component.named(name),
            None => component,
        });
    }
    let key = key(&components);
    let Some(dir) = dir else {
        let root = components.remove(0);
        return Ok(Linked::Bytes(
            compose(root, components, &Options::default())?.to_bytes(),
        ));
    };
    let path = dir.join(format!("{key}.wasm"));
    if !path.is_file() {
        let root = components.remove(0);
        let composition = compose(root, components, &Options::default())?;
        let stored = std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))
            .and_then(|()| {
                crate::files::write_atomic_with(&path, |file| composition.write_to(file))
            });
        if let Err(err) = stored {
            crate::report::warn(&format!("the composition is not cached: {err:#}"));
            return Ok(Linked::Bytes(composition.to_bytes()));
        }
    }
    if let Some(index) = stamped {
        // Losing the index costs the next run a read of its inputs, nothing more.
        let _ = index
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .map_err(anyhow::Error::from)
            .and_then(|()| crate::files::write_atomic(&index, key.as_bytes()));
    }
    Ok(Linked::File(path))
}

/// How old a file's last change must be before its stamp stands for its contents: a write within the same
/// clock tick as the stamp could change the bytes and leave the stamp as it was (the rule of the compiled-code
/// cache's index, `weld_runtime`'s `SETTLE`).
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// A name for the inputs as they stand on disk, from their stamps (path, size, modification and change times,
/// inode and device) and short names, without reading them; `None` when one cannot be stamped or changed too
/// recently to be trusted ([`SETTLE`]).
fn stamp_key(inputs: &[(&Input, crate::registry::Local)]) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let now = std::time::SystemTime::now();
    let mut text = format!("weld {} stamps\n", env!("CARGO_PKG_VERSION"));
    for (input, local) in inputs {
        let path = std::fs::canonicalize(&local.path).ok()?;
        let meta = std::fs::metadata(&path).ok()?;
        let changed = std::time::UNIX_EPOCH
            + std::time::Duration::new(meta.ctime().max(meta.mtime()).try_into().ok()?, 0);
        if now.duration_since(changed).ok()? < SETTLE {
            return None;
        }
        text.push_str(&format!(
            "{} {} {}.{} {}.{} {} {} {}\n",
            path.display(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
            meta.ino(),
            meta.dev(),
            input.short_name().unwrap_or_default()
        ));
    }
    Some(
        weld_compose::lock::sha256(text.as_bytes())
            .trim_start_matches("sha256:")
            .to_owned(),
    )
}

/// The name of a composition of `inputs`: the SHA-256 of weld's version and each input's digest and short name
/// (which names its instance in the result), in order.
fn key(inputs: &[Component]) -> String {
    let mut text = format!("weld {}\n", env!("CARGO_PKG_VERSION"));
    for input in inputs {
        text.push_str(&format!(
            "{} {}\n",
            weld_compose::lock::sha256(&input.bytes),
            input.name
        ));
    }
    weld_compose::lock::sha256(text.as_bytes())
        .trim_start_matches("sha256:")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::key;
    use weld_compose::Component;

    #[test]
    fn the_key_follows_the_contents_the_names_and_the_order() {
        let a = || Component::new("dir/a.wasm", b"one".to_vec());
        let b = || Component::new("b.wasm", b"two".to_vec());
        let moved = Component::new("elsewhere/a.wasm", b"one".to_vec());
        assert_eq!(
            key(&[a(), b()]),
            key(&[moved, b()]),
            "where a file is does not matter"
        );
        assert_ne!(key(&[a(), b()]), key(&[b(), a()]), "the root is first");
        assert_ne!(key(&[a(), b()]), key(&[a().named("other"), b()]));
        assert_ne!(
            key(&[a(), b()]),
            key(&[a(), Component::new("b.wasm", b"2".to_vec())])
        );
        assert_eq!(key(&[a()]).len(), 64);
    }
}

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
use weld_runtime::Stamp;

/// What to load: the composed file, or (without a cache) the composition's bytes.
pub enum Linked {
    /// The composed component, in the cache; `reused` when an earlier run made it (so a file that does not load
    /// is a damaged cache entry, to be made again: [`forget`]).
    File {
        /// The file.
        path: PathBuf,
        /// Whether it was in the cache before this run.
        reused: bool,
    },
    /// The composed component, in memory.
    Bytes(Vec<u8>),
}

/// How to link: the plugs and their wiring, and whether the cache may be used.
pub struct Plugs<'a> {
    /// The components to compose in.
    pub plugs: &'a [Input],
    /// Explicit wires, `IMPORT=PLUG`, as `weld compose --wire` takes them.
    pub wires: &'a [(String, String)],
    /// Whether to read and write the composition cache (`--no-cache` says no).
    pub cached: bool,
}

/// `root` with `plugs` composed in, as `weld compose ROOT --plug ...` would write it: taken from the cache when
/// the same inputs were composed before, else composed and cached (a failure to cache is a warning, not an
/// error: the run goes on from memory). Inputs whose files have not changed are not even read: an index keyed by
/// their stamps (see [`stamp_key`]) gives the composition's name.
pub fn link(sources: &Sources, root: &Input, how: &Plugs<'_>) -> Result<(Linked, Vec<String>)> {
    let options = Options {
        wires: how.wires.to_vec(),
        ..Options::default()
    };
    let inputs: Vec<(&Input, crate::registry::Local)> = std::iter::once(root)
        .chain(how.plugs)
        .map(|input| Ok((input, sources.local(input)?)))
        .collect::<Result<_>>()?;
    let dir = compositions().filter(|_| how.cached);
    let stamped = dir
        .as_ref()
        .zip(stamp_key(&inputs, &options))
        .map(|(dir, key)| dir.join("index").join(key));
    if let (Some(dir), Some(index)) = (&dir, &stamped)
        && let Ok(key) = std::fs::read_to_string(index)
    {
        let path = dir.join(format!("{}.wasm", key.trim()));
        if path.is_file() {
            return Ok((
                Linked::File { path, reused: true },
                unused_of(dir, key.trim()),
            ));
        }
    }
    let mut components = inputs
        .iter()
        .map(|(input, local)| sources.component(input, local))
        .collect::<Result<Vec<_>>>()?;
    let key = key(&components, &options);
    let Some(dir) = dir else {
        let root = components.remove(0);
        let composition = compose(root, components, &options)?;
        return Ok((
            Linked::Bytes(composition.to_bytes()),
            composition.report.unused,
        ));
    };
    let path = dir.join(format!("{key}.wasm"));
    let reused = path.is_file();
    let mut unused = unused_of(&dir, &key);
    if !reused {
        let root = components.remove(0);
        let composition = compose(root, components, &options)?;
        unused.clone_from(&composition.report.unused);
        let stored = std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))
            .and_then(|()| {
                crate::files::write_atomic_with(&path, |file| composition.write_to(file))
            });
        // What the plugs did not give is told on every run, cached or not.
        let stored = stored.and_then(|()| {
            crate::files::write_atomic(&unused_path(&dir, &key), unused.join("\n").as_bytes())
        });
        if let Err(err) = stored {
            crate::report::warn(&format!("the composition is not cached: {err:#}"));
            return Ok((Linked::Bytes(composition.to_bytes()), unused));
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
    Ok((Linked::File { path, reused }, unused))
}

/// Where the plugs a composition left out are listed, beside it.
fn unused_path(dir: &std::path::Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.unused"))
}

/// The plugs the composition `key` left out, as its first run listed them (none when the list is gone).
fn unused_of(dir: &std::path::Path, key: &str) -> Vec<String> {
    std::fs::read_to_string(unused_path(dir, key))
        .map(|text| {
            text.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Where compositions are kept: `<cache root>/compositions`.
fn compositions() -> Option<PathBuf> {
    crate::paths::cache_root().map(|root| root.join("compositions"))
}

/// Removes a cached composition that did not load (a damaged or truncated file), so the next link makes it again;
/// its index entries then name a missing file, which a link takes as absent.
pub fn forget(path: &std::path::Path) {
    let _ = std::fs::remove_file(path);
}

/// Removes the cached compositions and their index (all, or those not used for `older_than`): what `weld cache
/// clean` does beside the compiled code. Returns the files removed and their bytes.
///
/// # Errors
/// The first failure to list or remove a file, other than one already gone.
pub fn clean(older_than: Option<std::time::Duration>) -> std::io::Result<(u64, u64)> {
    let Some(dir) = compositions() else {
        return Ok((0, 0));
    };
    let now = std::time::SystemTime::now();
    let mut removed = (0, 0);
    for sub in [dir.join("index"), dir] {
        let entries = match std::fs::read_dir(&sub) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            other => other?,
        };
        for entry in entries {
            let entry = entry?;
            let meta = entry.metadata()?;
            let used = meta.accessed().or_else(|_| meta.modified()).unwrap_or(now);
            let recent =
                older_than.is_some_and(|age| now.duration_since(used).unwrap_or_default() < age);
            if !meta.is_file() || recent {
                continue;
            }
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    removed.0 += 1;
                    removed.1 += meta.len();
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// A name for the inputs as they stand on disk, from their stamps (the compiled-code cache's: size, modification
/// and change times, inode and device) and short names, without reading them; `None` when one cannot be stamped
/// or changed too recently for its stamp to be trusted ([`Stamp::is_settled`]).
fn stamp_key(inputs: &[(&Input, crate::registry::Local)], options: &Options) -> Option<String> {
    let mut text = format!(
        "weld {} stamps {:?}\n",
        env!("CARGO_PKG_VERSION"),
        options.wires
    );
    for (input, local) in inputs {
        let path = std::fs::canonicalize(&local.path).ok()?;
        let stamp = Stamp::of(&std::fs::metadata(&path).ok()?);
        if !stamp.is_settled() {
            return None;
        }
        text.push_str(&format!(
            "{} {} {}\n",
            path.display(),
            serde_json::to_string(&stamp).ok()?,
            input.short_name().unwrap_or_default()
        ));
    }
    Some(name_of(&text))
}

/// The name of a composition of `inputs` with `options`' wires: the SHA-256 of weld's version, the wires, and each
/// input's digest and short name (which names its instance in the result), in order.
fn key(inputs: &[Component], options: &Options) -> String {
    let mut text = format!("weld {} {:?}\n", env!("CARGO_PKG_VERSION"), options.wires);
    for input in inputs {
        text.push_str(&format!(
            "{} {}\n",
            weld_compose::lock::sha256(&input.bytes),
            input.name
        ));
    }
    name_of(&text)
}

/// The hex SHA-256 of `text`: a file name.
fn name_of(text: &str) -> String {
    weld_compose::lock::sha256(text.as_bytes())
        .trim_start_matches("sha256:")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::key;
    use weld_compose::{Component, Options};

    #[test]
    fn the_key_follows_the_contents_the_names_and_the_order() {
        let a = || Component::new("dir/a.wasm", b"one".to_vec());
        let b = || Component::new("b.wasm", b"two".to_vec());
        let moved = Component::new("elsewhere/a.wasm", b"one".to_vec());
        assert_eq!(
            key(&[a(), b()], &Options::default()),
            key(&[moved, b()], &Options::default()),
            "where a file is does not matter"
        );
        assert_ne!(
            key(&[a(), b()], &Options::default()),
            key(&[b(), a()], &Options::default()),
            "the root is first"
        );
        assert_ne!(
            key(&[a(), b()], &Options::default()),
            key(&[a().named("other"), b()], &Options::default())
        );
        assert_ne!(
            key(&[a(), b()], &Options::default()),
            key(
                &[a(), Component::new("b.wasm", b"2".to_vec())],
                &Options::default()
            )
        );
        assert_eq!(key(&[a()], &Options::default()).len(), 64);
    }
}

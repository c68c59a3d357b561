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
/// error: the run goes on from memory).
pub fn link(sources: &Sources, root: &Input, plugs: &[Input]) -> Result<Linked> {
    let mut inputs = Vec::with_capacity(plugs.len() + 1);
    for input in std::iter::once(root).chain(plugs) {
        let local = sources.local(input)?;
        let component = Component::new(local.name.display().to_string(), sources.read(&local)?);
        inputs.push(match input.short_name() {
            Some(name) => component.named(name),
            None => component,
        });
    }
    let key = key(&inputs);
    let cached = crate::paths::cache_root()
        .map(|root| root.join("compositions").join(format!("{key}.wasm")));
    if let Some(path) = cached.as_ref().filter(|path| path.is_file()) {
        return Ok(Linked::File(path.clone()));
    }
    let root = inputs.remove(0);
    let composition = compose(root, inputs, &Options::default())?;
    let Some(path) = cached else {
        return Ok(Linked::Bytes(composition.to_bytes()));
    };
    let stored = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .with_context(|| format!("cannot create `{}`", path.display()))
        .and_then(|()| crate::files::write_atomic_with(&path, |file| composition.write_to(file)));
    match stored {
        Ok(()) => Ok(Linked::File(path)),
        Err(err) => {
            crate::report::warn(&format!("the composition is not cached: {err:#}"));
            Ok(Linked::Bytes(composition.to_bytes()))
        }
    }
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

//! Where weld keeps things between runs.

use std::path::PathBuf;

/// weld's cache root: `$WELD_CACHE_DIR`, else `<user cache dir>/weld` (`~/.cache/weld` on Linux). Compiled code
/// goes under `compiled/`, registry content under `oci/`. `None` when neither is known.
pub fn cache_root() -> Option<PathBuf> {
    match std::env::var_os("WELD_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::cache_dir().map(|dir| dir.join("weld")),
    }
}

/// The cache of compiled code: `<cache root>/compiled`, capped at `$WELD_CACHE_MAX_SIZE` (a size such as `4GiB`;
/// default [`weld_runtime::DEFAULT_CAP`], also when the variable does not parse, with a warning: a bad cap must
/// not stop a run). `None` when there is no cache root.
pub fn compiled_cache() -> Option<weld_runtime::CodeCache> {
    let root = cache_root()?;
    let cap = size_from_env(
        "WELD_CACHE_MAX_SIZE",
        weld_runtime::DEFAULT_CAP,
        "the cache is capped at",
    );
    Some(weld_runtime::CodeCache::new(root.join("compiled")).with_cap(cap))
}

/// The size from which `--compiler auto` starts a component on Winch (with Cranelift code compiled in the
/// background): `$WELD_WINCH_FROM` (a size such as `1MiB`, or `0` for every component), else
/// [`weld_runtime::DEFAULT_WINCH_FROM`], also when the variable does not parse, with a warning.
pub fn winch_from() -> u64 {
    size_from_env(
        "WELD_WINCH_FROM",
        weld_runtime::DEFAULT_WINCH_FROM,
        "Winch starts components of at least",
    )
}

/// The size in the environment variable `var`, else `default`, also when it does not parse: then with a warning
/// that ends `; {meaning} {default}`. A bad tuning variable must not stop a run.
fn size_from_env(var: &str, default: u64, meaning: &str) -> u64 {
    match std::env::var(var) {
        Ok(text) if !text.is_empty() => crate::values::parse_size(&text).unwrap_or_else(|why| {
            eprintln!(
                "weld: warning: ignoring {var}={text} ({why}); {meaning} {}",
                crate::units::human_size(default)
            );
            default
        }),
        _ => default,
    }
}

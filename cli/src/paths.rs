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
pub fn compiled_cache() -> Option<weld_runtime::Cache> {
    let root = cache_root()?;
    let cap = match std::env::var("WELD_CACHE_MAX_SIZE") {
        Ok(text) if !text.is_empty() => weld_runtime::parse_size(&text).unwrap_or_else(|why| {
            eprintln!(
                "weld: warning: ignoring WELD_CACHE_MAX_SIZE={text} ({why}); the cache is capped at {}",
                crate::output::human_size(weld_runtime::DEFAULT_CAP as usize)
            );
            weld_runtime::DEFAULT_CAP
        }),
        _ => weld_runtime::DEFAULT_CAP,
    };
    Some(weld_runtime::Cache::new(root.join("compiled")).with_cap(cap))
}

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
/// default [`weld_runtime::DEFAULT_CAP`]). `None` when there is no cache root.
pub fn compiled_cache() -> anyhow::Result<Option<weld_runtime::Cache>> {
    let Some(root) = cache_root() else {
        return Ok(None);
    };
    let cap = match std::env::var("WELD_CACHE_MAX_SIZE") {
        Ok(text) if !text.is_empty() => weld_runtime::parse_size(&text)
            .map_err(|why| anyhow::anyhow!("WELD_CACHE_MAX_SIZE={text}: {why}"))?,
        _ => weld_runtime::DEFAULT_CAP,
    };
    Ok(Some(
        weld_runtime::Cache::new(root.join("compiled")).with_cap(cap),
    ))
}

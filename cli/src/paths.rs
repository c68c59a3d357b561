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

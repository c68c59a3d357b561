//! The container's memory limit (the spec's `linux.resources.memory.limit`, which the runtime wrote into the
//! container's cgroup), read inside the container and given to weld as its memory limit, so that a guest that
//! grows past it gets weld's clear trap rather than the kernel's OOM kill.

use std::path::Path;

/// The memory limit of the cgroup the process is in, in bytes: cgroup v2's `memory.max`, else cgroup v1's
/// `memory.limit_in_bytes`, as the container sees them under `root` (`/sys/fs/cgroup`). `None` when there is
/// none (`max`, or v1's "no limit" value, a page-rounded `i64::MAX`) or the files cannot be read.
pub fn memory_limit(root: &Path) -> Option<u64> {
    let v2 = std::fs::read_to_string(root.join("memory.max")).ok();
    let v1 = || std::fs::read_to_string(root.join("memory/memory.limit_in_bytes")).ok();
    let text = v2.or_else(v1)?;
    let bytes: u64 = text.trim().parse().ok()?;
    // cgroup v1 writes "no limit" as i64::MAX rounded down to the page size.
    (bytes < (1 << 62)).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_comes_from_cgroup_v2_or_v1_and_no_limit_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(memory_limit(dir.path()), None);
        std::fs::create_dir(dir.path().join("memory")).unwrap();
        let v1 = dir.path().join("memory/memory.limit_in_bytes");
        std::fs::write(&v1, "9223372036854771712\n").unwrap();
        assert_eq!(memory_limit(dir.path()), None);
        std::fs::write(&v1, "67108864\n").unwrap();
        assert_eq!(memory_limit(dir.path()), Some(64 << 20));
        std::fs::write(dir.path().join("memory.max"), "max\n").unwrap();
        assert_eq!(memory_limit(dir.path()), None);
        std::fs::write(dir.path().join("memory.max"), "1048576\n").unwrap();
        assert_eq!(memory_limit(dir.path()), Some(1 << 20));
    }
}

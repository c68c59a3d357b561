//! The container's memory limit (the spec's `linux.resources.memory.limit`, which the runtime wrote into the
//! container's cgroup), read inside the container, made weld's memory limit for a command's guest, so that a guest
//! that grows past it gets weld's clear trap rather than the kernel's OOM kill. The cgroup also holds the host: weld's
//! limit is what is left of the container's when the guest starts, less [`HOST_MARGIN`].

use std::path::Path;

/// Room left for the host's own allocations while the guest runs (WASI buffers, wasmtime's tables): 16 MiB.
pub const HOST_MARGIN: u64 = 16 << 20;

/// The memory the guest may grow to, in bytes: the cgroup's limit less its usage now and [`HOST_MARGIN`], as the
/// container sees them under `root` (`/sys/fs/cgroup`, which the CRI mounts in every container): cgroup v2's
/// `memory.max` and `memory.current`, else cgroup v1's `memory.limit_in_bytes` and `memory.usage_in_bytes`. `None`
/// when the cgroup has no limit (`max`, or v1's "no limit", a page-rounded `i64::MAX`) or cannot be read.
pub fn memory_left(root: &Path) -> Option<u64> {
    let read = |v2: &str, v1: &str| -> Option<u64> {
        let text = std::fs::read_to_string(root.join(v2))
            .or_else(|_| std::fs::read_to_string(root.join("memory").join(v1)))
            .ok()?;
        text.trim().parse().ok()
    };
    let limit = read("memory.max", "memory.limit_in_bytes").filter(|bytes| *bytes < (1 << 62))?;
    let used = read("memory.current", "memory.usage_in_bytes").unwrap_or(0);
    Some(limit.saturating_sub(used).saturating_sub(HOST_MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_left_comes_from_cgroup_v2_or_v1_and_no_limit_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(memory_left(dir.path()), None);
        std::fs::create_dir(dir.path().join("memory")).unwrap();
        let v1 = |file: &str, text: &str| {
            std::fs::write(dir.path().join("memory").join(file), text).unwrap()
        };
        v1("memory.limit_in_bytes", "9223372036854771712\n");
        assert_eq!(memory_left(dir.path()), None);
        v1("memory.limit_in_bytes", "67108864\n");
        v1("memory.usage_in_bytes", "8388608\n");
        assert_eq!(memory_left(dir.path()), Some((64 - 8 - 16) << 20));
        std::fs::write(dir.path().join("memory.max"), "max\n").unwrap();
        assert_eq!(memory_left(dir.path()), None);
        std::fs::write(dir.path().join("memory.max"), "33554432\n").unwrap();
        std::fs::write(dir.path().join("memory.current"), "20971520\n").unwrap();
        // Less room than the margin: none at all, the guest cannot grow.
        assert_eq!(memory_left(dir.path()), Some(0));
    }
}

//! The directories a container's guest may use: the container's own mounts, read off `/proc/self/mountinfo`
//! inside the container (containerd-shim-wasm hands the engine the args and env of the OCI spec, not its mounts).
//! Each volume the spec mounts is preopened at its mount point, read-only where the mount is; the container's
//! root, `/run`, `/proc`, `/sys`, `/dev` and what the runtime itself mounts (`/etc/hosts`, `/etc/hostname`,
//! `/etc/resolv.conf`: files, not folders) are not.

use std::path::PathBuf;
use weld_runtime::DirGrant;

/// Mount points under which nothing is granted: the kernel's and the devices' file systems.
const SYSTEM: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Mount points the runtime makes in every container, not granted themselves: the root and the `/run` scratch
/// space of containerd's default spec (a volume mounted below `/run` is granted).
const RUNTIME: [&str; 2] = ["/", "/run"];

/// The directory grants of the mounts `mountinfo` (the text of `/proc/self/mountinfo`, proc(5)) lists, in order,
/// the last mount at a point winning. `is_dir` tells folders from the files a runtime bind-mounts.
pub fn mounted_dirs(mountinfo: &str, is_dir: impl Fn(&str) -> bool) -> Vec<DirGrant> {
    let mut grants: Vec<DirGrant> = Vec::new();
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (Some(point), Some(options)) = (fields.get(4), fields.get(5)) else {
            continue;
        };
        let point = unescape(point);
        let system = SYSTEM
            .iter()
            .any(|s| point == *s || point.starts_with(&format!("{s}/")));
        if RUNTIME.contains(&point.as_str()) || system || !is_dir(&point) {
            continue;
        }
        let read_only = options.split(',').any(|o| o == "ro");
        grants.retain(|g| g.guest != point);
        grants.push(DirGrant {
            host: PathBuf::from(&point),
            guest: point,
            read_only,
        });
    }
    grants
}

/// A mount point as mountinfo writes it: space, tab, newline and backslash as octal escapes (`\040`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(digits)) => {
                let value = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mounts of a container as libcontainer sets them up for a spec with two volumes.
    const MOUNTINFO: &str = "\
600 500 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
601 600 0:51 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
602 600 0:52 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
603 602 0:53 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620
604 600 0:54 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
605 600 8:1 /srv/data /data ro,relatime - ext4 /dev/vda1 rw
606 600 8:1 /srv/out /my\\040out rw,relatime - ext4 /dev/vda1 rw
609 600 0:56 / /run rw,nosuid,nodev - tmpfs tmpfs rw
607 600 8:1 /etc/hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw
608 600 0:55 / /scratch rw,relatime - tmpfs tmpfs rw
";

    #[test]
    fn volumes_are_granted_at_their_mount_points_and_system_mounts_are_not() {
        let grants = mounted_dirs(MOUNTINFO, |point| point != "/etc/hosts");
        let shown: Vec<(&str, bool)> = grants
            .iter()
            .map(|g| (g.guest.as_str(), g.read_only))
            .collect();
        assert_eq!(
            shown,
            [("/data", true), ("/my out", false), ("/scratch", false)]
        );
        assert_eq!(grants[0].host, PathBuf::from("/data"));
    }

    #[test]
    fn a_later_mount_at_the_same_point_wins() {
        let info = "1 0 0:1 / /data rw - ext4 x rw\n2 0 0:1 / /data ro - ext4 x rw\n";
        let grants = mounted_dirs(info, |_| true);
        assert_eq!(grants.len(), 1);
        assert!(grants[0].read_only);
    }
}

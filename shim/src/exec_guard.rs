//! Only WebAssembly runs: the guard on `execve`. containerd-shim-wasm runs a container whose first argument is a
//! native program (an ELF file or a `#!` script) as an ordinary Linux container, which a pod's sandbox (the pause
//! container) needs, and offers a shim no hook to refuse the others. So the shim's server stops every `execve` and
//! `execveat` its containers make, with a seccomp filter whose verdict is user space's (`SECCOMP_RET_USER_NOTIF`,
//! Linux 5.5; seccomp(2), seccomp_unotify(2)), and lets one through only when it is:
//! - the server's own, or a process of the server's mount namespace (the shim itself, runtime hooks); or
//! - the first process of the pod's sandbox: the container whose `start` spawned this server and whose spec the CRI
//!   marked `io.kubernetes.cri.container-type=sandbox` ([`SANDBOX_STATE`]).
//!
//! A Wasm container never executes a program (weld runs the component in the container's own process), so the
//! rule costs it nothing. The filter is installed once, in the server process before containerd-shim-wasm starts
//! its zygote, so that every container process, forked from that zygote, inherits it; and the decision is made
//! when the program is about to run, whatever path, volume, link or `#` ending led to it.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// The variable of the shim's server process naming the youki state file (`state.json`: the container's `pid`)
/// of the pod's sandbox, set by `start` for a container the CRI marked as one.
pub const SANDBOX_STATE: &str = "WELD_SHIM_SANDBOX_STATE";

/// The audit architecture of this build's system calls (linux/audit.h): the filter judges only these, for the
/// numbers below are theirs. A process of another architecture got there by executing a program, which only a
/// sandbox can.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// Where `execve` and `execveat` find the program's arguments (`argv`) among theirs.
const EXECVE_ARGV: usize = 1;
const EXECVEAT_ARGV: usize = 2;

/// Installs the filter in this process (the calling thread, and every thread and process it starts afterwards) and
/// returns the listener its notifications arrive on. Call it while the process has one thread.
///
/// # Errors
/// The kernel refuses the filter: older than 5.5, or the process lacks `CAP_SYS_ADMIN` (a shim runs as root).
pub fn install() -> io::Result<OwnedFd> {
    let stmt = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |k: i64, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k: k as u32,
    };
    let load = |offset: u32| stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    let ret = |verdict: u32| stmt(libc::BPF_RET | libc::BPF_K, verdict);
    // seccomp_data: `nr` at offset 0, `arch` at 4.
    let program = [
        load(4),
        jump(i64::from(AUDIT_ARCH), 0, 3),
        load(0),
        jump(libc::SYS_execve, 2, 0),
        jump(libc::SYS_execveat, 1, 0),
        ret(libc::SECCOMP_RET_ALLOW),
        ret(libc::SECCOMP_RET_USER_NOTIF),
    ];
    let prog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr().cast_mut(),
    };
    // SAFETY: `prog` points at `program`, alive for the call; the kernel copies the filter.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &prog,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new descriptor, owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Answers the notifications of `listener` on a thread of its own, for as long as the process lives. `sandbox` is
/// the state file of the pod's sandbox, when this server was started for one.
pub fn supervise(listener: OwnedFd, sandbox: Option<PathBuf>) {
    let own_namespace = mount_namespace(std::process::id());
    std::thread::spawn(move || {
        loop {
            // SAFETY: plain data the kernel fills.
            let mut request: libc::seccomp_notif = unsafe { std::mem::zeroed() };
            // SAFETY: the listener is open, and `request` is the structure this ioctl writes.
            let received = unsafe {
                libc::ioctl(
                    listener.as_raw_fd(),
                    libc::SECCOMP_IOCTL_NOTIF_RECV,
                    &mut request,
                )
            };
            if received != 0 {
                match io::Error::last_os_error().raw_os_error() {
                    // Interrupted, or the process went away before its notification was read.
                    Some(libc::EINTR | libc::ENOENT) => continue,
                    _ => break,
                }
            }
            let allowed = own_namespace.is_some()
                && (mount_namespace(request.pid) == own_namespace
                    || sandbox
                        .as_deref()
                        .is_some_and(|state| sandbox_pid(state) == Some(request.pid)));
            if !allowed {
                refuse(&request);
            }
            // The process may have ended, and its id gone to another, while this was decided.
            // SAFETY: the listener is open; the ioctl reads the id.
            let valid = unsafe {
                libc::ioctl(
                    listener.as_raw_fd(),
                    libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
                    &request.id,
                )
            } == 0;
            // SAFETY: plain data, filled below.
            let mut response: libc::seccomp_notif_resp = unsafe { std::mem::zeroed() };
            response.id = request.id;
            if allowed && valid {
                response.flags = libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32;
            } else {
                response.error = -libc::EPERM;
            }
            // SAFETY: the listener is open, and `response` is the structure this ioctl reads. A response to a
            // process that has gone fails, which needs nothing done.
            unsafe {
                libc::ioctl(
                    listener.as_raw_fd(),
                    libc::SECCOMP_IOCTL_NOTIF_SEND,
                    &response,
                )
            };
        }
    });
}

/// The mount namespace of the process `pid`: the inode of `/proc/PID/ns/mnt`.
fn mount_namespace(pid: u32) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/mnt"))
        .ok()
        .map(|meta| meta.ino())
}

/// The process id youki's state file `state` records for its container's first process. youki rewrites the file
/// in place as the container starts (truncated, then written), so a read that finds no id is tried again, for up to
/// 200 ms.
fn sandbox_pid(state: &Path) -> Option<u32> {
    let read = || {
        let text = std::fs::read(state).ok()?;
        let state: serde_json::Value = serde_json::from_slice(&text).ok()?;
        state["pid"]
            .as_u64()
            .and_then(|pid| u32::try_from(pid).ok())
    };
    for _ in 0..100 {
        if let Some(pid) = read() {
            return Some(pid);
        }
        if !state.exists() {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    None
}

/// Tells the refused process why, on its stderr (the container's, which `kubectl logs` and `ctr` show).
fn refuse(request: &libc::seccomp_notif) {
    let argv = if i64::from(request.data.nr) == libc::SYS_execveat {
        EXECVEAT_ARGV
    } else {
        EXECVE_ARGV
    };
    // `argv[0]`: the entry point as the container's spec names it (the path tried may be one of `PATH`'s).
    let program = read_memory(request.pid, request.data.args[argv], 8)
        .and_then(|pointer| Some(u64::from_ne_bytes(pointer.try_into().ok()?)))
        .and_then(|arg0| read_text(request.pid, arg0))
        .unwrap_or_else(|| "a program".to_owned());
    let message = format!(
        "weld: error: the container's entry point `{program}` is a native program, not WebAssembly: the runtime \
         io.containerd.weld.v1 runs only Wasm components and modules (and a Kubernetes pod's sandbox)\n"
    );
    if let Ok(mut stderr) = std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/{}/fd/2", request.pid))
    {
        let _ = io::Write::write_all(&mut stderr, message.as_bytes());
    }
}

/// The NUL-terminated text at `address` in the memory of the process `pid` (at most 4 KiB).
fn read_text(pid: u32, address: u64) -> Option<String> {
    let bytes = read_memory(pid, address, 4096)?;
    let end = bytes.iter().position(|&b| b == 0)?;
    CString::new(&bytes[..end])
        .ok()
        .map(|text| text.to_string_lossy().into_owned())
}

/// Up to `len` bytes at `address` in the memory of the process `pid`, as many as can be read.
fn read_memory(pid: u32, address: u64, len: usize) -> Option<Vec<u8>> {
    let mut buffer = vec![0u8; len];
    let local = libc::iovec {
        iov_base: buffer.as_mut_ptr().cast(),
        iov_len: buffer.len(),
    };
    let remote = libc::iovec {
        iov_base: address as *mut libc::c_void,
        iov_len: buffer.len(),
    };
    // SAFETY: `local` is this process's buffer of the length given; the kernel checks the remote range and copies
    // what is readable.
    let read = unsafe { libc::process_vm_readv(pid as libc::pid_t, &local, 1, &remote, 1, 0) };
    buffer.truncate(usize::try_from(read).ok()?);
    Some(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_read_from_a_processs_memory() {
        let path = CString::new("/bin/app").unwrap();
        let read = read_text(std::process::id(), path.as_ptr() as u64);
        assert_eq!(read.as_deref(), Some("/bin/app"));
        assert_eq!(read_text(std::process::id(), 0), None);
        let pointer = path.as_ptr() as u64;
        let bytes = read_memory(std::process::id(), std::ptr::addr_of!(pointer) as u64, 8).unwrap();
        assert_eq!(u64::from_ne_bytes(bytes.try_into().unwrap()), pointer);
    }

    #[test]
    fn the_sandboxs_pid_is_youkis_state() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        std::fs::write(
            &state,
            r#"{"id":"pause","pid":4242,"bundle":"/b","status":"created"}"#,
        )
        .unwrap();
        assert_eq!(sandbox_pid(&state), Some(4242));
        assert_eq!(sandbox_pid(&dir.path().join("missing.json")), None);
        assert!(mount_namespace(std::process::id()).is_some());
    }
}

//! Only WebAssembly runs: the guard on `execve`. containerd-shim-wasm runs a container whose first argument is a
//! native program (an ELF file or a `#!` script) as an ordinary Linux container, which a pod's sandbox (the pause
//! container) needs, and offers a shim no hook to refuse the others. So the shim's server stops every `execve` and
//! `execveat` its containers make, with a seccomp filter whose verdict is user space's (`SECCOMP_RET_USER_NOTIF`,
//! Linux 5.5; seccomp(2), seccomp_unotify(2)), and lets one through only when it is:
//! - the server's own, or a process of the server's mount namespace (the shim itself; the OCI hooks that run in the
//!   runtime's namespace: `prestart`, `createRuntime`, `poststart`; those that run in the container's,
//!   `createContainer` and `startContainer`, are refused); or
//! - the first exec of the first process of the pod's sandbox: the container whose `start` spawned this server and
//!   whose spec the CRI marked `io.kubernetes.cri.container-type=sandbox` ([`SANDBOX_STATE`]).
//!
//! Another architecture's system calls (i386 on x86_64, ARM on aarch64) and x86_64's x32 calls are refused
//! outright.
//!
//! A Wasm container never executes a program (weld runs the component in the container's own process), so the
//! rule costs it nothing. The filter is installed once, in the server process before containerd-shim-wasm starts
//! its zygote, so that every container process, forked from that zygote, inherits it; and the decision is made
//! when the program is about to run, whatever path, volume, link or `#` ending led to it.

use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

/// The variable of the shim's server process naming the youki state file (`state.json`: the container's `pid`)
/// of the pod's sandbox, set by `start` for a container the CRI marked as one.
pub const SANDBOX_STATE: &str = "WELD_SHIM_SANDBOX_STATE";

/// The audit architecture of this build's system calls (linux/audit.h): the filter judges only these, for the
/// numbers below are theirs, and refuses any other's.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// The bit of x86_64's x32 system call numbers (asm/unistd.h `__X32_SYSCALL_BIT`).
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

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
    let load = |offset: u32| stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    let ret = |verdict: u32| stmt(libc::BPF_RET | libc::BPF_K, verdict);
    let jump_if = |op: u32, k: u32, jt: u8| libc::sock_filter {
        code: (libc::BPF_JMP | op | libc::BPF_K) as u16,
        jt,
        jf: 0,
        k,
    };
    let refuse = libc::SECCOMP_RET_ERRNO | (libc::EPERM as u32 & libc::SECCOMP_RET_DATA);
    // seccomp_data: `nr` at offset 0, `arch` at 4. A jump counts from the next instruction. Another
    // architecture's calls (i386 on x86_64) are refused: no program of an image runs before an exec, and the
    // sandbox's is native. So are x86_64's x32 calls (bit 30 in their numbers), which nothing here makes.
    let program = [
        load(4),                                              // 0
        jump_if(libc::BPF_JEQ, AUDIT_ARCH, 1),                // 1: to 3
        ret(refuse),                                          // 2
        load(0),                                              // 3
        jump_if(libc::BPF_JGE, X32_SYSCALL_BIT, 4),           // 4: to 9
        jump_if(libc::BPF_JEQ, libc::SYS_execve as u32, 2),   // 5: to 8
        jump_if(libc::BPF_JEQ, libc::SYS_execveat as u32, 1), // 6: to 8
        ret(libc::SECCOMP_RET_ALLOW),                         // 7
        ret(libc::SECCOMP_RET_USER_NOTIF),                    // 8
        ret(refuse),                                          // 9
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
/// the state file of the pod's sandbox, when this server was started for one. The process ends if the thread does:
/// without it, every exec of its containers would wait forever.
///
/// Call it after containerd-shim-wasm's zygote exists ([`keep_from_zygote`]), so that no container inherits the
/// listener (whoever holds it can answer for itself) and the zygote is cloned from a process of one thread.
pub fn supervise(listener: OwnedFd, sandbox: Option<PathBuf>) {
    let own_namespace = mount_namespace(std::process::id());
    std::thread::spawn(move || {
        let mut verdicts = Verdicts {
            own_namespace,
            sandbox,
        };
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
            // Everything read of the process is read while its id is still its own: checked after the reads.
            let allowed = verdicts.allows(request.pid);
            let message = (!allowed).then(|| refusal(&request));
            if !still_waiting(&listener, request.id) {
                continue;
            }
            if let Some(message) = message {
                tell(request.pid, &message);
            }
            // SAFETY: plain data, filled below.
            let mut response: libc::seccomp_notif_resp = unsafe { std::mem::zeroed() };
            response.id = request.id;
            if allowed {
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
        log::error!(
            "the guard on execve stopped; the shim ends rather than leave its containers waiting"
        );
        std::process::abort();
    });
}

/// Closes `listener`'s descriptor in containerd-shim-wasm's zygote, which was cloned with it: every container
/// process is cloned from the zygote.
pub fn keep_from_zygote(listener: &OwnedFd) {
    fn close(fd: i32) {
        // SAFETY: closes the zygote's copy of the listener, which nothing in the zygote uses.
        unsafe { libc::close(fd) };
    }
    containerd_shimkit::zygote::Zygote::global().run(close, listener.as_raw_fd());
}

/// Who may execute a program.
struct Verdicts {
    /// The server's mount namespace.
    own_namespace: Option<u64>,
    /// The pod sandbox's state file, until its first process has executed its program.
    sandbox: Option<PathBuf>,
}

impl Verdicts {
    /// Whether the process `pid` may execute a program now: a process of the server's mount namespace, or the pod
    /// sandbox's first process, once.
    fn allows(&mut self, pid: u32) -> bool {
        let Some(own) = self.own_namespace else {
            return false;
        };
        if mount_namespace(pid) == Some(own) {
            return true;
        }
        let is_sandbox = self
            .sandbox
            .as_deref()
            .is_some_and(|state| sandbox_pid(state) == Some(pid));
        if is_sandbox {
            // Once: the pause program executes nothing, and its id may go to another process after it ends.
            self.sandbox = None;
        }
        is_sandbox
    }
}

/// Whether the notification `id` still waits for its answer (its process has not ended, nor its id gone to
/// another). Linux 5.8 renumbered the request (`_IOW`); earlier kernels know only the first number (`_IOR`).
fn still_waiting(listener: &OwnedFd, id: u64) -> bool {
    const ID_VALID_BEFORE_5_8: libc::Ioctl = 0x8008_2102;
    [libc::SECCOMP_IOCTL_NOTIF_ID_VALID, ID_VALID_BEFORE_5_8]
        .into_iter()
        .any(|request| {
            // SAFETY: the listener is open; the ioctl reads the id.
            unsafe { libc::ioctl(listener.as_raw_fd(), request, &id) == 0 }
        })
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

/// Why the process of `request` is refused, for its stderr.
fn refusal(request: &libc::seccomp_notif) -> String {
    let argv = if i64::from(request.data.nr) == libc::SYS_execveat {
        EXECVEAT_ARGV
    } else {
        EXECVE_ARGV
    };
    // `argv[0]`: the entry point as the container's spec names it (the path tried may be one of `PATH`'s).
    let program = read_memory(request.pid, request.data.args[argv], 8)
        .and_then(|pointer| Some(u64::from_ne_bytes(pointer.try_into().ok()?)))
        .and_then(|arg0| read_text(request.pid, arg0))
        .map_or_else(|| "a program".to_owned(), |arg0| quoted(&arg0));
    format!(
        "weld: error: the container's entry point {program} is a native program, not WebAssembly: the runtime \
         io.containerd.weld.v1 runs only Wasm components and modules (and a Kubernetes pod's sandbox)\n"
    )
}

/// `text` between backticks, its control characters escaped and at most 256 characters kept, so that it cannot
/// forge lines of the log it lands in.
fn quoted(text: &str) -> String {
    let mut shown: String = text
        .chars()
        .take(256)
        .flat_map(char::escape_default)
        .collect();
    if text.chars().count() > 256 {
        shown.push_str("...");
    }
    format!("`{shown}`")
}

/// Writes `message` to the stderr of the process `pid` (the container's, which `kubectl logs` and `ctr` show), in
/// one write of at most `PIPE_BUF` bytes that never waits: a stderr nobody reads must not stop the verdicts of
/// other containers.
fn tell(pid: u32, message: &str) {
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(format!("/proc/{pid}/fd/2"));
    if let Ok(mut stderr) = opened {
        let bytes = &message.as_bytes()[..message.len().min(libc::PIPE_BUF)];
        let _ = io::Write::write(&mut stderr, bytes);
    }
}

/// The NUL-terminated text at `address` in the memory of the process `pid` (at most 4 KiB).
fn read_text(pid: u32, address: u64) -> Option<String> {
    let bytes = read_memory(pid, address, 4096)?;
    let end = bytes.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
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
    use std::ffi::CString;

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
    fn the_sandboxs_first_process_may_execute_once_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let pid = std::process::id();
        std::fs::write(&state, format!(r#"{{"id":"pause","pid":{pid}}}"#)).unwrap();
        // A mount namespace that is not this process's: the process is judged as a container's.
        let mut verdicts = Verdicts {
            own_namespace: Some(0),
            sandbox: Some(state),
        };
        assert!(!verdicts.allows(pid + 1));
        assert!(verdicts.allows(pid));
        assert!(
            !verdicts.allows(pid),
            "the sandbox's id is let through once"
        );
        // The server's own mount namespace may execute.
        let mut own = Verdicts {
            own_namespace: mount_namespace(pid),
            sandbox: None,
        };
        assert!(own.allows(pid));
    }

    #[test]
    fn an_entry_point_is_quoted_without_control_characters_and_cut_short() {
        assert_eq!(quoted("/bin/app"), "`/bin/app`");
        assert_eq!(quoted("a\nweld: ok"), "`a\\nweld: ok`");
        let long = "x".repeat(300);
        assert_eq!(quoted(&long), format!("`{}...`", "x".repeat(256)));
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

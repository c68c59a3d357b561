//! Serving a `wasi:http` handler as `weld serve` serves it: the same command, its options set from the container
//! (the grants as typed values, never a command line of the container's strings), so a handler behaves the same
//! under `weld serve` and in a pod: a fresh instance per request, the connection limits, the drain on SIGTERM, the
//! access log on stderr.

use anyhow::Context as _;
use clap::Parser as _;
use std::fs::File;
use std::io::Write as _;
use std::os::fd::{AsRawFd as _, FromRawFd as _};
use std::process::ExitCode;
use weld_cli::Command;
use weld_cli::sandbox::CompilerChoice;
use weld_runtime::Grants;

/// A handler to serve.
pub struct Served<'a> {
    /// Its code, compiled by weld's engine (the shim's, with `weld serve`'s settings): what it put in containerd's
    /// content store, or what the container's process compiled from a file of the image.
    pub code: &'a [u8],
    /// The address to listen on (`0.0.0.0:8080`).
    pub addr: &'a str,
    /// Each request's time limit (`--timeout`).
    pub timeout: Option<std::time::Duration>,
    /// Each request's instance's memory limit in bytes (`--max-memory`).
    pub max_memory: Option<u64>,
}

impl Served<'_> {
    /// Serves until SIGTERM or SIGINT and the drain that follows; 0 when it stopped cleanly, 1 otherwise.
    ///
    /// `weld serve` reads a file: the code is handed to it in an anonymous memory file of this process
    /// (`memfd_create`, read as `/proc/self/fd/N`), which no guest and no other container can reach or replace, and
    /// which needs no writable folder in the container.
    ///
    /// # Errors
    /// The memory file cannot be made, `WELD_HTTP_ADDR` is not an address, or `weld serve` fails (its error, with
    /// the causes).
    pub fn serve(&self, grants: &Grants) -> anyhow::Result<i32> {
        let file = memory_file(self.code).context("cannot hand the component to `weld serve`")?;
        let path = format!("/proc/self/fd/{}", file.as_raw_fd());
        let command = self.command(&path, grants)?;
        let status = command.run()?;
        drop(file);
        Ok(if status == ExitCode::SUCCESS { 0 } else { 1 })
    }

    /// `weld serve PATH --addr ADDR`, with the container's grants set as values, Cranelift as the compiler (what
    /// the stored code was compiled by, whatever `WELD_COMPILER` the node's environment holds), and no cache of
    /// compiled code inside the container.
    fn command(&self, path: &str, grants: &Grants) -> anyhow::Result<Command> {
        let cli = weld_cli::Cli::try_parse_from(["weld", "serve", path, "--addr", self.addr])
            .with_context(|| {
                format!(
                    "WELD_HTTP_ADDR `{}` is not an address to serve on",
                    self.addr
                )
            })?;
        let Command::Serve(mut opts) = cli.command else {
            anyhow::bail!("`weld serve`'s command line was read as another command");
        };
        opts.sandbox.dir = grants.dirs.clone();
        opts.sandbox.env = grants.env.clone();
        opts.sandbox.allow_net = grants.net.clone();
        opts.sandbox.allow_http = grants.http.clone();
        opts.sandbox.timeout = self.timeout;
        opts.sandbox.max_memory = self.max_memory;
        opts.sandbox.compiler = CompilerChoice::Cranelift;
        opts.sandbox.no_cache = true;
        opts.sandbox.allow_precompiled = true;
        Ok(Command::Serve(opts))
    }
}

/// An anonymous file in memory holding `bytes`, closed when the returned file is dropped.
fn memory_file(bytes: &[u8]) -> std::io::Result<File> {
    // SAFETY: the name is a NUL-terminated string; the call creates a new file descriptor or fails.
    let fd = unsafe { libc::memfd_create(c"weld-component".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just made by memfd_create and is owned by nothing else.
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(bytes)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weld_runtime::DirGrant;

    #[test]
    fn the_containers_grants_become_weld_serves_options_as_values() {
        let served = Served {
            code: b"",
            addr: "0.0.0.0:9000",
            timeout: Some(std::time::Duration::from_secs(2)),
            max_memory: Some(64 << 20),
        };
        // A mount point `weld serve`'s --dir syntax could not say (`::`, a `:ro` ending) is passed as it is.
        let grants = Grants {
            dirs: vec![DirGrant {
                host: "/a::/b:ro".into(),
                guest: "/a::/b:ro".into(),
                read_only: false,
            }],
            env: vec![("GREETING".into(), "hi".into())],
            net: Some("10.0.0.0/8".parse().unwrap()),
            http: Some("example.com:443".parse().unwrap()),
            ..Grants::default()
        };
        let Command::Serve(opts) = served.command("/proc/self/fd/3", &grants).unwrap() else {
            panic!("not serve");
        };
        assert_eq!(opts.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(opts.sandbox.dir, grants.dirs);
        assert_eq!(opts.sandbox.env, grants.env);
        assert_eq!(opts.sandbox.allow_net, grants.net);
        assert_eq!(opts.sandbox.allow_http, grants.http);
        assert_eq!(opts.sandbox.timeout, served.timeout);
        assert_eq!(opts.sandbox.max_memory, served.max_memory);
        assert!(opts.sandbox.no_cache && opts.sandbox.allow_precompiled);
        assert!(matches!(opts.sandbox.compiler, CompilerChoice::Cranelift));
        let bad = Served {
            addr: "nowhere",
            ..served
        };
        let err = bad.command("/proc/self/fd/3", &grants).unwrap_err();
        assert!(
            format!("{err:#}").contains("WELD_HTTP_ADDR `nowhere`"),
            "{err:#}"
        );
    }

    #[test]
    fn the_memory_file_holds_the_bytes() {
        let file = memory_file(b"\0asm").unwrap();
        let path = format!("/proc/self/fd/{}", file.as_raw_fd());
        assert_eq!(std::fs::read(path).unwrap(), b"\0asm");
    }
}

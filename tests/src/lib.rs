//! Helpers for weld's tests: fixtures, running a `weld` binary and checking what it printed and how it exited,
//! a real OCI registry ([`registry`]) and a fault-injecting proxy ([`fault`]), and the drivers and generators of
//! the property run and the fuzz targets ([`robust`]). The end-to-end tests live with the binary they test
//! (`cli/tests/e2e`), which hands its path over as `CARGO_BIN_EXE_weld`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod fault;
pub mod http;
pub mod registry;
pub mod robust;

/// A program on the PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The `sha256:<hex>` digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A test cannot run here because what it needs is missing (`what` says what, and how to get it). Under CI
/// (`CI=true`), where `.ci/run` installs everything the tests need, that is a failure, so a missing install step
/// cannot pass unnoticed; elsewhere the test says why on stderr and the caller returns, skipping it.
#[track_caller]
pub fn missing(what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{what}: under CI every test must run (.ci/run installs what the tests need)");
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "test skipped: {what}");
}

/// Where built fixtures are cached, shared by all tests (builds are content-addressed and atomic).
pub fn fixture_cache() -> PathBuf {
    std::env::temp_dir().join("weld-test-fixtures")
}

/// The path of a built component fixture (`hello`, `greeter`, `app`, ...).
pub fn fixture(name: &str) -> PathBuf {
    weld_fixtures::ensure(&fixture_cache(), name)
        .unwrap_or_else(|e| panic!("failed to build fixture {name}: {e:#}"))
}

/// Writes the core module of a fixture, with its component-type metadata (what `wit-bindgen` output looks like),
/// to `dir/<name>-core.wasm` and returns the path.
pub fn core_fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}-core.wasm"));
    let bytes = weld_fixtures::build_core(name)
        .unwrap_or_else(|e| panic!("failed to build the core module of {name}: {e:#}"));
    std::fs::write(&path, bytes).expect("write the core module");
    path
}

/// How many component instances the top level of the component at `path` creates by instantiating a component
/// (what a composition makes of each plug it uses), as opposed to instances of imports or exports.
pub fn instantiations(path: &Path) -> usize {
    use wasmparser::{ComponentInstance, Parser, Payload};
    let bytes = std::fs::read(path).expect("read the component");
    let mut depth = 0;
    let mut count = 0;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.expect("a valid component") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentInstanceSection(section) if depth == 0 => {
                count += section
                    .into_iter()
                    .filter(|i| matches!(i, Ok(ComponentInstance::Instantiate { .. })))
                    .count();
            }
            _ => {}
        }
    }
    count
}

/// The result of one `weld` run.
#[derive(Debug)]
pub struct Run {
    /// The arguments given, for messages.
    pub args: Vec<String>,
    /// The raw process output.
    pub output: Output,
}

impl Run {
    /// Standard output as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// The exit code (`-1` if killed by a signal).
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            0,
            "weld {:?} failed:\n{}",
            self.args,
            self.stderr()
        );
        self.stdout()
    }

    /// Asserts exit code 1 with an `error` on stderr and no panic, and returns stderr.
    #[track_caller]
    pub fn fails(&self) -> String {
        let err = self.stderr();
        assert_eq!(
            self.code(),
            1,
            "weld {:?}: expected exit 1\nstdout:\n{}\nstderr:\n{err}",
            self.args,
            self.stdout()
        );
        assert!(
            !err.contains("panicked"),
            "weld {:?} panicked:\n{err}",
            self.args
        );
        err
    }

    /// Asserts a failure as [`Run::fails`] does and returns stdout and stderr together: some commands report a
    /// bad file on stdout (a `validate` verdict), others on stderr.
    #[track_caller]
    pub fn fails_output(&self) -> String {
        let err = self.fails();
        format!("{}{err}", self.stdout())
    }

    /// Parses stdout as JSON, asserting success.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok()).expect("stdout is JSON")
    }
}

/// Runs `weld` through `cmd` (another program wrapping it, or weld itself) with `args` appended.
pub fn weld_with<I, S>(cmd: Command, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_weld(cmd, args, None)
}

/// Runs `weld` through `cmd` with `args` appended and `input` on its stdin, colour off.
pub fn weld_with_stdin<I, S>(cmd: Command, args: I, input: &[u8]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_weld(cmd, args, Some(input))
}

/// Runs `cmd` with `args` appended and colour off, feeding it `input` (or nothing) on stdin.
fn run_weld<I, S>(mut cmd: Command, args: I, input: Option<&[u8]>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    use std::io::Write as _;
    use std::process::Stdio;
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    cmd.args(&args).env("NO_COLOR", "1");
    let Some(input) = input else {
        let output = cmd.output().expect("failed to start weld");
        return Run { args, output };
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("failed to start weld");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("write weld's stdin");
    let output = child.wait_with_output().expect("wait for weld");
    Run { args, output }
}

/// True when this process runs as root, where file permissions do not stop reads.
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A command that runs a copy of the `weld` binary at `bin` as the unprivileged user `nobody` (for permission
/// tests under root), with the copy in `dir`.
pub fn as_nobody(bin: &Path, dir: &Path) -> Command {
    use std::os::unix::fs::PermissionsExt;
    let copy = dir.join("weld");
    if !copy.exists() {
        std::fs::copy(bin, &copy).expect("copy weld");
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(copy);
    cmd
}

/// Waits, when dropped, for the background compiles (`weld cache fill`, which `weld run` starts under the default
/// tiering) of components under a directory, or into a cache there, to end, up to two minutes: declared after a
/// test's temporary directory, it is dropped first, so the directory is not removed while a fill still writes
/// into it (which left it behind). Only Linux lists processes this way; elsewhere it waits for nothing.
pub struct Fills<'a>(pub &'a Path);

impl Drop for Fills<'_> {
    fn drop(&mut self) {
        let dir = self.0.display().to_string();
        // A fill of a component under the directory, or writing into a cache there (`WELD_CACHE_DIR`).
        let fills_here = |pid: &Path| {
            let read = |file| std::fs::read(pid.join(file)).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&read("cmdline")).into_owned();
            cmdline.contains("\0cache\0fill\0")
                && (cmdline.contains(&dir)
                    || String::from_utf8_lossy(&read("environ")).contains(&dir))
        };
        let running = || {
            std::fs::read_dir("/proc")
                .into_iter()
                .flatten()
                .flatten()
                .any(|entry| fills_here(&entry.path()))
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while running() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
}

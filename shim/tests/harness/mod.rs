//! A private containerd for the tests (its own root, state, socket and namespace; the shim under test on its PATH),
//! a private registry to pull from, and containers made as Kubernetes' CRI makes them.

use containerd_client::services::v1::container::Runtime;
use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::snapshots::PrepareSnapshotRequest;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::services::v1::{Container, CreateContainerRequest};
use containerd_client::tonic::Request;
use containerd_client::with_namespace;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use weld_tests::registry::{LocalRegistry, Setup};

/// The runtime containerd maps to `containerd-shim-weld-v1` on its PATH.
pub const RUNTIME: &str = "io.containerd.weld.v1";
/// The spec's type, as containerd's API names it.
const SPEC_TYPE: &str = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

/// A running containerd, and the registry its images come from. Dropping it removes every container it made and
/// stops containerd and the shims it started.
pub struct Containerd {
    child: Child,
    /// The namespace of its containers, this containerd's own: containers' cgroups are named after it, and the
    /// tests' containerds run at once.
    namespace: String,
    dir: tempfile::TempDir,
    registry: LocalRegistry,
    runtime: tokio::runtime::Runtime,
}

/// What a container printed and its exit status.
#[derive(Debug)]
pub struct Output {
    /// The task's exit status.
    pub code: i32,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
    /// From the start of the container's creation to its end, its task deleted (`ctr task start` deletes it;
    /// `ctr run --rm` deletes the container too).
    #[allow(
        dead_code,
        reason = "benches/start.rs reads it; the tests only print it"
    )]
    pub took: Duration,
}

/// A host folder mounted into a container.
#[derive(Clone, Copy)]
pub struct Volume<'a> {
    /// The folder on the node.
    pub host: &'a Path,
    /// Where the container sees it.
    pub guest: &'a str,
    /// Mounted read-only.
    pub read_only: bool,
}

/// A container started in the background (`ctr task start` attached to it).
pub struct Task {
    child: Child,
    /// When its creation began.
    started: Instant,
}

impl Task {
    /// Whether the container has ended.
    pub fn ended(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Waits up to `limit` for the container to end.
    pub fn wait(mut self, limit: Duration) -> Output {
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < limit,
                "the container did not end within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        output(self.child.wait_with_output().unwrap(), self.started)
    }
}

impl Containerd {
    /// Starts containerd as root, or returns `None` (a failure under CI) when this is not root or containerd is
    /// not installed.
    #[track_caller]
    pub fn start() -> Option<Containerd> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            weld_tests::missing("root, to start containerd");
            return None;
        }
        let Some(program) = weld_tests::on_path("containerd") else {
            weld_tests::missing("`containerd` is not on the PATH (Debian package containerd)");
            return None;
        };
        let registry = LocalRegistry::start(Setup::default())?;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let config = format!(
            "version = 2\nroot = \"{root}/root\"\nstate = \"{root}/state\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{root}/containerd.sock\"\n\
             [ttrpc]\n  address = \"{root}/containerd.sock.ttrpc\"\n\
             [debug]\n  address = \"{root}/debug.sock\"\n",
            root = root.display()
        );
        std::fs::write(root.join("config.toml"), config).unwrap();
        let shim_dir = Path::new(env!("CARGO_BIN_EXE_containerd-shim-weld-v1"))
            .parent()
            .unwrap()
            .to_path_buf();
        let path = format!(
            "{}:{}",
            shim_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let log = std::fs::File::create(root.join("containerd.log")).unwrap();
        let child = Command::new(program)
            .arg("--config")
            .arg(root.join("config.toml"))
            .env("PATH", path)
            // What the node's environment holds must not reach a guest.
            .env("WELD_NAME", "from-the-node")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let namespace = format!(
            "weld-test-{}",
            dir.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches('.')
        );
        let ctd = Containerd {
            child,
            namespace,
            dir,
            registry,
            runtime,
        };
        let start = Instant::now();
        while !ctd.socket().exists() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "containerd did not start; its log:\n{}",
                ctd.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(ctd)
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("containerd.sock")
    }

    /// containerd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// `ctr` against this containerd, in the tests' namespace; its output, whatever its status.
    pub fn ctr(&self, args: &[&str]) -> std::process::Output {
        self.ctr_command(args).output().unwrap()
    }

    fn ctr_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("ctr");
        command
            .arg("--address")
            .arg(self.socket())
            .args(["--namespace", &self.namespace])
            .args(args);
        command
    }

    /// Pushes the test component `fixture` to the registry as weld's Wasm OCI artifact and has containerd pull
    /// it; returns the image's name. containerd 1.6.20 fetches the artifact but cannot unpack it (it unpacks
    /// only tar layers before 1.6.25): the image and its blobs are in its store all the same, which is what the
    /// shim reads.
    pub fn push(&self, fixture: &str) -> String {
        let reference = self.registry.reference(&format!("demo/{fixture}:1"));
        // containerd names images without the scheme.
        let image = reference.trim_start_matches("oci://").to_owned();
        let path = weld_tests::fixture(fixture);
        let cache = self.dir.path().join("push-cache");
        let session = weld_registry_client::Registry::new(
            weld_registry_client::Transport {
                insecure: true,
                ..Default::default()
            },
            weld_registry_client::Auth::default(),
            weld_registry_client::ContentCache::new(cache),
        )
        .unwrap();
        let options = weld_registry_client::PushOptions {
            created: std::time::SystemTime::UNIX_EPOCH,
            annotations: Default::default(),
        };
        session
            .push(
                &path,
                std::fs::read(&path).unwrap(),
                &image.parse().unwrap(),
                options,
            )
            .unwrap();
        self.ctr(&["image", "pull", "--plain-http", &image]);
        let listed = self.ctr(&["image", "ls", "--quiet"]);
        assert!(
            String::from_utf8_lossy(&listed.stdout)
                .lines()
                .any(|l| l == image),
            "containerd did not fetch {image}; its log:\n{}",
            self.log()
        );
        image
    }

    /// Runs the container `id` of `image` to its end: `args` and `env` its process's, `volumes` bind-mounted.
    pub fn run(
        &self,
        id: &str,
        image: &str,
        args: &[&str],
        env: &[&str],
        volumes: &[Volume<'_>],
    ) -> Output {
        self.run_with(id, image, args, |spec| {
            spec["process"]["env"] = env.iter().map(|e| serde_json::Value::from(*e)).collect();
            let mounts = spec["mounts"].as_array_mut().unwrap();
            for volume in volumes {
                let mode = if volume.read_only { "ro" } else { "rw" };
                mounts.push(serde_json::json!({
                    "destination": volume.guest,
                    "type": "bind",
                    "source": volume.host,
                    "options": ["rbind", mode],
                }));
            }
        })
    }

    /// [`Containerd::run`] with the spec changed by `change`.
    pub fn run_with(
        &self,
        id: &str,
        image: &str,
        args: &[&str],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> Output {
        self.run_with_files(id, image, args, &[], change)
    }

    /// [`Containerd::run_with`] with `files` (a path in the container's root, a host file to copy there) put in
    /// the container's snapshot first, as an image's layers would hold them.
    pub fn run_with_files(
        &self,
        id: &str,
        image: &str,
        args: &[&str],
        files: &[(&str, &Path)],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> Output {
        let start = Instant::now();
        self.create(id, image, args, files, change);
        let out = output(self.ctr(&["task", "start", id]), start);
        self.remove(id);
        out
    }

    /// Runs the container `id` of `image` with a root file system of files (`rootfs`, `ctr run --rootfs`) on
    /// `runtime` (`io.containerd.runc.v2` for a native program): how a component file in an ordinary image runs.
    pub fn run_rootfs(&self, id: &str, runtime: &str, rootfs: &Path, args: &[&str]) -> Output {
        self.run_rootfs_with(id, runtime, rootfs, &[], args)
    }

    /// [`Containerd::run_rootfs`] with more flags of `ctr run` (`--annotation K=V`).
    #[allow(
        dead_code,
        reason = "tests/containerd.rs uses it; benches/start.rs does not"
    )]
    pub fn run_rootfs_with(
        &self,
        id: &str,
        runtime: &str,
        rootfs: &Path,
        flags: &[&str],
        args: &[&str],
    ) -> Output {
        let rootfs = rootfs.to_str().unwrap();
        // `--rootfs` makes the first argument the folder, not an image.
        let mut command = vec!["run", "--rm", "--runtime", runtime, "--rootfs"];
        command.extend_from_slice(flags);
        command.extend([rootfs, id]);
        command.extend_from_slice(args);
        let start = Instant::now();
        output(self.ctr(&command), start)
    }

    /// Starts the container `id` of `image` and returns at once.
    pub fn start_detached(&self, id: &str, image: &str, args: &[&str]) -> Task {
        self.start_detached_with(id, image, args, |_| {})
    }

    /// [`Containerd::start_detached`] with the spec changed by `change`.
    pub fn start_detached_with(
        &self,
        id: &str,
        image: &str,
        args: &[&str],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> Task {
        let started = Instant::now();
        self.create(id, image, args, &[], change);
        let child = self
            .ctr_command(&["task", "start", id])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Task { child, started }
    }

    /// Creates the container as the CRI does: a snapshot for its root (empty but for `files`), then a record with
    /// the image (none when empty), the runtime and the spec (`ctr run` cannot: it builds the spec from the image's
    /// config, and a Wasm artifact's config is not an image config).
    fn create(
        &self,
        id: &str,
        image: &str,
        args: &[&str],
        files: &[(&str, &Path)],
        change: impl FnOnce(&mut serde_json::Value),
    ) {
        let spec_text = self.ctr(&["oci", "spec"]).stdout;
        let mut spec: serde_json::Value = serde_json::from_slice(&spec_text).unwrap();
        spec["process"]["args"] = args.iter().map(|a| serde_json::Value::from(*a)).collect();
        spec["process"]["terminal"] = false.into();
        // `ctr oci spec` knows no container: each gets a cgroup of its own, and sees it at /sys/fs/cgroup, as the
        // CRI gives them.
        spec["linux"]["cgroupsPath"] = format!("/{}/{id}", self.namespace).into();
        spec["mounts"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "destination": "/sys/fs/cgroup",
                "type": "cgroup",
                "source": "cgroup",
                "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
            }));
        change(&mut spec);
        let socket = self.socket();
        self.runtime.block_on(async {
            let channel = containerd_client::connect(&socket).await.unwrap();
            // A root for the garbage collector until the container references the snapshot (the CRI holds a
            // lease instead); deleting the container removes it.
            let prepare = PrepareSnapshotRequest {
                snapshotter: "overlayfs".into(),
                key: id.into(),
                labels: [("containerd.io/gc.root".to_owned(), "weld-test".to_owned())].into(),
                ..Default::default()
            };
            let mounts = SnapshotsClient::new(channel.clone())
                .prepare(with_namespace!(prepare, self.namespace.as_str()))
                .await
                .unwrap()
                .into_inner()
                .mounts;
            // A snapshot without a parent is one folder, bind-mounted.
            for (path, host) in files {
                let file = Path::new(&mounts[0].source).join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::copy(host, file).unwrap();
            }
            let container = Container {
                id: id.into(),
                image: image.into(),
                runtime: Some(Runtime {
                    name: RUNTIME.into(),
                    options: None,
                }),
                spec: Some(prost_types::Any {
                    type_url: SPEC_TYPE.into(),
                    value: serde_json::to_vec(&spec).unwrap(),
                }),
                snapshotter: "overlayfs".into(),
                snapshot_key: id.into(),
                ..Default::default()
            };
            let request = CreateContainerRequest {
                container: Some(container),
            };
            ContainersClient::new(channel)
                .create(with_namespace!(request, self.namespace.as_str()))
                .await
                .unwrap();
        });
    }

    /// Removes the container `id`, its task and its snapshot.
    fn remove(&self, id: &str) {
        self.ctr(&["task", "delete", "--force", id]);
        self.ctr(&["containers", "delete", id]);
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let listed = self.ctr(&["containers", "list", "--quiet"]);
        for id in String::from_utf8_lossy(&listed.stdout).lines() {
            self.remove(id);
        }
        // SAFETY: signals our own child, which has not been waited for.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let asked = Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) && asked.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A shim (and a container it forked) outlives containerd; each names this test's folder in its arguments.
        let ours = self.dir.path().to_string_lossy().into_owned();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&ours)
                && let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>()
            {
                // SAFETY: a process this test started (its arguments name this test's folder).
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        // Root file systems a dead shim left mounted under the folder, innermost first, so that it can be removed.
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut mounted: Vec<&str> = mountinfo
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .filter(|point| point.starts_with(ours.as_str()))
            .collect();
        mounted.sort_by_key(|point| std::cmp::Reverse(point.len()));
        for point in mounted {
            let point = std::ffi::CString::new(point).unwrap();
            // SAFETY: detaches a mount under this test's own folder; the path is NUL-terminated.
            unsafe { libc::umount2(point.as_ptr(), libc::MNT_DETACH) };
        }
        // The containers' cgroups are gone with them; their parent, named after the namespace, is left empty
        // (cgroup v1 has one per controller).
        let parents = std::fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten()
            .map(|controller| controller.path().join(&self.namespace))
            .chain([Path::new("/sys/fs/cgroup").join(&self.namespace)]);
        for parent in parents {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// A root file system in `dir` holding a static native `/hello` that prints `hello`, built with the system's C
/// compiler (Debian's gcc and glibc).
pub fn native_hello(dir: &Path) -> Option<PathBuf> {
    let rootfs = dir.join("native");
    std::fs::create_dir(&rootfs).ok()?;
    let source = dir.join("hello.c");
    std::fs::write(
        &source,
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
    .ok()?;
    let built = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(rootfs.join("hello"))
        .arg(&source)
        .status()
        .ok()?;
    built.success().then_some(rootfs)
}

/// What `ctr` reported of a container begun at `start`.
fn output(out: std::process::Output, start: Instant) -> Output {
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

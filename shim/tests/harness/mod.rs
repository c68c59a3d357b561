//! A private containerd for the tests (its own root, state, socket and namespace; the shim under test on its PATH),
//! a private registry to pull from, and containers made as Kubernetes' CRI makes them.

use containerd_client::services::v1::container::Runtime;
use containerd_client::services::v1::containers_client::ContainersClient;
use containerd_client::services::v1::snapshots::PrepareSnapshotRequest;
use containerd_client::services::v1::snapshots::snapshots_client::SnapshotsClient;
use containerd_client::services::v1::tasks_client::TasksClient;
use containerd_client::services::v1::{
    Container, CreateContainerRequest, CreateTaskRequest, DeleteTaskRequest, GetRequest,
    StartRequest, WaitRequest,
};
use containerd_client::tonic::Request;
use containerd_client::tonic::transport::Channel;
use containerd_client::types::Mount;
use containerd_client::with_namespace;
use std::os::unix::fs::OpenOptionsExt as _;
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
    /// A connection to its API, made once, as the CRI holds one.
    channel: Channel,
    /// containerd's default spec (`ctr oci spec`), which each container's spec starts from: read once, as the CRI
    /// builds a spec in its own process.
    spec: serde_json::Value,
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
    /// From the start of the container's creation to its end: through containerd's API, until the task's exit is
    /// known (the task's deletion afterwards not counted); through `ctr`, until `ctr` ends (`ctr task start`
    /// deletes the task, `ctr run --rm` the container too).
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
    /// `ctr`'s stdout and stderr, read as they come (a pipe that nobody reads would stop `ctr` once full).
    output: [std::thread::JoinHandle<Vec<u8>>; 2],
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
        let status = self.child.wait().unwrap();
        let [stdout, stderr] = self.output.map(|reader| reader.join().unwrap());
        output(
            std::process::Output {
                status,
                stdout,
                stderr,
            },
            self.started,
        )
    }
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

impl Containerd {
    /// Starts containerd as root, or returns `None` (a failure under CI) when this is not root or containerd is
    /// not installed.
    #[track_caller]
    pub fn start() -> Option<Containerd> {
        if !weld_tests::is_root() {
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
        let socket = root.join("containerd.sock");
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "containerd did not start; its log:\n{}",
                std::fs::read_to_string(root.join("containerd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let channel = runtime
            .block_on(containerd_client::connect(&socket))
            .unwrap();
        let spec = Command::new("ctr").args(["oci", "spec"]).output().unwrap();
        assert!(spec.status.success(), "ctr oci spec: {spec:?}");
        Some(Containerd {
            child,
            namespace,
            dir,
            registry,
            runtime,
            channel,
            spec: serde_json::from_slice(&spec.stdout).unwrap(),
        })
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
        self.run_on(RUNTIME, id, image, args, &[], change)
    }

    /// [`Containerd::run_with`] on `runtime` (`io.containerd.runc.v2` for a native program), with `files` (a path
    /// in the container's root, a host file to copy there) put in the container's snapshot first, as an image's
    /// layers would hold them. The task is created, started and
    /// waited for through containerd's API, as the CRI does; its output comes through FIFOs, as `ctr`'s does. A
    /// task that cannot be created ends with status -1 and containerd's error as its stderr.
    pub fn run_on(
        &self,
        runtime: &str,
        id: &str,
        image: &str,
        args: &[&str],
        files: &[(&str, &Path)],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> Output {
        let start = Instant::now();
        let rootfs = self.create(runtime, id, image, args, files, change);
        let fifos = tempfile::tempdir().unwrap();
        let stdout = Fifo::new(&fifos.path().join("stdout"));
        let stderr = Fifo::new(&fifos.path().join("stderr"));
        let tasks = TasksClient::new(self.channel.clone());
        let ns = self.namespace.as_str();
        let ended = self.runtime.block_on(async {
            let create = CreateTaskRequest {
                container_id: id.into(),
                rootfs,
                stdout: stdout.path.to_string_lossy().into_owned(),
                stderr: stderr.path.to_string_lossy().into_owned(),
                ..Default::default()
            };
            tasks.clone().create(with_namespace!(create, ns)).await?;
            let started = StartRequest {
                container_id: id.into(),
                ..Default::default()
            };
            tasks.clone().start(with_namespace!(started, ns)).await?;
            let wait = WaitRequest {
                container_id: id.into(),
                ..Default::default()
            };
            let status = tasks.clone().wait(with_namespace!(wait, ns)).await?;
            let took = start.elapsed();
            let delete = DeleteTaskRequest {
                container_id: id.into(),
            };
            tasks.clone().delete(with_namespace!(delete, ns)).await?;
            Ok::<_, containerd_client::tonic::Status>((status.into_inner().exit_status, took))
        });
        let out = match ended {
            Ok((code, took)) => Output {
                code: code as i32,
                stdout: stdout.read(),
                stderr: stderr.read(),
                took,
            },
            Err(status) => {
                stdout.read();
                stderr.read();
                Output {
                    code: -1,
                    stdout: String::new(),
                    stderr: status.message().to_owned(),
                    took: start.elapsed(),
                }
            }
        };
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

    /// The process id of the task of container `id`, once it has one (up to 30 s).
    #[allow(
        dead_code,
        reason = "tests/containerd.rs uses it; benches/start.rs does not"
    )]
    pub fn task_pid(&self, id: &str) -> u32 {
        let mut tasks = TasksClient::new(self.channel.clone());
        let start = Instant::now();
        loop {
            let request = GetRequest {
                container_id: id.into(),
                ..Default::default()
            };
            let task = self
                .runtime
                .block_on(tasks.get(with_namespace!(request, self.namespace.as_str())));
            if let Some(pid) = task
                .ok()
                .and_then(|t| t.into_inner().process)
                .map(|p| p.pid)
                && pid != 0
            {
                return pid;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "container {id} has no task; containerd's log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the container `id` of `image` and returns at once.
    pub fn start_detached(&self, id: &str, image: &str, args: &[&str]) -> Task {
        self.start_detached_with(id, image, args, &[], |_| {})
    }

    /// [`Containerd::start_detached`] with `files` in the container's snapshot (as [`Containerd::run_on`] puts
    /// them) and the spec changed by `change`.
    pub fn start_detached_with(
        &self,
        id: &str,
        image: &str,
        args: &[&str],
        files: &[(&str, &Path)],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> Task {
        let started = Instant::now();
        self.create(RUNTIME, id, image, args, files, change);
        let mut child = self
            .ctr_command(&["task", "start", id])
            // The guest's stdin: open, and silent until the task is waited for.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = [
            drain(child.stdout.take().unwrap()),
            drain(child.stderr.take().unwrap()),
        ];
        Task {
            child,
            output,
            started,
        }
    }

    /// Creates the container as the CRI does: a snapshot for its root (empty but for `files`), then a record with
    /// the image (none when empty), the runtime and the spec (`ctr run` cannot: it builds the spec from the image's
    /// config, and a Wasm artifact's config is not an image config). Returns the snapshot's mounts, the task's root.
    fn create(
        &self,
        runtime: &str,
        id: &str,
        image: &str,
        args: &[&str],
        files: &[(&str, &Path)],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> Vec<Mount> {
        let mut spec = self.spec.clone();
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
        self.runtime.block_on(async {
            let channel = self.channel.clone();
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
                    name: runtime.into(),
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
            mounts
        })
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
        // The folder of the containers' state containerd-shim-wasm made for the namespace (youki's).
        let _ = std::fs::remove_dir_all(Path::new("/run/containerd/weld").join(&self.namespace));
    }
}

/// Runs `f` on a thread inside the network namespace of the process `pid` (a container's), where its loopback
/// addresses are the container's own. The namespace's loopback interface is brought up first, as Kubernetes' CNI
/// `loopback` plugin does for a pod (a new network namespace starts with it down).
#[allow(
    dead_code,
    reason = "tests/containerd.rs uses it; benches/start.rs does not"
)]
pub fn in_network_of<T: Send + 'static>(pid: u32, f: impl FnOnce() -> T + Send + 'static) -> T {
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
    std::thread::spawn(move || {
        // SAFETY: moves only this thread into the namespace the file descriptor names.
        let joined =
            unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&ns), libc::CLONE_NEWNET) };
        assert_eq!(joined, 0, "{}", std::io::Error::last_os_error());
        loopback_up();
        f()
    })
    .join()
    .unwrap()
}

/// Brings up the loopback interface of this thread's network namespace (`ip link set lo up`).
fn loopback_up() {
    // SAFETY: a socket for the interface ioctls, closed below; `ifreq` is plain data, zeroed, with the interface's
    // NUL-terminated name, and the flags are read before they are written back with IFF_UP added.
    unsafe {
        let socket = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        assert!(socket >= 0, "{}", std::io::Error::last_os_error());
        let mut request: libc::ifreq = std::mem::zeroed();
        for (to, from) in request.ifr_name.iter_mut().zip(b"lo\0") {
            *to = *from as libc::c_char;
        }
        assert_eq!(libc::ioctl(socket, libc::SIOCGIFFLAGS, &mut request), 0);
        request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        assert_eq!(libc::ioctl(socket, libc::SIOCSIFFLAGS, &request), 0);
        libc::close(socket);
    }
}

/// A FIFO a task's output stream is written to, read to its end by a thread of its own.
struct Fifo {
    path: PathBuf,
    reader: std::thread::JoinHandle<Vec<u8>>,
}

impl Fifo {
    fn new(path: &Path) -> Fifo {
        let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path; mkfifo creates the file or fails.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let opened = path.to_owned();
        // Opening blocks until the shim opens the other end.
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let mut file = std::fs::File::open(opened).unwrap();
            std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
            bytes
        });
        Fifo {
            path: path.to_owned(),
            reader,
        }
    }

    /// What was written, once every writer closed it. A FIFO nobody opened (a task that was never made) is opened
    /// and closed here, which ends the reader with nothing.
    fn read(self) -> String {
        let asked = Instant::now();
        while !self.reader.is_finished() && asked.elapsed() < Duration::from_secs(10) {
            // Fails (ENXIO) until the reader is in its open; then its open returns, and the close is its end.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.path);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            self.reader.is_finished(),
            "{} was still open 10 s after the task ended",
            self.path.display()
        );
        String::from_utf8_lossy(&self.reader.join().unwrap()).into_owned()
    }
}

/// A root file system in `dir` holding a static native `/hello` that prints `hello`, built with the system's C
/// compiler (Debian's gcc and glibc).
pub fn native_hello(dir: &Path) -> Option<PathBuf> {
    native_program(
        dir,
        "hello",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    )
}

/// A root file system in `dir/name` holding the static native program `/name` built from the C `source`.
pub fn native_program(dir: &Path, name: &str, source: &str) -> Option<PathBuf> {
    let rootfs = dir.join(name);
    std::fs::create_dir(&rootfs).ok()?;
    let file = dir.join(format!("{name}.c"));
    std::fs::write(&file, source).ok()?;
    let built = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(rootfs.join(name))
        .arg(&file)
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

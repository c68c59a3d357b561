//! A real OCI registry for tests: Debian's `docker-registry` (CNCF Distribution) on a free 127.0.0.1 port, with
//! its config, storage and (for the TLS variant) a CA and server certificate made at test time in a temporary
//! directory. It stops when dropped.

use std::net::{TcpListener, TcpStream};

pub use crate::http::Response;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The registry program.
const PROGRAM: &str = "docker-registry";

/// How the registry is set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Setup {
    /// Serve HTTPS with a certificate signed by a CA made for the test (see [`LocalRegistry::ca`]).
    pub tls: bool,
    /// Require this user and password (htpasswd, bcrypt).
    pub login: Option<(&'static str, &'static str)>,
}

/// A running registry.
pub struct LocalRegistry {
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    setup: Setup,
}

impl LocalRegistry {
    /// Starts a registry, or returns `None` when `docker-registry` is not installed (see [`crate::missing`]:
    /// under CI that fails the test).
    #[track_caller]
    pub fn start(setup: Setup) -> Option<LocalRegistry> {
        if crate::on_path(PROGRAM).is_none() {
            crate::missing(&format!(
                "`{PROGRAM}` is not on the PATH (Debian package docker-registry)"
            ));
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut registry = LocalRegistry {
            child: None,
            dir,
            addr: String::new(),
            setup,
        };
        if setup.tls {
            registry.make_certificates();
        }
        if let Some((user, password)) = setup.login {
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            std::fs::write(
                registry.dir.path().join("htpasswd"),
                format!("{user}:{hash}\n"),
            )
            .unwrap();
        }
        // Another test may take the port between our probe and the registry's bind: try a few.
        for _ in 0..5 {
            if registry.launch() {
                return Some(registry);
            }
        }
        panic!("{PROGRAM} did not start; its log:\n{}", registry.log());
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// The CA certificate (PEM) that signed the server's certificate, for `--ca-file`.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Where the registry keeps its blobs and manifests.
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The file in storage holding the blob `digest`.
    pub fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// `oci://<addr>/<path>`.
    pub fn reference(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.addr)
    }

    /// Stops the registry (it can be started again with [`LocalRegistry::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the stopped registry again on the same port and storage.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the registry is running");
        assert!(self.spawn(), "{PROGRAM} did not restart:\n{}", self.log());
    }

    /// A plain-HTTP request to the registry (not for the TLS variant).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        assert!(!self.setup.tls, "plain HTTP only");
        crate::http::request(&self.addr, method, path, headers, body)
    }

    /// Uploads `blob` to `repo` (monolithic upload) and returns its digest.
    pub fn upload_blob(&self, repo: &str, blob: &[u8]) -> String {
        let digest = crate::sha256(blob);
        let started = self.request("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], b"");
        assert_eq!(started.status, 202, "{started:?}");
        let location = started.header("location").expect("a Location header");
        let path = location
            .strip_prefix(&format!("http://{}", self.addr))
            .unwrap_or(location);
        let sep = if path.contains('?') { '&' } else { '?' };
        let done = self.request(
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            blob,
        );
        assert_eq!(done.status, 201, "{done:?}");
        digest
    }

    fn launch(&mut self) -> bool {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        self.addr = format!("127.0.0.1:{port}");
        self.spawn()
    }

    /// Writes the config and runs the registry; true once it answers.
    fn spawn(&mut self) -> bool {
        let dir = self.dir.path();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {}\n",
            self.storage().display(),
            self.addr
        );
        if self.setup.tls {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.join("server.pem").display(),
                dir.join("server.key").display()
            ));
        }
        if self.setup.login.is_some() {
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: weld-test\n    path: {}\n",
                dir.join("htpasswd").display()
            ));
        }
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.join("log")).unwrap();
        let mut child = Command::new(PROGRAM)
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if TcpStream::connect(&self.addr).is_ok() {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// A CA, and a server certificate for 127.0.0.1 and localhost that it signed (openssl, EC P-256).
    fn make_certificates(&self) {
        let dir = self.dir.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("run openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem"],
            ]
            .concat()
            .into_iter()
            .chain(["-days", "2", "-subj", "/CN=weld test CA"])
            .collect::<Vec<_>>(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &["-keyout", "server.key", "-out", "server.csr"],
            ]
            .concat()
            .into_iter()
            .chain(["-subj", "/CN=localhost"])
            .collect::<Vec<_>>(),
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
    }

    /// The directory of this registry's files, for tests that need a scratch place beside it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

//! `weld push`, `weld pull` and `oci://` references, against a real registry (Debian's docker-registry, started
//! per test on a free 127.0.0.1 port; see `crate::util::registry`).

use crate::util::fault::{Fault, FaultProxy};
use crate::util::registry::{LocalRegistry, Setup};
use crate::util::{
    Run, core_fixture, fixture, missing, on_path, sha256, weld_bin, weld_with, weld_with_stdin,
};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A user of weld: their own content cache and docker config directory, no credentials from the test's
/// environment.
pub(crate) struct User {
    home: tempfile::TempDir,
}

impl User {
    pub(crate) fn new() -> User {
        User {
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn cache(&self) -> PathBuf {
        self.home.path().join("cache")
    }

    pub(crate) fn docker(&self) -> PathBuf {
        self.home.path().join("docker")
    }

    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(weld_bin());
        cmd.env("WELD_CACHE_DIR", self.cache())
            .env("DOCKER_CONFIG", self.docker())
            .env_remove("WELD_REGISTRY_USERNAME")
            .env_remove("WELD_REGISTRY_PASSWORD")
            .env_remove("WELD_VERIFY_KEYS")
            .env_remove("WELD_KEY_PASSWORD")
            .env_remove("COSIGN_PASSWORD");
        cmd
    }

    pub(crate) fn weld(&self, args: &[&str]) -> Run {
        weld_with(self.command(), args)
    }

    /// `weld ARGS` with the environment variables `vars` set.
    pub(crate) fn weld_env(&self, vars: &[(&str, &str)], args: &[&str]) -> Run {
        let mut cmd = self.command();
        cmd.envs(vars.iter().copied());
        weld_with(cmd, args)
    }

    /// `weld ARGS` with `input` on stdin.
    pub(crate) fn weld_stdin(&self, args: &[&str], input: &str) -> Run {
        weld_with_stdin(self.command(), args, input.as_bytes())
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
}

pub(crate) fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The digest line of `weld push`.
pub(crate) fn pushed_digest(run: &Run) -> String {
    let out = run.ok();
    out.lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest in:\n{out}"))
        .to_owned()
}

#[test]
fn push_then_pull_gives_identical_bytes_by_tag_and_by_digest() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let r = registry.reference("demo/greeter:1.0.0");
    let push = user.weld(&["push", s(&greeter), &r]);
    let digest = pushed_digest(&push);
    assert!(
        push.stdout().contains(&format!("to {}", &r[6..])),
        "{}",
        push.stdout()
    );

    let by_tag = user.path("by-tag.wasm");
    let pull = user.weld(&["pull", &r, "-o", s(&by_tag)]).ok();
    assert!(
        pull.contains(&digest) && pull.contains("downloaded"),
        "{pull}"
    );
    assert_eq!(
        std::fs::read(&by_tag).unwrap(),
        std::fs::read(&greeter).unwrap()
    );

    // By digest, with a fresh cache, so the bytes come from the registry again.
    let other = User::new();
    let by_digest = other.path("by-digest.wasm");
    let pinned = registry.reference(&format!("demo/greeter@{digest}"));
    let json = other
        .weld(&["pull", &pinned, "-o", s(&by_digest), "--json"])
        .json();
    assert_eq!(json["digest"], digest.as_str());
    assert_eq!(
        json["component-digest"],
        sha256(&std::fs::read(&greeter).unwrap()).as_str()
    );
    assert_eq!(
        std::fs::read(&by_digest).unwrap(),
        std::fs::read(&greeter).unwrap()
    );

    // Without -o the file is named after the repository; pushing again uploads nothing new.
    let again = user.weld(&["push", s(&greeter), &r]).ok();
    assert!(again.contains("already there"), "{again}");
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = user.command();
    cmd.current_dir(cwd.path());
    weld_with(cmd, ["pull", r.as_str()]).ok();
    assert!(cwd.path().join("greeter.wasm").is_file());
}

#[test]
fn two_pulls_of_one_digest_at_once_both_succeed() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let digest =
        pushed_digest(&user.weld(&["push", s(&greeter), &registry.reference("demo/greeter:1.0")]));
    let pinned = registry.reference(&format!("demo/greeter@{digest}"));
    let outs = [user.path("a.wasm"), user.path("b.wasm")];
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = outs
            .iter()
            .map(|out| scope.spawn(|| user.weld(&["pull", &pinned, "-o", s(out)])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (run, out) in runs.iter().zip(&outs) {
        run.ok();
        assert_eq!(
            std::fs::read(out).unwrap(),
            std::fs::read(&greeter).unwrap()
        );
    }
    // The cache holds sound entries and no leftovers; a later pull needs no network.
    let tmp = user.cache().join("oci/tmp");
    assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
    let again = user
        .weld(&["pull", &pinned, "-o", s(&user.path("c.wasm"))])
        .ok();
    assert!(again.contains("from the cache"), "{again}");
}

#[test]
fn the_registry_holds_a_standard_wasm_artifact() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let r = registry.reference("demo/greeter:1.2.3");
    pushed_digest(&user.weld(&[
        "push",
        s(&greeter),
        &r,
        "--annotation",
        "org.opencontainers.image.source=https://example.invalid/greeter",
    ]));
    let manifest = registry.request(
        "GET",
        "/v2/demo/greeter/manifests/1.2.3",
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        b"",
    );
    assert_eq!(manifest.status, 200, "{manifest:?}");
    assert_eq!(
        manifest.header("content-type"),
        Some("application/vnd.oci.image.manifest.v1+json")
    );
    let m = manifest.json();
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], "application/wasm");
    let bytes = std::fs::read(&greeter).unwrap();
    assert_eq!(layers[0]["digest"], sha256(&bytes).as_str());
    assert_eq!(layers[0]["size"], bytes.len());
    let annotations = &m["annotations"];
    assert_eq!(annotations["org.opencontainers.image.version"], "1.2.3");
    assert_eq!(
        annotations["org.opencontainers.image.source"],
        "https://example.invalid/greeter"
    );
    assert!(annotations["org.opencontainers.image.created"].is_string());

    let config = registry.request(
        "GET",
        &format!(
            "/v2/demo/greeter/blobs/{}",
            m["config"]["digest"].as_str().unwrap()
        ),
        &[],
        b"",
    );
    assert_eq!(config.status, 200);
    let c = config.json();
    assert_eq!(c["architecture"], "wasm");
    assert_eq!(c["os"], "wasip2");
    assert_eq!(c["layerDigests"], serde_json::json!([sha256(&bytes)]));
    assert_eq!(
        c["component"]["exports"],
        serde_json::json!(["weld:examples/greeter@1.0.0"])
    );
    assert_eq!(c["component"]["imports"], serde_json::json!([]));
    assert_eq!(
        c["created"],
        annotations["org.opencontainers.image.created"]
    );
}

#[test]
fn compose_run_inspect_and_wit_take_registry_references() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let (app, greeter) = (fixture("app"), fixture("greeter"));
    let app_ref = registry.reference("demo/app:1.0");
    let greeter_ref = registry.reference("demo/greeter:1.0");
    user.weld(&["push", s(&app), &app_ref]).ok();
    let greeter_digest = pushed_digest(&user.weld(&["push", s(&greeter), &greeter_ref]));

    let from_files = user.path("files.wasm");
    user.weld(&["compose", s(&app), "-p", s(&greeter), "-o", s(&from_files)])
        .ok();
    let from_refs = user.path("refs.wasm");
    let out = user
        .weld(&["compose", &app_ref, "-p", &greeter_ref, "-o", s(&from_refs)])
        .ok();
    assert!(
        out.contains(&format!("pulled {greeter_ref} {greeter_digest}")),
        "{out}"
    );
    assert!(out.contains(&format!("<- {greeter_ref}")), "{out}");
    assert_eq!(
        std::fs::read(&from_refs).unwrap(),
        std::fs::read(&from_files).unwrap()
    );

    // A compose file mixing a path and a reference, and --wire by the repository's name.
    let toml = user.path("weld.toml");
    std::fs::write(
        &toml,
        format!(
            "root = \"app\"\noutput = \"from-file.wasm\"\n[components]\napp = \"{}\"\ngreeter = \"{greeter_ref}\"\n",
            s(&app)
        ),
    )
    .unwrap();
    user.weld(&["compose", "-c", s(&toml)]).ok();
    assert_eq!(
        std::fs::read(user.path("from-file.wasm")).unwrap(),
        std::fs::read(&from_files).unwrap()
    );
    let wired = user.path("wired.wasm");
    user.weld(&[
        "compose",
        &app_ref,
        "-p",
        &greeter_ref,
        "--wire",
        "weld:examples/greeter=greeter",
        "-o",
        s(&wired),
    ])
    .ok();

    // The composition runs; so does a command straight from the registry.
    let composed_ref = registry.reference("demo/hello-composed:1.0");
    user.weld(&["push", s(&from_refs), &composed_ref]).ok();
    let run = user.weld(&["run", "-v", &composed_ref]);
    assert_eq!(run.ok(), "Hello, world!\n");
    assert!(run.stderr().contains("pulled "), "{}", run.stderr());

    let inspect = user.weld(&["inspect", &greeter_ref]).ok();
    assert!(
        inspect.starts_with(&format!("{greeter_ref}: component")),
        "{inspect}"
    );
    assert!(
        inspect.contains("greet: func(name: string) -> string"),
        "{inspect}"
    );
    let wit = user.weld(&["wit", &greeter_ref]).ok();
    assert!(wit.contains("export weld:examples/greeter@1.0.0;"), "{wit}");
    let validated = user.weld(&["validate", &greeter_ref, s(&app)]).ok();
    assert!(
        validated.contains(&format!("ok      {greeter_ref}  component")),
        "{validated}"
    );
    let missing = user.weld(&["validate", &registry.reference("demo/none:1.0")]);
    assert!(
        missing.fails_output().contains("not found"),
        "{}",
        missing.stdout()
    );
}

#[test]
fn cached_content_serves_when_the_registry_is_down() {
    let Some(mut registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let hello = fixture("hello");
    let r = registry.reference("demo/hello:1.0");
    let digest = pushed_digest(&user.weld(&["push", s(&hello), &r]));
    user.weld(&["pull", &r, "-o", s(&user.path("first.wasm"))])
        .ok();
    registry.stop();

    // A digest needs no network once cached.
    let pinned = registry.reference(&format!("demo/hello@{digest}"));
    let out = user
        .weld(&["pull", &pinned, "-o", s(&user.path("pinned.wasm"))])
        .ok();
    assert!(out.contains("from the cache"), "{out}");
    assert_eq!(
        std::fs::read(user.path("pinned.wasm")).unwrap(),
        std::fs::read(&hello).unwrap()
    );
    // A tag falls back to what it last resolved to, and says so.
    let run = user.weld(&["run", "-v", &r, "world"]);
    assert!(run.ok().contains("arg: world"), "{}", run.stdout());
    assert!(
        run.stderr().contains("registry unreachable") && run.stderr().contains(&digest),
        "{}",
        run.stderr()
    );
    // Every command says when it falls back, -v or not.
    let inspect = user.weld(&["inspect", &r]);
    assert!(inspect.ok().contains("component"));
    assert!(
        inspect.stderr().contains("warning: pulled")
            && inspect.stderr().contains("registry unreachable"),
        "{}",
        inspect.stderr()
    );
    // What was never pulled cannot be had.
    let err = user
        .weld(&["pull", &registry.reference("demo/other:1.0")])
        .fails();
    assert!(
        err.contains(&format!("cannot reach registry {}", registry.addr)),
        "{err}"
    );
    // A damaged cache entry is noticed and not used.
    let blobs = user.cache().join("oci/blobs/sha256");
    for entry in std::fs::read_dir(&blobs).unwrap() {
        let path = entry.unwrap().path();
        std::fs::write(&path, b"garbage").unwrap();
    }
    let err = user
        .weld(&["pull", &pinned, "-o", s(&user.path("bad.wasm"))])
        .fails();
    assert!(err.contains("cannot reach registry"), "{err}");
    assert!(!user.path("bad.wasm").exists());
    registry.restart();
    user.weld(&["pull", &pinned, "-o", s(&user.path("again.wasm"))])
        .ok();
    assert_eq!(
        std::fs::read(user.path("again.wasm")).unwrap(),
        std::fs::read(&hello).unwrap()
    );
}

#[test]
fn a_blob_corrupted_in_the_registry_is_caught_and_nothing_is_written() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let r = registry.reference("demo/greeter:1.0");
    user.weld(&["push", s(&greeter), &r]).ok();
    let layer = sha256(&std::fs::read(&greeter).unwrap());
    let stored = registry.blob_file(&layer);
    let mut bytes = std::fs::read(&stored).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&stored, bytes).unwrap();

    let out = user.path("greeter.wasm");
    let err = user.weld(&["pull", &r, "-o", s(&out)]).fails();
    assert!(
        err.contains(&format!("the layer {layer} failed verification"))
            && err.contains("nothing was written"),
        "{err}"
    );
    assert!(!out.exists());
    let tmp = user.cache().join("oci/tmp");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "a failed download leaves no temporary file");
}

#[test]
fn push_refuses_what_is_not_a_component() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let core = core_fixture(user.home.path(), "greeter");
    let text = user.path("notes.wasm");
    std::fs::write(&text, "not wasm at all").unwrap();
    for (file, why) in [
        (&core, "a core module, not a component"),
        (&text, "notes.wasm"),
    ] {
        let err = user
            .weld(&["push", s(file), &registry.reference("demo/bad:1.0")])
            .fails();
        assert!(err.contains(why), "{err}");
    }
    let tags = registry.request("GET", "/v2/demo/bad/tags/list", &[], b"");
    assert_eq!(tags.status, 404, "nothing was tagged: {tags:?}");
}

#[test]
fn errors_name_the_registry_and_the_reference() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    user.weld(&[
        "push",
        s(&fixture("greeter")),
        &registry.reference("demo/greeter:1.0"),
    ])
    .ok();
    let addr = &registry.addr;

    let err = user
        .weld(&["pull", &registry.reference("demo/greeter:9.9")])
        .fails();
    assert!(
        err.contains(&format!(
            "{addr}/demo/greeter:9.9: not found in registry {addr}"
        )),
        "{err}"
    );
    let err = user
        .weld(&["pull", &registry.reference("demo/nothing:1.0")])
        .fails();
    assert!(err.contains("not found"), "{err}");

    // An ordinary container image.
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = registry.upload_blob("library/alpine", config);
    let layer_digest = registry.upload_blob("library/alpine", b"a tarball");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": 9}],
    });
    let put = registry.request(
        "PUT",
        "/v2/library/alpine/manifests/3",
        &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
        manifest.to_string().as_bytes(),
    );
    assert_eq!(put.status, 201, "{put:?}");
    let out = user.path("alpine.wasm");
    let err = user
        .weld(&[
            "pull",
            &registry.reference("library/alpine:3"),
            "-o",
            s(&out),
        ])
        .fails();
    assert!(
        err.contains(&format!(
            "{addr}/library/alpine:3 is not a WebAssembly artifact"
        )) && err.contains("container image"),
        "{err}"
    );
    assert!(!out.exists());

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = user
        .weld(&["pull", &format!("oci://127.0.0.1:{port}/demo/greeter:1.0")])
        .fails();
    assert!(
        err.contains(&format!(
            "cannot reach registry 127.0.0.1:{port} (http://127.0.0.1:{port}/v2/)"
        )),
        "{err}"
    );
    // Bad references are usage errors (exit 2), not network errors.
    let run = user.weld(&["pull", "oci://localhost:5000/Demo/x:1"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("is not a repository name"),
        "{}",
        run.stderr()
    );
}

#[test]
fn credentials_and_tls_with_a_private_ca() {
    let Some(registry) = LocalRegistry::start(Setup {
        tls: true,
        login: Some(("weld", "s3cret")),
    }) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let r = registry.reference("team/greeter:1.0");
    let ca = registry.ca();
    let addr = &registry.addr;

    // Without --ca-file a loopback registry is spoken to in plain HTTP, which this one refuses.
    let err = user.weld(&["push", s(&greeter), &r]).fails();
    assert!(
        err.contains(&format!("registry {addr}: HTTP 400"))
            && err.contains("plain HTTP is spoken to a loopback registry unless a CA is given"),
        "{err}"
    );
    // `weld push` trusting `ca_file`, and with `--username weld` and `password` on stdin if one is given.
    let push = |ca_file: &Path, password: Option<&str>| {
        let mut args = vec!["push", s(&greeter), &r, "--ca-file", s(ca_file)];
        match password {
            Some(password) => {
                args.extend(["--username", "weld", "--password-stdin"]);
                user.weld_stdin(&args, password)
            }
            None => user.weld(&args),
        }
    };
    // HTTPS trusting the wrong certificate, and a CA file that is not one.
    let err = push(&registry.dir().join("server.pem"), None).fails();
    assert!(
        err.contains(&format!("TLS with registry {addr} failed")) && err.contains("--ca-file"),
        "{err}"
    );
    let err = push(&registry.dir().join("ca.key"), None).fails();
    assert!(err.contains("not a PEM certificate"), "{err}");

    // No credentials, then wrong ones: 401, named.
    let err = push(&ca, None).fails();
    assert!(
        err.contains(&format!(
            "registry {addr} refused {addr}/team/greeter:1.0: 401"
        )) && err.contains("no credentials were given")
            && err.contains("--password-stdin"),
        "{err}"
    );
    let err = push(&ca, Some("wrong\n")).fails();
    assert!(
        err.contains("401")
            && err.contains("sent user `weld` from --username, which it did not accept"),
        "{err}"
    );

    // The right ones, three ways.
    push(&ca, Some("s3cret\n")).ok();
    let mut cmd = user.command();
    cmd.env("WELD_REGISTRY_USERNAME", "weld")
        .env("WELD_REGISTRY_PASSWORD", "s3cret");
    let env_out = user.path("env.wasm");
    weld_with(
        cmd,
        ["pull", r.as_str(), "--ca-file", s(&ca), "-o", s(&env_out)],
    )
    .ok();
    assert_eq!(
        std::fs::read(&env_out).unwrap(),
        std::fs::read(&greeter).unwrap()
    );

    std::fs::create_dir_all(user.docker()).unwrap();
    // base64("weld:s3cret")
    std::fs::write(
        user.docker().join("config.json"),
        format!(r#"{{"auths":{{"{addr}":{{"auth":"d2VsZDpzM2NyZXQ="}}}}}}"#),
    )
    .unwrap();
    let fresh = User::new();
    std::fs::create_dir_all(fresh.docker()).unwrap();
    std::fs::copy(
        user.docker().join("config.json"),
        fresh.docker().join("config.json"),
    )
    .unwrap();
    fresh
        .weld(&[
            "pull",
            &r,
            "--ca-file",
            s(&ca),
            "-o",
            s(&fresh.path("docker.wasm")),
        ])
        .ok();

    // A credential helper named by credsStore.
    let helpers = tempfile::tempdir().unwrap();
    let helper = helpers.path().join("docker-credential-weldtest");
    std::fs::write(
        &helper,
        "#!/bin/sh\nread server\n[ \"$1\" = get ] || exit 1\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"weld\",\"Secret\":\"s3cret\"}' \"$server\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let helped = User::new();
    std::fs::create_dir_all(helped.docker()).unwrap();
    std::fs::write(
        helped.docker().join("config.json"),
        r#"{"credsStore":"weldtest"}"#,
    )
    .unwrap();
    let mut cmd = helped.command();
    let path = format!(
        "{}:{}",
        helpers.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path);
    weld_with(
        cmd,
        [
            "pull",
            r.as_str(),
            "--ca-file",
            s(&ca),
            "-o",
            s(&helped.path("helper.wasm")),
        ],
    )
    .ok();
    assert_eq!(
        std::fs::read(helped.path("helper.wasm")).unwrap(),
        std::fs::read(&greeter).unwrap()
    );
}

#[test]
fn wkg_reads_what_weld_pushes_and_the_other_way_round() {
    let Some(wkg) = on_path("wkg") else {
        missing("wkg is not on the PATH (`cargo install wkg`)");
        return;
    };
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let app = fixture("app");
    let addr = registry.addr.clone();
    let plain = format!("{addr}/demo/greeter:1.0");
    user.weld(&["push", s(&greeter), &plain]).ok();
    let wkg_out = user.path("wkg-pulled.wasm");
    let status = Command::new(&wkg)
        .args([
            "oci",
            "pull",
            "--insecure",
            &addr,
            &plain,
            "-o",
            s(&wkg_out),
        ])
        .env("DOCKER_CONFIG", user.docker())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read(&wkg_out).unwrap(),
        std::fs::read(&greeter).unwrap()
    );

    let by_wkg = format!("{addr}/demo/app:2.0");
    let status = Command::new(&wkg)
        .args(["oci", "push", "--insecure", &addr, &by_wkg, s(&app)])
        .env("DOCKER_CONFIG", user.docker())
        .status()
        .unwrap();
    assert!(status.success());
    let out = user.path("weld-pulled.wasm");
    user.weld(&["pull", &by_wkg, "-o", s(&out)]).ok();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&app).unwrap());
}

#[test]
fn registry_faults_are_retried_or_reported_and_leave_nothing_half_done() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let big = user.path("big.wasm");
    std::fs::write(&big, weld_fixtures::large_component(3 << 20).unwrap()).unwrap();
    let via = |proxy: &FaultProxy, path: &str| format!("oci://{}/{path}", proxy.addr);

    // 500s on the first connections: retried with pauses, then the push and the pull go through.
    let flaky = FaultProxy::start(&registry.addr, Fault::Fail500(2));
    user.weld(&["push", s(&big), &via(&flaky, "demo/big:1.0")])
        .ok();
    let flaky = FaultProxy::start(&registry.addr, Fault::Fail500(2));
    let pulled = user.path("pulled.wasm");
    user.weld(&["pull", &via(&flaky, "demo/big:1.0"), "-o", s(&pulled)])
        .ok();
    assert_eq!(
        std::fs::read(&pulled).unwrap(),
        std::fs::read(&big).unwrap()
    );

    // 500s for good: a bounded number of tries, then a message that says so.
    let broken = FaultProxy::start(&registry.addr, Fault::Fail500(usize::MAX));
    let err = User::new()
        .weld(&["pull", &via(&broken, "demo/big:1.0")])
        .fails();
    assert!(
        err.contains(&format!(
            "registry {} answered 500 (after 3 attempts)",
            broken.addr
        )),
        "{err}"
    );

    // The registry dies in the middle of a pull: an error, no output, nothing left in the cache's tmp/.
    let dying = FaultProxy::start(&registry.addr, Fault::CutResponsesAfter(1 << 20));
    let fresh = User::new();
    let out = fresh.path("big.wasm");
    let err = fresh
        .weld(&["pull", &via(&dying, "demo/big:1.0"), "-o", s(&out)])
        .fails();
    assert!(err.contains(&dying.addr), "{err}");
    assert!(!out.exists());
    let tmp = fresh.cache().join("oci/tmp");
    assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);

    // A registry that takes requests and never answers: each read gives up after WELD_REGISTRY_TIMEOUT, a
    // bounded number of times, and the command ends.
    let hung = FaultProxy::start(&registry.addr, Fault::Stall);
    let mut cmd = User::new().command();
    cmd.env("WELD_REGISTRY_TIMEOUT", "1s");
    let started = std::time::Instant::now();
    let err = weld_with(cmd, ["pull", via(&hung, "demo/big:1.0").as_str()]).fails();
    assert!(
        err.contains(&hung.addr) && err.contains("timed out"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    // ... and in the middle of a push: an error, and no tag on the registry.
    let dying = FaultProxy::start(&registry.addr, Fault::CutRequestsAfter(1 << 20));
    let err = user
        .weld(&["push", s(&big), &via(&dying, "demo/half:1.0")])
        .fails();
    assert!(err.contains(&dying.addr), "{err}");
    let tags = registry.request("GET", "/v2/demo/half/tags/list", &[], b"");
    assert_eq!(tags.status, 404, "no tag after a failed push: {tags:?}");
}

/// Regression: errors were classed as TLS by searching their text for "tls", and the text holds the URL, so a
/// registry that hangs up on `acme/mtls-proxy` was reported as a TLS failure with TLS hints, not retried, and
/// its cached tag was not used. A connection closed unanswered is the registry out of reach, whatever the
/// repository is called.
#[test]
fn a_closed_connection_is_unreachable_even_in_a_repository_named_mtls() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let hello = fixture("hello");
    let proxy = FaultProxy::start(&registry.addr, Fault::Forward);
    let via = |path: &str| format!("oci://{}/{path}", proxy.addr);
    for repo in ["acme/mtls-proxy:1", "acme/plain:1"] {
        user.weld(&["push", s(&hello), &via(repo)]).ok();
        user.weld(&["pull", &via(repo), "-o", s(&user.path("first.wasm"))])
            .ok();
    }
    proxy.set(Fault::Close);
    for repo in ["acme/mtls-proxy", "acme/plain"] {
        // Pulled before: the cached tag stands in, with a warning that says why.
        let before = proxy.connections();
        let run = user.weld(&[
            "pull",
            &via(&format!("{repo}:1")),
            "-o",
            s(&user.path("again.wasm")),
        ]);
        // `weld pull` says where the content came from on stdout.
        let err = run.ok() + &run.stderr();
        assert!(err.contains("registry unreachable"), "{repo}: {err}");
        assert!(
            !err.contains("TLS") && !err.contains("--ca-file"),
            "{repo}: {err}"
        );
        assert!(
            proxy.connections() - before >= 3,
            "{repo}: tried again before giving up"
        );
        // Never pulled: the error says the registry is out of reach.
        let err = user.weld(&["pull", &via(&format!("{repo}:2"))]).fails();
        assert!(
            err.contains(&format!("cannot reach registry {}", proxy.addr)),
            "{repo}: {err}"
        );
        assert!(
            !err.contains("TLS") && !err.contains("--ca-file"),
            "{repo}: {err}"
        );
    }
}

/// Regression (wkg#238 in kind): the `application/wasm` layer had no `org.opencontainers.image.title`, so `oras
/// pull` skipped it (the Go CLI) or wrote it under its digest (oras-py). It is titled with the pushed file's name,
/// and oras writes that file.
#[test]
fn oras_pulls_what_weld_pushes_under_the_file_name() {
    const PULL: &str = "import os, sys, oras.client\n\
        for f in oras.client.OrasClient(insecure=True).pull(target=sys.argv[1], outdir=sys.argv[2]):\n\
        \x20   print(os.path.basename(f))\n";
    let has_oras = Command::new("python3")
        .args(["-c", "import oras.client"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !has_oras {
        missing("oras-py is not importable by python3 (pip install oras)");
        return;
    }
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = user.path("my-greeter.wasm");
    std::fs::copy(fixture("greeter"), &greeter).unwrap();
    let r = registry.reference("demo/greeter:1.0.0");
    user.weld(&["push", s(&greeter), &r]).ok();
    let out = user.path("oras-out");
    let pulled = Command::new("python3")
        .args(["-c", PULL, r.trim_start_matches("oci://"), s(&out)])
        .output()
        .unwrap();
    assert!(
        pulled.status.success(),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&pulled.stdout).trim(),
        "my-greeter.wasm"
    );
    assert_eq!(
        std::fs::read(out.join("my-greeter.wasm")).unwrap(),
        std::fs::read(&greeter).unwrap()
    );
}

#[test]
fn a_pull_downloads_no_more_than_its_size_cap_nor_than_the_manifest_declares() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = fixture("greeter");
    let bytes = std::fs::read(&greeter).unwrap();
    let r = registry.reference("demo/greeter:1.0");
    user.weld(&["push", s(&greeter), &r]).ok();
    let hex = sha256(&bytes).trim_start_matches("sha256:").to_owned();
    // No output, no temporary file, no layer in the cache.
    let nothing_left = |user: &User, out: &Path| {
        assert!(!out.exists());
        let tmp = user.cache().join("oci/tmp");
        assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0);
        assert!(!user.cache().join("oci/blobs/sha256").join(&hex).exists());
    };

    // Over --max-size: refused from the manifest, before the layer is fetched.
    let fresh = User::new();
    let out = fresh.path("greeter.wasm");
    let err = fresh
        .weld(&["pull", &r, "--max-size", "1KiB", "-o", s(&out)])
        .fails();
    let size = bytes.len();
    assert!(
        err.contains(&format!(
            "its layer is {size} bytes, over the cap of 1024 bytes"
        )) && err.contains(&format!("--max-size {size}")),
        "{err}"
    );
    nothing_left(&fresh, &out);

    // A manifest that declares a 1 TB layer: refused under the default cap (1 GiB), nothing downloaded.
    let layer = registry.upload_blob("demo/huge", &bytes);
    let config = registry.upload_blob("demo/huge", b"{}");
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/wasm", "digest": layer, "size": 1_000_000_000_000u64}],
    });
    let put = registry.request(
        "PUT",
        "/v2/demo/huge/manifests/1.0",
        &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
        manifest.to_string().as_bytes(),
    );
    assert_eq!(put.status, 201, "{put:?}");
    let fresh = User::new();
    let out = fresh.path("huge.wasm");
    let err = fresh
        .weld(&["pull", &registry.reference("demo/huge:1.0"), "-o", s(&out)])
        .fails();
    assert!(
        err.contains("its layer is 1000000000000 bytes, over the cap of 1073741824 bytes"),
        "{err}"
    );
    nothing_left(&fresh, &out);

    // A registry that sends more than the manifest declares: the download stops there, nothing is kept.
    let stored = registry.blob_file(&sha256(&bytes));
    let mut longer = bytes.clone();
    longer.extend(std::iter::repeat_n(0u8, 1 << 20));
    std::fs::write(&stored, longer).unwrap();
    let fresh = User::new();
    let out = fresh.path("greeter.wasm");
    let err = fresh.weld(&["pull", &r, "-o", s(&out)]).fails();
    assert!(
        err.contains(&format!(
            "the layer is longer than the {size} bytes its manifest says"
        )) || err.contains("failed verification"),
        "{err}"
    );
    nothing_left(&fresh, &out);
}

/// Regression (shared case 19): what oras pushes (`oras push REF app.wasm:application/wasm`: oras-py's config,
/// or oras 1.x's empty config with an artifact type) and the older Wasm layout were refused as "not a
/// WebAssembly artifact".
#[test]
fn components_pushed_by_oras_runwasi_or_in_the_older_wasm_layout_are_pulled_and_container_images_are_not()
 {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let greeter = fixture("greeter");
    let bytes = std::fs::read(&greeter).unwrap();
    let layer = registry.upload_blob("demo/other", &bytes);
    let config = registry.upload_blob("demo/other", b"{}");
    let kinds = [
        (
            "oras-py",
            "application/vnd.unknown.config.v1+json",
            "application/wasm",
            None,
        ),
        (
            "oras-1x",
            "application/vnd.oci.empty.v1+json",
            "application/wasm",
            Some("application/vnd.unknown.artifact.v1"),
        ),
        (
            "legacy",
            "application/vnd.wasm.config.v1+json",
            "application/vnd.wasm.content.layer.v1+wasm",
            None,
        ),
        (
            "runwasi",
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
            None,
        ),
        (
            "container",
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            None,
        ),
    ];
    for (tag, config_type, layer_type, artifact_type) in kinds {
        let mut manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": config_type, "digest": config, "size": 2},
            "layers": [{
                "mediaType": layer_type, "digest": layer, "size": bytes.len(),
                "annotations": {"org.opencontainers.image.title": "greeter.wasm"},
            }],
        });
        if let Some(artifact_type) = artifact_type {
            manifest["artifactType"] = artifact_type.into();
        }
        let put = registry.request(
            "PUT",
            &format!("/v2/demo/other/manifests/{tag}"),
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            manifest.to_string().as_bytes(),
        );
        assert_eq!(put.status, 201, "{put:?}");
        let user = User::new();
        let out = user.path("pulled.wasm");
        let r = registry.reference(&format!("demo/other:{tag}"));
        let pull = user.weld(&["pull", &r, "-o", s(&out)]);
        if tag == "container" {
            // A real container image is still refused, with the reason.
            let err = pull.fails();
            assert!(
                err.contains("container image") && err.contains("tar+gzip"),
                "{err}"
            );
            assert!(!out.exists());
            continue;
        }
        pull.ok();
        assert_eq!(std::fs::read(&out).unwrap(), bytes, "{tag}");
        // A config other than the Wasm layout's (current or older) is pulled with a warning.
        let warned = pull.stderr().contains(&format!(
            "its config is {config_type}, not the Wasm artifact's"
        ));
        assert_eq!(warned, tag != "legacy", "{tag}: {}", pull.stderr());
    }
}

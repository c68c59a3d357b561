//! The shim under a real containerd (Debian's, started here as root with its own folders and socket, stopped at
//! the end): components pushed to a real registry (Debian's docker-registry) are pulled by containerd, and each
//! container is created as Kubernetes' CRI creates one (a snapshot, then a container record naming the image, the
//! runtime and the spec, through containerd's API), then started with `ctr task start`.

mod harness;

use harness::{Containerd, RUNTIME, Volume};
use std::time::{Duration, Instant};

#[test]
fn a_pushed_command_runs_as_the_containers_process_with_the_specs_args_and_env() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let image = ctd.push("hello");
    let out = ctd.run(
        "args-env",
        &image,
        &["hello.wasm", "one", "two"],
        &["WELD_NAME=containerd"],
        &[],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout, "hello from weld\narg: one\narg: two\nWELD_NAME=containerd\n",
        "{out:?}"
    );
    // The first container compiled the component into containerd's content store, the image's manifest labelled
    // with where, so that the next containers of the image start from the compiled code.
    let content = String::from_utf8_lossy(&ctd.ctr(&["content", "ls"]).stdout).into_owned();
    assert!(
        content.contains("runwasi.io/precompiled/weld/"),
        "{content}"
    );
    // containerd itself runs with WELD_NAME=from-the-node: nothing of the node's environment reaches the guest.
    let out = ctd.run("no-env", &image, &["hello.wasm", "fail"], &[], &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "hello from weld\narg: fail\n", "{out:?}");
}

#[test]
fn a_mount_of_the_spec_is_granted_read_only_where_it_is_and_nothing_else_is() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let image = ctd.push("probe");
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("note.txt"), "inside\n").unwrap();
    let volume = Volume {
        host: data.path(),
        guest: "/data",
        read_only: true,
    };
    let out = ctd.run(
        "read",
        &image,
        &["probe.wasm", "read", "note.txt"],
        &[],
        &[volume],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "inside\n"), "{out:?}");
    let out = ctd.run(
        "write",
        &image,
        &["probe.wasm", "write", "new.txt", "x"],
        &[],
        &[volume],
    );
    assert_ne!(out.code, 0, "{out:?}");
    assert!(!data.path().join("new.txt").exists());
    // Without the mount, no folder: not the container's root, not the node's.
    let out = ctd.run(
        "no-mount",
        &image,
        &["probe.wasm", "read", "note.txt"],
        &[],
        &[],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no preopened directory"), "{out:?}");
}

#[test]
fn the_guests_exit_status_and_welds_errors_are_the_containers() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let image = ctd.push("probe");
    let out = ctd.run("exit", &image, &["probe.wasm", "exit", "7"], &[], &[]);
    assert_eq!(out.code, 7, "{out:?}");
    // The container's memory limit is weld's: a guest that grows past it gets weld's error on the container's
    // stderr and weld's exit status for a memory limit.
    let out = ctd.run_with("grow", &image, &["probe.wasm", "grow"], |spec| {
        spec["linux"]["resources"]["memory"] = serde_json::json!({"limit": 64 << 20})
    });
    assert_eq!(out.code, 125, "{out:?}");
    assert!(out.stderr.contains("weld: error:"), "{out:?}");
    assert!(out.stderr.contains("memory"), "{out:?}");
    // weld's annotations set its other limits: a time limit ends a spinning guest with 124, as `weld run
    // --timeout` does; a memory limit below the container's is weld's.
    let out = ctd.run_with("timeout", &image, &["probe.wasm", "spin"], |spec| {
        spec["annotations"] = serde_json::json!({"weld.dev/timeout": "300ms"})
    });
    assert_eq!(out.code, 124, "{out:?}");
    assert!(out.stderr.contains("weld: error:"), "{out:?}");
    let out = ctd.run_with(
        "annotated-memory",
        &image,
        &["probe.wasm", "grow"],
        |spec| spec["annotations"] = serde_json::json!({"weld.dev/max-memory": "16MiB"}),
    );
    assert_eq!(out.code, 125, "{out:?}");
    assert!(out.stderr.contains("grow past 16MiB"), "{out:?}");
}

#[test]
fn sigterm_stops_a_looping_guest_and_one_blocked_on_stdin_at_once() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let image = ctd.push("probe");
    for (id, command) in [("spin", "spin"), ("blocked", "stdin")] {
        let mut task = ctd.start_detached(id, &image, &["probe.wasm", command]);
        // Regression (review of the guard on execve): the guard's listener must not reach a container, whose
        // process could answer for itself.
        let pid = ctd.task_pid(id);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap();
        let links: Vec<_> = fds
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .collect();
        assert!(
            !links
                .iter()
                .any(|l| l.to_string_lossy().contains("seccomp")),
            "{links:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
        // A signal that arrives before the shim's handler is in place (a loaded machine) is dropped, as for any
        // container's first process: it is sent again until the container ends.
        let asked = Instant::now();
        while !task.ended() && asked.elapsed() < Duration::from_secs(10) {
            ctd.ctr(&["task", "kill", id]);
            std::thread::sleep(Duration::from_millis(200));
        }
        let out = task.wait(Duration::from_secs(10));
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "{id}: {:?}",
            asked.elapsed()
        );
        assert_eq!(out.code, 128 + 15, "{id}: {out:?}");
    }
}

#[test]
fn a_handler_is_served_on_the_containers_network_and_drains_on_sigterm() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let image = ctd.push("handler");
    let task = ctd.start_detached("http", &image, &["handler.wasm"]);
    // The container's own network: its 127.0.0.1:8080 (the default WELD_HTTP_ADDR) is no other test's.
    let pid = ctd.task_pid("http");
    let (root, echoed) = harness::in_network_of(pid, || {
        wait_for_listener("127.0.0.1:8080");
        let root = weld_tests::http::request("127.0.0.1:8080", "GET", "/", &[], b"");
        let echoed =
            weld_tests::http::request("127.0.0.1:8080", "POST", "/echo", &[], b"from a pod");
        (root.status, echoed.body)
    });
    assert_eq!((root, echoed.as_slice()), (200, &b"from a pod"[..]));
    ctd.ctr(&["task", "kill", "http"]);
    let out = task.wait(Duration::from_secs(20));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains("/echo"),
        "the access log is the container's stderr: {out:?}"
    );
    // A handler file in the image's root, compiled in the container and served as compiled, at the address
    // WELD_HTTP_ADDR names.
    let handler = weld_tests::fixture("handler");
    let files = [("srv/handler.wasm", handler.as_path())];
    let args = ["/srv/handler.wasm"];
    let task = ctd.start_detached_with("http-file", "", &args, &files, |spec| {
        spec["process"]["env"] = serde_json::json!(["WELD_HTTP_ADDR=127.0.0.1:9000"]);
    });
    let pid = ctd.task_pid("http-file");
    let status = harness::in_network_of(pid, || {
        wait_for_listener("127.0.0.1:9000");
        weld_tests::http::request("127.0.0.1:9000", "GET", "/", &[], b"").status
    });
    assert_eq!(status, 200);
    ctd.ctr(&["task", "kill", "http-file"]);
    let out = task.wait(Duration::from_secs(20));
    assert_eq!(out.code, 0, "{out:?}");
}

/// Waits up to 30 s for something to listen at `addr`.
fn wait_for_listener(addr: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "nothing listens on {addr}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_component_file_in_an_ordinary_root_file_system_runs_too() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let rootfs = tempfile::tempdir().unwrap();
    std::fs::copy(
        weld_tests::fixture("hello"),
        rootfs.path().join("hello.wasm"),
    )
    .unwrap();
    let out = ctd.run_rootfs("rootfs", RUNTIME, rootfs.path(), &["/hello.wasm", "one"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "hello from weld\narg: one\n"),
        "{out:?}"
    );
}

#[test]
fn a_native_entry_point_is_refused_with_welds_error_but_a_pods_sandbox_runs() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let native = harness::native_hello(work.path()).expect("cc -static builds a native hello");
    // A root file system of files (`ctr run --rootfs`), read where it is.
    let out = ctd.run_rootfs("native", RUNTIME, &native, &["/hello"]);
    assert_eq!(out.code, 255, "{out:?}");
    assert!(
        out.stderr
            .contains("weld: error: the container's entry point `/hello` is a native program"),
        "{out:?}"
    );
    assert_eq!(out.stdout, "", "{out:?}");
    // The pod's sandbox, as the CRI marks it, runs natively: Kubernetes needs its pause container.
    let sandbox = ["--annotation", "io.kubernetes.cri.container-type=sandbox"];
    let out = ctd.run_rootfs_with("sandbox", RUNTIME, &native, &sandbox, &["/hello"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "hello\n"), "{out:?}");
    // A snapshot, as the CRI makes one: the same rule.
    let hello = native.join("hello");
    let files = [("usr/bin/hello", hello.as_path())];
    let out = ctd.run_on(RUNTIME, "snapshot-native", "", &["hello"], &files, |_| {});
    assert!(
        out.code != 0
            && out
                .stderr
                .contains("entry point `hello` is a native program"),
        "{out:?}"
    );
    // Whatever leads to the program: a volume, or a file whose name has the `#` that names a Wasm function.
    let volume = |spec: &mut serde_json::Value| {
        spec["mounts"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "destination": "/tools",
                "type": "bind",
                "source": native,
                "options": ["rbind", "ro"],
            }));
    };
    let out = ctd.run_on(RUNTIME, "volume-native", "", &["/tools/hello"], &[], volume);
    assert!(
        out.code != 0 && out.stderr.contains("`/tools/hello` is a native program"),
        "{out:?}"
    );
    let files = [("app#main", hello.as_path())];
    let out = ctd.run_on(RUNTIME, "hash-native", "", &["/app#main"], &files, |_| {});
    assert!(
        out.code != 0 && out.stderr.contains("`/app#main` is a native program"),
        "{out:?}"
    );
    // A native container created in the server of a running pod sandbox (containerd groups them by the CRI's
    // sandbox-id; containerd 2 creates them there without a `start`): the sandbox's exec was its only one.
    let sleeper = "#include <unistd.h>\nint main(void) { pause(); return 0; }\n";
    let pause =
        harness::native_program(work.path(), "pause", sleeper).expect("cc -static builds pause");
    let started = ctd.ctr(&[
        "run",
        "--detach",
        "--runtime",
        RUNTIME,
        "--rootfs",
        "--annotation",
        "io.kubernetes.cri.container-type=sandbox",
        "--annotation",
        "io.kubernetes.cri.sandbox-id=pod1",
        pause.to_str().unwrap(),
        "pod1",
        "/pause",
    ]);
    assert!(started.status.success(), "{started:?}");
    let member = [
        "--annotation",
        "io.kubernetes.cri.container-type=container",
        "--annotation",
        "io.kubernetes.cri.sandbox-id=pod1",
    ];
    let out = ctd.run_rootfs_with("pod1-app", RUNTIME, &native, &member, &["/hello"]);
    assert!(
        out.code == 255 && out.stderr.contains("`/hello` is a native program"),
        "{out:?}"
    );
    let listed = ctd.ctr(&["task", "ls"]);
    let tasks = String::from_utf8_lossy(&listed.stdout);
    assert!(
        tasks
            .lines()
            .any(|l| l.starts_with("pod1 ") && l.contains("RUNNING")),
        "the sandbox runs on: {tasks}"
    );
    let wasm = weld_tests::fixture("hello");
    let files = [("app/hello.wasm", wasm.as_path())];
    let out = ctd.run_on(
        RUNTIME,
        "snapshot-wasm",
        "",
        &["/app/hello.wasm", "one"],
        &files,
        |_| {},
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "hello from weld\narg: one\n"),
        "{out:?}"
    );
}

#[test]
fn networking_is_granted_only_by_the_specs_annotations() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let image = ctd.push("netprobe");
    let port = weld_tests::http::ok_server().to_string();
    let authority = format!("127.0.0.1:{port}");
    // The node's network (a pod's `hostNetwork`), so that the listener above is in reach, and the annotations.
    let run = |id: &str, args: &[&str], annotations: serde_json::Value| {
        let mut argv = vec!["netprobe.wasm"];
        argv.extend_from_slice(args);
        ctd.run_with(id, &image, &argv, |spec| {
            let namespaces = spec["linux"]["namespaces"].as_array_mut().unwrap();
            namespaces.retain(|ns| ns["type"] != "network");
            spec["annotations"] = annotations;
        })
    };
    let connect = ["connect", "127.0.0.1", port.as_str()];
    let out = run("no-net", &connect, serde_json::json!({}));
    assert!(
        out.stdout.contains("connect: error access-denied"),
        "{out:?}"
    );
    let net = serde_json::json!({"weld.dev/allow-net": "127.0.0.0/8"});
    let out = run("net", &connect, net);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "connect: ok\n"),
        "{out:?}"
    );
    let elsewhere = serde_json::json!({"weld.dev/allow-net": "10.0.0.0/8"});
    let out = run("net-elsewhere", &connect, elsewhere);
    assert!(
        out.stdout.contains("connect: error access-denied"),
        "{out:?}"
    );
    let request = ["http", authority.as_str()];
    let out = run("no-http", &request, serde_json::json!({}));
    assert!(out.stdout.contains("HTTP-request-denied"), "{out:?}");
    let http = serde_json::json!({"weld.dev/allow-http": authority});
    let out = run("http", &request, http);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "http: ok 200\n"),
        "{out:?}"
    );
    // A value that is not weld's syntax refuses the container, naming the annotation.
    let bad = serde_json::json!({"weld.dev/allow-net": "everywhere"});
    let out = run("bad-net", &connect, bad);
    assert!(
        out.code != 0
            && out
                .stderr
                .contains("the annotation `weld.dev/allow-net` is not what weld can take"),
        "{out:?}"
    );
}

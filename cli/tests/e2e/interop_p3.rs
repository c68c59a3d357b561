//! WASI 0.3 components from the real toolchains (`fixtures/interop/p3/`), built by the test and run and served by
//! weld: componentize-py 0.25 commands and HTTP services; jco 1.35's QuickJS backend (componentize-qjs) commands,
//! handlers and async exports; Rust guests of the `wasip3` crate, built with cargo for `wasm32-wasip2`. Where
//! wasmtime 49 is on the PATH it runs the same files, and weld must print what it prints. The toolchains come
//! from PyPI, npm and rustup (`.ci/run` installs them).

use crate::interop::{build, copy_dir};
use crate::serve::{Serving, body};
use crate::util::{Run, missing, on_path, weld_bin, weld_with, workspace_root};
use crate::wasi_p3::wasmtime;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The sources of the fixtures, copied into `dir`, and the folder the components are written to.
fn sources(dir: &Path) -> (PathBuf, PathBuf) {
    let src = dir.join("p3");
    copy_dir(&workspace_root().join("fixtures/interop/p3"), &src);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    (src, out)
}

/// Builds `src/NAME/app.py` against the standard world `world` into `out/NAME.wasm`.
fn python(py: &Path, src: &Path, out: &Path, name: &str, world: &str) -> PathBuf {
    let wasm = out.join(format!("{name}.wasm"));
    let args = [
        "-d",
        "../wit",
        "-w",
        world,
        "componentize",
        "app",
        "-o",
        wasm.to_str().unwrap(),
    ];
    build(&src.join(name), py, &args);
    wasm
}

/// Builds `src/NAME/app.js` against the world `NAME` of `src/wit` into `out/NAME.wasm` with jco's QuickJS backend.
fn javascript(jco: &Path, src: &Path, out: &Path, name: &str) -> PathBuf {
    let wasm = out.join(format!("{name}.wasm"));
    let args = [
        "componentize",
        "app.js",
        "--backend",
        "qjs",
        "-w",
        "../wit",
        "-n",
        name,
        "-o",
        wasm.to_str().unwrap(),
    ];
    build(&src.join(name), jco, &args);
    wasm
}

/// `weld ARGS` in `dir`, with a cache of its own there and no `NAME` from the test's environment.
fn weld_in(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(weld_bin());
    cmd.current_dir(dir)
        .env("WELD_CACHE_DIR", dir.join("cache"))
        .env_remove("WELD_COMPILER")
        .env_remove("NAME");
    weld_with(cmd, args)
}

/// What wasmtime 49 prints for `run -Scli ARGS` in `dir`, and its exit code.
fn wasmtime_in(dir: &Path, args: &[&str]) -> Option<(String, i32)> {
    let mut all = vec!["run", "-Scli"];
    all.extend(args);
    crate::wasi_p3::wasmtime_in(dir, &all)
}

#[test]
fn python_and_javascript_wasi_0_3_commands_run_with_their_grants() {
    let (Some(py), Some(jco)) = (on_path("componentize-py"), on_path("jco")) else {
        missing("componentize-py and jco are not both on the PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _fills = crate::util::Fills(dir.path());
    let (src, out) = sources(dir.path());
    let python = python(&py, &src, &out, "python-command", "wasi:cli/command@0.3.0");
    let js = javascript(&jco, &src, &out, "js-command");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("data.txt"), "file contents\n").unwrap();
    let python = python.to_str().unwrap();

    // Denied by default: no file, no variable. The component imports WASI 0.2.9 (Python's runtime) and 0.3.0
    // (its world) side by side; both get the same grants.
    let denied = weld_in(&work, &["run", python]).ok();
    assert_eq!(
        denied,
        "hello from python p3 (wasi:cli/stdout@0.3.0)\ndata.txt: no file\nNAME: no NAME\n"
    );
    let granted = ["run", "--dir", ".", "--env", "NAME=weld", python];
    let expected =
        "hello from python p3 (wasi:cli/stdout@0.3.0)\ndata.txt: file contents\nNAME: weld\n";
    assert_eq!(weld_in(&work, &granted).ok(), expected);
    // The guest's own exit status, through `wasi:cli/exit@0.3.0`.
    let failed = weld_in(&work, &["run", python, "--", "fail"]);
    assert_eq!(failed.code(), 3, "{}", failed.stderr());
    if let Some(printed) = wasmtime_in(&work, &["--dir", ".", "--env", "NAME=weld", python]) {
        assert_eq!(printed, (expected.to_owned(), 0));
    }

    let js = js.to_str().unwrap();
    let expected = "hello from js p3 (wasi:cli/stdout@0.3.0)\nNAME: weld\n";
    assert_eq!(
        weld_in(&work, &["run", "--env", "NAME=weld", js]).ok(),
        expected
    );
    assert_eq!(
        weld_in(&work, &["run", js]).ok(),
        "hello from js p3 (wasi:cli/stdout@0.3.0)\nNAME: no NAME\n"
    );
    assert_eq!(weld_in(&work, &["run", js, "--", "fail"]).code(), 3);
    if let Some(printed) = wasmtime_in(&work, &["--env", "NAME=weld", js]) {
        assert_eq!(printed, (expected.to_owned(), 0));
    }
    // inspect tells the two WASI releases apart.
    let inspected = weld_in(&work, &["inspect", "--json", python]).json();
    let wasi = &inspected["capabilities"]["wasi"];
    assert!(
        wasi["0.2"].as_array().is_some_and(|a| !a.is_empty()),
        "{wasi}"
    );
    assert!(
        wasi["0.3"]
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i == "wasi:cli/stdout@0.3.0")),
        "{wasi}"
    );

    // `weld virt` (issue 27): with files denied and NAME fixed inside, the host's grants change nothing, under
    // weld and under wasmtime. Python's runtime reads through WASI 0.2.9 and its world is 0.3.0: both are decided.
    for (input, expected) in [
        (
            python,
            "hello from python p3 (wasi:cli/stdout@0.3.0)\ndata.txt: no file\nNAME: virt\n",
        ),
        (js, "hello from js p3 (wasi:cli/stdout@0.3.0)\nNAME: virt\n"),
    ] {
        let virt = format!("{input}.virt.wasm");
        let policy = ["--deny", "wasi:filesystem", "--env", "NAME=virt"];
        let made = weld_in(
            &work,
            &[&["virt", input][..], &policy, &["-o", &virt]].concat(),
        )
        .ok();
        assert!(
            made.contains("denied   wasi:filesystem/preopens@0.2."),
            "{made}"
        );
        let granted = ["run", "--dir", ".", "--env", "NAME=host", &virt];
        assert_eq!(weld_in(&work, &granted).ok(), expected);
        if let Some(printed) = wasmtime_in(&work, &["--dir", ".", "--env", "NAME=host", &virt]) {
            assert_eq!(printed, (expected.to_owned(), 0));
        }
        weld_in(&work, &["validate", &virt]).ok();
        let needs = &weld_in(&work, &["inspect", "--json", &virt]).json()["capabilities"]["needs"];
        assert!(needs.get("filesystem").is_none(), "{needs}");
    }
    // Regression (found by a new-user probe): with the arguments fixed too, 0.3's `get-initial-cwd` was passed
    // on to a host import the provider did not have, and the provider did not encode.
    let fixed = format!("{js}.args.wasm");
    let policy = ["--env", "NAME=virt", "--args", "js"];
    weld_in(
        &work,
        &[&["virt", js][..], &policy, &["-o", &fixed]].concat(),
    )
    .ok();
    assert_eq!(
        weld_in(&work, &["run", "--env", "NAME=host", &fixed]).ok(),
        "hello from js p3 (wasi:cli/stdout@0.3.0)\nNAME: virt\n"
    );
}

#[test]
fn javascript_async_exports_return_strings_streams_and_futures() {
    let Some(jco) = on_path("jco") else {
        missing("jco is not on the PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _fills = crate::util::Fills(dir.path());
    let (src, out) = sources(dir.path());
    let js = javascript(&jco, &src, &out, "js-async");
    let js = js.to_str().unwrap();
    let calls = [
        "run",
        js,
        "--invoke",
        r#"greet("weld")"#,
        "--invoke",
        "count(5)",
        "--invoke",
        "later()",
    ];
    let printed = weld_in(dir.path(), &calls).ok();
    assert_eq!(printed, "\"Hello, weld!\"\n[0, 1, 2, 3, 4]\n\"done\"\n");
    if let Some(printed) = wasmtime(&["run", "--invoke", r#"greet("weld")"#, js]) {
        assert_eq!(printed, ("\"Hello, weld!\"\n".to_owned(), 0));
    }
    let refused = weld_in(dir.path(), &["run", js, "--invoke", r#"uppercase("a")"#]).fails();
    assert!(refused.contains("`input` is a stream<string>"), "{refused}");
    assert!(
        refused.contains("uppercase: async func(input: stream<string>) -> stream<string>"),
        "{refused}"
    );
}

/// `GET /` with `TE: trailers`, read raw: the chunked body with its trailer section.
fn raw_get_with_trailers(addr: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let request =
        format!("GET / HTTP/1.1\r\nHost: {addr}\r\nTE: trailers\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn python_and_javascript_wasi_0_3_handlers_are_served_with_streamed_bodies_and_limits() {
    let (Some(py), Some(jco)) = (on_path("componentize-py"), on_path("jco")) else {
        missing("componentize-py and jco are not both on the PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _fills = crate::util::Fills(dir.path());
    let (src, out) = sources(dir.path());
    let handlers = [
        (
            python(&py, &src, &out, "python-http", "wasi:http/service@0.3.0"),
            "hello from python p3\n",
        ),
        (
            javascript(&jco, &src, &out, "js-http"),
            "hello from js p3\n",
        ),
    ];
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for (handler, greeting) in &handlers {
        let server = Serving::start_on("winch", handler, &[]);
        let hello = server.get("/");
        assert_eq!(hello.status, 200, "{}", body(&hello));
        assert_eq!(hello.header("x-weld"), Some("p3"));
        assert_eq!(body(&hello), *greeting);
        // A megabyte streamed in and back out.
        let echoed = server.send("POST", "/echo", &big);
        assert_eq!(echoed.status, 200);
        assert!(echoed.body == big, "{} bytes came back", echoed.body.len());
        assert_eq!(server.get("/nope").status, 404);
        server.wait_for_log("GET /nope 404");
    }

    // The JavaScript handler: trailers, a fresh instance per request, limits per request, and the drain.
    let js = &handlers[1].0;
    let server = Serving::start_on("winch", js, &["--timeout", "2s", "--max-memory", "64MiB"]);
    let raw = raw_get_with_trailers(&server.addr);
    assert!(raw.contains("hello from js p3"), "{raw}");
    assert!(raw.contains("x-weld-trailer: done"), "{raw}");
    for _ in 0..2 {
        assert_eq!(body(&server.get("/count")), "request 1 of this instance\n");
    }
    let grown = server.get("/grow");
    assert_eq!(grown.status, 500);
    assert!(
        body(&grown).contains("memory limit reached"),
        "{}",
        body(&grown)
    );
    // A request in flight when the server is told to stop is finished (here by its time limit) before it exits.
    let addr = server.addr.clone();
    let spinning =
        std::thread::spawn(move || crate::util::http::request(&addr, "GET", "/spin", &[], b""));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut server = server;
    let status = server.stop(libc::SIGTERM);
    let spun = spinning.join().unwrap();
    assert_eq!(spun.status, 504, "{}", body(&spun));
    assert!(
        body(&spun).contains("time limit reached"),
        "{}",
        body(&spun)
    );
    assert!(status.success(), "{status}: {}", server.log());
    let log = server.log();
    assert!(log.contains("GET /spin 504"), "{log}");

    // With --reuse-instances, one instance serves requests one after another; one that hit a limit is dropped.
    let reused = Serving::start_on("winch", js, &["--reuse-instances", "3", "--timeout", "2s"]);
    // Each request settles before the next (Serving::get_settled): an instance is back in the pool only after
    // its client has the whole response.
    let count = || body(&reused.get_settled("/count"));
    let counts: Vec<String> = (0..4).map(|_| count()).collect();
    let nth = |n: u32| format!("request {n} of this instance\n");
    assert_eq!(counts, [nth(1), nth(2), nth(3), nth(1)]);
    assert_eq!(reused.get_settled("/spin").status, 504);
    assert_eq!(count(), nth(1));
    let echoed = reused.send_settled("POST", "/echo", &big);
    assert!(echoed.body == big, "{} bytes came back", echoed.body.len());
    // The echo was the instance's second request (only `/count` counts), and the count its third and last.
    assert_eq!(count(), nth(2));
    assert_eq!(count(), nth(1));
    drop(reused);

    let fuel = Serving::start_on("winch", js, &["--fuel", "100000000"]);
    let spun = fuel.get("/spin");
    assert_eq!(spun.status, 500);
    assert!(body(&spun).contains("fuel exhausted"), "{}", body(&spun));
    assert_eq!(body(&fuel.get("/")), "hello from js p3\n");
}

/// Whether rustup's `wasm32-wasip2` standard library is installed (`.ci/run` adds it).
fn wasip2_target() -> bool {
    let Ok(out) = Command::new("rustc").args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Path::new(&sysroot)
        .join("lib/rustlib/wasm32-wasip2/lib")
        .is_dir()
}

/// Builds the Rust guests of `fixtures/interop/p3/rust` (the `wasip3` crate) for `wasm32-wasip2`, in a target
/// folder beside weld's own so that later runs reuse it, and returns the command and the handler.
fn rust_guests() -> (PathBuf, PathBuf) {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("wasm-guests");
    let manifest = root.join("fixtures/interop/p3/rust/Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let args = [
        "build",
        "--quiet",
        "--locked",
        "--release",
        "--target",
        "wasm32-wasip2",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--target-dir",
        target.to_str().unwrap(),
    ];
    build(&root, Path::new(&cargo), &args);
    let out = target.join("wasm32-wasip2/release");
    (out.join("rust_command.wasm"), out.join("rust_http.wasm"))
}

#[test]
fn rust_wasi_0_3_guests_run_with_their_grants_and_are_served() {
    if !wasip2_target() {
        missing("Rust's wasm32-wasip2 target is not installed (rustup target add wasm32-wasip2)");
        return;
    }
    let (command, handler) = rust_guests();
    let dir = tempfile::tempdir().unwrap();
    let _fills = crate::util::Fills(dir.path());
    std::fs::write(dir.path().join("data.txt"), "file contents\n").unwrap();
    let command = command.to_str().unwrap();

    // Every read goes through WASI 0.3 (a preopen's `open-at` and `read-via-stream`, `get-environment`): denied
    // by default, given by the grants.
    let denied = weld_in(dir.path(), &["run", command]).ok();
    assert_eq!(
        denied,
        "hello from rust p3 (wasi:cli/stdout@0.3.2)\ndata.txt: no file\nNAME: no NAME\n"
    );
    let expected =
        "hello from rust p3 (wasi:cli/stdout@0.3.2)\ndata.txt: file contents\nNAME: weld\n";
    let granted = ["run", "--dir", ".", "--env", "NAME=weld", command];
    assert_eq!(weld_in(dir.path(), &granted).ok(), expected);
    let failed = weld_in(dir.path(), &["run", "--env", "NAME=weld", command, "fail"]);
    assert_eq!(failed.code(), 3, "{}", failed.stderr());
    let args = ["--dir", ".", "--env", "NAME=weld", command, "fail"];
    if let Some(printed) = wasmtime_in(dir.path(), &args) {
        assert_eq!(printed, (expected.to_owned(), 3));
    }
    // The 0.3.2 imports are the 0.3 release line, next to std's 0.2.6 ones.
    let inspected = weld_in(dir.path(), &["inspect", "--json", command]).json();
    let wasi = &inspected["capabilities"]["wasi"];
    assert!(
        wasi["0.3"]
            .as_array()
            .is_some_and(|a| a.iter().any(|i| i == "wasi:filesystem/preopens@0.3.2")),
        "{wasi}"
    );

    let server = Serving::start_on("winch", &handler, &[]);
    let hello = server.get("/");
    assert_eq!(hello.status, 200, "{}", body(&hello));
    assert_eq!(hello.header("x-weld"), Some("p3"));
    assert_eq!(body(&hello), "hello from rust p3\n");
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i * 13 % 253) as u8).collect();
    let echoed = server.send("POST", "/echo", &big);
    assert_eq!(echoed.status, 200);
    assert!(echoed.body == big, "{} bytes came back", echoed.body.len());
    assert_eq!(server.get("/nope").status, 404);
    server.wait_for_log("GET /nope 404");

    // `-H` sets headers on every request, replacing the client's; `-H @FILE` reads them from a file.
    let file = dir.path().join("headers.txt");
    std::fs::write(&file, "# added by the proxy\nx-region: eu\n").unwrap();
    let at_file = format!("@{}", file.display());
    let headed = Serving::start_on("winch", &handler, &["-H", "X-Tenant: acme", "-H", &at_file]);
    let client = [("x-tenant", "evil"), ("x-other", "kept")];
    let seen = crate::util::http::request(&headed.addr, "GET", "/headers", &client, b"");
    let listed = body(&seen);
    for line in ["x-tenant: acme\n", "x-region: eu\n", "x-other: kept\n"] {
        assert!(listed.contains(line), "{listed}");
    }
    assert!(!listed.contains("evil"), "{listed}");
    drop(headed);

    // A client that leaves in the middle of a 16 MiB body is logged as gone, not as answered.
    {
        let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
        let request = format!("GET /big HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
        stream.write_all(request.as_bytes()).unwrap();
        let mut some = [0u8; 4096];
        stream.read_exact(&mut some).unwrap();
    }
    let log = server.wait_for_log("GET /big 200");
    let line = log.lines().find(|l| l.contains("GET /big")).unwrap();
    assert!(line.contains("the client went away"), "{line}");
}

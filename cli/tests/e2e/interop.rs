//! Components from real toolchains: a greeter written in Python (componentize-py) plugged into a command written
//! in JavaScript (jco), composed and run by weld; and an HTTP handler from each, served by weld. The toolchains come from PyPI and npm (`.ci/run` installs them,
//! pinned in `fixtures/interop/toolchains/`); where they are absent the test says so and skips.

use crate::serve::{Serving, body};
use crate::util::{missing, on_path, weld_bin, weld_with};
use std::path::Path;
use std::process::Command;

/// Copies the folder `from` into `to`, recursively.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs a toolchain command in `dir`, asserting success.
pub(crate) fn build(dir: &Path, program: &Path, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds `dir/app.py` against the world `world` of `dir/wit` into `out` with componentize-py.
fn componentize_py(py: &Path, dir: &Path, world: &str, out: &Path) {
    let out = out.to_str().unwrap();
    let args = [
        "-d",
        "wit",
        "-w",
        world,
        "componentize",
        "-p",
        ".",
        "app",
        "-o",
        out,
    ];
    build(dir, py, &args);
}

/// Builds `dir/app.js` against the world `world` of `dir/wit` into `out` with jco.
fn componentize_js(jco: &Path, dir: &Path, world: &str, out: &Path) {
    let out = out.to_str().unwrap();
    let args = [
        "componentize",
        "app.js",
        "-w",
        "wit",
        "-n",
        world,
        "-o",
        out,
    ];
    build(dir, jco, &args);
}

#[test]
fn a_python_greeter_plugged_into_a_javascript_command_runs() {
    let (Some(py), Some(jco)) = (on_path("componentize-py"), on_path("jco")) else {
        missing("componentize-py and jco are not both on the PATH");
        return;
    };
    let sources = crate::util::workspace_root().join("fixtures/interop");
    let dir = tempfile::tempdir().unwrap();
    let _fills = crate::util::Fills(dir.path());
    copy_dir(&sources.join("python"), &dir.path().join("python"));
    copy_dir(&sources.join("js"), &dir.path().join("js"));

    let greeter = dir.path().join("greeter.wasm");
    let app = dir.path().join("app.wasm");
    let greeter_arg = greeter.to_str().unwrap();
    componentize_py(&py, &dir.path().join("python"), "python-greeter", &greeter);
    componentize_js(&jco, &dir.path().join("js"), "app", &app);

    let hello = dir.path().join("hello.wasm");
    let cache = dir.path().join("cache");
    let weld = |args: &[&str]| {
        let mut cmd = Command::new(weld_bin());
        cmd.env("WELD_CACHE_DIR", &cache)
            .env_remove("WELD_COMPILER");
        weld_with(cmd, args)
    };
    let summary = weld(&[
        "compose",
        app.to_str().unwrap(),
        "--plug",
        greeter_arg,
        "-o",
        hello.to_str().unwrap(),
    ])
    .ok();
    assert!(summary.contains("weld:examples/greeter@1.0.0"), "{summary}");
    // jco's default build imports wasi:http even though the app sends no request: weld links it, unused.
    let wit = weld(&["wit", hello.to_str().unwrap()]).ok();
    assert!(wit.contains("import wasi:http/outgoing-handler@"), "{wit}");
    // The first run is on Winch; Cranelift code for the next ones is compiled into the cache in the background.
    let first = weld(&["run", "-v", hello.to_str().unwrap()]);
    assert_eq!(first.ok(), "Hello from Python, world!\n");
    assert!(first.stderr().contains("with Winch"), "{}", first.stderr());
    let start = std::time::Instant::now();
    // Winch's code is cached at once; wait for the optimised code, which replaces it.
    while !weld(&["cache", "--json"]).json()["entries"]
        .as_array()
        .is_some_and(|e| e.iter().any(|e| e["compiler"] == "Cranelift"))
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "the background compile did not fill the cache"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let second = weld(&["run", "-v", hello.to_str().unwrap()]);
    assert_eq!(second.ok(), "Hello from Python, world!\n");
    assert!(
        second.stderr().contains("using cached code"),
        "{}",
        second.stderr()
    );
    // And the Python greeter alone, called directly.
    let out = weld(&["run", greeter_arg, "--invoke", r#"greet("weld")"#]).ok();
    assert_eq!(out, "\"Hello from Python, weld!\"\n");
}

#[test]
fn python_and_javascript_http_handlers_are_served_with_a_fresh_instance_per_request() {
    let (Some(py), Some(jco)) = (on_path("componentize-py"), on_path("jco")) else {
        missing("componentize-py and jco are not both on the PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let _fills = crate::util::Fills(dir.path());
    let sources = dir.path().join("http");
    copy_dir(
        &crate::util::workspace_root().join("fixtures/interop/http"),
        &sources,
    );
    let (python, javascript) = (dir.path().join("py.wasm"), dir.path().join("js.wasm"));
    componentize_py(&py, &sources, "handler", &python);
    componentize_js(&jco, &sources, "handler", &javascript);
    for (component, toolchain, greeting) in [
        (
            &python,
            "componentize-py",
            "hello from Python at /some/path?x=1, request 1 of this instance\n",
        ),
        (
            &javascript,
            "jco",
            "hello from JavaScript at /some/path, request 1 of this instance\n",
        ),
    ] {
        // Winch: these are 14-18 MB components, compiled in seconds.
        let server = Serving::start_on("winch", component, &[]);
        for round in 1..=2 {
            let response = server.get("/some/path?x=1");
            assert_eq!(
                response.status,
                200,
                "{toolchain}, request {round}: {}",
                body(&response)
            );
            assert_eq!(response.header("x-toolchain"), Some(toolchain));
            assert_eq!(body(&response), greeting);
        }
        // The guest's print and console.log land in weld's log under the request's id.
        let log = server.wait_for_log("[req 2] GET /some/path?x=1 200");
        assert!(
            log.contains("[req 1] python handling") || log.contains("[req 1] js handling"),
            "{log}"
        );
    }
}

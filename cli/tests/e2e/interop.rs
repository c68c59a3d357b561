//! Components from real toolchains: a greeter written in Python (componentize-py) plugged into a command written
//! in JavaScript (jco), composed and run by weld. The toolchains come from PyPI and npm (`.ci/run` installs them,
//! pinned in `fixtures/interop/toolchains/`); where they are absent the test says so and skips.

use crate::util::{missing, on_path, weld_bin, weld_with};
use std::path::Path;
use std::process::Command;

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
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
fn build(dir: &Path, program: &Path, args: &[&str]) {
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

#[test]
fn a_python_greeter_plugged_into_a_javascript_command_runs() {
    let (Some(py), Some(jco)) = (on_path("componentize-py"), on_path("jco")) else {
        missing("componentize-py and jco are not both on the PATH");
        return;
    };
    let sources = crate::util::workspace_root().join("fixtures/interop");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sources.join("python"), &dir.path().join("python"));
    copy_dir(&sources.join("js"), &dir.path().join("js"));

    let greeter = dir.path().join("greeter.wasm");
    let app = dir.path().join("app.wasm");
    let greeter_arg = greeter.to_str().unwrap();
    build(
        &dir.path().join("python"),
        &py,
        &[
            "-d",
            "wit",
            "-w",
            "python-greeter",
            "componentize",
            "-p",
            ".",
            "app",
            "-o",
            greeter_arg,
        ],
    );
    build(
        &dir.path().join("js"),
        &jco,
        &[
            "componentize",
            "app.js",
            "-w",
            "wit",
            "-n",
            "app",
            "-o",
            app.to_str().unwrap(),
        ],
    );

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
    while weld(&["cache", "--json"]).json()["entries"]
        .as_array()
        .is_none_or(|e| e.is_empty())
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

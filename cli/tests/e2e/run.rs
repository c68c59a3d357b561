//! `weld run` and `weld compile`: commands, `--invoke`, the sandbox's grants, limits, missing imports and the
//! compiled-code cache.

use crate::util::{Run, fixture, weld_bin, weld_with, weld_with_stdin};
use std::path::Path;
use std::process::{Command, Stdio};

/// The compiled-code cache the tests share (those that watch the cache use their own).
fn shared_cache() -> std::path::PathBuf {
    std::env::temp_dir().join("weld-test-cache")
}

/// A `weld` command with its compiled-code cache in `cache` and no `WELD_NAME` from the test's environment. It
/// compiles with Cranelift, as `--compiler cranelift` would: these tests watch the cache fill in the foreground
/// (`tiers.rs` tests the default, which fills it in the background).
fn weld_command(cache: &Path) -> Command {
    let mut cmd = Command::new(weld_bin());
    cmd.env("WELD_CACHE_DIR", cache)
        .env("WELD_COMPILER", "cranelift")
        .env_remove("WELD_NAME");
    cmd
}

/// Runs `weld ARGS` with the compiled-code cache in `cache`.
fn weld_cached(cache: &Path, args: &[&str]) -> Run {
    weld_with(weld_command(cache), args)
}

/// Runs `weld ARGS` with the cache shared by the tests.
fn weld(args: &[&str]) -> Run {
    weld_cached(&shared_cache(), args)
}

/// `weld run FIXTURE FLAGS... -- ARGS...`.
fn run(name: &str, flags: &[&str], args: &[&str]) -> Run {
    let path = fixture(name);
    let mut all = vec!["run", path.to_str().unwrap()];
    all.extend(flags);
    if !args.is_empty() {
        all.push("--");
        all.extend(args);
    }
    weld(&all)
}

/// Asserts weld ended with `code`, without a panic, and returns stderr.
#[track_caller]
fn ends_with(run: &Run, code: i32) -> String {
    let err = run.stderr();
    assert_eq!(
        run.code(),
        code,
        "weld {:?}\nstdout:\n{}\nstderr:\n{err}",
        run.args,
        run.stdout()
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn hello_prints_its_line_and_arguments_with_argv0_the_file_name() {
    let out = run("hello", &[], &["alice", "--bob"]).ok();
    assert_eq!(out, "hello from weld\narg: alice\narg: --bob\n");
    // `--` is optional when the arguments do not look like flags.
    let path = fixture("hello");
    let out = weld(&["run", path.to_str().unwrap(), "carol"]).ok();
    assert_eq!(out, "hello from weld\narg: carol\n");
}

#[test]
fn the_environment_is_empty_unless_granted() {
    let path = fixture("hello");
    let with_host_var = |flags: &[&str]| {
        let mut cmd = weld_command(&shared_cache());
        cmd.env("WELD_NAME", "from-host");
        let mut args = vec!["run"];
        args.extend(flags);
        args.push(path.to_str().unwrap());
        weld_with(cmd, &args).ok()
    };
    assert!(!with_host_var(&[]).contains("WELD_NAME"));
    assert!(with_host_var(&["--inherit-env"]).contains("WELD_NAME=from-host\n"));
    assert!(with_host_var(&["--env", "WELD_NAME=given"]).contains("WELD_NAME=given\n"));
    assert!(with_host_var(&["--env", "WELD_NAME"]).contains("WELD_NAME=from-host\n"));
    // --env wins over the inherited value.
    assert!(
        with_host_var(&["--inherit-env", "--env", "WELD_NAME=given"]).contains("WELD_NAME=given\n")
    );
}

#[test]
fn a_guest_exit_status_becomes_welds() {
    let run_fail = run("hello", &[], &["fail"]);
    ends_with(&run_fail, 1);
    ends_with(&run("probe", &[], &["exit", "7"]), 7);
    ends_with(&run("probe", &[], &["exit", "0"]), 0);
}

#[test]
fn stdin_reaches_the_guest() {
    let path = fixture("probe");
    let run = weld_with_stdin(
        weld_command(&shared_cache()),
        ["run", path.to_str().unwrap(), "stdin"],
        b"line one\nline two\n",
    );
    assert_eq!(run.ok(), "line one\nline two\n");
}

#[test]
fn files_are_reachable_only_under_a_granted_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("note.txt"), "inside\n").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside\n").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), data.join("link.txt")).unwrap();
    let grant = format!("{}::/data", data.display());

    let err = ends_with(&run("probe", &[], &["read", "note.txt"]), 1);
    assert!(err.contains("no preopened directory"), "{err}");
    assert_eq!(
        run("probe", &["--dir", &grant], &["read", "note.txt"]).ok(),
        "inside\n"
    );
    // Neither `..` nor a symlink leads out of the granted directory.
    let err = ends_with(
        &run("probe", &["--dir", &grant], &["read", "../secret.txt"]),
        1,
    );
    assert!(err.contains("errno"), "{err}");
    let err = ends_with(&run("probe", &["--dir", &grant], &["read", "link.txt"]), 1);
    assert!(err.contains("errno"), "{err}");

    // Writable by default, read-only with `:ro` or --dir-ro.
    run("probe", &["--dir", &grant], &["write", "new.txt", "hi"]).ok();
    assert_eq!(std::fs::read_to_string(data.join("new.txt")).unwrap(), "hi");
    for flags in [
        vec!["--dir".to_owned(), format!("{grant}:ro")],
        vec!["--dir-ro".to_owned(), grant.clone()],
    ] {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let err = ends_with(&run("probe", &flags, &["write", "ro.txt", "hi"]), 1);
        assert!(err.contains("write ro.txt: errno"), "{err}");
        assert!(!data.join("ro.txt").exists());
        assert_eq!(run("probe", &flags, &["read", "note.txt"]).ok(), "inside\n");
    }
}

#[test]
fn a_missing_dir_is_an_error_naming_it() {
    let err = ends_with(&run("hello", &["--dir", "/no/such/dir"], &[]), 1);
    assert!(
        err.contains("cannot grant the directory `/no/such/dir`")
            && err.contains("help: `--dir /no/such/dir` grants a directory that exists"),
        "{err}"
    );
}

#[test]
fn a_grant_the_component_cannot_use_is_warned_of_and_the_run_goes_on() {
    let run = run(
        "hello",
        &["--env", "WELD_NAME=grants", "--allow-net", "--allow-http"],
        &[],
    );
    let err = ends_with(&run, 0);
    assert!(run.stdout().contains("grants"), "{}", run.stdout());
    assert!(
        err.contains("warning: --allow-net grants nothing: ")
            && err.contains("imports none of wasi:sockets/*")
            && err.contains("warning: --allow-http grants nothing: "),
        "{err}"
    );
    assert!(!err.contains("--env grants nothing"), "{err}");
}

#[test]
fn plugs_are_composed_at_load_time_as_weld_compose_would_and_the_composition_is_cached() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (app, greeter) = (fixture("app"), fixture("greeter"));
    let (app, greeter) = (app.to_str().unwrap(), greeter.to_str().unwrap());
    let composed = dir.path().join("greet.wasm");
    let composed = composed.to_str().unwrap();
    weld_cached(
        cache.path(),
        &["compose", app, "--plug", greeter, "-o", composed],
    )
    .ok();
    let expected = weld_cached(cache.path(), &["run", composed, "--env", "WELD_NAME=plug"]).ok();
    let plugged = ["run", app, "--plug", greeter, "--env", "WELD_NAME=plug"];
    assert_eq!(weld_cached(cache.path(), &plugged).ok(), expected);
    let kept: Vec<_> = std::fs::read_dir(cache.path().join("compositions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        std::fs::read(composed).unwrap(),
        "the cached composition is what weld compose writes"
    );
    // The second run takes the cached composition: the same output, nothing composed again.
    let modified = std::fs::metadata(&kept[0]).unwrap().modified().unwrap();
    assert_eq!(weld_cached(cache.path(), &plugged).ok(), expected);
    assert_eq!(
        std::fs::metadata(&kept[0]).unwrap().modified().unwrap(),
        modified
    );
    // A damaged cached composition is made again, not run and not blamed on the component.
    std::fs::write(&kept[0], b"\0asm").unwrap();
    assert_eq!(weld_cached(cache.path(), &plugged).ok(), expected);
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        std::fs::read(composed).unwrap()
    );
    // --no-cache composes in memory and keeps nothing; `weld cache clean` removes what was kept.
    let other = tempfile::tempdir().unwrap();
    let mut uncached = plugged.to_vec();
    uncached.push("--no-cache");
    assert_eq!(weld_cached(other.path(), &uncached).ok(), expected);
    assert!(!other.path().join("compositions").exists());
    let cleaned = weld_cached(cache.path(), &["cache", "clean"]).ok();
    assert!(cleaned.contains("cached composition file"), "{cleaned}");
    assert!(!kept[0].exists());
    // A plug that does not fit is the composition's error, and nothing runs.
    let mismatch = fixture("mismatch");
    let err = weld_cached(
        cache.path(),
        &["run", app, "--plug", mismatch.to_str().unwrap()],
    )
    .fails();
    assert!(err.contains("the types differ"), "{err}");
}

/// Regression: `weld run --plug` of two plugs that both fit said "choose with `--wire ...`", a flag `weld run` did
/// not have; it has it now, as `weld compose` does.
#[test]
fn plugs_that_both_fit_are_chosen_between_with_wire() {
    let cache = tempfile::tempdir().unwrap();
    let (app, greeter, loud) = (fixture("app"), fixture("greeter"), fixture("loud-greeter"));
    let mut args = vec![
        "run",
        app.to_str().unwrap(),
        "--plug",
        greeter.to_str().unwrap(),
        "--plug",
        loud.to_str().unwrap(),
    ];
    let err = weld_cached(cache.path(), &args).fails();
    assert!(err.contains("--wire weld:examples/greeter@1.0.0="), "{err}");
    args.extend(["--wire", "weld:examples/greeter@1.0.0=loud-greeter"]);
    let out = weld_cached(cache.path(), &args).ok();
    assert!(
        out.contains("greeting world"),
        "the loud greeter was chosen: {out}"
    );
}

/// Regression (found by a new-user probe): a `--plug` run whose composition still lacked an import blamed the
/// root and advised `weld compose`; serving a command with plugs advised `weld run` without them.
#[test]
fn a_composition_that_cannot_be_linked_is_named_as_such_and_the_advice_keeps_the_plugs() {
    let cache = tempfile::tempdir().unwrap();
    let (ping, pong) = (fixture("ping"), fixture("pong"));
    let args = [
        "run",
        ping.to_str().unwrap(),
        "--plug",
        pong.to_str().unwrap(),
    ];
    let err = weld_cached(cache.path(), &args).fails();
    assert!(
        err.contains("composed with") && err.contains("cannot be linked"),
        "{err}"
    );
    assert!(err.contains("help: add a `--plug`"), "{err}");
    let (app, greeter) = (fixture("app"), fixture("greeter"));
    let served = weld_cached(
        cache.path(),
        &[
            "serve",
            app.to_str().unwrap(),
            "--plug",
            greeter.to_str().unwrap(),
        ],
    )
    .fails();
    assert!(
        served.contains(&format!(
            "`weld run {} --plug {}`",
            app.display(),
            greeter.display()
        )),
        "{served}"
    );
}

/// A plug the composition leaves out is warned of, on the run that composes and on those that take the cached
/// composition, as `weld compose` warns of it.
#[test]
fn a_plug_left_out_is_warned_of_on_every_run() {
    let cache = tempfile::tempdir().unwrap();
    let (app, greeter, base) = (fixture("app"), fixture("greeter"), fixture("base-v2"));
    let args = [
        "run",
        app.to_str().unwrap(),
        "--plug",
        greeter.to_str().unwrap(),
        "--plug",
        base.to_str().unwrap(),
    ];
    for _ in 0..2 {
        let run = weld_cached(cache.path(), &args);
        ends_with(&run, 0);
        assert!(
            run.stderr()
                .contains("base-v2.wasm was not used: none of its exports was needed"),
            "{}",
            run.stderr()
        );
    }
}

/// Regression guard for the stamp index of `--plug`: a plug replaced by other bytes is composed again, never
/// taken for the old composition by its name.
#[test]
fn a_plug_that_changed_is_composed_again() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.wasm");
    let plug = dir.path().join("greeter.wasm");
    std::fs::copy(fixture("app"), &app).unwrap();
    std::fs::copy(fixture("greeter"), &plug).unwrap();
    // Settled files (their last change older than the index's 2 s), so the first run writes the stamp index.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let args = [
        "run",
        app.to_str().unwrap(),
        "--plug",
        plug.to_str().unwrap(),
    ];
    let first = weld_cached(cache.path(), &args).ok();
    assert!(
        cache
            .path()
            .join("compositions/index")
            .read_dir()
            .unwrap()
            .count()
            == 1
    );
    assert_eq!(weld_cached(cache.path(), &args).ok(), first);
    std::fs::copy(fixture("loud-greeter"), &plug).unwrap();
    let second = weld_cached(cache.path(), &args).ok();
    assert_ne!(second, first, "the changed plug was not composed again");
}

/// Asserts the guest failed (status 1) and printed `text`.
#[track_caller]
fn refused(run: &Run, text: &str) {
    ends_with(run, 1);
    assert!(run.stdout().contains(text), "{}", run.stdout());
}

#[test]
fn sockets_need_allow_net_and_stay_within_its_ranges() {
    let port = weld_tests::http::ok_server().to_string();
    let connect = ["connect", "127.0.0.1", port.as_str()];
    refused(
        &run("netprobe", &[], &connect),
        "connect: error access-denied",
    );
    assert_eq!(
        run("netprobe", &["--allow-net"], &connect).ok(),
        "connect: ok\n"
    );
    assert_eq!(
        run("netprobe", &["--allow-net=127.0.0.0/8"], &connect).ok(),
        "connect: ok\n"
    );
    refused(
        &run("netprobe", &["--allow-net=10.0.0.0/8"], &connect),
        "connect: error access-denied",
    );
}

#[test]
fn http_requests_need_allow_http_and_stay_within_its_hosts() {
    let port = weld_tests::http::ok_server();
    let authority = format!("127.0.0.1:{port}");
    let request = ["http", authority.as_str()];
    refused(
        &run("netprobe", &[], &request),
        "http: error HTTP-request-denied",
    );
    assert_eq!(
        run("netprobe", &["--allow-http"], &request).ok(),
        "http: ok 200\n"
    );
    let only_this = format!("--allow-http={authority}");
    assert_eq!(
        run("netprobe", &[&only_this], &request).ok(),
        "http: ok 200\n"
    );
    refused(
        &run("netprobe", &["--allow-http=example.com"], &request),
        "HTTP-request-denied",
    );
}

#[test]
fn an_endless_loop_ends_at_the_timeout() {
    let err = ends_with(&run("probe", &["--timeout", "1s"], &["spin"]), 124);
    assert!(
        err.contains("time limit reached: the guest did not finish within 1s")
            && err.contains("help: --timeout sets the limit"),
        "{err}"
    );
}

#[test]
fn a_guest_blocked_in_the_host_still_ends_at_the_timeout() {
    // Reading a stdin that never ends: the guest waits inside the host, where no interruption check runs.
    let path = fixture("probe");
    let mut child = weld_command(&shared_cache())
        .args(["run", "--timeout", "500ms", path.to_str().unwrap(), "stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _open_stdin = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(124));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("time limit reached"), "{err}");
}

#[test]
fn a_memory_bomb_ends_at_the_memory_limit() {
    let err = ends_with(&run("probe", &["--max-memory", "16MiB"], &["grow"]), 125);
    assert!(
        err.contains("memory limit reached: the guest tried to grow past 16MiB")
            && err.contains("help: --max-memory sets the limit"),
        "{err}"
    );
}

#[test]
fn fuel_runs_out_on_a_long_loop_but_not_a_short_one() {
    let err = ends_with(
        &run("probe", &["--fuel", "100000"], &["count", "100000000"]),
        126,
    );
    assert!(
        err.contains("fuel exhausted: the guest used all of its 100000 units of fuel"),
        "{err}"
    );
    assert_eq!(
        run("probe", &["--fuel", "10000000"], &["count", "1000"]).ok(),
        "counted 1000\n"
    );
}

#[test]
fn a_trap_prints_the_guest_backtrace() {
    let err = ends_with(&run("probe", &[], &["trap"]), 1);
    assert!(
        err.contains("the guest trapped") && err.contains("unreachable"),
        "{err}"
    );
    let three = err
        .find("level_three")
        .expect("backtrace names level_three");
    let one = err.find("level_one").expect("backtrace names level_one");
    assert!(three < one, "innermost frame first:\n{err}");
}

/// `weld run FIXTURE --invoke CALL...`.
fn invoke(name: &str, calls: &[&str]) -> Run {
    let mut flags = Vec::new();
    for call in calls {
        flags.extend(["--invoke", call]);
    }
    run(name, &flags, &[])
}

#[test]
fn invoke_round_trips_every_kind_of_value() {
    let cases = [
        ("greeter", r#"greet("world")"#, r#""Hello, world!""#),
        (
            "greeter",
            r#"weld:examples/greeter@1.0.0#greet("wave")"#,
            r#""Hello, wave!""#,
        ),
        (
            "greeter",
            r#"weld:examples/greeter#greet("short")"#,
            r#""Hello, short!""#,
        ),
        (
            "greeter",
            r#"greeter#greet("shorter")"#,
            r#""Hello, shorter!""#,
        ),
        ("types", "echo-point({x: -3, y: 4})", "{x: -3, y: 4}"),
        ("types", "classify(-9)", "negative"),
        ("types", r#"name-length(some("weld"))"#, "ok(4)"),
        ("types", "name-length(none)", "err(missing)"),
        ("types", "name-length()", "err(missing)"),
        ("types", "with-read({write})", "{read, write}"),
        ("types", r#"sum([("a", 1), ("b", 41)])"#, "42"),
        ("types", "area(rectangle({width: 3, height: 5}))", "15"),
        ("types", "area(circle(2))", "12"),
        ("types", "area(nothing)", "0"),
        ("types", "range(4)", "[0, 1, 2, 3]"),
        ("types", r#"swap((7, "seven"))"#, r#"("seven", 7)"#),
        ("compute", "sum-squares(10)", "285"),
    ];
    for (fixture, call, expected) in cases {
        assert_eq!(
            invoke(fixture, &[call]).ok(),
            format!("{expected}\n"),
            "{fixture}: {call}"
        );
    }
}

#[test]
fn invoke_creates_and_uses_a_resource() {
    let out = invoke(
        "types",
        &[
            "counter.new(40)",
            "counter.increment(counter1, 2)",
            "[method]counter.get(counter1)",
        ],
    )
    .ok();
    assert_eq!(out, "counter1\n42\n");
    let err = invoke("types", &["counter.get(counter9)"]).fails();
    assert!(err.contains("no resource is called `counter9`"), "{err}");
}

/// Regression: an `--invoke` that is not a call at all exited 1, as a failed run does; it is bad usage.
#[test]
fn an_invoke_that_is_not_name_and_arguments_is_bad_usage() {
    let run = invoke("greeter", &["greet"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    assert!(
        run.stderr().contains("expected `name(arguments)`"),
        "{}",
        run.stderr()
    );
}

/// Regression (found by a new-user probe): a signature in an `--invoke` error wrote `borrow<resource>`, where the
/// component names the resource.
#[test]
fn invoke_signatures_name_their_resources() {
    let err = invoke("types", &["counter.increment(5)"]).fails();
    assert!(
        err.contains("func(self: borrow<counter>, by: u32)"),
        "{err}"
    );
}

#[test]
fn invoke_errors_show_the_signature_or_the_choices() {
    let err = invoke("greeter", &["greet(42)"]).fails();
    assert!(err.contains("greet: func(name: string) -> string"), "{err}");
    assert!(
        err.contains(
            "`name`: expected a string (`\"...\"`), got the number 42 (column 7, at `42`)"
        ),
        "{err}"
    );
    let err = invoke("greeter", &[r#"greet("a", "b")"#]).fails();
    assert!(
        err.contains("2 arguments given, 1 argument expected"),
        "{err}"
    );
    let err = invoke("greeter", &["great()"]).fails();
    assert!(
        err.contains("no exported function `great`")
            && err.contains("weld:examples/greeter@1.0.0#greet"),
        "{err}"
    );
}

/// Regression (wasmtime#10764 in kind): a value that does not fit its type said only "error converting Wasm
/// value" or "invalid value type"; the error names the path to the field, case or value at fault, what was
/// expected and where it is, as wasmtime does (`missing field "h"`).
#[test]
fn wave_errors_name_the_field_the_case_or_the_value_at_fault() {
    let cases = [
        (
            "area(rectangle({width: 2}))",
            "`s.rectangle`: missing field `height` (height: u32) (column 16, at `{width: 2}`)",
        ),
        (
            "area(square(3))",
            "`s`: unknown case `square` (the cases are circle, rectangle, nothing)",
        ),
        (
            "area(circle)",
            "`s`: case `circle` needs a payload: `circle(...)` with a u32",
        ),
        (
            "area(nothing(1))",
            "`s`: case `nothing` has no payload: write `nothing` alone",
        ),
        (
            "classify(\"seven\")",
            "`n`: expected s32, got a string (column 10, at `\"seven\"`)",
        ),
        (
            "classify(1.5)",
            "`n`: `1.5` is not an integer (s32 holds -2147483648 to 2147483647)",
        ),
        (
            "echo-point({x: 3000000000, y: 0})",
            "`p.x`: `3000000000` is out of range for s32",
        ),
        (
            "with-read({read, delete})",
            "`p`: unknown flag `delete` (the flags are read, write, execute)",
        ),
        (
            "sum([(\"a\", 1), (\"b\", -1)])",
            "`items[1].1`: `-1` is out of range for u32 (u32 holds 0 to 4294967295) (column 22, at `-1`)",
        ),
        (
            "name-length(some(5))",
            "`name.some`: expected a string (`\"...\"`), got the number 5",
        ),
        // Syntax: what was found, in words, not the lexer's token names (`unexpected token: LabelOrKeyword`).
        (
            "area(Circle(3))",
            "WAVE syntax: unexpected `Circle`; names are lower-case in WAVE (`blue`, `my-case`) (column 6, at `Circle`)",
        ),
        (
            "name-length(\"\\q\")",
            "WAVE syntax: cannot read `\"`; a string is `\"...\"`, its escapes",
        ),
    ];
    for (call, expected) in cases {
        let err = invoke("types", &[call]).fails();
        assert!(err.contains(expected), "{call}: {err}");
    }
}

/// Regression: a record field the type does not have was dropped without a word (wasm-wave ignores it), so a
/// misspelt field ran the function with the field's value missing or another one's.
#[test]
fn a_record_field_the_type_does_not_have_is_an_error_not_dropped() {
    let err = invoke("types", &["echo-point({x: 1, y: 2, z: 3})"]).fails();
    assert!(
        err.contains("`p`: unknown field `z` (the record has x, y)"),
        "{err}"
    );
}

#[test]
fn a_missing_import_is_reported_before_anything_runs() {
    let err = run("app", &[], &[]).fails();
    assert!(
        err.contains("needs an import that weld's host does not provide"),
        "{err}"
    );
    assert!(
        err.contains("weld:examples/greeter@1.0.0") && err.contains("weld compose"),
        "{err}"
    );
}

#[test]
fn greet_composed_prints_hello_world() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hello.wasm");
    let (app, greeter) = (fixture("app"), fixture("greeter"));
    weld(&[
        "compose",
        app.to_str().unwrap(),
        "--plug",
        greeter.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(
        weld(&["run", out.to_str().unwrap()]).ok(),
        "Hello, world!\n"
    );
}

#[test]
fn a_component_without_wasi_cli_run_points_at_invoke() {
    let err = run("types", &[], &[]).fails();
    assert!(
        err.contains("is not a command") && err.contains("weld:types/shapes@0.1.0#range"),
        "{err}"
    );
}

#[test]
fn the_cache_is_used_on_the_second_run_and_survives_corruption() {
    let cache = tempfile::tempdir().unwrap();
    let hello = fixture("hello");
    let verbose = || weld_cached(cache.path(), &["run", "-v", hello.to_str().unwrap()]);
    let first = verbose();
    assert_eq!(first.ok(), "hello from weld\n");
    assert!(
        first.stderr().contains("weld: compiled") && first.stderr().contains("cached at"),
        "{}",
        first.stderr()
    );
    let second = verbose();
    assert_eq!(second.ok(), "hello from weld\n");
    assert!(
        second.stderr().contains("weld: using cached code"),
        "{}",
        second.stderr()
    );

    // Damage every entry's code: the next run notices, recompiles, rewrites the entry and still runs.
    for entry in std::fs::read_dir(cache.path().join("compiled")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "cwasm") {
            continue;
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&path, bytes).unwrap();
    }
    let third = verbose();
    assert_eq!(third.ok(), "hello from weld\n");
    assert!(
        third
            .stderr()
            .contains("rebuilt because its checksum does not match"),
        "{}",
        third.stderr()
    );
    assert!(verbose().stderr().contains("using cached code"));

    let uncached = weld_cached(
        cache.path(),
        &["run", "-v", "--no-cache", hello.to_str().unwrap()],
    );
    assert!(
        uncached.stderr().contains("(cache off)"),
        "{}",
        uncached.stderr()
    );
}

#[test]
fn precompiled_files_run_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let cwasm = dir.path().join("hello.cwasm");
    let hello = fixture("hello");
    let out = weld(&[
        "compile",
        hello.to_str().unwrap(),
        "-o",
        cwasm.to_str().unwrap(),
    ])
    .ok();
    assert!(out.contains("compiled"), "{out}");
    let err = weld(&["run", cwasm.to_str().unwrap()]).fails();
    assert!(err.contains("--allow-precompiled"), "{err}");
    assert_eq!(
        weld(&["run", "--allow-precompiled", cwasm.to_str().unwrap()]).ok(),
        "hello from weld\n"
    );
    // Compiled without fuel metering, it cannot run with --fuel.
    let err = weld(&[
        "run",
        "--allow-precompiled",
        "--fuel",
        "1000000",
        cwasm.to_str().unwrap(),
    ])
    .fails();
    assert!(err.contains("cannot load precompiled"), "{err}");
    let fueled = dir.path().join("fueled.cwasm");
    weld(&[
        "compile",
        "--fuel",
        hello.to_str().unwrap(),
        "-o",
        fueled.to_str().unwrap(),
    ])
    .ok();
    weld(&[
        "run",
        "--allow-precompiled",
        "--fuel",
        "100000000",
        fueled.to_str().unwrap(),
    ])
    .ok();
}

#[test]
fn core_modules_and_bad_flags_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let core = crate::util::core_fixture(dir.path(), "greeter");
    let err = weld(&["run", core.to_str().unwrap()]).fails();
    assert!(err.contains("is a core module"), "{err}");
    let hello = fixture("hello");
    let bad = weld(&["run", "--max-memory", "lots", hello.to_str().unwrap()]);
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
    assert!(bad.stderr().contains("not a size"));
    let bad = weld(&["run", "--allow-net=nowhere", hello.to_str().unwrap()]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("CIDR"));
}

/// Regression: `weld run c.wasm --invoke 'f()' | head -c0` exited 1 with `failed to write to stdout: Broken pipe`,
/// because the I/O error had been flattened into text the broken-pipe check could not see. A reader that closes
/// stdout early ends `weld run` quietly, with status 0, whether the guest or weld itself was writing, as for every
/// other command.
#[test]
fn a_closed_stdout_ends_run_and_invoke_quietly() {
    let (hello, greeter) = (fixture("hello"), fixture("greeter"));
    let cases: [&[&str]; 3] = [
        &["run", hello.to_str().unwrap(), "--", "alice"],
        &[
            "run",
            greeter.to_str().unwrap(),
            "--invoke",
            "greet(\"you\")",
        ],
        &["wit", greeter.to_str().unwrap()],
    ];
    for args in cases {
        let mut child = weld_command(&shared_cache())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes before weld writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "weld {args:?}: {err}");
        assert!(err.is_empty(), "weld {args:?} said something: {err}");
    }
}

/// Regression (wac#166 in kind): a component whose only non-WASI import is an interface of types alone (it
/// `use`s a type from it) was refused as needing an import; such an interface needs nothing, so it runs, alone
/// and composed.
#[test]
fn an_import_of_types_alone_needs_nothing() {
    let out = invoke("ruler", &["to-mm({value: 3, unit: cm})"]).ok();
    assert_eq!(out, "30\n");
    // inspect agrees: the import needs nothing (it listed it as one that must come from another component).
    let ruler = fixture("ruler");
    let caps: serde_json::Value =
        serde_json::from_str(&weld(&["inspect", ruler.to_str().unwrap(), "--json"]).ok()).unwrap();
    assert_eq!(
        (
            &caps["capabilities"]["types-only"],
            &caps["capabilities"]["other-imports"]
        ),
        (
            &serde_json::json!(["weld:units/types@1.0.0"]),
            &serde_json::json!([])
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let composed = dir.path().join("tape.wasm");
    let (tape, ruler) = (fixture("tape"), fixture("ruler"));
    weld(&[
        "compose",
        tape.to_str().unwrap(),
        "--plug",
        ruler.to_str().unwrap(),
        "--closed=all",
        "-o",
        composed.to_str().unwrap(),
    ])
    .ok();
    let out = weld(&["run", composed.to_str().unwrap(), "--invoke", "run()"]).ok();
    assert_eq!(out, "7000\n");
    // tape's world declares `type millimetres = u32; type reading = millimetres;`: type imports too, which need
    // nothing, and which the composition keeps as a pair (it made `reading` a second `u32` before).
    let wit = weld(&["wit", composed.to_str().unwrap()]).ok();
    assert!(
        wit.contains("type reading = millimetres;\n") && wit.contains("run: func() -> reading;"),
        "{wit}"
    );
}

/// Regression (wac#141 in kind): a plug that exports only types, which the root's exports use, composed into an
/// invalid component ("instance not valid to be used as export") with weld, wac and wasm-compose alike. The
/// result exports the plugged types interface too, validates and runs.
#[test]
fn a_plug_of_types_alone_composes_into_a_component_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let composed = dir.path().join("ruler-units.wasm");
    let (ruler, units) = (fixture("ruler"), fixture("units"));
    let summary = weld(&[
        "compose",
        ruler.to_str().unwrap(),
        "--plug",
        units.to_str().unwrap(),
        "-o",
        composed.to_str().unwrap(),
    ])
    .ok();
    assert!(summary.contains("weld:units/types@1.0.0  <- "), "{summary}");
    let wit = weld(&["wit", composed.to_str().unwrap()]).ok();
    assert!(
        wit.contains("export weld:units/types@1.0.0;")
            && wit.contains("export weld:units/convert@1.0.0;")
            && !wit.contains("import weld:units"),
        "{wit}"
    );
    let out = weld(&[
        "run",
        composed.to_str().unwrap(),
        "--invoke",
        "to-mm({value: 2, unit: m})",
    ])
    .ok();
    assert_eq!(out, "2000\n");
}

/// Regression (wac#148 in kind): a WIT package (types only, no code) was compiled into a `.cwasm`, and `run` and
/// `serve` called it "not a command" or "not an HTTP handler". Each names it for what it is, and writes nothing;
/// `inspect` shows its kind.
#[test]
fn a_wit_package_is_named_for_what_it_is_by_run_compile_serve_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let package = crate::util::greeter_wit_package(dir.path());
    let package = package.to_str().unwrap();
    let cwasm = dir.path().join("pkg.cwasm");
    for args in [
        vec!["run", package],
        vec!["serve", package, "--addr", "127.0.0.1:0"],
        vec!["compile", package, "-o", cwasm.to_str().unwrap()],
    ] {
        let err = weld(&args).fails();
        assert!(
            err.contains(
                "greeter-pkg.wasm` is a WIT package (types only, no code), not a component"
            ),
            "{args:?}: {err}"
        );
    }
    assert!(!cwasm.exists());
    let json: serde_json::Value =
        serde_json::from_str(&weld(&["inspect", package, "--json"]).ok()).unwrap();
    assert_eq!(json["root"]["kind"], "wit-package");
}

/// Regression: the results of `--invoke` calls were printed only once every call had returned, so a later call
/// that trapped hid the earlier results. Each is printed as its call returns.
#[test]
fn results_of_earlier_calls_are_printed_when_a_later_call_fails() {
    let compute = fixture("compute");
    let run = weld(&[
        "run",
        compute.to_str().unwrap(),
        "--invoke",
        "sum-squares(10)",
        "--invoke",
        "sum-squares(4294967295)",
    ]);
    let err = run.fails();
    assert_eq!(run.stdout(), "285\n");
    assert!(err.contains("trapped"), "{err}");
}

/// Regression: a value the guest returns that its type does not allow (here a `char` that is a surrogate) was
/// reported as "the run failed" with wasmtime's words alone; the error names the call and says whose fault it is.
#[test]
fn a_result_the_guest_gets_wrong_names_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("bad.wat");
    std::fs::write(
        &wat,
        r#"(component
  (core module $m (func (export "c") (result i32) i32.const 0xD800))
  (core instance $i (instantiate $m))
  (func (export "c") (result char) (canon lift (core func $i "c")))
)"#,
    )
    .unwrap();
    let err = weld(&["run", wat.to_str().unwrap(), "--invoke", "c()"]).fails();
    assert!(
        err.contains("calling `c` failed: the guest returned a value its type does not allow")
            && err.contains("out of range for `char`"),
        "{err}"
    );
}

/// Regression: a result holding a resource inside an option panicked in wasm-wave's writer (exit 101), and a
/// resource inside an argument (`list<borrow<thing>>`) was refused as `unsupported type`. Each resource in a
/// result gets a name, and names may be passed inside values.
#[test]
fn resources_inside_results_and_arguments_get_names_and_go_back_in() {
    let wat = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/data/nested-resources.wat");
    let out = weld(&[
        "run",
        wat.to_str().unwrap(),
        "--invoke",
        "make(5)",
        "--invoke",
        "make(0)",
        "--invoke",
        "make(7)",
        "--invoke",
        "total([resource1, resource2])",
    ])
    .ok();
    assert_eq!(out, "some(resource1)\nnone\nsome(resource2)\n12\n");
    let err = weld(&[
        "run",
        wat.to_str().unwrap(),
        "--invoke",
        "make(1)",
        "--invoke",
        "total([resource1, resource9])",
    ])
    .fails();
    assert!(
        err.contains("`things[1]`: no resource is called `resource9` (known: resource1)"),
        "{err}"
    );
}

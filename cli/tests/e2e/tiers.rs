//! Compilers and the cache: a first run on Winch with Cranelift code compiled into the cache in the background,
//! cached runs that map their code without reading the component, racing fills, and `weld cache`.

use crate::util::{Run, fixture, weld_bin, weld_with};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A `weld` command with the compiled-code cache in `cache` and the default compiler choice (`auto`), starting
/// every component on Winch (the fixtures are smaller than the size from which `auto` does by default).
fn command(cache: &Path) -> Command {
    let mut cmd = Command::new(weld_bin());
    cmd.env("WELD_CACHE_DIR", cache)
        .env_remove("WELD_COMPILER")
        .env("WELD_WINCH_FROM", "0");
    cmd
}

/// `weld ARGS` with the compiled-code cache in `cache` and the default compiler choice (`auto`).
fn weld_in(cache: &Path, args: &[&str]) -> Run {
    weld_with(command(cache), args)
}

/// `weld ARGS` like [`weld_in`], with the cache capped at `cap` (`WELD_CACHE_MAX_SIZE`).
fn weld_capped(cache: &Path, cap: &str, args: &[&str]) -> Run {
    let mut cmd = command(cache);
    cmd.env("WELD_CACHE_MAX_SIZE", cap);
    weld_with(cmd, args)
}

/// The compiled components `weld cache --json` lists.
fn entries(cache: &Path) -> Vec<serde_json::Value> {
    let listing = weld_in(cache, &["cache", "--json"]).json();
    listing["entries"].as_array().unwrap().clone()
}

/// Waits until the cache holds one compiled component, Cranelift's (a background compile finished and replaced
/// the code Winch made), at most a minute.
fn wait_for_optimised(cache: &Path) {
    let start = Instant::now();
    let compilers = || -> Vec<String> {
        entries(cache)
            .iter()
            .map(|e| e["compiler"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    while compilers() != ["Cranelift"] {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the optimised code did not replace Winch's: {:?}",
            entries(cache)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_first_run_uses_winch_and_later_runs_cranelift_code_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let hello = fixture("hello").display().to_string();
    let first = weld_in(cache.path(), &["run", "-v", &hello]);
    assert_eq!(first.ok(), "hello from weld\n");
    assert!(
        first.stderr().contains("with Winch") && first.stderr().contains("in the background"),
        "{}",
        first.stderr()
    );
    // No progress spinner when stderr is not a terminal.
    assert!(
        !first.stderr().contains("with Winch (") && !first.stderr().contains('\u{1b}'),
        "{}",
        first.stderr()
    );
    // Winch's code is kept at once: a run right after the first compiles nothing (it maps Winch's code, or the
    // optimised code if the background compile already finished).
    let right_after = weld_in(cache.path(), &["run", "-v", &hello]);
    assert_eq!(right_after.ok(), "hello from weld\n");
    assert!(
        right_after.stderr().contains("cached code") && !right_after.stderr().contains("compiled "),
        "{}",
        right_after.stderr()
    );
    // When the optimised code arrives, it replaces Winch's: one entry, Cranelift's.
    wait_for_optimised(cache.path());
    let listed = &entries(cache.path())[0];
    assert_eq!(listed["source"], hello.as_str());
    let second = weld_in(cache.path(), &["run", "-v", &hello]);
    assert_eq!(second.ok(), "hello from weld\n");
    assert!(
        second.stderr().contains("using cached code"),
        "{}",
        second.stderr()
    );
    // Once the entry has settled (file times are coarse: see the cache's stamps), a run maps the code without
    // reading the component.
    std::thread::sleep(Duration::from_millis(2100));
    weld_in(cache.path(), &["run", &hello]).ok();
    let settled = weld_in(cache.path(), &["run", "-v", &hello]);
    assert_eq!(settled.ok(), "hello from weld\n");
    assert!(
        settled.stderr().contains("without reading it"),
        "{}",
        settled.stderr()
    );
}

/// Regression (seen as a shared case's temp folder that `rm -rf` could not remove): every first run started a
/// background compile, which was still writing into the cache when a script removed it. Under
/// `WELD_WINCH_FROM` (256 KiB by default), `auto` compiles with Cranelift into the cache at once, and no process
/// outlives the run.
#[test]
fn a_small_component_is_compiled_into_the_cache_at_once_and_nothing_outlives_the_run() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let hello = fixture("hello").display().to_string();
    let mut cmd = command(cache.path());
    cmd.env_remove("WELD_WINCH_FROM");
    let first = weld_with(cmd, ["run", "-v", &hello]);
    assert_eq!(first.ok(), "hello from weld\n");
    assert!(
        first.stderr().contains("with Cranelift") && !first.stderr().contains("background"),
        "{}",
        first.stderr()
    );
    // Cached already, with no wait.
    assert_eq!(entries(cache.path()).len(), 1);
}

#[test]
fn a_component_rewritten_in_place_is_compiled_again_not_served_stale_code() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let dir = tempfile::tempdir().unwrap();
    let _fills_dir = crate::util::Fills(dir.path());
    let app = dir.path().join("app.wasm");
    std::fs::copy(fixture("hello"), &app).unwrap();
    std::thread::sleep(Duration::from_millis(2100)); // settled, so the index records it
    let app = app.display().to_string();
    let cranelift = ["run", "--compiler", "cranelift", &app];
    assert_eq!(weld_in(cache.path(), &cranelift).ok(), "hello from weld\n");
    // The same path, other contents: the stamp changed, so the file is read and hashed again.
    std::fs::copy(fixture("probe"), &app).unwrap();
    let out = weld_in(
        cache.path(),
        &["run", "--compiler", "cranelift", &app, "exit", "7"],
    );
    assert_eq!(out.code(), 7, "{}", out.stderr());
}

#[test]
fn winch_runs_stay_bounded_by_timeout_and_fuel() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let probe = fixture("probe").display().to_string();
    let winch = |flags: &[&str], args: &[&str]| {
        let mut all = vec!["run", "--compiler", "winch", &probe];
        all.extend(flags);
        all.push("--");
        all.extend(args);
        weld_in(cache.path(), &all)
    };
    let timed_out = winch(&["--timeout", "500ms"], &["spin"]);
    assert_eq!(timed_out.code(), 124, "{}", timed_out.stderr());
    let out_of_fuel = winch(&["--fuel", "100000"], &["count", "100000000"]);
    assert_eq!(out_of_fuel.code(), 126, "{}", out_of_fuel.stderr());
    assert_eq!(
        winch(&["--fuel", "10000000"], &["count", "1000"]).ok(),
        "counted 1000\n"
    );
    // Winch code is never cached.
    assert!(entries(cache.path()).is_empty());
}

#[test]
fn racing_fills_leave_one_sound_entry() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let greeter = fixture("greeter").display().to_string();
    let fill = || weld_in(cache.path(), &["cache", "fill", &greeter]);
    let said: Vec<String> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..3).map(|_| s.spawn(|| fill().ok())).collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(
        said.iter().filter(|s| s.starts_with("compiled")).count() >= 1,
        "{said:?}"
    );
    assert_eq!(entries(cache.path()).len(), 1, "{said:?}");
    let run = weld_in(
        cache.path(),
        &["run", "-v", &greeter, "--invoke", r#"greet("x")"#],
    );
    assert_eq!(run.ok(), "\"Hello, x!\"\n");
    assert!(
        run.stderr().contains("using cached code"),
        "{}",
        run.stderr()
    );
}

#[test]
fn weld_cache_lists_and_cleans() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let hello = fixture("hello").display().to_string();
    assert!(
        weld_in(cache.path(), &["cache"])
            .ok()
            .contains("0 compiled components")
    );
    weld_in(cache.path(), &["run", "--compiler", "cranelift", &hello]).ok();
    let text = weld_in(cache.path(), &["cache"]).ok();
    assert!(
        text.contains("1 compiled component,") && text.contains(&hello),
        "{text}"
    );
    let listing = weld_in(cache.path(), &["cache", "--json"]).json();
    assert_eq!(listing["cap-bytes"], 2u64 << 30);
    assert!(listing["total-bytes"].as_u64().unwrap() > 0);
    assert!(listing["entries"][0]["compile-ms"].is_u64());

    let kept = weld_in(
        cache.path(),
        &["cache", "clean", "--older-than", "1d", "--json"],
    )
    .json();
    assert_eq!(kept["removed-entries"], 0);
    let cleaned = weld_in(cache.path(), &["cache", "clean"]).ok();
    assert!(
        cleaned.starts_with("removed 1 compiled component,"),
        "{cleaned}"
    );
    assert!(entries(cache.path()).is_empty());

    // A cap from the environment, too small for any entry: a store evicts everything but what it stored.
    let probe = fixture("probe").display().to_string();
    let cranelift = |args: &[&str]| {
        let mut all = vec!["run", "--compiler", "cranelift"];
        all.extend(args);
        weld_capped(cache.path(), "1KiB", &all)
    };
    cranelift(&[&probe, "exit", "0"]).ok();
    let run = cranelift(&[&hello]);
    assert_eq!(run.ok(), "hello from weld\n");
    let left = entries(cache.path());
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["source"], hello.as_str());

    let bad = weld_in(cache.path(), &["cache", "clean", "--older-than", "soon"]);
    assert_eq!(bad.code(), 2, "{}", bad.stderr());
}

#[test]
fn fifos_planted_in_the_cache_never_block_and_clean_removes_them() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let hello = fixture("hello").display().to_string();
    weld_in(cache.path(), &["run", "--compiler", "cranelift", &hello]).ok();
    let key = entries(cache.path())[0]["key"].as_str().unwrap().to_owned();
    let compiled = cache.path().join("compiled");
    let mkfifo = |path: &Path| {
        let _ = std::fs::remove_file(path);
        assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    };
    // The entry's record and its compile lock: opened without blocking, refused as not regular files.
    mkfifo(&compiled.join(format!("{key}.json")));
    std::fs::create_dir_all(compiled.join("locks")).unwrap();
    mkfifo(&compiled.join("locks").join(&key));
    // `timeout` ends a run that would block forever, so this test fails rather than hangs.
    let timed = |args: &[&str]| {
        let mut cmd = Command::new("timeout");
        cmd.arg("60")
            .arg(weld_bin())
            .env("WELD_CACHE_DIR", cache.path())
            .env_remove("WELD_COMPILER");
        weld_with(cmd, args)
    };
    let run = timed(&["run", "-v", &hello]);
    assert_eq!(run.ok(), "hello from weld\n");
    assert!(
        run.stderr().contains("not a regular file"),
        "{}",
        run.stderr()
    );
    let cleaned = timed(&["cache", "clean"]);
    cleaned.ok();
    let left: Vec<_> = std::fs::read_dir(&compiled).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_unusable_cache_means_cranelift_now_and_no_background_compile() {
    let dir = tempfile::tempdir().unwrap();
    let _fills_dir = crate::util::Fills(dir.path());
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let hello = fixture("hello").display().to_string();
    let run = weld_in(&not_a_dir, &["run", "-v", &hello]);
    assert_eq!(run.ok(), "hello from weld\n");
    let said = run.stderr();
    assert!(
        said.contains("with Cranelift") && said.contains("could not cache it"),
        "{said}"
    );
    assert!(
        !said.contains("background") && !said.contains("rebuilt"),
        "{said}"
    );
}

#[test]
fn a_bad_cache_cap_is_a_warning_not_a_failed_run() {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let hello = fixture("hello").display().to_string();
    let run = weld_capped(cache.path(), "lots", &["run", &hello]);
    assert_eq!(run.ok(), "hello from weld\n");
    assert!(
        run.stderr().contains("ignoring WELD_CACHE_MAX_SIZE=lots"),
        "{}",
        run.stderr()
    );
}

/// Regression (a user's probe): under a file-size limit (`ulimit -f`), the cache's write killed weld with
/// SIGXFSZ before the guest ran, and left a temporary file behind on every try.
#[test]
fn a_file_size_limit_leaves_the_cache_unwritten_and_the_run_going() {
    use std::os::unix::process::CommandExt;
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    let mut cmd = command(cache.path());
    let limit = libc::rlimit {
        rlim_cur: 8192,
        rlim_max: 8192,
    };
    // SAFETY: setrlimit is async-signal-safe and touches only the child's limits.
    unsafe {
        cmd.pre_exec(move || match libc::setrlimit(libc::RLIMIT_FSIZE, &limit) {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        });
    }
    let hello = fixture("hello").display().to_string();
    let run = weld_with(cmd, ["run", "-v", "--compiler", "cranelift", &hello]);
    assert_eq!(run.ok(), "hello from weld\n");
    assert!(
        run.stderr().contains("could not cache it"),
        "{}",
        run.stderr()
    );
    let compiled = cache.path().join("compiled");
    let left: Vec<_> = std::fs::read_dir(&compiled)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Regression (shared case 17): under `auto`, a component of 256 KiB or more starts on Winch, and Winch's
/// configuration refuses some valid components Cranelift runs (a constant expression reading a global, tail calls,
/// exceptions, typed function references, GC): `auto` failed with "cannot compile". Each feature weld's engine
/// enables now runs on every path weld picks by itself; where Winch refuses, Cranelift compiles at once, says so
/// under `-v`, and caches it, so the next run maps it. `--compiler winch`, asked for, still says Winch cannot.
#[test]
fn every_wasm_feature_runs_on_every_compiler_path_and_auto_falls_back_from_winch() {
    let features = crate::util::workspace_root().join("fixtures/features");
    for (name, answer, winch_takes_it) in [
        ("extended-const", "84\n", false),
        ("tail-call", "42\n", false),
        ("exceptions", "42\n", false),
        ("function-references", "42\n", false),
        ("gc", "42\n", false),
        ("simd", "42\n", true),
    ] {
        let path = features.join(format!("{name}.wat"));
        let path = path.to_str().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let _fills_cache = crate::util::Fills(cache.path());
        // auto, Winch first (WELD_WINCH_FROM=0: every component counts as big).
        let first = weld_in(cache.path(), &["run", "-v", path, "--invoke", "f()"]);
        assert_eq!(first.ok(), answer, "{name}");
        if winch_takes_it {
            assert!(
                first.stderr().contains("with Winch"),
                "{name}: {}",
                first.stderr()
            );
            continue;
        }
        assert!(
            first.stderr().contains("Winch cannot compile it")
                && first.stderr().contains("cached for the next run"),
            "{name}: {}",
            first.stderr()
        );
        // The decision is cached: the next run maps Cranelift's code, trying Winch no more.
        let second = weld_in(cache.path(), &["run", "-v", path, "--invoke", "f()"]);
        assert_eq!(second.ok(), answer, "{name}");
        assert!(
            second.stderr().contains("using cached code"),
            "{name}: {}",
            second.stderr()
        );
        // Cranelift, and auto for a small component (Cranelift), with no cache.
        for compiler in ["cranelift", "auto"] {
            let mut cmd = command(cache.path());
            cmd.env_remove("WELD_WINCH_FROM");
            let out = weld_with(
                cmd,
                [
                    "run",
                    "--no-cache",
                    "--compiler",
                    compiler,
                    path,
                    "--invoke",
                    "f()",
                ],
            );
            assert_eq!(out.ok(), answer, "{name} on {compiler}");
        }
        // Winch, asked for by name, refuses it and says so.
        let winch = weld_in(
            cache.path(),
            &["run", "--compiler", "winch", path, "--invoke", "f()"],
        );
        assert!(winch.fails().contains("cannot compile"), "{name}");
    }
}

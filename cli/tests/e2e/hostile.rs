//! Hostile guests under `weld run`: each attack ends with weld alive, a clear report and a known exit status.
//! Path escapes and sockets have their tests in `run.rs` (`probe` and `netprobe`); the others use the `hostile`
//! fixture, and the last one a planted cache entry.

use crate::util::{Run, fixture, weld_bin, weld_with};
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `weld ARGS` with its own compiled-code cache in `cache`, compiling with Cranelift (into the cache, in the
/// foreground).
fn weld_in(cache: &Path, args: &[&str]) -> Run {
    weld_with(cranelift(cache), args)
}

/// A `weld` command with its compiled-code cache in `cache`, compiling with Cranelift.
fn cranelift(cache: &Path) -> Command {
    let mut cmd = Command::new(weld_bin());
    cmd.env("WELD_CACHE_DIR", cache)
        .env("WELD_COMPILER", "cranelift");
    cmd
}

/// The compiled code (`.cwasm`) files in a cache.
fn artifacts(cache: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(cache.join("compiled"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    found.sort();
    found
}

fn hostile() -> String {
    fixture("hostile").display().to_string()
}

#[test]
fn unbounded_recursion_is_a_stack_overflow_trap() {
    let cache = tempfile::tempdir().unwrap();
    let err = weld_in(cache.path(), &["run", &hostile(), "recurse"]).fails();
    assert!(err.contains("call stack exhausted"), "{err}");
}

#[test]
fn a_table_grown_without_end_stops_at_a_limit() {
    let cache = tempfile::tempdir().unwrap();
    // Without --max-memory, tables still stop at 10 million elements.
    let run = weld_in(cache.path(), &["run", &hostile(), "table"]);
    assert_eq!(run.code(), 125, "{}", run.stderr());
    assert!(
        run.stderr().contains(
            "table limit reached: the guest tried to grow a table past 10000000 elements"
        ),
        "{}",
        run.stderr()
    );
    // With it, the table shares the memory budget, and the limit is named.
    let run = weld_in(
        cache.path(),
        &["run", "--max-memory", "16MiB", &hostile(), "table"],
    );
    assert_eq!(run.code(), 125, "{}", run.stderr());
    assert!(run.stderr().contains("memory limit"), "{}", run.stderr());
}

#[test]
fn endless_output_ends_when_the_reader_goes_or_the_time_is_up() {
    let cache = tempfile::tempdir().unwrap();
    // A reader that takes 32 MiB and closes the pipe: the guest is stopped at its next write and weld exits
    // quietly, as a native program stopped by SIGPIPE would be.
    let mut child = Command::new(weld_bin())
        .env("WELD_CACHE_DIR", cache.path())
        .args(["run", &hostile(), "flood"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut block = vec![0u8; 1 << 20];
    let mut read = 0;
    while read < 32 << 20 {
        let n = stdout.read(&mut block).unwrap();
        assert!(n > 0, "weld stopped writing early");
        read += n;
    }
    drop(stdout);
    let started = Instant::now();
    let out = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "weld kept running after its stdout closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(out.success() && err.is_empty(), "{out}: {err}");

    // Into the void, until --timeout.
    let run = {
        let mut cmd = Command::new(weld_bin());
        cmd.env("WELD_CACHE_DIR", cache.path())
            .args(["run", "--timeout", "1s", &hostile(), "flood"])
            .stdout(Stdio::null());
        let output = cmd.output().unwrap();
        Run {
            args: vec!["run --timeout 1s hostile flood".into()],
            output,
        }
    };
    assert_eq!(run.code(), 124, "{}", run.stderr());
}

#[test]
fn endless_resources_hit_the_host_table_limit() {
    let cache = tempfile::tempdir().unwrap();
    let err = weld_in(cache.path(), &["run", &hostile(), "pollables"]).fails();
    assert!(err.contains("handle limit exceeded"), "{err}");
}

#[test]
fn a_cache_entry_swapped_for_another_components_is_not_run() {
    let cache = tempfile::tempdir().unwrap();
    let hello = fixture("hello").display().to_string();
    let probe = fixture("probe").display().to_string();
    let hello_out = weld_in(cache.path(), &["run", &hello]).ok();
    weld_in(cache.path(), &["run", &probe, "exit", "0"]).ok();
    let entries = artifacts(cache.path());
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Put probe's sound code where hello's was, and the other way round.
    let swap = cache.path().join("swap");
    std::fs::rename(&entries[0], &swap).unwrap();
    std::fs::rename(&entries[1], &entries[0]).unwrap();
    std::fs::rename(&swap, &entries[1]).unwrap();
    let run = weld_in(cache.path(), &["run", "-v", &hello]);
    assert_eq!(run.ok(), hello_out, "hello ran other code");
    assert!(
        run.stderr().contains("another entry's file"),
        "{}",
        run.stderr()
    );
}

#[test]
fn two_runs_filling_one_cache_entry_both_succeed() {
    let cache = tempfile::tempdir().unwrap();
    let hello = fixture("hello").display().to_string();
    let spawn = || {
        cranelift(cache.path())
            .args(["run", &hello, "same"])
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
    // What they left is one sound entry that a third run uses.
    let third = weld_in(cache.path(), &["run", "-v", &hello, "same"]);
    assert_eq!(third.ok().as_bytes(), a.stdout);
    assert!(
        third.stderr().contains("using cached code"),
        "{}",
        third.stderr()
    );
    let left: Vec<_> = std::fs::read_dir(cache.path().join("compiled"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !matches!(name.as_str(), "index" | "functions" | "locks"))
        .collect();
    assert_eq!(
        left.len(),
        2,
        "one entry (code and record), no temporary files: {left:?}"
    );
    assert_eq!(artifacts(cache.path()).len(), 1, "{left:?}");
}

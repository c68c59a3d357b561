//! Cold starts under containerd, beside `weld run` and runc, in one run (a whole-process timing; the issue's
//! target: a container of the small cached command from create to exit within 50 ms of `weld run` of the same
//! file, cached). Run as root, with the release `weld` built beside the shim:
//!
//!     cargo build --release -p weld-cli -p weld-shim && sudo cargo bench -p weld-shim --bench start
//!
//! It starts a private containerd and registry (as the tests do), pushes the `hello` command, and times:
//! - `weld run hello.wasm` with a warm cache of compiled code;
//! - a container of the pushed artifact, created and run as the CRI does, through containerd's API (a snapshot, the
//!   container record, then the task created, started and waited for), from the start of its creation to its
//!   exit (the code compiled into containerd's content store by the first container; the task's deletion
//!   afterwards not counted);
//! - the same component as a file in the container's root file system (compiled at every start), the same way;
//! - a static native program under runc, the same way: containerd's floor.
//!
//! Each is the median of 15 runs, after one that warms it.

// The tests' harness; the bench uses part of it.
#[allow(dead_code)]
#[path = "../tests/harness/mod.rs"]
mod harness;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn main() {
    let Some(ctd) = harness::Containerd::start() else {
        eprintln!("start: needs root, containerd and docker-registry");
        return;
    };
    let shim = Path::new(env!("CARGO_BIN_EXE_containerd-shim-weld-v1"));
    let weld = shim.with_file_name("weld");
    if !weld.exists() {
        eprintln!("start: build weld beside the shim first (cargo build --release -p weld-cli)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let hello = weld_tests::fixture("hello");
    let image = ctd.push("hello");
    let cache = work.path().join("cache");
    let weld_run = median(|_| {
        let start = Instant::now();
        let status = Command::new(&weld)
            .args(["run", hello.to_str().unwrap()])
            .env("WELD_CACHE_DIR", &cache)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
        start.elapsed()
    });
    let artifact = median(|i| {
        let out = ctd.run(&format!("artifact-{i}"), &image, &["hello.wasm"], &[], &[]);
        assert_eq!(out.code, 0, "{out:?}");
        out.took
    });
    let file = median(|i| {
        let files = [("hello.wasm", hello.as_path())];
        let id = format!("file-{i}");
        let out = ctd.run_on(harness::RUNTIME, &id, "", &["/hello.wasm"], &files, |_| {});
        assert_eq!(out.code, 0, "{out:?}");
        out.took
    });
    let native = harness::native_hello(work.path()).map(|dir| {
        let program = dir.join("hello");
        median(|i| {
            let files = [("hello", program.as_path())];
            let id = format!("native-{i}");
            let out = ctd.run_on(
                "io.containerd.runc.v2",
                &id,
                "",
                &["/hello"],
                &files,
                |_| {},
            );
            assert_eq!(out.code, 0, "{out:?}");
            out.took
        })
    });
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("cold starts, median of {RUNS} (2 cores):");
    println!(
        "  weld run, cached                                 {}",
        ms(weld_run)
    );
    println!(
        "  weld shim, pushed artifact, compiled code kept   {}  (+{} over weld run)",
        ms(artifact),
        ms(artifact.saturating_sub(weld_run))
    );
    println!(
        "  weld shim, file in a rootfs, compiled each start {}",
        ms(file)
    );
    match native {
        Some(native) => println!(
            "  runc, static native program                      {}",
            ms(native)
        ),
        None => println!("  runc: no static native program (cc -static failed)"),
    }
    println!(
        "shim binary: {} bytes",
        std::fs::metadata(shim).unwrap().len()
    );
}

/// The median of `RUNS` times `run` reports (given the call's number), after one call that is not counted.
fn median(mut run: impl FnMut(usize) -> Duration) -> Duration {
    run(RUNS);
    let mut times: Vec<Duration> = (0..RUNS).map(&mut run).collect();
    times.sort();
    times[RUNS / 2]
}

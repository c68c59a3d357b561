//! The runtime, in-process:
//! - `instantiate+call`: a fresh store, instance and call of `wasi:cli/run` of the composed greet component
//!   (app + greeter; output dropped), from an `InstancePre` linked once: what each request of an embedding pays.
//!   Target: median under 50 microseconds.
//! - `sum-squares`: a compute-bound guest (`compute` fixture: fill an array of N u64 with i*i, then sum it) beside
//!   the same two loops in native Rust (which rustc vectorises), as scalar wasm and as wasm SIMD. Target: the
//!   guest within 1.3x of native.
//!
//! Run: `cargo bench -p weld-runtime --bench run`; whole-process start-up beside `wasmtime run` is
//! `runtime/benches/run-vs-wasmtime.py`.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn benches`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use weld_compose::{Component, Options, compose};
use weld_runtime::{EngineSettings, Grants, RunLimits, RunSpec, Runtime, Stdio};

fn spec() -> RunSpec {
    RunSpec {
        grants: Grants::default(),
        limits: RunLimits::default(),
        args: vec!["hello.wasm".into()],
        stdio: Stdio::Null,
        stuck: None,
    }
}

/// Writes `bytes` to a file in `dir` and loads it (compiled once, no cache).
fn load(runtime: &Runtime, dir: &Path, name: &str, bytes: &[u8]) -> weld_runtime::Loaded {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the component");
    runtime.load(&path, false).expect("compile the component")
}

fn instantiate_and_call(c: &mut Criterion) {
    let built = |name: &str| {
        Component::new(
            format!("{name}.wasm"),
            weld_fixtures::build(name).expect("build the fixture"),
        )
    };
    let hello =
        compose(built("app"), vec![built("greeter")], &Options::default()).expect("compose greet");
    let dir = tempfile::tempdir().expect("a temp dir");
    let pooled = EngineSettings {
        pooling: Some(64),
        ..EngineSettings::default()
    };
    let runtime = Runtime::new(pooled, None).expect("an engine");
    let loaded = load(&runtime, dir.path(), "hello.wasm", &hello.to_bytes());
    let pre = runtime.prepare(&loaded).expect("link");
    c.bench_function("instantiate+call/greet", |b| {
        b.iter(|| {
            let status = runtime
                .run_command(&pre, &loaded.path, spec())
                .expect("run");
            assert_eq!(status, 0);
        })
    });
}

/// The guest's loops, natively: fill `n` u64 with i*i, then sum them (wrapping).
fn native_sum_squares(buffer: &mut Vec<u64>, n: u32) -> u64 {
    buffer.clear();
    buffer.extend((0..n as u64).map(|i| i.wrapping_mul(i)));
    buffer.iter().fold(0u64, |sum, x| sum.wrapping_add(*x))
}

fn compute(c: &mut Criterion) {
    let n: u32 = 4 << 20;
    let dir = tempfile::tempdir().expect("a temp dir");
    let runtime = Runtime::new(EngineSettings::default(), None).expect("an engine");
    let loaded = load(
        &runtime,
        dir.path(),
        "compute.wasm",
        &weld_fixtures::build("compute").expect("build compute"),
    );
    let pre = runtime.prepare(&loaded).expect("link");
    let mut results = Vec::new();
    let mut group = c.benchmark_group("sum-squares");
    group.throughput(Throughput::Elements(n.into()));
    group.sample_size(20);
    let mut buffer = Vec::new();
    group.bench_function("native", |b| {
        b.iter(|| black_box(native_sum_squares(&mut buffer, black_box(n))))
    });
    // One instance, many calls, timed from the end of a first (warm-up) call: like the native buffer, the guest's
    // memory is then grown and its pages touched. The scalar loops, and the same loops with wasm SIMD (as rustc
    // emits them for wasm32 with simd128).
    for function in ["sum-squares", "sum-squares-simd"] {
        let call = format!("{function}({n})");
        group.bench_function(format!("guest/{function}"), |b| {
            b.iter_custom(|iters| {
                let calls = vec![call.clone(); iters as usize + 1];
                let mut start = None;
                runtime
                    .invoke(&pre, spec(), &calls, |_, result| {
                        start.get_or_insert_with(std::time::Instant::now);
                        results.push(result);
                    })
                    .expect("call the guest");
                start.expect("the warm-up call returned").elapsed()
            })
        });
    }
    group.finish();
    let native = native_sum_squares(&mut buffer, n).to_string();
    assert!(
        results.iter().all(|r| *r == native),
        "the guest computes what Rust does"
    );
}

criterion_group!(benches, instantiate_and_call, compute);
criterion_main!(benches);

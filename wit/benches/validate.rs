//! Validation throughput on a generated component of at least 10 MB (the number `weld validate` is held to:
//! at least `wasm-tools validate` on the same file). Run: `cargo bench -p weld-wit --bench validate`.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn benches`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn validate_10mb(c: &mut Criterion) {
    let bytes = weld_fixtures::large_component(10 << 20).expect("build the large component");
    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("component-10MB", |b| {
        b.iter(|| weld_wit::validate(black_box(&bytes)).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, validate_10mb);
criterion_main!(benches);

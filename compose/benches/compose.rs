//! Composition time, in-process: chains of N = 10, 100, 499 and 1000 components (each plugs the next one's import,
//! so the whole chain is matched transitively) and two components of 20 MB (one plugs the other). Growth should be
//! about linear in N and in bytes. 499 is the longest chain whose result is valid: the component-model validator
//! (wasmparser's, which wasmtime shares) allows 1000 instances per component and each link adds two; at 1000 the
//! whole composition is built and encoded, and validation rejects it, so that case times everything up to the
//! verdict. Run: `cargo bench -p weld-compose --bench compose`; the whole-process comparison
//! with `wac` is `compose/benches/compose-vs-wac.sh`.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn benches`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use weld_compose::{Component, Options, compose};

/// The chain's root (the last component) and its plugs, labelled like files.
fn chain(n: usize) -> (Component, Vec<Component>) {
    let mut components: Vec<Component> = weld_fixtures::chain(n)
        .expect("build the chain")
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| Component::new(format!("c{i}.wasm"), bytes))
        .collect();
    let root = components.pop().expect("n >= 1");
    (root, components)
}

fn chains(c: &mut Criterion) {
    let mut group = c.benchmark_group("compose-chain");
    group.sample_size(10);
    for n in [10, 100, 499, 1000] {
        let (root, plugs) = chain(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}"), |b| {
            b.iter_batched(
                || (root.clone(), plugs.clone()),
                |(root, plugs)| {
                    let result = compose(root, plugs, &Options::default());
                    assert_eq!(result.is_ok(), n < 500, "only chains under 500 are valid");
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn large_pair(c: &mut Criterion) {
    let size = 20 << 20;
    let root = Component::new(
        "large-consumer.wasm",
        weld_fixtures::large_consumer(size).expect("build the consumer"),
    );
    let plug = Component::new(
        "large.wasm",
        weld_fixtures::large_component(size).expect("build the provider"),
    );
    let mut group = c.benchmark_group("compose-large");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(
        (root.bytes.len() + plug.bytes.len()) as u64,
    ));
    group.bench_function("2x20MB", |b| {
        b.iter_batched(
            || (root.clone(), vec![plug.clone()]),
            |(root, plugs)| compose(root, plugs, &Options::default()).expect("composes"),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, chains, large_pair);
criterion_main!(benches);

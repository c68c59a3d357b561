//! `weld serve`'s request path, in-process: a [`Server`] on a free 127.0.0.1 port with the `handler` fixture, and
//! one kept-alive connection sending `GET /` (a fresh instance per request, a header and a 25-byte chunked body),
//! on engines with and without the pooling allocator: what a request costs besides the guest's own work
//! (instantiation, memory set-up, the store, hyper). Target: median under 100 microseconds per request, pooled.
//!
//! Run: `cargo bench -p weld-runtime --bench serve`; the whole server under load beside `wasmtime serve` is
//! `runtime/benches/serve-vs-wasmtime.py`.
#![allow(missing_docs)] // criterion_group! defines an undocumented `pub fn benches`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use weld_runtime::{Access, EngineSettings, GuestStream, Runtime, ServeLog, ServeSpec, Server};

/// Drops every record: the bench measures the server, not a log.
struct NoLog;

impl ServeLog for NoLog {
    fn guest_output(&self, _: u64, _: GuestStream, _: &[u8]) {}
    fn access(&self, _: &Access<'_>) {}
}

/// Reads one chunked response and returns its status line.
fn read_response(reader: &mut BufReader<TcpStream>) -> String {
    let mut status = String::new();
    reader.read_line(&mut status).expect("a status line");
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a header");
        if line == "\r\n" {
            break;
        }
    }
    loop {
        line.clear();
        reader.read_line(&mut line).expect("a chunk size");
        let size = usize::from_str_radix(line.trim(), 16).expect("a hex chunk size");
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).expect("a chunk");
        if size == 0 {
            return status;
        }
    }
}

fn request(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("handler.wasm");
    std::fs::write(
        &path,
        weld_fixtures::build("handler").expect("build the handler"),
    )
    .expect("write");
    let threads = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut group = c.benchmark_group("serve-request");
    for (name, pooling) in [("pooled", Some(64)), ("on-demand", None)] {
        let settings = EngineSettings {
            pooling,
            interruptible: true,
            ..EngineSettings::default()
        };
        let runtime = Runtime::new(settings, None).expect("an engine");
        let loaded = runtime.load(&path, false).expect("compile");
        let handler = runtime.prepare_handler(&loaded).expect("link");
        let spec = ServeSpec {
            grants: Default::default(),
            limits: Default::default(),
            max_concurrent: 64,
            max_body: 1 << 20,
            argv0: "handler.wasm".into(),
            reuse: Default::default(),
            headers: Default::default(),
            connections: Default::default(),
        };
        let server = Arc::new(Server::new(handler, spec, Arc::new(NoLog)).expect("a server"));
        let listener = threads
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = {
            let server = server.clone();
            threads.spawn(async move {
                let drain = std::time::Duration::from_secs(1);
                server
                    .serve(listener, async { drop(stopped.await) }, drain)
                    .await
            })
        };
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let mut writer = stream.try_clone().expect("clone");
        let mut reader = BufReader::new(stream);
        group.bench_function(name, |b| {
            b.iter(|| {
                writer
                    .write_all(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
                    .expect("send");
                let status = read_response(&mut reader);
                assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            })
        });
        drop((writer, reader));
        let _ = stop.send(());
        threads.block_on(serving).expect("the server stops");
    }
    group.finish();
}

criterion_group!(benches, request);
criterion_main!(benches);

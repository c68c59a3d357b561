//! A TCP proxy that stands in front of a real registry and misbehaves on purpose: it answers 500 to the first
//! connections, cuts the traffic after a number of bytes, as a registry that fails or dies part-way does, or
//! closes each connection unanswered. Its fault can change while it runs ([`FaultProxy::set`]). It stops when
//! dropped.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What the proxy does wrong.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Forward faithfully.
    Forward,
    /// Read the request, then close the connection without a word: a registry (or a proxy in front of one)
    /// that hangs up.
    Close,
    /// Answer `500 Internal Server Error` on the first this many connections, then forward faithfully.
    Fail500(usize),
    /// Forward until this many bytes went from the registry to the client in all, then cut every connection,
    /// now and later: a registry that died in the middle of a pull.
    CutResponsesAfter(usize),
    /// The same for bytes from the client to the registry: a registry that died in the middle of a push.
    CutRequestsAfter(usize),
    /// Take every request and never answer: a registry that hangs.
    Stall,
}

/// A running proxy.
pub struct FaultProxy {
    /// `127.0.0.1:<port>`: give this to weld in place of the registry's address.
    pub addr: String,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
}

struct Shared {
    upstream: String,
    fault: Mutex<Fault>,
    connections: AtomicUsize,
    to_client: AtomicUsize,
    to_registry: AtomicUsize,
    dead: AtomicBool,
}

impl FaultProxy {
    /// A proxy on a free 127.0.0.1 port in front of `upstream` (`host:port`).
    pub fn start(upstream: &str, fault: Fault) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            fault: Mutex::new(fault),
            connections: AtomicUsize::new(0),
            to_client: AtomicUsize::new(0),
            to_registry: AtomicUsize::new(0),
            dead: AtomicBool::new(false),
        });
        let stopping = stop.clone();
        let proxy_shared = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let shared = shared.clone();
                std::thread::spawn(move || serve(client, &shared));
            }
        });
        FaultProxy {
            addr,
            stop,
            shared: proxy_shared,
        }
    }

    /// Changes the fault for the connections that come next.
    pub fn set(&self, fault: Fault) {
        *self.shared.fault.lock().unwrap() = fault;
    }

    /// How many connections the proxy has taken.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

fn serve(mut client: TcpStream, shared: &Arc<Shared>) {
    let n = shared.connections.fetch_add(1, Ordering::SeqCst);
    let fault = *shared.fault.lock().unwrap();
    if shared.dead.load(Ordering::SeqCst) {
        return;
    }
    if let Fault::Close = fault {
        let mut head = [0u8; 4096];
        let _ = client.read(&mut head);
        return;
    }
    if let Fault::Fail500(failing) = fault
        && n < failing
    {
        let mut head = [0u8; 4096];
        let _ = client.read(&mut head);
        let _ = client.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    if let Fault::Stall = fault {
        // Read whatever comes until the client gives up and closes.
        let mut sink = [0u8; 4096];
        while matches!(client.read(&mut sink), Ok(n) if n > 0) {}
        return;
    }
    let Ok(registry) = TcpStream::connect(&shared.upstream) else {
        return;
    };
    let (Ok(client2), Ok(registry2)) = (client.try_clone(), registry.try_clone()) else {
        return;
    };
    let up = {
        let shared = shared.clone();
        std::thread::spawn(move || pump(client2, registry2, &shared, fault, Direction::ToRegistry))
    };
    pump(registry, client, shared, fault, Direction::ToClient);
    let _ = up.join();
}

#[derive(Clone, Copy)]
enum Direction {
    ToClient,
    ToRegistry,
}

/// Copies `from` to `to` until either closes or the fault says to cut.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    shared: &Shared,
    fault: Fault,
    direction: Direction,
) {
    let (counter, limit) = match (direction, fault) {
        (Direction::ToClient, Fault::CutResponsesAfter(limit)) => (&shared.to_client, Some(limit)),
        (Direction::ToRegistry, Fault::CutRequestsAfter(limit)) => {
            (&shared.to_registry, Some(limit))
        }
        (Direction::ToClient, _) => (&shared.to_client, None),
        (Direction::ToRegistry, _) => (&shared.to_registry, None),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if shared.dead.load(Ordering::SeqCst) {
            break;
        }
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let before = counter.fetch_add(n, Ordering::SeqCst);
        let allowed = match limit {
            Some(limit) if before + n >= limit => {
                shared.dead.store(true, Ordering::SeqCst);
                limit.saturating_sub(before)
            }
            _ => n,
        };
        if to.write_all(&buf[..allowed]).is_err() || allowed < n {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

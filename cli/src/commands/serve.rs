//! `weld serve C.wasm`: serve a `wasi:http` handler component (0.2 or 0.3) over HTTP, a fresh sandboxed instance
//! per request (or one reused for up to `--reuse-instances` requests), until SIGINT or SIGTERM.

use crate::headers::HeaderArg;
use crate::input::Input;
use crate::sandbox::{Failure, SandboxOpts, argv0};
use crate::values::{parse_duration, parse_size};
use anyhow::{Context as _, Result};
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use weld_runtime::{
    Access, ConnectionLimits, DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_MEMORY, Grants, GuestStream,
    InstanceReuse, RequestOutcome, ServeLog, ServeSpec, Server, UnreadBody,
};

/// Serve a component that exports wasi:http/incoming-handler@0.2 or wasi:http/handler@0.3 over HTTP/1.1. Each
/// request gets a fresh instance (unless --reuse-instances says otherwise), so nothing one request leaves behind
/// is seen by the next; the grants (none unless given) and the limits apply to each request.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  weld serve hello.wasm                                  on http://127.0.0.1:8080
  weld serve hello.wasm --addr 127.0.0.1:0               on a free port (the address is printed)
  weld serve api.wasm --timeout 2s --max-memory 128MiB   each request bounded
  weld serve api.wasm --allow-http=api.example.com --env API_KEY --log-format json

A request that hits a limit gets a 5xx naming it (504 for --timeout, 500 for --max-memory and
--fuel) and the server goes on serving; without --max-memory each request may grow to 1GiB. Logs
go to stderr: one access line per request and the guest's output, each marked with the request's
id. SIGINT or SIGTERM stops accepting, lets the requests in flight finish (up to --drain-timeout)
and exits 0.")]
pub struct Opts {
    /// The component: `.wasm`, `.wat`, a `.cwasm` from `weld compile` (with --allow-precompiled), or a registry
    /// reference `oci://host[:port]/repo:tag` (or `@sha256:...`), pulled and verified.
    #[arg(value_parser = Input::parse)]
    pub component: Input,
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Requests in flight at once; past it a request gets 503 at once.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONCURRENT as u32, value_parser = clap::value_parser!(u32).range(1..=2048))]
    pub max_concurrent: u32,
    /// Largest request body (e.g. 1MiB): a larger declared length gets 413; a chunked body that grows past it
    /// ends with an error the guest sees.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16MiB")]
    pub max_body: u64,
    /// How long a shutdown waits for the requests in flight.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub drain_timeout: Duration,
    /// Requests one instance may serve, one after another, before a fresh one takes over. The default, 1, gives
    /// every request a fresh instance. More is faster (no instantiation per request) but lets a request see
    /// what earlier ones left in the instance: globals, heap, caches, open handles. Only for handlers that keep
    /// nothing of one client from the next. --max-memory then bounds the instance, not the request.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub reuse_instances: u32,
    /// How long a reused instance may wait for its next request before it is dropped (with --reuse-instances).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "1s", requires = "reuse_instances")]
    pub idle_instance_timeout: Duration,
    /// Set a header on every request before the handler sees it, replacing the client's values of that name:
    /// `-H 'name: value'`, repeatable; `-H @FILE` reads one `name: value` a line (blank lines and lines starting
    /// with `#` skipped). As `wasmtime serve -H`.
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE' | @FILE", value_parser = HeaderArg::parse)]
    pub headers: Vec<HeaderArg>,
    /// How long a client may take to send a request's headers (also how long a kept-alive connection may stay
    /// idle); past it the connection is closed.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub header_read_timeout: Duration,
    /// How long a request body may take, plus one second for every 500 bytes it delivers (Apache's
    /// mod_reqtimeout rule); past it the body ends with a read timeout, so a slow upload frees its slot.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub body_read_timeout: Duration,
    /// Bytes of a request body read before the request takes a --max-concurrent slot; a slow upload of that
    /// size then waits on its connection, not in a slot. 0 hands every body to the handler as it arrives (for a
    /// handler that answers before its client has sent this much).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64KiB")]
    pub read_ahead: u64,
    /// Largest request header section (request line and headers); past it the client gets 431.
    #[arg(long, value_name = "SIZE", value_parser = parse_header_size, default_value = "64KiB")]
    pub max_header_size: u64,
    /// The log's format on stderr.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// The grants, limits and code options.
    #[command(flatten)]
    pub sandbox: SandboxOpts,
}

/// Raises the soft limit on open files to the hard one, as servers do (nginx's `worker_rlimit_nofile`, Go's
/// runtime since 1.19): the usual soft limit, 1,024, lets a few thousand idle connections lock every other
/// client out. Failing to raise it leaves the limit as it was.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// `--max-header-size`: a size hyper can take (at least 1 KiB; at most 16 MiB).
fn parse_header_size(text: &str) -> Result<u64, String> {
    let size = parse_size(text)?;
    if !(1024..=16 << 20).contains(&size) {
        return Err(format!("{text} is out of range: give 1KiB to 16MiB"));
    }
    Ok(size)
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `[req 7] GET /path 200 1.2 ms` and `[req 7] <guest line>`.
    Text,
    /// One JSON object per line: `{"request":7,"method":"GET",...}`, `{"request":7,"stream":"stdout","line":...}`,
    /// and the server's own `{"event":"listening"|"stopping"|"stopped",...}`.
    Json,
}

impl Opts {
    /// Runs `weld serve`.
    pub fn run(self) -> Result<ExitCode> {
        crate::sandbox::finish(self.execute())
    }

    fn execute(self) -> Result<ExitCode, Failure> {
        let mut headers = http::HeaderMap::new();
        for header in &self.headers {
            header.add_to(&mut headers)?;
        }
        let ready = self
            .sandbox
            .load(&self.component, Some(self.max_concurrent))?;
        let handler = ready.linked(ready.runtime.prepare_handler(&ready.loaded))?;
        let mut limits = self.sandbox.limits();
        limits.max_memory.get_or_insert(DEFAULT_MAX_MEMORY);
        let spec = ServeSpec {
            grants: self.sandbox.grants(),
            limits,
            max_concurrent: self.max_concurrent as usize,
            max_body: self.max_body,
            argv0: argv0(&ready.name),
            reuse: InstanceReuse {
                max_requests: self.reuse_instances,
                idle: self.idle_instance_timeout,
            },
            headers,
            connections: ConnectionLimits {
                header_read_timeout: self.header_read_timeout,
                max_header_bytes: self.max_header_size as usize,
                body_read_timeout: self.body_read_timeout,
                read_ahead: self.read_ahead,
            },
        };
        let log = Arc::new(StderrLog {
            format: self.log_format,
        });
        let granted = granted(&spec.grants);
        let server = Server::new(handler, spec, log)?;
        raise_open_file_limit();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the server's threads")?;
        let drained = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(self.addr)
                .await
                .with_context(|| format!("cannot listen on {}", self.addr))?;
            let addr = listener
                .local_addr()
                .context("cannot read the bound address")?;
            // The handlers are in place before the address is printed: a script that signals as soon as it
            // reads the address gets a graceful stop, not the default action.
            let signals = StopSignals::install()?;
            say_start(self.log_format, &ready.name, addr, &granted);
            let drain = self.drain_timeout;
            let format = self.log_format;
            anyhow::Ok(
                server
                    .serve(listener, signals.wait(format, drain), drain)
                    .await,
            )
        })?;
        // Guests still running after the drain (cut connections) are not waited for.
        runtime.shutdown_background();
        let text = match self.log_format {
            LogFormat::Text => {
                let cut = if drained.cut > 0 {
                    format!(
                        "; {} cut after --drain-timeout {}",
                        count(drained.cut as u64, "connection"),
                        humantime::format_duration(self.drain_timeout)
                    )
                } else {
                    String::new()
                };
                format!(
                    "weld: stopped after {}{cut}",
                    count(drained.requests, "request")
                )
            }
            LogFormat::Json => serde_json::json!({
                "event": "stopped", "requests": drained.requests, "connections-cut": drained.cut
            })
            .to_string(),
        };
        eprintln!("{text}");
        Ok(ExitCode::SUCCESS)
    }
}

/// What the guest may use, one line per kind, for a server's start-up message: directories with their guest
/// paths and modes, environment variable names (never their values), network ranges, HTTP hosts. Empty when
/// nothing is granted.
fn granted(grants: &Grants) -> Vec<String> {
    let mut lines: Vec<String> = grants
        .dirs
        .iter()
        .map(|d| {
            let mode = if d.read_only {
                "read-only"
            } else {
                "read-write"
            };
            format!("directory {} as {} ({mode})", d.host.display(), d.guest)
        })
        .collect();
    if grants.inherit_env {
        lines.push("the whole host environment".into());
    }
    if !grants.env.is_empty() {
        let names: Vec<&str> = grants.env.iter().map(|(name, _)| name.as_str()).collect();
        lines.push(format!("environment variables {}", names.join(", ")));
    }
    if let Some(net) = &grants.net {
        lines.push(format!("sockets to {net}"));
    }
    if let Some(http) = &grants.http {
        lines.push(format!("outgoing HTTP to {http}"));
    }
    lines
}

/// `n thing` or `n things`.
fn count(n: u64, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The start-up lines: what was granted, then where it listens (the last line, for scripts to wait for). In
/// JSON, one object: `{"event":"listening","component":..,"url":"http://IP:PORT/","granted":[..]}`.
fn say_start(format: LogFormat, component: &std::path::Path, addr: SocketAddr, granted: &[String]) {
    if format == LogFormat::Json {
        let record = serde_json::json!({
            "event": "listening",
            "component": component.display().to_string(),
            "url": format!("http://{addr}/"),
            "granted": granted,
        });
        eprintln!("{record}");
        return;
    }
    let mut text = String::new();
    if granted.is_empty() {
        text.push_str("weld: granted nothing: no files, environment, sockets or outgoing HTTP\n");
    } else {
        text.push_str("weld: granted:\n");
        for line in granted {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text.push_str(&format!(
        "weld: serving {} on http://{addr}/\n",
        component.display()
    ));
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// SIGINT and SIGTERM, caught from [`StopSignals::install`] on (which must run inside the tokio runtime).
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Replaces the default action of both signals (ending the process) with a stream of them.
    fn install() -> Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        let catch = |kind: SignalKind, name: &str| {
            signal(kind).with_context(|| format!("cannot catch {name} for a graceful shutdown"))
        };
        Ok(StopSignals {
            interrupt: catch(SignalKind::interrupt(), "SIGINT")?,
            terminate: catch(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// Completes on the first SIGINT or SIGTERM, saying that the server is draining.
    async fn wait(mut self, format: LogFormat, drain: Duration) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        let drain = humantime::format_duration(drain).to_string();
        match format {
            LogFormat::Text => eprintln!(
                "weld: shutting down: no new requests; waiting up to {drain} for those in flight"
            ),
            LogFormat::Json => {
                eprintln!(
                    "{}",
                    serde_json::json!({"event": "stopping", "drain-timeout": drain})
                )
            }
        }
    }
}

/// The server's log, on stderr.
struct StderrLog {
    format: LogFormat,
}

impl ServeLog for StderrLog {
    fn guest_output(&self, request: u64, stream: GuestStream, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        let text = match self.format {
            LogFormat::Text => match stream {
                GuestStream::Stdout => format!("[req {request}] {line}\n"),
                GuestStream::Stderr => format!("[req {request} stderr] {line}\n"),
            },
            LogFormat::Json => {
                let stream = match stream {
                    GuestStream::Stdout => "stdout",
                    GuestStream::Stderr => "stderr",
                };
                let record =
                    serde_json::json!({"request": request, "stream": stream, "line": line});
                format!("{record}\n")
            }
        };
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    fn access(&self, record: &Access<'_>) {
        let why = outcome_text(record.outcome);
        let ms = record.took.as_secs_f64() * 1000.0;
        let text = match self.format {
            LogFormat::Text => {
                // A trap's backtrace follows on lines of its own, each marked with the request.
                let why = why.unwrap_or_default();
                let mut lines = why.lines();
                let first = lines.next().map(|w| format!(" ({w})")).unwrap_or_default();
                let mut text = format!(
                    "[req {}] {} {} {} {ms:.1} ms{first}\n",
                    record.id, record.method, record.target, record.status
                );
                for line in lines {
                    text.push_str(&format!("[req {}]   {line}\n", record.id));
                }
                text
            }
            LogFormat::Json => {
                let mut value = serde_json::json!({
                    "request": record.id,
                    "method": record.method.as_str(),
                    "path": record.target,
                    "status": record.status,
                    "duration-ms": (ms * 1000.0).round() / 1000.0,
                    "outcome": outcome_name(record.outcome),
                });
                if let Some(why) = why {
                    value["error"] = why.into();
                }
                format!("{value}\n")
            }
        };
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

/// The outcome's name in the JSON log.
fn outcome_name(outcome: &RequestOutcome) -> &'static str {
    match outcome {
        RequestOutcome::Answered => "answered",
        RequestOutcome::Busy(_) => "busy",
        RequestOutcome::TooLarge(_) => "too-large",
        RequestOutcome::BadRequest(_) => "bad-request",
        RequestOutcome::Unread(UnreadBody::TooSlow(_)) => "slow-body",
        RequestOutcome::Unread(_) => "body-cut",
        RequestOutcome::Failed(weld_runtime::RunError::Limit(_)) => "limit",
        RequestOutcome::Failed(_) => "failed",
        RequestOutcome::NoResponse => "no-response",
        RequestOutcome::GuestError(_) => "guest-error",
        RequestOutcome::Gone => "client-gone",
        RequestOutcome::Cut => "cut-at-shutdown",
    }
}

/// What went wrong, if anything.
fn outcome_text(outcome: &RequestOutcome) -> Option<String> {
    Some(match outcome {
        RequestOutcome::Answered => return None,
        RequestOutcome::Busy(n) => format!(
            "busy: {} in flight, the --max-concurrent cap",
            count(*n as u64, "request")
        ),
        RequestOutcome::TooLarge(cap) => format!("body over --max-body {cap} bytes"),
        RequestOutcome::BadRequest(why) => format!("bad request: {why}"),
        RequestOutcome::Unread(unread) => weld_wit::one_line(unread),
        RequestOutcome::Failed(err) => weld_wit::one_line(err),
        RequestOutcome::NoResponse => "the handler returned without setting a response".into(),
        RequestOutcome::GuestError(code) => format!("the handler answered with the error {code}"),
        RequestOutcome::Gone => "the client went away before the whole response was sent".into(),
        RequestOutcome::Cut => "unfinished when the drain time ran out: cut at shutdown".into(),
    })
}

//! A registry session: one async runtime, one client per registry, credentials chosen once per registry, and
//! the translation of protocol errors into [`RegistryError`]s that name the registry and the reference.

use crate::auth::{Auth, Chosen};
use crate::cache::ContentCache;
use crate::error::RegistryError;
use crate::progress::{Progress, Silent};
use crate::pulled::Pulled;
use crate::reference::Reference;
use crate::transport::Transport;
use oci_client::RegistryOperation;
use oci_client::errors::{OciDistributionError, OciErrorCode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Talks to registries: push, pull, sign, verify, and the content cache.
///
/// The core is async: [`Registry::pull_async`], [`Registry::push_async`], [`Registry::resolve_async`],
/// [`Registry::sign_async`] and [`Registry::verify_async`] are futures to await on the caller's tokio runtime (its
/// IO and time drivers enabled, as `#[tokio::main]` has them). [`Registry::pull`] and the other methods without the
/// suffix are the blocking wrapper: they drive the same futures on a single-threaded runtime of the session's own,
/// made on first use (an async embedder never makes one). Called from inside a tokio runtime, a blocking method
/// runs its work on a thread of its own while the caller's thread waits, rather than panicking as a nested
/// `block_on` would.
pub struct Registry {
    /// The runtime of the blocking methods, made on first use.
    runtime: std::sync::OnceLock<tokio::runtime::Runtime>,
    pub(crate) transport: Transport,
    pub(crate) auth: Auth,
    pub(crate) cache: ContentCache,
    pub(crate) progress: Arc<dyn Progress>,
    clients: Mutex<HashMap<String, Arc<Connection>>>,
    /// Tags resolved in this session, so each is looked up once.
    pub(crate) resolved: Mutex<HashMap<String, Pulled>>,
    /// The largest layer a pull downloads, in bytes.
    pub(crate) max_size: u64,
    /// Keys one of which must verify a signature of what a pull resolves to; none: no policy.
    pub(crate) trusted: Vec<crate::signing::PublicKey>,
}

/// The largest layer a pull downloads unless [`Registry::with_max_size`] says otherwise: 1 GiB, the size past
/// which weld refuses a component file anyway ([`weld_files::MAX_INPUT`]). A registry can declare any size, and
/// one that streams without end could otherwise fill the disk.
pub const DEFAULT_MAX_SIZE: u64 = weld_files::MAX_INPUT;

/// A client for one registry, with the credentials chosen for it.
pub(crate) struct Connection {
    pub(crate) client: oci_client::Client,
    pub(crate) chosen: Chosen,
    pub(crate) registry: String,
    scheme: &'static str,
}

impl Registry {
    /// A session with the given connection settings, credentials and content cache.
    pub fn new(
        transport: Transport,
        auth: Auth,
        cache: ContentCache,
    ) -> Result<Registry, RegistryError> {
        Ok(Registry {
            runtime: std::sync::OnceLock::new(),
            transport,
            auth,
            cache,
            progress: Arc::new(Silent),
            clients: Mutex::default(),
            resolved: Mutex::default(),
            max_size: DEFAULT_MAX_SIZE,
            trusted: Vec::new(),
        })
    }

    /// Caps the layers pulls download at `bytes`: a layer whose manifest declares more is refused before any of
    /// it is downloaded ([`RegistryError::TooLarge`]), and a download stops as soon as the registry sends more
    /// than the manifest declared, leaving nothing behind.
    pub fn with_max_size(mut self, bytes: u64) -> Registry {
        self.max_size = bytes;
        self
    }

    /// Reports blob transfers to `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Registry {
        self.progress = progress;
        self
    }

    /// Runs `work` to its end on the session's runtime (made on first use): the blocking wrapper of the async
    /// methods. Called from inside another tokio runtime (an async embedder), where blocking on a runtime would
    /// panic, the work runs on a thread of its own while the caller's thread waits.
    pub(crate) fn block_on<F, T>(&self, work: F) -> Result<T, RegistryError>
    where
        F: std::future::Future<Output = Result<T, RegistryError>> + Send,
        T: Send,
    {
        let runtime = match self.runtime.get() {
            Some(runtime) => runtime,
            None => {
                let made = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| RegistryError::Client {
                        registry: "-".to_owned(),
                        source: Box::new(e),
                    })?;
                // Two threads may both make one; the first kept is used, the other dropped here.
                self.runtime.get_or_init(|| made)
            }
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(work);
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(work))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// The content cache.
    pub fn cache(&self) -> &ContentCache {
        &self.cache
    }

    /// The connection to the registry of `reference`, made on first use.
    pub(crate) fn connect(&self, reference: &Reference) -> Result<Arc<Connection>, RegistryError> {
        let registry = &reference.registry;
        if let Some(c) = self.clients.lock().expect("not poisoned").get(registry) {
            return Ok(c.clone());
        }
        let connection = Arc::new(Connection {
            client: self.transport.client(registry)?,
            chosen: self.auth.for_registry(registry),
            registry: registry.clone(),
            scheme: self.transport.scheme(registry),
        });
        self.clients
            .lock()
            .expect("not poisoned")
            .insert(registry.clone(), connection.clone());
        Ok(connection)
    }
}

impl Connection {
    /// Authenticates for `op` on `image` (a token exchange where the registry wants one). This is also the
    /// first request to a registry, so an unreachable one is reported here.
    pub(crate) async fn login(
        &self,
        reference: &Reference,
        image: &oci_client::Reference,
        op: RegistryOperation,
    ) -> Result<(), RegistryError> {
        self.client
            .auth(image, &self.chosen.auth, op)
            .await
            .map(|_| ())
            .map_err(|e| self.error(reference, e))
    }

    /// The `/v2/` URL of this registry, for messages.
    fn base_url(&self) -> String {
        format!("{}://{}/v2/", self.scheme, self.registry)
    }

    /// Turns a protocol error about `reference` into one a user can act on.
    pub(crate) fn error(&self, reference: &Reference, err: OciDistributionError) -> RegistryError {
        let registry = self.registry.clone();
        let unauthorized = |status: String| RegistryError::Unauthorized {
            registry: self.registry.clone(),
            reference: reference.to_string(),
            status,
            credentials: self.credentials_sent(),
            anonymous: self.anonymous(),
        };
        let not_found = |message: String| RegistryError::NotFound {
            registry: self.registry.clone(),
            reference: reference.to_string(),
            message,
        };
        match err {
            OciDistributionError::UnauthorizedError { .. } => {
                unauthorized("401 unauthorized".to_owned())
            }
            OciDistributionError::AuthenticationFailure(why) => {
                unauthorized(format!("the token service refused: {}", why.trim()))
            }
            OciDistributionError::ImageManifestNotFoundError(what) => not_found(what),
            OciDistributionError::RegistryError { envelope, .. } => {
                let words: Vec<String> = envelope
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", code_name(&e.code), e.message))
                    .collect();
                let words = words.join("; ");
                match envelope.errors.first().map(|e| &e.code) {
                    Some(
                        OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::BlobUnknown,
                    ) => not_found(words),
                    Some(OciErrorCode::Unauthorized) => unauthorized(format!("401 {words}")),
                    Some(OciErrorCode::Denied) => unauthorized(format!("403 {words}")),
                    _ => RegistryError::Protocol {
                        registry,
                        message: words,
                    },
                }
            }
            OciDistributionError::ServerError { code, message, .. } => match code {
                401 | 403 => unauthorized(format!("{code} {}", message.trim())),
                404 => not_found(format!("404 {}", message.trim())),
                _ if code >= 500 || code == 429 => RegistryError::Server {
                    registry,
                    status: code,
                    attempts: 1,
                    message: first_line(&message).to_owned(),
                },
                _ => RegistryError::Protocol {
                    registry,
                    message: format!("HTTP {code}: {}", first_line(&message)),
                },
            },
            // A HEAD request has no body to say more: the status is all there is.
            OciDistributionError::RequestError(e)
                if e.status()
                    .is_some_and(|s| matches!(s.as_u16(), 401 | 403 | 404)) =>
            {
                let status = e.status().expect("checked above");
                match status.as_u16() {
                    404 => not_found(status.to_string()),
                    _ => unauthorized(status.to_string().to_lowercase()),
                }
            }
            OciDistributionError::RequestError(e) => self.request_error(e),
            other => RegistryError::Client {
                registry,
                source: Box::new(other),
            },
        }
    }

    /// A failed request, classified by type: the HTTP status first (5xx and 429 may pass; a 400 from a registry
    /// spoken to in plain HTTP is a TLS registry), then the causes: a rustls error anywhere in the chain is TLS;
    /// an I/O or hyper error, a refused connect or a timeout is a registry out of reach (retried, and a cached tag
    /// stands in). Error text is never searched: a repository may well be called `mtls-proxy`.
    pub(crate) fn request_error(&self, err: reqwest::Error) -> RegistryError {
        if let Some(status) = err.status() {
            let url = err.url().map_or_else(|| self.base_url(), |u| u.to_string());
            if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                return RegistryError::Server {
                    registry: self.registry.clone(),
                    status: status.as_u16(),
                    attempts: 1,
                    message: url,
                };
            }
            let hint = if self.scheme == "http" && status == reqwest::StatusCode::BAD_REQUEST {
                " (a TLS registry answers plain HTTP this way: plain HTTP is spoken to a loopback registry \
                 unless a CA is given)"
            } else {
                ""
            };
            return RegistryError::Protocol {
                registry: self.registry.clone(),
                message: format!("HTTP {status} for {url}{hint}"),
            };
        }
        match fault(&err) {
            Fault::Tls => RegistryError::Tls {
                registry: self.registry.clone(),
                source: Box::new(err),
            },
            Fault::Network => RegistryError::Unreachable {
                registry: self.registry.clone(),
                url: self.base_url(),
                source: Box::new(err),
            },
            Fault::Other => RegistryError::Client {
                registry: self.registry.clone(),
                source: Box::new(err),
            },
        }
    }

    /// Whether this session sends no credentials.
    fn anonymous(&self) -> bool {
        matches!(
            self.chosen.auth,
            oci_client::secrets::RegistryAuth::Anonymous
        )
    }

    /// Which credentials were sent, or why none were, as a refusal tells it.
    fn credentials_sent(&self) -> String {
        if self.anonymous() {
            self.chosen.described.clone()
        } else {
            format!("sent {}, which it did not accept", self.chosen.described)
        }
    }
}

/// What kind of failure a request error without an HTTP status is.
#[derive(Debug, PartialEq, Eq)]
enum Fault {
    /// The TLS handshake or record layer failed.
    Tls,
    /// The connection failed: refused, reset, closed early, timed out, no route.
    Network,
    /// Something else (building the request, decoding the answer).
    Other,
}

/// Classifies `err` by the types along its source chain. An `io::Error` hides the error it wraps from `source()`
/// (and TLS errors come wrapped in two of them), so the error inside each one is looked at too.
fn fault(err: &reqwest::Error) -> Fault {
    let mut network = err.is_connect() || err.is_timeout();
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = vec![err];
    while let Some(e) = pending.pop() {
        if e.is::<rustls::Error>() {
            return Fault::Tls;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            network = true;
            if let Some(inner) = io.get_ref() {
                pending.push(inner);
            }
        }
        if e.is::<hyper::Error>() {
            network = true;
        }
        pending.extend(e.source());
    }
    if network {
        Fault::Network
    } else {
        Fault::Other
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

fn code_name(code: &OciErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{code:?}"))
}

#[cfg(test)]
mod embedding {
    use super::*;

    /// Regression: called from inside a tokio runtime (an async embedder), the blocking API panicked ("Cannot
    /// start a runtime from within a runtime"); it now answers, here that nothing listens on the port.
    #[test]
    fn the_blocking_api_works_inside_an_async_embedder() {
        let cache = tempfile::tempdir().unwrap();
        let registry = unreachable_session(cache.path());
        let reference = unreachable_reference();
        let err = embedder()
            .block_on(async { registry.resolve(&reference) })
            .unwrap_err();
        assert!(err.is_unreachable(), "{err}");
    }

    /// The runtime of an async embedder.
    fn embedder() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A reference to a port nothing listens on.
    fn unreachable_reference() -> Reference {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("127.0.0.1:{port}/demo/x:1").parse().unwrap()
    }

    /// A session over plain HTTP with short timeouts, its cache in `cache`.
    fn unreachable_session(cache: &std::path::Path) -> Registry {
        let transport = Transport {
            insecure: true,
            read_timeout: Some(std::time::Duration::from_secs(2)),
            ..Transport::default()
        };
        Registry::new(transport, Auth::default(), ContentCache::new(cache)).unwrap()
    }

    /// The async methods run on the embedder's runtime: the blocking wrapper's own is never made for them.
    #[test]
    fn the_async_core_makes_no_runtime_of_its_own() {
        let cache = tempfile::tempdir().unwrap();
        let registry = unreachable_session(cache.path());
        let reference = unreachable_reference();
        let err = embedder()
            .block_on(registry.pull_async(&reference))
            .unwrap_err();
        assert!(err.is_unreachable(), "{err}");
        assert!(registry.runtime.get().is_none());
        registry.resolve(&reference).unwrap_err();
        assert!(registry.runtime.get().is_some());
    }
}

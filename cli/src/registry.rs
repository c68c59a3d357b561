//! Registry access for the commands: the shared `--insecure`/`--ca-file`/`--username` options, credentials from
//! flags, environment variables and the docker config, and [`Sources`], which turns a component argument that may
//! be an `oci://` reference into a local file (and resolves the components of compose files the same way).

use crate::input::Input;
use crate::paths::cache_root;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use weld_compose::lock::{Lock, Locked};
use weld_registry_client::layout::FromLayout;
use weld_registry_client::{
    Auth, ContentCache, Login, Progress, PullOrigin, Pulled, Reference, Registry, RegistryError,
    Silent, Transfer, Transport,
};

/// Environment variables holding credentials for every registry (for CI).
pub const USERNAME_VAR: &str = "WELD_REGISTRY_USERNAME";
/// See [`USERNAME_VAR`].
pub const PASSWORD_VAR: &str = "WELD_REGISTRY_PASSWORD";
/// How long a read from a registry may stall before it fails (default 60 s).
pub const TIMEOUT_VAR: &str = "WELD_REGISTRY_TIMEOUT";

/// How to reach registries: shared by every command that takes a registry reference.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Registry options")]
pub struct RegistryOpts {
    /// Speak plain HTTP to registries (registries on localhost and 127.0.0.0/8 already default to it).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in FILE (PEM) besides the system's; loopback registries then use HTTPS too.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// User name for the registry; the password is read from stdin (--password-stdin).
    #[arg(long, value_name = "USER", requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the password or token for --username from stdin.
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// The largest component a pull downloads: a layer whose manifest declares more is refused before any of it
    /// is downloaded (a registry can declare, or stream, any size).
    #[arg(long, value_name = "SIZE", value_parser = crate::values::parse_size, default_value = "1GiB")]
    pub max_size: u64,
    /// Pull only components signed (in cosign's format) by the key in FILE, a PEM public key; repeatable, and
    /// added to the keys in WELD_VERIFY_KEYS. A component with no signature one of them verifies is refused
    /// before it is downloaded.
    #[arg(long = "verify-key", value_name = "FILE")]
    pub verify_keys: Vec<PathBuf>,
}

impl RegistryOpts {
    /// A registry session with these options, the credentials they and the environment give, weld's content
    /// cache, on a terminal progress bars, and the signature policy of `--verify-key` and `WELD_VERIFY_KEYS`.
    pub fn session(&self) -> Result<Registry> {
        let trusted = crate::keys::trusted(&self.verify_keys)?;
        Ok(self
            .connection()?
            .with_trusted_keys(trusted.into_iter().map(|(_, key)| key).collect()))
    }

    /// [`RegistryOpts::session`] without a signature policy: for the commands that publish or check signatures
    /// themselves (`push`, `sign`, `verify`).
    pub fn connection(&self) -> Result<Registry> {
        let transport = Transport {
            insecure: self.insecure,
            ca_file: self.ca_file.clone(),
            read_timeout: read_timeout()?,
        };
        let auth = Auth {
            explicit: self.login()?,
            docker_config: docker_config(),
        };
        let root = cache_root()
            .context("no cache directory: set WELD_CACHE_DIR (pulled content is kept there)")?;
        let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() {
            Arc::new(Bars)
        } else {
            Arc::new(Silent)
        };
        Ok(
            Registry::new(transport, auth, ContentCache::new(root.join("oci")))?
                .with_progress(progress)
                .with_max_size(self.max_size),
        )
    }

    fn login(&self) -> Result<Option<Login>> {
        if let Some(username) = &self.username {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("--password-stdin: failed to read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            if password.is_empty() {
                bail!("--password-stdin: stdin held no password");
            }
            return Ok(Some(Login {
                username: username.clone(),
                password,
                origin: "--username".to_owned(),
            }));
        }
        match (std::env::var(USERNAME_VAR), std::env::var(PASSWORD_VAR)) {
            (Ok(username), Ok(password)) if !username.is_empty() => Ok(Some(Login {
                username,
                password,
                origin: USERNAME_VAR.to_owned(),
            })),
            (Ok(_), Err(_)) => bail!("{USERNAME_VAR} is set but {PASSWORD_VAR} is not"),
            _ => Ok(None),
        }
    }
}

/// `WELD_REGISTRY_TIMEOUT`: how long a read from a registry may stall (`30s`, `2m`), for slow links or tests.
fn read_timeout() -> Result<Option<std::time::Duration>> {
    match std::env::var(TIMEOUT_VAR) {
        Ok(text) if !text.is_empty() => humantime::parse_duration(&text)
            .map(Some)
            .with_context(|| format!("{TIMEOUT_VAR}=`{text}`: expected a duration such as `30s`")),
        _ => Ok(None),
    }
}

/// The docker config file: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
fn docker_config() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("config.json")),
        _ => dirs::home_dir().map(|home| home.join(".docker/config.json")),
    }
}

/// A component given on the command line, made local.
#[derive(Debug, Clone)]
pub struct Local {
    /// The file to read: the argument itself, or the verified copy in the cache.
    pub path: PathBuf,
    /// The argument as given (a path, or the `oci://` reference): how to name it to the user.
    pub name: PathBuf,
}

impl Local {
    /// True if it came from a registry (so `path` is a cache entry, not the user's file).
    pub fn is_pulled(&self) -> bool {
        self.path != self.name
    }

    /// The component's bytes (WAT text compiled), with errors naming it as the user did.
    pub fn read(&self) -> Result<Vec<u8>> {
        let bytes = weld_files::read_file(&self.path)?;
        Ok(weld_files::wasm_bytes(&self.name, &bytes)?.into_owned())
    }
}

/// Turns arguments that may be `oci://` references into local files, opening a registry session only if one is
/// needed and remembering what was pulled, for the summary.
///
/// For a lockfile (`weld compose --lock`) it also records what each input was: a file's SHA-256, a reference's
/// manifest and layer digests. Under `--locked` it fetches each locked reference by its locked digest, and
/// records what the tag resolves to now, so that a tag that moved shows as drift.
pub struct Sources {
    opts: RegistryOpts,
    session: OnceLock<Registry>,
    pulled: Mutex<Vec<Pulled>>,
    /// Whether to record inputs for a lock.
    recording: bool,
    /// Under `--locked`: the lock, whose references are fetched by digest.
    pins: Option<Lock>,
    /// The inputs met so far, in order (a name met twice is kept once), and what each was.
    inputs: Mutex<(Vec<String>, HashMap<String, Locked>)>,
    /// What was read from OCI layouts, for the summary.
    read_from_layouts: Mutex<Vec<FromLayout>>,
}

impl Sources {
    /// Sources reached with `opts`.
    pub fn new(opts: &RegistryOpts) -> Sources {
        Sources {
            opts: opts.clone(),
            session: OnceLock::new(),
            pulled: Mutex::default(),
            recording: false,
            pins: None,
            inputs: Mutex::default(),
            read_from_layouts: Mutex::default(),
        }
    }

    /// Records every input for a lock; with `pins` (`--locked`), fetches the references it locked by digest.
    pub fn locking(mut self, pins: Option<Lock>) -> Sources {
        self.recording = true;
        self.pins = pins;
        self
    }

    /// The inputs met so far, in the order they were first met.
    pub fn recorded(&self) -> Vec<Locked> {
        let inputs = self.inputs.lock().expect("not poisoned");
        inputs
            .0
            .iter()
            .filter_map(|name| inputs.1.get(name).cloned())
            .collect()
    }

    /// Notes that the input `name` comes next, so inputs are recorded in the order given, whenever read.
    fn note(&self, name: &str) {
        if !self.recording {
            return;
        }
        let mut inputs = self.inputs.lock().expect("not poisoned");
        if !inputs.0.iter().any(|n| n == name) {
            inputs.0.push(name.to_owned());
        }
    }

    /// Reads `local` (WAT compiled), recording a file's SHA-256 when locking.
    pub fn read(&self, local: &Local) -> Result<Vec<u8>> {
        self.read_as(local, &local.name.display().to_string())
    }

    /// `input`, found at `local`, read as a component to compose: labelled as the user gave it, and named (its
    /// instance in the result) after the reference's repository or layout folder, else after the file's stem.
    pub fn component(&self, input: &Input, local: &Local) -> Result<weld_compose::Component> {
        let component =
            weld_compose::Component::new(local.name.display().to_string(), self.read(local)?);
        Ok(match input.short_name() {
            Some(name) => component.named(name),
            None => component,
        })
    }

    /// [`Sources::read`], recording the file under `name`.
    fn read_as(&self, local: &Local, name: &str) -> Result<Vec<u8>> {
        if !self.recording || local.is_pulled() {
            return local.read();
        }
        let raw = weld_files::read_file(&local.path)?;
        self.record(Locked::File {
            name: name.to_owned(),
            sha256: weld_registry_client::content_digest(&raw),
        });
        Ok(weld_files::wasm_bytes(&local.name, &raw)?.into_owned())
    }

    fn record(&self, input: Locked) {
        if !self.recording {
            return;
        }
        self.note(input.name());
        let mut inputs = self.inputs.lock().expect("not poisoned");
        inputs.1.insert(input.name().to_owned(), input);
    }

    fn session(&self) -> Result<&Registry> {
        Ok(match self.session.get() {
            Some(session) => session,
            None => {
                let session = self.opts.session()?;
                self.session.get_or_init(|| session)
            }
        })
    }

    /// Pulls `reference` (given as `given`); under `--locked`, by its locked digest, recording what the tag
    /// resolves to now (the locked digest when the registry cannot be reached, with a warning).
    fn pull_input(&self, reference: &Reference, given: &str) -> Result<Pulled> {
        let session = self.session()?;
        let pinned = match self.pins.as_ref().and_then(|lock| lock.input(given)) {
            Some(Locked::Artifact { manifest, .. }) => Some(manifest.clone()),
            _ => None,
        };
        let Some(locked) = pinned else {
            let pulled = pull(session, reference)?;
            self.record(Locked::Artifact {
                name: given.to_owned(),
                manifest: pulled.manifest_digest.clone(),
                layer: pulled.layer_digest.clone(),
            });
            return Ok(pulled);
        };
        let now = match session.resolve(reference) {
            Ok(now) => now,
            Err(err) if err.is_unreachable() => {
                crate::report::warn(&format!(
                    "{given}: the registry cannot be reached, so whether the tag moved is not checked; using the locked {locked} ({})",
                    weld_wit::one_line(&err)
                ));
                locked.clone()
            }
            Err(err) => return Err(err.into()),
        };
        let pulled = pull(
            session,
            &Reference {
                digest: Some(locked),
                ..reference.clone()
            },
        )?;
        self.record(Locked::Artifact {
            name: given.to_owned(),
            manifest: now,
            layer: pulled.layer_digest.clone(),
        });
        Ok(pulled)
    }

    /// `input` as a local file: a path as it is, a registry reference pulled (or found in the cache), a layout's
    /// artifact read into the cache.
    pub fn local(&self, input: &Input) -> Result<Local> {
        self.local_as(input, &input.to_string())
    }

    /// [`Sources::local`], a lock recording the input under `name`.
    fn local_as(&self, input: &Input, name: &str) -> Result<Local> {
        self.note(name);
        let (reference, given) = match input {
            Input::File(path) => {
                return Ok(Local {
                    path: path.clone(),
                    name: path.clone(),
                });
            }
            Input::Registry { reference, given } => (reference, given),
            Input::Layout { reference, given } => {
                let read = self
                    .session()?
                    .pull_from_layout(reference)
                    .map_err(refusal)?;
                self.record(Locked::Artifact {
                    name: given.clone(),
                    manifest: read.manifest_digest.clone(),
                    layer: read.layer_digest.clone(),
                });
                self.read_from_layouts
                    .lock()
                    .expect("not poisoned")
                    .push(read.clone());
                return Ok(Local {
                    path: read.path,
                    name: input.name(),
                });
            }
        };
        let pulled = self.pull_input(reference, given)?;
        warn_config(given, &pulled.config_media_type);
        if let PullOrigin::Offline { .. } = pulled.origin {
            crate::report::warn(&describe(&pulled));
        }
        let path = pulled.path.clone();
        self.pulled.lock().expect("not poisoned").push(pulled);
        Ok(Local {
            path,
            name: input.name(),
        })
    }

    /// One line per reference pulled (or read from a layout) so far: what it resolved to and where it came from.
    pub fn summary(&self) -> String {
        let mut seen = std::collections::HashSet::new();
        let pulled: String = self
            .pulled
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|p| seen.insert(p.reference.to_string()))
            .map(|p| format!("{}\n", describe(p)))
            .collect();
        let read: String = self
            .read_from_layouts
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|r| seen.insert(r.reference.to_string()))
            .map(|r| format!("{}\n", describe_layout(r)))
            .collect();
        pulled + &read
    }
}

/// A compose file's components: `oci://` references pulled, anything else (a file, an `oci:DIR` layout) beside
/// the compose file.
impl weld_compose::Resolver for Sources {
    fn resolve(&self, reference: &str, base: &Path) -> Result<Vec<u8>, weld_compose::BoxError> {
        let input = match Input::parse(reference)? {
            Input::File(path) => Input::File(base.join(path)),
            Input::Layout {
                reference: layout,
                given,
            } => Input::Layout {
                reference: weld_registry_client::layout::LayoutReference {
                    dir: base.join(&layout.dir),
                    ..layout
                },
                given,
            },
            registry => registry,
        };
        // A lock names each component as the compose file writes it, however the file itself was named.
        Ok(self.read_as(&self.local_as(&input, reference)?, reference)?)
    }
}

/// Pulls `reference` with `session`, with [`refusal`]'s advice.
pub fn pull(session: &Registry, reference: &Reference) -> Result<Pulled> {
    session.pull(reference).map_err(refusal)
}

/// A pull's error with the flag that changes the outcome: a layer over `--max-size` names the size that lets it
/// through, and a component no trusted key signed says where the keys came from.
pub fn refusal(err: RegistryError) -> anyhow::Error {
    match err {
        RegistryError::TooLarge { size, .. } => {
            anyhow::anyhow!("{err}; if you trust it, pull it with --max-size {size}")
        }
        RegistryError::Unverified { .. } => anyhow::anyhow!(
            "{err} (trusted keys come from --verify-key and {}; `weld verify` lists the signatures)",
            crate::keys::VERIFY_KEYS_VAR
        ),
        err => err.into(),
    }
}

/// Warns that the component `name` came from an artifact whose config is not the Wasm layout's (oras's, an empty
/// OCI 1.1 config, a runwasi image): it was taken from its one Wasm layer.
pub fn warn_config(name: &str, config_media_type: &str) {
    if !weld_registry_client::artifact::is_wasm_config(config_media_type) {
        crate::report::warn(&format!(
            "{name}: its config is {config_media_type}, not the Wasm artifact's {}; its one Wasm layer was taken as \
             the component",
            weld_registry_client::artifact::CONFIG_MEDIA_TYPE
        ));
    }
}

/// `read oci:DIR:TAG sha256:... (signed by key ...)`.
pub fn describe_layout(read: &FromLayout) -> String {
    let signed = match &read.signed_by {
        Some(key) => format!(" (signed by key {key})"),
        None => String::new(),
    };
    match &read.reference.digest {
        Some(_) => format!("read {}{signed}", read.reference),
        None => format!("read {} {}{signed}", read.reference, read.manifest_digest),
    }
}

/// `pulled oci://host/repo:tag sha256:... (from the cache)`.
pub fn describe(pulled: &Pulled) -> String {
    let origin = match &pulled.origin {
        PullOrigin::Registry { downloaded: true } => "downloaded".to_owned(),
        PullOrigin::Registry { downloaded: false } => {
            "resolved by the registry, content cached".to_owned()
        }
        PullOrigin::Cache => "from the cache".to_owned(),
        PullOrigin::Offline { resolved, why } => format!(
            "from the cache: registry unreachable, tag as resolved {} ago ({why})",
            humantime::format_duration(
                resolved
                    .elapsed()
                    .map(|d| std::time::Duration::from_secs(d.as_secs()))
                    .unwrap_or_default()
            )
        ),
    };
    let origin = match &pulled.signed_by {
        Some(key) => format!("{origin}, signed by key {key}"),
        None => origin,
    };
    // A digest reference already names what it resolved to.
    match &pulled.reference.digest {
        Some(_) => format!("pulled oci://{} ({origin})", pulled.reference),
        None => format!(
            "pulled oci://{} {} ({origin})",
            pulled.reference, pulled.manifest_digest
        ),
    }
}

/// Progress bars on stderr for blobs over 1 MiB.
struct Bars;

/// Transfers smaller than this get no bar.
const BAR_THRESHOLD: u64 = 1 << 20;

impl Progress for Bars {
    fn start(&self, label: &str, total: u64) -> Box<dyn Transfer> {
        if total <= BAR_THRESHOLD {
            return Box::new(Silent);
        }
        let bar = indicatif::ProgressBar::new(total).with_message(label.to_owned());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        Box::new(Bar(bar))
    }
}

struct Bar(indicatif::ProgressBar);

impl Transfer for Bar {
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

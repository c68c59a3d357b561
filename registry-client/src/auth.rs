//! Credentials for a registry: given explicitly, or found in the docker config file (`auths`, `credHelpers`,
//! `credsStore`) the way docker, oras and wkg find them.

use base64::Engine as _;
use oci_client::secrets::RegistryAuth;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Where credentials come from. The first that has some for a registry wins: explicit ones, then the docker
/// config file; with neither, access is anonymous.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// A user name and password for every registry this session talks to (`--username`, environment variables).
    pub explicit: Option<Login>,
    /// The docker config file (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`), read if it exists.
    pub docker_config: Option<PathBuf>,
}

/// A user name and password, and where they were given (for messages).
#[derive(Clone)]
pub struct Login {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
    /// Where they came from, e.g. `--username` or `WELD_REGISTRY_USERNAME`.
    pub origin: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({} from {})", self.username, self.origin)
    }
}

/// The credentials chosen for one registry, and a description of them for error messages.
pub(crate) struct Chosen {
    pub(crate) auth: RegistryAuth,
    pub(crate) described: String,
}

/// The parts of the docker config file that hold credentials.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: HashMap<String, DockerAuth>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: HashMap<String, String>,
}

#[derive(Deserialize, Default)]
struct DockerAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// What a credential helper prints for `get`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Docker Hub's key in docker config files.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

impl Auth {
    /// The credentials to use with `registry` (`host[:port]`). A docker config file or helper that cannot be
    /// used only matters to a registry that wants credentials, so it never fails here: access is anonymous and
    /// the reason is kept for the message a refusal gets.
    pub(crate) fn for_registry(&self, registry: &str) -> Chosen {
        if let Some(login) = &self.explicit {
            return Chosen {
                auth: RegistryAuth::Basic(login.username.clone(), login.password.clone()),
                described: format!("user `{}` from {}", login.username, login.origin),
            };
        }
        let anonymous = |why: String| Chosen {
            auth: RegistryAuth::Anonymous,
            described: why,
        };
        let Some(path) = &self.docker_config else {
            return anonymous("no credentials were given".to_owned());
        };
        let file = path.display();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return anonymous(format!(
                    "no credentials were given and {file} does not exist"
                ));
            }
            Err(e) => return anonymous(format!("anonymous, because {file} cannot be read: {e}")),
        };
        let config: DockerConfig = match serde_json::from_str(&text) {
            Ok(config) => config,
            Err(e) => {
                return anonymous(format!(
                    "anonymous, because {file} is not a docker config file: {e}"
                ));
            }
        };
        let key = config_key(registry);
        let same = |k: &String| normalize(k) == normalize(&key);
        let helper = config
            .cred_helpers
            .iter()
            .find(|(k, _)| same(k))
            .map(|(_, helper)| helper)
            .or(config.creds_store.as_ref());
        let mut why = None;
        if let Some(helper) = helper {
            match run_helper(helper, &key) {
                Ok(Some((username, password))) => {
                    return Chosen {
                        described: format!(
                            "user `{username}` from credential helper docker-credential-{helper}"
                        ),
                        auth: RegistryAuth::Basic(username, password),
                    };
                }
                Ok(None) => {
                    why = Some(format!(
                        "docker-credential-{helper} (named in {file}) has no credentials for {registry}"
                    ));
                }
                Err(message) => {
                    why = Some(format!(
                        "anonymous, because docker-credential-{helper} (named in {file}) failed: {message}"
                    ));
                }
            }
        }
        // An `auths` entry holds credentials itself, or is the empty placeholder `docker login` leaves when a
        // helper keeps them.
        match config
            .auths
            .iter()
            .find(|(k, _)| same(k))
            .map(|(_, e)| decode_entry(e))
        {
            Some(Ok(Some((username, password)))) => Chosen {
                described: format!("user `{username}` from {file}"),
                auth: RegistryAuth::Basic(username, password),
            },
            Some(Err(message)) => anonymous(format!(
                "anonymous, because {file}: auths.\"{key}\": {message}"
            )),
            Some(Ok(None)) | None => anonymous(why.unwrap_or_else(|| {
                format!("no credentials were given and {file} has none for {registry}")
            })),
        }
    }
}

/// The key docker uses for `registry`: Docker Hub has a URL of its own, other registries their host.
fn config_key(registry: &str) -> String {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB_KEY.to_owned(),
        _ => registry.to_owned(),
    }
}

/// A config key without scheme or path, as docker compares them (`https://ghcr.io/` matches `ghcr.io`).
fn normalize(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    key.split('/').next().unwrap_or(key)
}

/// The user name and password of an `auths` entry: `auth` (base64 of `user:password`) or the two fields; none
/// for an empty entry.
fn decode_entry(entry: &DockerAuth) -> Result<Option<(String, String)>, String> {
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| format!("`auth` is not base64: {e}"))?;
        let text = String::from_utf8(raw).map_err(|_| "`auth` is not UTF-8".to_owned())?;
        let (user, password) = text
            .split_once(':')
            .ok_or_else(|| "`auth` does not decode to `user:password`".to_owned())?;
        return Ok(Some((user.to_owned(), password.to_owned())));
    }
    match (&entry.username, &entry.password) {
        (Some(user), Some(password)) => Ok(Some((user.clone(), password.clone()))),
        _ => Ok(None),
    }
}

/// Runs `docker-credential-<helper> get` for `server`: `Ok(None)` if it has no credentials for it.
fn run_helper(helper: &str, server: &str) -> Result<Option<(String, String)>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| format!("{program}: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        // The protocol's answer for "nothing stored here".
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("{program} get: {} {}", out.status, stderr.trim()));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout)
        .map_err(|e| format!("{program} get printed something other than credentials: {e}"))?;
    Ok(Some((answer.username, answer.secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_config(json: &str) -> (tempfile::TempDir, Auth) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, json).unwrap();
        let auth = Auth {
            explicit: None,
            docker_config: Some(path),
        };
        (dir, auth)
    }

    fn basic(chosen: Chosen) -> Option<(String, String)> {
        match chosen.auth {
            RegistryAuth::Basic(u, p) => Some((u, p)),
            _ => None,
        }
    }

    #[test]
    fn auths_entries_match_with_or_without_scheme() {
        // base64("alice:s3cret")
        let (_dir, auth) = with_config(
            r#"{"auths":{"https://registry.example:5000/":{"auth":"YWxpY2U6czNjcmV0"},
                "https://index.docker.io/v1/":{"username":"bob","password":"pw"}}}"#,
        );
        let alice = Some(("alice".to_owned(), "s3cret".to_owned()));
        assert_eq!(basic(auth.for_registry("registry.example:5000")), alice);
        assert_eq!(
            basic(auth.for_registry("docker.io")),
            Some(("bob".to_owned(), "pw".to_owned()))
        );
        let other = auth.for_registry("ghcr.io");
        assert!(matches!(other.auth, RegistryAuth::Anonymous));
        assert!(
            other.described.contains("has none for ghcr.io"),
            "{}",
            other.described
        );
    }

    #[test]
    fn explicit_credentials_win_and_bad_files_are_named() {
        let (_dir, mut auth) = with_config(r#"{"auths":{"h:1":{"auth":"not base64!"}}}"#);
        let why = auth.for_registry("h:1").described;
        assert!(
            why.contains("config.json") && why.contains("not base64"),
            "{why}"
        );
        auth.explicit = Some(Login {
            username: "u".to_owned(),
            password: "p".to_owned(),
            origin: "--username".to_owned(),
        });
        let chosen = auth.for_registry("h:1");
        assert!(chosen.described.contains("--username"));
        // A broken file leaves access anonymous: it only matters to a registry that wants credentials.
        let (_dir2, broken) = with_config("{");
        let chosen = broken.for_registry("h:1");
        assert!(matches!(chosen.auth, RegistryAuth::Anonymous));
        assert!(
            chosen.described.contains("not a docker config file"),
            "{}",
            chosen.described
        );
    }

    #[test]
    fn an_empty_auths_entry_defers_to_the_credential_store() {
        // What `docker login` writes when a credential store keeps the secret.
        let (_dir, auth) =
            with_config(r#"{"auths":{"h:1":{}},"credsStore":"weld-test-no-such-helper"}"#);
        let chosen = auth.for_registry("h:1");
        assert!(matches!(chosen.auth, RegistryAuth::Anonymous));
        assert!(
            chosen
                .described
                .contains("docker-credential-weld-test-no-such-helper"),
            "{}",
            chosen.described
        );
    }

    #[test]
    fn a_missing_helper_leaves_access_anonymous_and_says_why() {
        let (_dir, auth) = with_config(r#"{"credsStore":"weld-test-no-such-helper"}"#);
        let chosen = auth.for_registry("localhost:5000");
        assert!(matches!(chosen.auth, RegistryAuth::Anonymous));
        assert!(
            chosen
                .described
                .contains("docker-credential-weld-test-no-such-helper"),
            "{}",
            chosen.described
        );
    }
}

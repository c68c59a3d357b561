//! Signing keys for the commands: reading PEM key files (the password of an encrypted private key from the
//! environment, as cosign takes `COSIGN_PASSWORD`) and the trusted public keys of a signature policy.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use weld_registry_client::signing::{KeyError, PrivateKey, PublicKey};

/// The password of an encrypted private key (`weld sign`, `weld push --sign`) and of one `weld key generate`
/// writes.
pub const PASSWORD_VAR: &str = "WELD_KEY_PASSWORD";
/// cosign's variable for the same, read when [`PASSWORD_VAR`] is not set.
pub const COSIGN_PASSWORD_VAR: &str = "COSIGN_PASSWORD";
/// Public keys trusted by every pull, separated like `PATH` (`:`), besides `--verify-key`.
pub const VERIFY_KEYS_VAR: &str = "WELD_VERIFY_KEYS";

/// The key password from the environment: `WELD_KEY_PASSWORD`, else `COSIGN_PASSWORD`. Set but empty is an
/// empty password, as cosign reads it.
pub fn password() -> Option<String> {
    std::env::var(PASSWORD_VAR)
        .or_else(|_| std::env::var(COSIGN_PASSWORD_VAR))
        .ok()
}

/// Reads the private key in `path`, opening an encrypted one with [`password`].
pub fn read_private(path: &Path) -> Result<PrivateKey> {
    let text = read_text(path)?;
    let password = password();
    PrivateKey::from_pem(&text, password.as_deref().map(str::as_bytes)).map_err(|e| {
        let hint = match e {
            KeyError::NeedsPassword => format!(
                "; give its password in {PASSWORD_VAR} (or {COSIGN_PASSWORD_VAR}, as cosign reads it)"
            ),
            KeyError::WrongPassword => format!(
                " (the password came from {})",
                if std::env::var_os(PASSWORD_VAR).is_some() {
                    PASSWORD_VAR
                } else {
                    COSIGN_PASSWORD_VAR
                }
            ),
            _ => String::new(),
        };
        anyhow::Error::new(e).context(format!(
            "`{}` is not a usable signing key{hint}",
            path.display()
        ))
    })
}

/// Reads the public key in `path`.
pub fn read_public(path: &Path) -> Result<PublicKey> {
    let text = read_text(path)?;
    PublicKey::from_pem(&text)
        .with_context(|| format!("`{}` is not a usable public key", path.display()))
}

/// The trusted keys: the files given (`--verify-key`), then those in `WELD_VERIFY_KEYS`, each with its file.
pub fn trusted(given: &[PathBuf]) -> Result<Vec<(PathBuf, PublicKey)>> {
    let from_env: Vec<PathBuf> = std::env::var_os(VERIFY_KEYS_VAR)
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    given
        .iter()
        .chain(&from_env)
        .map(|path| {
            read_public(path)
                .map(|key| (path.clone(), key))
                .with_context(|| {
                    let origin = if given.contains(path) {
                        "--verify-key"
                    } else {
                        VERIFY_KEYS_VAR
                    };
                    format!("cannot trust `{}` (from {origin})", path.display())
                })
        })
        .collect()
}

fn read_text(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("`{}` is not a PEM key: it is not text", path.display()))
}

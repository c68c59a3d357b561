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

/// The key password from the environment and the variable it came from: `WELD_KEY_PASSWORD`, else
/// `COSIGN_PASSWORD`. Set but empty is an empty password, as cosign reads it; a value that is not UTF-8 is an
/// error rather than a fall back on the other variable.
pub fn password() -> Result<Option<(String, &'static str)>> {
    for var in [PASSWORD_VAR, COSIGN_PASSWORD_VAR] {
        match std::env::var(var) {
            Ok(value) => return Ok(Some((value, var))),
            Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("{var} is not valid UTF-8"),
            Err(std::env::VarError::NotPresent) => {}
        }
    }
    Ok(None)
}

/// Reads the private key in `path`, opening an encrypted one with [`password`].
pub fn read_private(path: &Path) -> Result<PrivateKey> {
    let text = read_text(path)?;
    let password = password()?;
    let given = password.as_ref().map(|(p, _)| p.as_bytes());
    PrivateKey::from_pem(&text, given).map_err(|e| {
        let hint = match (&e, &password) {
            (KeyError::NeedsPassword, _) => format!(
                "; give its password in {PASSWORD_VAR} (or {COSIGN_PASSWORD_VAR}, as cosign reads it)"
            ),
            (KeyError::WrongPassword, Some((_, var))) => format!(" (the password came from {var})"),
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

/// The files named by `WELD_VERIFY_KEYS`, in order. Set but naming no file (`""`, `":"`, what `"$A:$B"` gives
/// when both are unset) is an error: a policy that silently checks nothing would be worse than none.
pub fn from_env() -> Result<Vec<PathBuf>> {
    let Some(value) = std::env::var_os(VERIFY_KEYS_VAR) else {
        return Ok(Vec::new());
    };
    let paths: Vec<PathBuf> = std::env::split_paths(&value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    if paths.is_empty() {
        anyhow::bail!(
            "{VERIFY_KEYS_VAR} is set but names no key file; unset it to pull without a signature policy"
        );
    }
    Ok(paths)
}

/// Reads the public keys in `paths`, each with its file; an error names the file and `origin`, the flag or
/// variable that named it.
pub fn read_all(paths: &[PathBuf], origin: &str) -> Result<Vec<(PathBuf, PublicKey)>> {
    paths
        .iter()
        .map(|path| {
            read_public(path)
                .map(|key| (path.clone(), key))
                .with_context(|| format!("cannot trust `{}` (from {origin})", path.display()))
        })
        .collect()
}

/// The keys of a pull's policy: the `--verify-key` files, then those in `WELD_VERIFY_KEYS`.
pub fn trusted(given: &[PathBuf]) -> Result<Vec<(PathBuf, PublicKey)>> {
    let mut keys = read_all(given, "--verify-key")?;
    keys.extend(read_all(&from_env()?, VERIFY_KEYS_VAR)?);
    Ok(keys)
}

fn read_text(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("`{}` is not a PEM key: it is not text", path.display()))
}

//! `weld key generate`: write an ECDSA P-256 key pair for `weld sign` and `weld verify` (and cosign).

use crate::keys::{COSIGN_PASSWORD_VAR, PASSWORD_VAR};
use crate::output;
use crate::report::GOOD;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use weld_registry_client::signing::PrivateKey;

/// Manage signing keys.
#[derive(Debug, clap::Args)]
pub struct Opts {
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// `weld key` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Write a new key pair: PREFIX.key (private) and PREFIX.pub (public, PEM).
    Generate(Generate),
}

/// Write an ECDSA P-256 key pair in cosign's formats. The private key is encrypted with the password in
/// WELD_KEY_PASSWORD (or COSIGN_PASSWORD) in cosign's format (scrypt, then NaCl secretbox), which `cosign sign
/// --key` reads; with --no-password it is plain PKCS#8, protected only by its file mode (0600).
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  WELD_KEY_PASSWORD=... weld key generate              writes weld.key and weld.pub
  weld key generate ci/release --no-password           writes ci/release.key and ci/release.pub

Exit status: 0 once both files are written, 1 if they cannot be, 2 on bad usage (no password and
no --no-password, or a file that exists without --force).")]
pub struct Generate {
    /// Where to write: PREFIX.key and PREFIX.pub.
    #[arg(default_value = "weld", value_name = "PREFIX")]
    pub prefix: PathBuf,
    /// Write the private key unencrypted (for CI secrets stores that protect it themselves).
    #[arg(long)]
    pub no_password: bool,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

impl Opts {
    /// Runs `weld key`.
    pub fn run(self) -> Result<ExitCode> {
        match self.action {
            Action::Generate(generate) => generate.run(),
        }
    }
}

impl Generate {
    fn run(self) -> Result<ExitCode> {
        let password = match (crate::keys::password()?.map(|(p, _)| p), self.no_password) {
            (Some(_), true) => {
                return Err(crate::report::usage(
                    "key",
                    format!(
                        "--no-password, but {PASSWORD_VAR} or {COSIGN_PASSWORD_VAR} is set: choose one"
                    ),
                ));
            }
            (password, true) => password,
            (None, false) => {
                return Err(crate::report::usage(
                    "key",
                    format!(
                        "no password to encrypt the private key with: set {PASSWORD_VAR} (or {COSIGN_PASSWORD_VAR}), \
                         or pass --no-password to write it unencrypted"
                    ),
                ));
            }
            (password, false) => password,
        };
        if self.prefix.as_os_str().is_empty()
            || self.prefix.as_os_str().to_string_lossy().ends_with('/')
            || self.prefix.file_name().is_none()
        {
            return Err(crate::report::usage(
                "key",
                format!(
                    "`{}` names a folder, not the keys: give a prefix such as `{}weld`",
                    self.prefix.display(),
                    self.prefix.display()
                ),
            ));
        }
        let private = with_extension(&self.prefix, "key");
        let public = with_extension(&self.prefix, "pub");
        // Both files are checked before either is written, so a failure never leaves half a pair.
        for path in [&private, &public] {
            // A dangling symbolic link is something there too.
            let there = std::fs::symlink_metadata(path).ok();
            if there.as_ref().is_some_and(|m| m.is_dir()) {
                anyhow::bail!("`{}` is a directory", path.display());
            }
            if there.is_some() && !self.force {
                return Err(crate::report::usage(
                    "key",
                    format!("`{}` exists; pass --force to replace it", path.display()),
                ));
            }
        }
        let key = PrivateKey::generate();
        let pem = key
            .to_pem(password.as_deref().map(str::as_bytes))
            .context("failed to encode the private key")?;
        crate::files::write_atomic_private(&private, pem.as_bytes())?;
        crate::files::write_atomic(&public, key.public().to_pem().as_bytes())?;
        let protection = match password.as_deref() {
            Some("") => "encrypted with an empty password, in cosign's format (as cosign allows)",
            Some(_) => "encrypted with the password, in cosign's format",
            None => "unencrypted, readable by you only",
        };
        output::print(&format!(
            "{GOOD}wrote{GOOD:#} {} ({protection}) and {}\nkey: {}\n",
            private.display(),
            public.display(),
            key.public().id()
        ))?;
        Ok(ExitCode::SUCCESS)
    }
}

/// `prefix.ext`, keeping any dots already in the prefix (`keys/v1.2` gives `keys/v1.2.key`).
fn with_extension(prefix: &Path, ext: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

//! Serving a `wasi:http` handler as `weld serve` serves it: the same command, with the container's grants and
//! limits as its flags, so a handler behaves the same under `weld serve` and in a pod (a fresh instance per
//! request, the connection limits, the drain on SIGTERM, the access log on stderr).

use anyhow::Context as _;
use clap::Parser as _;
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use weld_runtime::{Grants, RunLimits};

/// Where the component is written inside the container for `weld serve` to read: `weld serve` reads a file.
const WORK_DIR: &str = "/tmp/weld";

/// A handler to serve.
pub struct Served<'a> {
    /// Its name (the container's first argument).
    pub name: &'a Path,
    /// Its bytes: WebAssembly, or code weld's compiler put in containerd's content store.
    pub bytes: &'a [u8],
    /// Whether `bytes` are that compiled code.
    pub precompiled: bool,
    /// The address to listen on (`0.0.0.0:8080`).
    pub addr: &'a str,
}

impl Served<'_> {
    /// Serves until SIGTERM or SIGINT and the drain that follows; 0 when it stopped cleanly, 1 otherwise.
    ///
    /// # Errors
    /// The component cannot be written where `weld serve` reads it, or `weld serve` fails (its error, with the
    /// causes).
    pub fn serve(&self, grants: &Grants, limits: &RunLimits) -> anyhow::Result<i32> {
        let file_name = self.name.file_name().unwrap_or("component.wasm".as_ref());
        let file = Path::new(WORK_DIR).join(file_name);
        std::fs::create_dir_all(WORK_DIR)
            .and_then(|()| std::fs::write(&file, self.bytes))
            .with_context(|| format!("cannot write `{}` in the container", file.display()))?;
        let cli = weld_cli::Cli::try_parse_from(self.command_line(&file, grants, limits))
            .context("cannot set up `weld serve` for the container")?;
        let status = cli.command.run()?;
        Ok(if status == ExitCode::SUCCESS { 0 } else { 1 })
    }

    /// `weld serve FILE ...` with the container's grants and limits as flags.
    fn command_line(&self, file: &Path, grants: &Grants, limits: &RunLimits) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["weld".into(), "serve".into(), file.into()];
        let mut flag = |name: &str, value: String| {
            args.push(name.into());
            args.push(value.into());
        };
        flag("--addr", self.addr.to_owned());
        for dir in &grants.dirs {
            let mode = if dir.read_only { ":ro" } else { "" };
            flag(
                "--dir",
                format!("{}::{}{mode}", dir.host.display(), dir.guest),
            );
        }
        for (name, value) in &grants.env {
            flag("--env", format!("{name}={value}"));
        }
        if let Some(bytes) = limits.max_memory {
            flag("--max-memory", bytes.to_string());
        }
        // The compiled code is in containerd's content store: nothing to cache inside the container.
        args.push("--no-cache".into());
        if self.precompiled {
            args.push("--allow-precompiled".into());
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weld_runtime::DirGrant;

    #[test]
    fn the_containers_grants_and_limits_become_weld_serves_flags() {
        let served = Served {
            name: Path::new("app.wasm"),
            bytes: b"",
            precompiled: true,
            addr: "0.0.0.0:9000",
        };
        let grants = Grants {
            dirs: vec![DirGrant {
                host: "/data".into(),
                guest: "/data".into(),
                read_only: true,
            }],
            env: vec![("GREETING".into(), "hi".into())],
            ..Grants::default()
        };
        let limits = RunLimits {
            max_memory: Some(64 << 20),
            ..RunLimits::default()
        };
        let args = served.command_line(Path::new("/tmp/weld/app.wasm"), &grants, &limits);
        let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "weld",
                "serve",
                "/tmp/weld/app.wasm",
                "--addr",
                "0.0.0.0:9000",
                "--dir",
                "/data::/data:ro",
                "--env",
                "GREETING=hi",
                "--max-memory",
                "67108864",
                "--no-cache",
                "--allow-precompiled",
            ]
        );
        // And `weld serve` takes them.
        weld_cli::Cli::try_parse_from(&args).unwrap();
    }
}

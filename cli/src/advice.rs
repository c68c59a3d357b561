//! What to do about an error, in the CLI's terms: flags and `weld` command lines. The libraries say what went wrong,
//! as data; this module says what to type next, and the error report prints it as a `help:` line.

use weld_compose::{Closed, ComposeError, RequestError};
use weld_registry_client::RegistryError;
use weld_runtime::RunError;

/// The advice for the first error in `err`'s chain that has one.
pub fn advice(err: &anyhow::Error) -> Option<String> {
    err.chain().find_map(|cause| {
        cause
            .downcast_ref::<RunError>()
            .and_then(run)
            .or_else(|| cause.downcast_ref::<ComposeError>().and_then(compose))
            .or_else(|| cause.downcast_ref::<RequestError>().and_then(request))
            .or_else(|| match cause.downcast_ref::<weld_wit::Error>() {
                Some(weld_wit::Error::Precompiled { .. }) => Some(
                    "run precompiled code with `weld run --allow-precompiled`, or use the .wasm it came from".into(),
                ),
                _ => None,
            })
            .or_else(|| match cause.downcast_ref::<RegistryError>() {
                Some(RegistryError::NotALayout { .. }) => {
                    Some("`weld push FILE oci:DIR:TAG` writes a layout".into())
                }
                _ => None,
            })
    })
}

/// Advice for a composition that failed.
fn compose(err: &ComposeError) -> Option<String> {
    Some(match err {
        ComposeError::Closed { closed, .. } => match closed {
            Closed::All => "--closed=all asked for this: plug them (--plug a component that exports each), or use \
                            --closed, which lets WASI imports stay open"
                .into(),
            _ => "--closed asked for this: plug them (--plug a component that exports each), or leave --closed out"
                .into(),
        },
        ComposeError::ImportConflict {
            versions_differ: true,
            ..
        } => "--no-merge-imports keeps them as two imports".into(),
        ComposeError::Request(request_error) => return request(request_error),
        _ => return None,
    })
}

/// Advice for wires that do not fit the inputs (`--wire`, or a compose file's `[wire]`).
fn request(err: &RequestError) -> Option<String> {
    Some(match err {
        RequestError::WireToRoot(_) | RequestError::WireToNothing { .. } => {
            "a wire (`--wire IMPORT=PLUG`, or a compose file's `[wire]`) names one of the plugs"
                .into()
        }
        RequestError::WireAmbiguous { candidates, .. } => format!(
            "name the plug by its path as given: `--wire IMPORT={}`",
            candidates.first()?
        ),
        RequestError::WireUnused { import, component } => format!(
            "check the import's name (`weld inspect` lists them): the wire was `--wire {import}={component}`, or \
             a compose file's `[wire]`"
        ),
        _ => return None,
    })
}

/// Advice for a run that failed.
fn run(err: &RunError) -> Option<String> {
    Some(match err {
        RunError::Grant { host, .. } => format!(
            "`--dir {}` grants a directory that exists and weld can open (HOST[::GUEST][:ro])",
            host.display()
        ),
        RunError::FuelNotCompiled => {
            "--fuel needs code compiled with fuel metering: compile it with `weld compile --fuel`".into()
        }
        RunError::PrecompiledNotAllowed { .. } => {
            "pass --allow-precompiled to load it (only for files you compiled yourself with `weld compile`)".into()
        }
        RunError::NotACommand { path, functions } if !functions.is_empty() => format!(
            "call one of its functions with `weld run {} --invoke '{}(...)'`",
            path.display(),
            functions[0]
        ),
        RunError::NotAHandler { path, command: true, .. } => {
            format!("it is a command: run it with `weld run {}`", path.display())
        }
        RunError::NotAHandler { path, functions, .. } if !functions.is_empty() => format!(
            "call one of its functions with `weld run {} --invoke`",
            path.display()
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::advice;
    use std::path::PathBuf;
    use weld_runtime::RunError;

    #[test]
    fn the_library_says_what_is_wrong_and_the_cli_what_to_type() {
        let err = RunError::NotAHandler {
            path: PathBuf::from("cmd.wasm"),
            command: true,
            functions: Vec::new(),
        };
        assert!(!err.to_string().contains("weld run"), "{err}");
        let help = advice(&anyhow::Error::new(err)).unwrap();
        assert_eq!(help, "it is a command: run it with `weld run cmd.wasm`");
        assert!(advice(&anyhow::anyhow!("something else")).is_none());
    }
}

//! What to do about an error, in the CLI's terms: flags and `weld` command lines. The libraries say what went wrong,
//! as data; this module says what to type next, and the error report prints it as a `help:` line.

use std::path::Path;
use weld_compose::{Closed, ComposeError, Problem, Report, RequestError};
use weld_registry_client::RegistryError;
use weld_runtime::{LimitHit, MissingImport, RunError, Unprovided};

/// The context a `--plug` run (`weld run APP --plug DEP`) adds to a composition that cannot be linked: what the
/// user runs is then the composition, and the advice keeps the plugs.
#[derive(Debug, thiserror::Error)]
#[error("`{root}` composed with {} cannot be linked", .plugs.join(", "))]
pub struct Composed {
    /// The component given.
    pub root: String,
    /// Its plugs, as given.
    pub plugs: Vec<String>,
}

/// The advice for the first error in `err`'s chain that has one.
pub fn advice(err: &anyhow::Error) -> Option<String> {
    // anyhow finds a context's own type, and the error it wraps, by downcasting the whole error.
    let composed = err.downcast_ref::<Composed>();
    if let Some(advice) = composed.and_then(|c| plugged(c, err.downcast_ref::<RunError>()?)) {
        return Some(advice);
    }
    err.chain().find_map(|cause| {
        cause
            .downcast_ref::<RunError>()
            .and_then(run)
            .or_else(|| cause.downcast_ref::<ComposeError>().and_then(compose))
            .or_else(|| cause.downcast_ref::<RequestError>().and_then(request))
            .or_else(|| input(cause).and_then(read))
            .or_else(|| cause.downcast_ref::<RegistryError>().and_then(registry))
            .or_else(|| match cause.downcast_ref::<weld_compose::TargetError>() {
                Some(weld_compose::TargetError::NoWorld { available, .. }) if !available.is_empty() => {
                    Some(format!("choose one with `--world {}`", available[0]))
                }
                Some(weld_compose::TargetError::CoreModule { .. }) => Some(
                    "make it a component first (`wasm-tools component new`, or a toolchain's component build)"
                        .into(),
                ),
                _ => None,
            })
    })
}

/// Advice for a registry or layout that failed.
fn registry(err: &RegistryError) -> Option<String> {
    Some(match err {
        RegistryError::NotALayout { .. } => "`weld push FILE oci:DIR:TAG` writes a layout".into(),
        RegistryError::Tls { .. } => {
            "a registry with a private CA: --ca-file FILE; a plain-HTTP registry: --insecure".into()
        }
        RegistryError::Unauthorized {
            anonymous: true, ..
        } => "give credentials with --username and --password-stdin, WELD_REGISTRY_USERNAME and \
              WELD_REGISTRY_PASSWORD, or `docker login`"
            .into(),
        _ => return None,
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
        ComposeError::Unresolved(report) => return unresolved(report),
        _ => return None,
    })
}

/// Advice for the first problem of a composition that has one: the wire that chooses between candidates, the plug
/// that closes a resource's import.
fn unresolved(report: &Report) -> Option<String> {
    report
        .problems()
        .find_map(|(_, import, problem)| match problem {
            Problem::Ambiguous { candidates } => Some(format!(
                "choose with `--wire {import}={}` (or a compose file's `[wire]`)",
                candidates.first()?.component
            )),
            Problem::SharedResource {
                in_wac: false,
                is_type: false,
                ..
            } => Some(format!("`--plug` a component that exports `{import}`")),
            _ => None,
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

/// Advice for a composition made with `--plug` that cannot be linked: plug more in, or run it as what it is, with
/// its plugs kept in the command line.
fn plugged(composed: &Composed, err: &RunError) -> Option<String> {
    let plugs: String = composed
        .plugs
        .iter()
        .map(|p| format!(" --plug {p}"))
        .collect();
    match err {
        RunError::Missing { imports, .. } if imports.iter().any(|i| i.why.pluggable()) => Some(
            "add a `--plug` for a component that exports each of them (or `--wire IMPORT=PLUG` to choose one)"
                .into(),
        ),
        RunError::NotAHandler { command: true, .. } => Some(format!(
            "it is a command: run it with `weld run {}{plugs}`",
            composed.root
        )),
        _ => None,
    }
}

/// Advice for a run that failed.
/// The input error `cause` is, or wraps without a link of its own in the chain (the WIT crate's and the runtime's
/// errors hold it transparently).
fn input<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a weld_files::Error> {
    cause.downcast_ref::<weld_files::Error>().or_else(|| {
        match cause.downcast_ref::<weld_wit::Error>() {
            Some(weld_wit::Error::Input(err)) => Some(err),
            _ => cause.downcast_ref::<RunError>().and_then(|err| match err {
                RunError::Read(err) => Some(err),
                _ => None,
            }),
        }
    })
}

/// The advice for a file that could not be read as WebAssembly.
fn read(err: &weld_files::Error) -> Option<String> {
    match err {
        weld_files::Error::Precompiled { .. } => Some(
            "run precompiled code with `weld run --allow-precompiled`, or use the .wasm it came from".into(),
        ),
        _ => None,
    }
}

fn run(err: &RunError) -> Option<String> {
    Some(match err {
        RunError::Grant { host, .. } => format!(
            "`--dir {}` grants a directory that exists and weld can open (HOST[::GUEST][:ro])",
            host.display()
        ),
        RunError::Missing { path, imports } => missing(path, imports)?,
        RunError::Limit(hit) => limit(hit),
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

/// Advice for imports the host does not provide: plug what a component can provide, rebuild for what is a WASI
/// version weld does not speak.
fn missing(path: &Path, imports: &[MissingImport]) -> Option<String> {
    let pluggable = imports.iter().filter(|i| i.why.pluggable()).count();
    let plug = format!(
        "`weld compose {} --plug <a component that exports {}> -o out.wasm`",
        path.display(),
        if pluggable == 1 { "it" } else { "each" }
    );
    let rebuild = imports.iter().find_map(|i| match &i.why {
        Unprovided::PreRelease { .. } => {
            Some("rebuild the component with a toolchain that targets WASI 0.3.0 or later")
        }
        Unprovided::OtherRelease { .. } => Some("build the component for WASI 0.2 or 0.3"),
        _ => None,
    });
    match (pluggable, rebuild) {
        (0, None) => None,
        (0, Some(rebuild)) => Some(rebuild.to_owned()),
        (1, None) => Some(format!("plug it: {plug}")),
        (_, None) => Some(format!("plug them: {plug}")),
        (_, Some(rebuild)) => Some(format!("{rebuild}; plug the others: {plug}")),
    }
}

/// Advice for a limit that stopped the guest: the flag that sets it.
fn limit(hit: &LimitHit) -> String {
    match hit {
        LimitHit::Memory(_) => "--max-memory sets the limit".into(),
        LimitHit::Table(_) => {
            "every table is capped; --max-memory sets a budget of its own for tables too".into()
        }
        LimitHit::Timeout(_) => "--timeout sets the limit".into(),
        LimitHit::Fuel(_) => "--fuel sets the limit".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::advice;
    use std::path::PathBuf;
    use weld_runtime::{MissingImport, RunError, Unprovided};

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

    #[test]
    fn missing_imports_are_plugged_or_rebuilt_for_as_they_can_be() {
        let missing = |whys: Vec<Unprovided>| {
            let imports = whys
                .into_iter()
                .enumerate()
                .map(|(i, why)| MissingImport {
                    name: format!("x:y/z{i}"),
                    why,
                })
                .collect();
            let err = RunError::Missing {
                path: PathBuf::from("app.wasm"),
                imports,
            };
            advice(&anyhow::Error::new(err))
        };
        assert_eq!(
            missing(vec![Unprovided::NotWasi]).unwrap(),
            "plug it: `weld compose app.wasm --plug <a component that exports it> -o out.wasm`"
        );
        let rebuild = Unprovided::OtherRelease {
            version: "0.4.0".into(),
        };
        assert_eq!(
            missing(vec![rebuild.clone()]).unwrap(),
            "build the component for WASI 0.2 or 0.3"
        );
        let both = missing(vec![rebuild, Unprovided::NotWasi, Unprovided::NotWasi]).unwrap();
        assert!(
            both.starts_with("build the component for WASI 0.2 or 0.3; plug the others"),
            "{both}"
        );
        assert!(both.contains("exports each>"), "{both}");
        assert_eq!(missing(vec![Unprovided::Unversioned]), None);
    }
}

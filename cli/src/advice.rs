//! What to do about an error, in the CLI's terms: flags and `weld` command lines. The libraries say what went wrong,
//! as data; this module says what to type next, and the error report prints it as a `help:` line.

use weld_runtime::RunError;

/// The advice for the first error in `err`'s chain that has one.
pub fn advice(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<RunError>().and_then(run))
}

/// Advice for a run that failed.
fn run(err: &RunError) -> Option<String> {
    Some(match err {
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

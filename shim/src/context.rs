//! What a container asks for, read off its OCI process: the guest's arguments and environment, and the variables
//! addressed to the shim itself (`WELD_HTTP_ADDR`), which the guest does not see.

use std::path::Path;

/// The variable that speaks to the shim, not to the guest: the address a `wasi:http` handler is served on
/// (runwasi's wasmtime shim reads `WASMTIME_HTTP_PROXY_SOCKET_ADDR` the same way).
const HTTP_ADDR: &str = "WELD_HTTP_ADDR";

/// The container's process as weld runs it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Process {
    /// The guest's arguments: `argv[0]` is the component's file name (`hello.wasm` for `/app/hello.wasm`), as
    /// `weld run` gives it, then the container's own arguments.
    pub args: Vec<String>,
    /// The spec's environment, granted to the guest: `(name, value)`, without the `WELD_HTTP_ADDR` variables.
    pub env: Vec<(String, String)>,
    /// `WELD_HTTP_ADDR`: where a handler is served.
    pub http_addr: Option<String>,
}

impl Process {
    /// The process of a container whose OCI `args` and `env` (`NAME=VALUE`) are these. An environment entry
    /// without `=` is a name with an empty value, as a shell exports it.
    pub fn new(args: &[String], env: &[String]) -> Process {
        let mut process = Process::default();
        if let Some(arg0) = args.first() {
            let path = arg0.split_once('#').map_or(arg0.as_str(), |(path, _)| path);
            process.args.push(weld_cli::sandbox::argv0(Path::new(path)));
            process.args.extend(args[1..].iter().cloned());
        }
        for entry in env {
            let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
            match name {
                HTTP_ADDR => process.http_addr = Some(value.to_owned()),
                _ => process.env.push((name.to_owned(), value.to_owned())),
            }
        }
        process
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn argv0_is_the_file_name_and_the_shims_variables_are_kept_from_the_guest() {
        let process = Process::new(
            &strings(&["/app/hello.wasm", "one", "two"]),
            &strings(&[
                "PATH=/bin",
                "GREETING=hi=there",
                "WELD_HTTP_ADDR=0.0.0.0:9000",
                "WELD_NAME=guest",
                "EMPTY",
            ]),
        );
        assert_eq!(process.args, strings(&["hello.wasm", "one", "two"]));
        assert_eq!(process.http_addr.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(
            process.env,
            [
                ("PATH".to_owned(), "/bin".to_owned()),
                ("GREETING".to_owned(), "hi=there".to_owned()),
                ("WELD_NAME".to_owned(), "guest".to_owned()),
                ("EMPTY".to_owned(), String::new()),
            ]
        );
    }

    #[test]
    fn a_function_suffix_is_not_part_of_argv0() {
        let process = Process::new(&strings(&["lib.wasm#run"]), &[]);
        assert_eq!(process.args, ["lib.wasm"]);
    }
}

//! Goldens of the CLI's human output: every command's `--help`, the error chains of representative failures and
//! the human reports (`compose` and `--explain`, `inspect`, `cache`, advice under an error),
//! compared with the files under `cli/tests/golden/` (one per case; `BLESS=1` rewrites them). Help and errors are
//! what users read; a change to them shows in review as a change to these files.

use crate::util::{fixture, weld_bin, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the expected outputs are.
fn golden_dir() -> PathBuf {
    workspace_root().join("cli/tests/golden")
}

/// Compares `actual` with the golden file `name`, or rewrites it under `BLESS=1`.
fn check(name: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    (expected != actual).then(|| {
        format!(
            "{}: the output differs from the golden file (BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )
    })
}

/// `weld ARGS` in `dir` with a fixed environment: no colour, no credentials, a cache of its own.
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    run_with_cache(dir, cache.path(), args)
}

/// [`run_in`] with the compiled-code cache at `cache`.
fn run_with_cache(dir: &Path, cache: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(weld_bin())
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("WELD_CACHE_DIR", cache)
        .env_remove("WELD_VERIFY_KEYS")
        .env_remove("WELD_COMPILER")
        .env_remove("WELD_REGISTRY_USERNAME")
        .env_remove("WELD_REGISTRY_PASSWORD")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command and subcommand, as `weld` names them.
fn commands() -> Vec<Vec<String>> {
    fn walk(command: &clap::Command, path: &[String], all: &mut Vec<Vec<String>>) {
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut here = path.to_vec();
            here.push(sub.get_name().to_owned());
            all.push(here.clone());
            walk(sub, &here, all);
        }
    }
    let mut all = vec![Vec::new()];
    walk(
        &<weld_cli::Cli as clap::CommandFactory>::command(),
        &[],
        &mut all,
    );
    all
}

#[test]
fn every_help_text_matches_its_golden() {
    let here = workspace_root();
    let mut failures = Vec::new();
    for path in commands() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let (code, stdout, stderr) = run_in(&here, &args);
        assert_eq!(code, 0, "weld {args:?}: {stderr}");
        let name = match path.is_empty() {
            true => "help/weld.txt".to_owned(),
            false => format!("help/weld-{}.txt", path.join("-")),
        };
        failures.extend(check(&name, &stdout));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn error_chains_match_their_goldens() {
    // Inputs named relative to a folder of the test's own, so the messages hold no temporary paths.
    let dir = tempfile::tempdir().unwrap();
    let _fills_dir = crate::util::Fills(dir.path());
    std::fs::write(dir.path().join("not-wasm.wasm"), b"hello").unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    std::fs::write(dir.path().join("text.pub"), "not a key\n").unwrap();
    std::fs::write(
        dir.path().join("twice.wit"),
        "package a:b;\n\ninterface i {\n    enum e { a, b, a }\n}\n",
    )
    .unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "errors/validate-not-wasm.txt",
            &["validate", "not-wasm.wasm"],
        ),
        ("errors/run-missing-file.txt", &["run", "missing.wasm"]),
        ("errors/wit-name-given-twice.txt", &["wit", "twice.wit"]),
        // Regression: the message named weld's temporary file (`missing/dir/.weld-XXXX`) besides the folder.
        (
            "errors/write-into-a-missing-folder.txt",
            &["key", "generate", "missing/dir/k", "--no-password"],
        ),
        ("errors/run-folder.txt", &["run", "folder"]),
        (
            "errors/compose-not-wasm.txt",
            &["compose", "not-wasm.wasm", "--plug", "not-wasm.wasm"],
        ),
        (
            "errors/pull-bad-reference.txt",
            &["pull", "localhost:5000/Demo/x:1"],
        ),
        ("errors/pull-no-layout.txt", &["pull", "oci:nowhere:1"]),
        (
            "errors/verify-not-a-key.txt",
            &["verify", "oci:nowhere:1", "--key", "text.pub"],
        ),
        (
            "errors/key-generate-no-password.txt",
            &["key", "generate", "k"],
        ),
        (
            "errors/compose-locked-without-lock.txt",
            &["compose", "x.wasm", "--locked"],
        ),
    ];
    let mut failures = Vec::new();
    for (name, args) in cases {
        let (code, stdout, stderr) = run_in(dir.path(), args);
        let shown = format!("exit {code}\n--- stdout\n{stdout}--- stderr\n{stderr}");
        failures.extend(check(name, &shown));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn human_reports_match_their_goldens() {
    let dir = tempfile::tempdir().unwrap();
    let _fills_dir = crate::util::Fills(dir.path());
    for name in [
        "app", "greeter", "hello", "right", "base", "base-two", "base-v2", "left", "mismatch",
        "ping", "pong",
    ] {
        std::fs::copy(fixture(name), dir.path().join(format!("{name}.wasm"))).unwrap();
    }
    // A second copy of pong as a plug closes the loop ping -> pong -> ping.
    std::fs::copy(fixture("pong"), dir.path().join("pong-again.wasm")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let _fills_cache = crate::util::Fills(cache.path());
    // The cache first, while it is empty: a filled one's report holds times and sizes that vary.
    let cases: &[(&str, &[&str])] = &[
        ("reports/cache-empty.txt", &["cache"]),
        (
            "reports/compose.txt",
            &["compose", "app.wasm", "--plug", "greeter.wasm"],
        ),
        (
            "reports/compose-explain.txt",
            &["compose", "app.wasm", "--plug", "greeter.wasm", "--explain"],
        ),
        (
            "reports/compose-ambiguous.txt",
            &[
                "compose",
                "right.wasm",
                "--plug",
                "base.wasm",
                "--plug",
                "base-two.wasm",
            ],
        ),
        // Why a composition failed is worded by the CLI from the report's data (cli/src/prose.rs): one
        // golden per kind of failure that carries a report.
        (
            "reports/compose-type-mismatch.txt",
            &["compose", "app.wasm", "--plug", "mismatch.wasm"],
        ),
        (
            "reports/compose-cycle.txt",
            &[
                "compose",
                "pong.wasm",
                "--plug",
                "ping.wasm",
                "--plug",
                "pong-again.wasm",
            ],
        ),
        (
            "reports/compose-closed.txt",
            &["compose", "left.wasm", "--plug", "base.wasm", "--closed"],
        ),
        (
            "reports/compose-nothing-to-compose.txt",
            &["compose", "right.wasm", "--plug", "base-v2.wasm"],
        ),
        ("reports/inspect-app.txt", &["inspect", "app.wasm"]),
        ("reports/inspect-hello.txt", &["inspect", "hello.wasm"]),
        ("reports/run-missing-import.txt", &["run", "app.wasm"]),
    ];
    let mut failures = Vec::new();
    for (name, args) in cases {
        let (code, stdout, stderr) = run_with_cache(dir.path(), cache.path(), args);
        let shown = format!("exit {code}\n--- stdout\n{stdout}--- stderr\n{stderr}")
            .replace(cache.path().to_str().unwrap(), "$CACHE");
        failures.extend(check(name, &shown));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

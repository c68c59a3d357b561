//! `weld compose`: matching, transitive plugging, shared instances, diagnostics, compose files and `.wac`.

use crate::util::{Run, fixture, instantiations, weld};
use std::path::{Path, PathBuf};

/// Runs `weld compose ROOT --plug P... -o DIR/out.wasm EXTRA...` and returns the run and the output path.
fn compose(dir: &Path, root: &str, plugs: &[&str], extra: &[&str]) -> (Run, PathBuf) {
    let out = dir.join("out.wasm");
    let mut args = vec!["compose".to_owned(), fixture(root).display().to_string()];
    for plug in plugs {
        args.push("--plug".into());
        args.push(fixture(plug).display().to_string());
    }
    args.push("-o".into());
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    (weld(&args), out)
}

/// The WIT that `weld wit` prints for the component at `path`.
fn wit(path: &Path) -> String {
    weld(["wit".as_ref(), path.as_os_str()]).ok()
}

/// The world block of a WIT text: its imports and exports, without the packages that follow.
fn world(wit: &str) -> String {
    wit.split("\n}\n").next().unwrap_or_default().to_owned()
}

#[test]
fn greet_composes_into_one_component_that_only_needs_wasi() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(dir.path(), "app", &["greeter"], &[]);
    let summary = run.ok();
    assert!(summary.contains("2 instances"), "{summary}");
    assert!(
        summary.contains("weld:examples/greeter@1.0.0") && summary.contains("<- "),
        "{summary}"
    );
    let world = world(&wit(&out));
    assert!(!world.contains("weld:examples/greeter"), "{world}");
    assert!(world.contains("export wasi:cli/run@0.2.12;"), "{world}");
    assert_eq!(instantiations(&out), 2);
    weld(["validate".as_ref(), out.as_os_str()]).ok();
}

#[test]
fn the_chain_composes_whatever_the_order_of_the_plugs_and_always_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (run, first) = compose(dir.path(), "app2", &["upper", "reverse"], &[]);
    run.ok();
    let a = std::fs::read(&first).unwrap();
    let (run, second) = compose(dir.path(), "app2", &["reverse", "upper"], &[]);
    run.ok();
    assert_eq!(
        a,
        std::fs::read(&second).unwrap(),
        "plug order changes nothing"
    );
    let (run, _) = compose(dir.path(), "app2", &["reverse", "upper"], &[]);
    run.ok();
    assert_eq!(
        a,
        std::fs::read(&second).unwrap(),
        "composing twice gives the same bytes"
    );
    assert_eq!(instantiations(&second), 3);
    assert!(!world(&wit(&second)).contains("weld:examples"));
}

#[test]
fn a_diamond_shares_one_instance_of_the_common_plug() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(
        dir.path(),
        "top",
        &["tracer", "base", "right", "left"],
        &["--json"],
    );
    let json = run.json();
    let components: Vec<&str> = json["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["component"].as_str().unwrap())
        .collect();
    assert_eq!(components.len(), 5, "{components:?}");
    assert_eq!(
        components
            .iter()
            .filter(|c| c.ends_with("base.wasm"))
            .count(),
        1
    );
    assert_eq!(
        instantiations(&out),
        5,
        "top, left, right, base and tracer once each"
    );
    // left's trace@1.0.0 and top's trace@1.1.0 are both plugged by tracer's @1.1.0.
    let semver = json["instances"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["imports"].as_array().unwrap())
        .find(|i| i["name"] == "weld:trace/trace@1.0.0")
        .unwrap()
        .clone();
    assert_eq!(semver["rule"], "semver", "{semver}");
    assert_eq!(semver["export"], "weld:trace/trace@1.1.0");
    let world = world(&wit(&out));
    assert!(
        world.contains("import wasi:clocks/monotonic-clock@0.2.0;"),
        "{world}"
    );
    assert!(world.contains("export run: func() -> u32;"), "{world}");
    assert!(!world.contains("weld:"), "{world}");
}

#[test]
fn a_cycle_is_an_error_that_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    // pong is the root; a second copy of it as a plug closes the loop ping -> pong -> ping.
    let copy = dir.path().join("pong-again.wasm");
    std::fs::copy(fixture("pong"), &copy).unwrap();
    let out = dir.path().join("out.wasm");
    let err = weld([
        "compose".as_ref(),
        fixture("pong").as_os_str(),
        "--plug".as_ref(),
        fixture("ping").as_os_str(),
        "--plug".as_ref(),
        copy.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ])
    .fails();
    let ping = fixture("ping").display().to_string();
    let cycle = format!("{ping} -> {} -> {ping}", copy.display());
    assert!(
        err.contains(&format!("would close a cycle: {cycle}")),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_type_mismatch_shows_both_signatures_and_the_first_difference() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(dir.path(), "app", &["mismatch"], &[]);
    let err = run.fails();
    let mismatch = fixture("mismatch").display().to_string();
    assert!(
        err.contains(&format!(
            "greet: expected func(name: string) -> string, found func(name: string) -> u32 (in {mismatch})"
        )),
        "{err}"
    );
    assert!(
        err.contains("first difference: function result: expected string, found u32"),
        "{err}"
    );
    assert!(
        run.stdout().contains("error: the types of"),
        "summary shown: {}",
        run.stdout()
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn two_fitting_plugs_are_ambiguous_until_one_is_wired() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(dir.path(), "right", &["base", "base-two"], &[]);
    let err = run.fails();
    let (one, two) = (fixture("base"), fixture("base-two"));
    assert!(
        err.contains(&one.display().to_string()) && err.contains(&two.display().to_string()),
        "{err}"
    );
    assert!(err.contains("--wire weld:base/base@1.0.0="), "{err}");
    assert!(!out.exists());

    let (run, _) = compose(
        dir.path(),
        "right",
        &["base", "base-two"],
        &["--wire", "weld:base/base=base-two", "--json"],
    );
    let json = run.json();
    let import = &json["instances"][0]["imports"][0];
    assert_eq!(import["rule"], "wire", "{json}");
    assert!(import["by"].as_str().unwrap().ends_with("base-two.wasm"));
    assert_eq!(json["unused"][0], one.display().to_string());
    assert_eq!(instantiations(&out), 2, "the unused plug is left out");

    let (run, _) = compose(
        dir.path(),
        "right",
        &["base"],
        &["--wire", "weld:base/base=nope"],
    );
    assert!(
        run.fails()
            .contains("`nope`, which is not one of the plugs")
    );
}

#[test]
fn semver_takes_a_compatible_newer_export_but_not_another_major() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(dir.path(), "right", &["base-v12"], &[]);
    let summary = run.ok();
    assert!(
        summary.contains("(as weld:base/base@1.2.0, semver-compatible)"),
        "{summary}"
    );
    assert!(!world(&wit(&out)).contains("import"), "fully plugged");
    std::fs::remove_file(&out).unwrap();

    // Another major is no plug at all: with nothing else to plug, there is nothing to compose, and the error
    // itself says which version was on offer.
    let (run, out) = compose(dir.path(), "right", &["base-v2"], &[]);
    let err = run.fails();
    assert!(
        err.contains("nothing to compose")
            && err.contains("only incompatible versions are exported (")
            && err.contains("has weld:base/base@2.0.0)"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn an_unplugged_import_stays_open_and_closed_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(dir.path(), "left", &["base"], &[]);
    run.ok();
    assert!(world(&wit(&out)).contains("import weld:trace/trace@1.0.0;"));
    std::fs::remove_file(&out).unwrap();

    let (run, out) = compose(dir.path(), "left", &["base"], &["--closed"]);
    let err = run.fails();
    assert!(
        err.contains("forbids open imports")
            && err.contains("help: --closed asked for this")
            && err.contains("weld:trace/trace@1.0.0 (imported by")
            && err.contains("no component exports it"),
        "{err}"
    );
    assert!(!out.exists());

    // wasi:* imports may stay open under --closed, but not under --closed=all.
    let (run, out) = compose(dir.path(), "app", &["greeter"], &["--closed"]);
    run.ok();
    std::fs::remove_file(&out).unwrap();
    let (run, out) = compose(dir.path(), "app", &["greeter"], &["--closed=all"]);
    assert!(run.fails().contains("wasi:cli/exit@0.2.12 (imported by"));
    assert!(!out.exists());
}

#[test]
fn open_imports_of_compatible_versions_become_one_import_of_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    // loud-greeter imports wasi:io/streams etc. @0.2.0 directly; app's adapter imports @0.2.12.
    let (run, out) = compose(dir.path(), "app", &["loud-greeter"], &["--json"]);
    let json = run.json();
    let merged = json["merged"].as_array().unwrap();
    assert!(
        merged
            .iter()
            .any(|m| m["into"] == "wasi:io/streams@0.2.12"
                && m["from"][0] == "wasi:io/streams@0.2.0"),
        "{json}"
    );
    let world = world(&wit(&out));
    assert!(!world.contains("@0.2.0"), "{world}");
    assert!(world.contains("import wasi:io/streams@0.2.12;"), "{world}");
    assert_eq!(
        json["imports"].as_array().unwrap().len(),
        world.matches("import ").count()
    );
}

#[test]
fn no_merge_imports_keeps_compatible_versions_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (run, out) = compose(
        dir.path(),
        "app",
        &["loud-greeter"],
        &["--no-merge-imports", "--json"],
    );
    let json = run.json();
    assert_eq!(json["merged"], serde_json::json!([]), "{json}");
    let kept = world(&wit(&out));
    for import in [
        "wasi:io/streams@0.2.0",
        "wasi:io/streams@0.2.12",
        "wasi:cli/stdout@0.2.0",
    ] {
        assert!(kept.contains(&format!("import {import};")), "{kept}");
    }
    assert_eq!(
        json["imports"].as_array().unwrap().len(),
        kept.matches("import ").count()
    );
    // Both versions are real imports of a valid component: the host provides each.
    let ran = weld(["run".as_ref(), out.as_os_str()]).ok();
    assert!(ran.ends_with("Hello, world!\n"), "{ran}");

    // The same from a compose file; and merging stays the default.
    let toml = dir.path().join("weld.toml");
    std::fs::write(
        &toml,
        format!(
            "root = \"app\"\nmerge-imports = false\n[components]\napp = \"{}\"\nloud-greeter = \"{}\"\n",
            fixture("app").display(),
            fixture("loud-greeter").display()
        ),
    )
    .unwrap();
    let from_file = dir.path().join("from-file.wasm");
    weld([
        "compose",
        "-c",
        toml.to_str().unwrap(),
        "-o",
        from_file.to_str().unwrap(),
    ])
    .ok();
    assert!(
        std::fs::read(&from_file).unwrap() == std::fs::read(&out).unwrap(),
        "the compose file gives other bytes than the flags"
    );
    let (run, merged) = compose(dir.path(), "app", &["loud-greeter"], &[]);
    run.ok();
    assert!(!world(&wit(&merged)).contains("@0.2.0"));
}

#[test]
fn explain_json_and_graph_describe_the_same_wiring() {
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("graph.dot");
    let (run, _) = compose(
        dir.path(),
        "app2",
        &["upper", "reverse"],
        &["--explain", "--graph", "dot", dot.to_str().unwrap()],
    );
    let explain = run.ok();
    assert!(
        explain.contains("wasi:cli/exit@0.2.12"),
        "every import listed: {explain}"
    );
    assert!(
        explain.contains("result exports\n  wasi:cli/run@0.2.12"),
        "{explain}"
    );
    let dot = std::fs::read_to_string(&dot).unwrap();
    assert_eq!(dot.matches(" -> ").count(), 2, "{dot}");
    assert!(dot.contains("weld:examples/upper@1.0.0"), "{dot}");

    let mermaid = dir.path().join("graph.mmd");
    let (run, _) = compose(
        dir.path(),
        "app2",
        &["upper", "reverse"],
        &["--graph", "mermaid", mermaid.to_str().unwrap()],
    );
    run.ok();
    let mermaid = std::fs::read_to_string(&mermaid).unwrap();
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert_eq!(mermaid.matches("-->").count(), 2, "{mermaid}");
}

#[test]
fn a_compose_file_gives_the_same_composition_as_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["right", "base", "base-two"] {
        std::fs::copy(fixture(name), dir.path().join(format!("{name}.wasm"))).unwrap();
    }
    std::fs::write(
        dir.path().join("weld.toml"),
        "root = \"right\"\noutput = \"from-file.wasm\"\n\n[components]\nright = \"right.wasm\"\n\
         base = \"base.wasm\"\nbase-two = \"base-two.wasm\"\n\n[wire]\n\"weld:base/base\" = \"base-two\"\n",
    )
    .unwrap();
    let config = dir.path().join("weld.toml");
    let summary = weld(["compose".as_ref(), "-c".as_ref(), config.as_os_str()]).ok();
    assert!(summary.contains("<- base-two (wired)"), "{summary}");
    let from_file = dir.path().join("from-file.wasm");
    let (run, from_flags) = compose(
        dir.path(),
        "right",
        &["base", "base-two"],
        &["--wire", "weld:base/base=base-two"],
    );
    run.ok();
    assert_eq!(wit(&from_file), wit(&from_flags));
    assert_eq!(instantiations(&from_file), instantiations(&from_flags));

    std::fs::write(
        &config,
        "root = \"rigth\"\n[components]\nright = \"right.wasm\"\n",
    )
    .unwrap();
    let err = weld(["compose".as_ref(), "-c".as_ref(), config.as_os_str()]).fails();
    assert!(
        err.contains("weld.toml:1:8]") && err.contains("root = \"rigth\": no such component"),
        "{err}"
    );
}

#[test]
fn a_wac_document_gives_the_same_composition_as_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let deps = dir.path().join("deps/weld");
    std::fs::create_dir_all(&deps).unwrap();
    for name in ["app2", "reverse", "upper"] {
        std::fs::copy(fixture(name), deps.join(format!("{name}.wasm"))).unwrap();
    }
    let doc = dir.path().join("chain.wac");
    std::fs::write(
        &doc,
        "package weld:chain;\n\nlet upper = new weld:upper {};\nlet reverse = new weld:reverse { ...upper };\n\
         let app = new weld:app2 { ...reverse, ... };\n\nexport app[\"wasi:cli/run@0.2.12\"];\n",
    )
    .unwrap();
    let out = dir.path().join("from-wac.wasm");
    let deps_dir = dir.path().join("deps");
    weld([
        "compose".as_ref(),
        doc.as_os_str(),
        "--deps-dir".as_ref(),
        deps_dir.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    let (run, from_flags) = compose(dir.path(), "app2", &["upper", "reverse"], &[]);
    run.ok();
    assert_eq!(world(&wit(&out)), world(&wit(&from_flags)));
    assert_eq!(instantiations(&out), instantiations(&from_flags));

    // --dep names one package's file, whatever the deps dir holds.
    std::fs::remove_file(deps.join("upper.wasm")).unwrap();
    let upper = format!("weld:upper={}", fixture("upper").display());
    let summary = weld([
        "compose".as_ref(),
        doc.as_os_str(),
        "--deps-dir".as_ref(),
        deps_dir.as_os_str(),
        "--dep".as_ref(),
        upper.as_ref(),
    ])
    .ok();
    assert!(summary.contains("3 instances"), "{summary}");

    std::fs::write(
        &doc,
        "package weld:chain;\n\nlet app = new weld:ap2 { ... };\n",
    )
    .unwrap();
    let err = weld([
        "compose".as_ref(),
        doc.as_os_str(),
        "--deps-dir".as_ref(),
        deps_dir.as_os_str(),
    ])
    .fails();
    assert!(
        err.contains("chain.wac:3:15]") && err.contains("unknown package `weld:ap2`"),
        "{err}"
    );
    assert!(
        err.contains("────┬───") && err.contains("╰── unknown package `weld:ap2`"),
        "the span is underlined and labelled: {err}"
    );
}

#[test]
fn inputs_that_are_not_components_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("module.wat");
    std::fs::write(&module, "(module)").unwrap();
    let err = weld([
        "compose".as_ref(),
        fixture("app").as_os_str(),
        "--plug".as_ref(),
        module.as_os_str(),
    ])
    .fails();
    assert!(
        err.contains(&format!("`{}` cannot be composed", module.display()))
            && err.contains("not a binary-encoded WebAssembly component"),
        "{err}"
    );
    let missing = dir.path().join("missing.wasm");
    let err = weld(["compose".as_ref(), missing.as_os_str()]).fails();
    assert!(err.contains("missing.wasm"), "{err}");
}

/// Regression: wac's two encoding errors about implicit imports lost their place, because weld encoded the graph
/// after leaving wac's resolution. They point at the document's lines, with both labels, as `wac compose` does.
#[test]
fn wac_encoding_errors_point_at_the_document() {
    let cases = crate::util::workspace_root().join("compose/tests/cases");
    for (case, place, labels) in [
        (
            "wac-argument-merge-conflict",
            "compose.wac:5:19]",
            [
                "previous instantiation here",
                "conflicting instantiation here",
            ],
        ),
        (
            "wac-implicit-import-conflict",
            "compose.wac:4:8]",
            ["explicit import here", "conflicting instantiation here"],
        ),
    ] {
        let dir = cases.join(case);
        let err = weld([
            "compose".as_ref(),
            dir.join("compose.wac").as_os_str(),
            "--deps-dir".as_ref(),
            dir.join("deps").as_os_str(),
        ])
        .fails();
        assert!(err.contains(place), "{case}: {err}");
        for label in labels {
            assert!(err.contains(label), "{case}: {label} missing: {err}");
        }
    }
}

/// Regression (wac#148 in kind): a WIT package encoded as wasm (types, no code) given as a plug composed into a
/// "component" that did nothing. It is named for what it is, as root or plug, and nothing is written. Plugs
/// that supply nothing are an error; a plug left out beside others, or no plug at all, is a warning.
#[test]
fn nothing_is_composed_from_wit_packages_or_from_plugs_that_supply_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let package = crate::util::greeter_wit_package(dir.path());
    let out = dir.path().join("out.wasm");
    let (app, base, greeter) = (fixture("app"), fixture("base"), fixture("greeter"));
    for (root, plug) in [(&app, &package), (&package, &greeter)] {
        let err = weld([
            "compose".as_ref(),
            root.as_os_str(),
            "-p".as_ref(),
            plug.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ])
        .fails();
        assert!(
            err.contains(
                "greeter-pkg.wasm` is a WIT package (types only, no code), not a component"
            ),
            "{err}"
        );
        assert!(!out.exists());
    }
    let run = weld([
        "compose".as_ref(),
        app.as_os_str(),
        "-p".as_ref(),
        base.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let err = run.fails();
    assert!(
        err.contains("nothing to compose: none of the plugs")
            && err.contains("weld:examples/greeter@1.0.0: no component exports it"),
        "{err}"
    );
    assert!(!out.exists());
    // A plug beside one that is used: a warning.
    let run = weld([
        "compose".as_ref(),
        app.as_os_str(),
        "-p".as_ref(),
        greeter.as_os_str(),
        "-p".as_ref(),
        base.as_os_str(),
    ]);
    run.ok();
    assert!(
        run.stderr().contains("warning: plug ") && run.stderr().contains("base.wasm was not used"),
        "{}",
        run.stderr()
    );
    // No plug at all: the result is the root itself, and weld says so.
    let run = weld(["compose".as_ref(), greeter.as_os_str()]);
    run.ok();
    assert!(
        run.stderr()
            .contains("warning: nothing to compose: no plug was given"),
        "{}",
        run.stderr()
    );
}

/// wac#99's shape, composed and run: the root `use`s a resource at the world level (a type import naming the
/// resource of `demo:w3/types`) and imports `make`, which returns one; the plug exports both the interface and
/// `make`. The type import is given the plug's own resource, so the result imports nothing and runs: `run` calls
/// `make`, drops what it got and returns 42. wac 0.12 and wasm-tools 1.262 fail to compose this.
#[test]
fn a_function_import_returning_a_resource_beside_its_interface_composes_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.wat");
    std::fs::write(
        &root,
        r#"(component
  (import "demo:w3/types@0.1.0" (instance $types (export "request" (type (sub resource)))))
  (alias export $types "request" (type $request))
  (import "request" (type $req (eq $request)))
  (import "make" (func $make (result (own $req))))
  (core func $make_low (canon lower (func $make)))
  (core func $drop (canon resource.drop $req))
  (core module $m
    (import "" "make" (func $make (result i32)))
    (import "" "drop" (func $drop (param i32)))
    (func (export "run") (result i32)
      call $make
      call $drop
      i32.const 42))
  (core instance $host (export "make" (func $make_low)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "" (instance $host))))
  (func (export "run") (result u32) (canon lift (core func $i "run")))
)"#,
    )
    .unwrap();
    let prov = dir.path().join("prov.wat");
    std::fs::write(
        &prov,
        r#"(component
  (type $r (resource (rep i32)))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (func (export "make") (result i32) i32.const 7 call $new))
  (core instance $host (export "new" (func $new)))
  (core instance $i (instantiate $m (with "" (instance $host))))
  (instance $types (export "request" (type $r)))
  (export $exported "demo:w3/types@0.1.0" (instance $types))
  (alias export $exported "request" (type $request))
  (func $make (result (own $r)) (canon lift (core func $i "make")))
  (export "make" (func $make) (func (result (own $request))))
)"#,
    )
    .unwrap();
    let out = dir.path().join("out.wasm");
    let run = weld([
        "compose".as_ref(),
        root.as_os_str(),
        "--plug".as_ref(),
        prov.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--closed=all".as_ref(),
    ]);
    run.ok();
    let ran = weld([
        "run".as_ref(),
        out.as_os_str(),
        "--invoke".as_ref(),
        "run()".as_ref(),
    ]);
    assert_eq!(ran.ok().trim(), "42");
}

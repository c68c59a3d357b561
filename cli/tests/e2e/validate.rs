//! `weld validate`: verdicts per file, offsets, parallel files, text input, exit codes.

use crate::util::{fixture, weld};

#[test]
fn every_fixture_is_valid() {
    let paths: Vec<_> = weld_fixtures::COMPONENTS
        .iter()
        .map(|n| fixture(n))
        .collect();
    let mut args = vec!["validate".into()];
    args.extend(paths.iter().map(|p| p.clone().into_os_string()));
    let out = weld(&args).ok();
    assert_eq!(out.matches("ok ").count(), paths.len(), "{out}");
    assert!(
        out.contains(&format!(
            "{} files: {} valid, 0 invalid",
            paths.len(),
            paths.len()
        )),
        "{out}"
    );
}

#[test]
fn an_invalid_module_gets_its_offset_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.wat");
    std::fs::write(&bad, "(module (func (result i32) f32.const 1))").unwrap();
    let good = fixture("greeter");
    let run = weld(["validate".as_ref(), good.as_os_str(), bad.as_os_str()]);
    let err = run.fails();
    assert!(err.is_empty() || !err.contains("panicked"));
    let out = run.stdout();
    assert!(out.contains("ok ") && out.contains("greeter.wasm"), "{out}");
    assert!(out.contains("bad.wat: type mismatch"), "{out}");
    assert!(out.contains("(at offset 0x"), "{out}");
}

#[test]
fn json_verdicts() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.wasm");
    let mut bytes = std::fs::read(fixture("greeter")).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&bad, bytes).unwrap();
    let run = weld([
        "validate".as_ref(),
        fixture("app").as_os_str(),
        bad.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(run.code(), 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(json[0]["valid"], true);
    assert_eq!(json[0]["kind"], "component");
    assert_eq!(json[1]["valid"], false);
    assert!(json[1]["error"]["offset"].as_u64().is_some(), "{json}");
}

#[test]
fn a_large_component_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.wasm");
    std::fs::write(&big, weld_fixtures::large_component(2 << 20).unwrap()).unwrap();
    let out = weld(["validate".as_ref(), big.as_os_str()]).ok();
    assert!(
        out.contains("component, 2.") || out.contains("component, 3."),
        "{out}"
    );
}

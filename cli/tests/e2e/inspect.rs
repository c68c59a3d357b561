//! `weld inspect`: typed imports and exports, nested structure with sizes, producers and capabilities.

use crate::util::{core_fixture, fixture, weld};

#[test]
fn the_app_shows_its_world_with_signatures_and_needs() {
    let out = weld(["inspect".as_ref(), fixture("app").as_os_str()]).ok();
    assert!(out.contains(": component, "), "{out}");
    assert!(out.contains("import weld:examples/greeter@1.0.0"), "{out}");
    assert!(out.contains("greet: func(name: string) -> string"), "{out}");
    assert!(out.contains("export wasi:cli/run@"), "{out}");
    assert!(out.contains("stdio"), "{out}");
    assert!(
        out.contains("must come from another component or the host: weld:examples/greeter@1.0.0"),
        "{out}"
    );
    assert!(out.contains("core module"), "nested modules listed: {out}");
}

#[test]
fn json_has_the_same_content() {
    let json = weld([
        "inspect".as_ref(),
        fixture("hello").as_os_str(),
        "--json".as_ref(),
    ])
    .json();
    assert_eq!(json["root"]["kind"], "component");
    let children = json["root"]["children"].as_array().unwrap();
    assert!(!children.is_empty());
    assert!(children.iter().all(|c| c["size"].as_u64().unwrap() > 0));
    assert!(json["capabilities"]["needs"]["stdio"].is_array(), "{json}");
    assert!(
        json["capabilities"]["needs"]["env"].is_array(),
        "hello reads WELD_NAME: {json}"
    );
    assert!(json["capabilities"]["needs"]["exit"].is_array(), "{json}");
    assert!(
        json["capabilities"]["other-imports"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let producers = serde_json::to_string(&json["root"]).unwrap();
    assert!(
        producers.contains("wit-component"),
        "producers are read: {producers}"
    );
}

#[test]
fn a_pure_component_needs_nothing() {
    let json = weld([
        "inspect".as_ref(),
        fixture("greeter").as_os_str(),
        "--json".as_ref(),
    ])
    .json();
    assert!(
        json["capabilities"]["needs"]
            .as_object()
            .unwrap()
            .is_empty(),
        "{json}"
    );
    assert_eq!(
        json["world"]["exports"][0]["name"],
        "weld:examples/greeter@1.0.0"
    );
}

#[test]
fn core_modules_show_imports_exports_and_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core_fixture(tmp.path(), "greeter");
    let json = weld(["inspect".as_ref(), core.as_os_str(), "--json".as_ref()]).json();
    assert_eq!(json["root"]["kind"], "module");
    assert!(
        json["root"]["memories"][0]["initial"].as_u64().unwrap() >= 1,
        "{json}"
    );
    let exports = json["root"]["exports"].as_array().unwrap();
    let greet = exports
        .iter()
        .find(|e| e["name"] == "weld:examples/greeter@1.0.0#greet")
        .expect("greet export");
    assert_eq!(greet["signature"], "(i32, i32) -> (i32)");
    let text = weld(["inspect".as_ref(), core.as_os_str()]).ok();
    assert!(text.contains("core module"), "{text}");
}

#[test]
fn a_core_module_made_for_a_world_names_its_interfaces() {
    let tmp = tempfile::tempdir().unwrap();
    let core = core_fixture(tmp.path(), "app");
    let json = weld(["inspect".as_ref(), core.as_os_str(), "--json".as_ref()]).json();
    let caps = &json["capabilities"];
    assert_eq!(
        caps["other-imports"],
        serde_json::json!(["weld:examples/greeter@1.0.0"]),
        "{caps}"
    );
    assert!(
        caps["needs"]["stdio"].is_array(),
        "preview1 fd_write counts: {caps}"
    );
}

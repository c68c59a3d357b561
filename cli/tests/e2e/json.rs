//! One key case for everything weld writes as JSON (docs/json.md): every `--json` output, the serve log's JSON
//! records and the lock file name their keys in kebab-case. Keys that are data (a capability, an import's name, a
//! package's name) are values of the schema, not names in it, and are left as they are.

use crate::registry::{User, s};
use crate::util::fixture;
use crate::util::registry::{LocalRegistry, Setup};
use serde_json::Value;

/// Objects whose keys are data, by where they are: `weld inspect`'s capabilities by name, and its WASI imports by
/// release line (`0.2`).
const DATA_MAPS: [&str; 2] = [".capabilities.needs", ".capabilities.wasi"];

/// Every key of `value`'s objects that is not kebab-case, with where it is (`root.children[0].custom_sections`).
fn not_kebab(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let data = DATA_MAPS.iter().any(|k| at.ends_with(k));
            for (key, inner) in map {
                let kebab = !key.is_empty()
                    && !key.starts_with('-')
                    && !key.ends_with('-')
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !data && !kebab {
                    found.push(format!("{at}.{key}"));
                }
                not_kebab(inner, &format!("{at}.{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                not_kebab(inner, &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn assert_kebab(what: &str, value: &Value) {
    let mut found = Vec::new();
    not_kebab(value, "", &mut found);
    assert!(
        found.is_empty(),
        "{what}: keys not in kebab-case: {found:?}"
    );
}

#[test]
fn every_json_output_names_its_keys_in_kebab_case() {
    let user = User::new();
    let (app, greeter, hello) = (fixture("app"), fixture("greeter"), fixture("hello"));
    let out = user.path("out.wasm");
    let greeter_wit = crate::util::workspace_root().join("fixtures/components/greeter/wit");
    let lock = user.path("weld.lock");
    for (what, args) in [
        ("inspect", vec!["inspect", s(&hello), "--json"]),
        (
            "inspect of a composition",
            vec!["inspect", s(&app), "--json"],
        ),
        ("wit", vec!["wit", s(&app), "--json"]),
        ("validate", vec!["validate", s(&hello), "--json"]),
        (
            "compose",
            vec![
                "compose",
                s(&app),
                "--plug",
                s(&greeter),
                "-o",
                s(&out),
                "--lock",
                s(&lock),
                "--json",
            ],
        ),
        ("cache", vec!["cache", "--json"]),
        (
            "targets",
            vec!["targets", s(&greeter), s(&greeter_wit), "--json"],
        ),
    ] {
        assert_kebab(what, &user.weld(&args).json());
    }
    let lock: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_kebab("the lock file", &lock);
    assert_eq!(lock["options"]["no-merge-imports"], false, "{lock}");

    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let r = registry.reference("demo/json:1.0");
    user.weld(&["key", "generate", s(&user.path("k")), "--no-password"])
        .ok();
    let key = user.path("k.key");
    let public = user.path("k.pub");
    let pulled = user.path("pulled.wasm");
    for (what, args) in [
        (
            "push",
            vec!["push", s(&hello), &r, "--sign", s(&key), "--json"],
        ),
        ("sign", vec!["sign", &r, "--key", s(&key), "--json"]),
        ("verify", vec!["verify", &r, "--key", s(&public), "--json"]),
        ("pull", vec!["pull", &r, "-o", s(&pulled), "--json"]),
    ] {
        let json = user.weld(&args).json();
        assert_kebab(what, &json);
        if what == "verify" {
            assert!(json["signatures"][0]["key-id"].is_string(), "{json}");
        }
    }
}

/// The check itself: a snake_case key anywhere is found, a data map's keys are not.
#[test]
fn the_key_check_finds_snake_case_and_skips_data_maps() {
    let value = serde_json::json!({
        "fine-key": [{"inner_key": 1}],
        "capabilities": {"wasi": {"0.2": ["wasi:cli/stdout@0.2.0"]}, "a_b": 1},
    });
    let mut found = Vec::new();
    not_kebab(&value, "", &mut found);
    found.sort();
    assert_eq!(found, [".capabilities.a_b", ".fine-key[0].inner_key"]);
}

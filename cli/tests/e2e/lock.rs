//! `weld compose --lock` and `--locked`, with files and `oci://` inputs from a real registry (Debian's
//! docker-registry): what the lock records, that the same inputs give the same bytes in two folders, and that
//! `--locked` refuses a changed file, a moved tag and another option before composing, writing nothing.

use crate::registry::{User, pushed_digest, s};
use crate::util::registry::{LocalRegistry, Setup};
use crate::util::{fixture, sha256, weld_bin, weld_with};
use std::path::Path;
use std::process::Command;

/// `weld ARGS` run in `dir`, as `user`.
fn weld_in(user: &User, dir: &Path, args: &[&str]) -> crate::util::Run {
    let mut cmd = user.command();
    cmd.current_dir(dir);
    weld_with(cmd, args)
}

fn lock_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_lock_records_every_input_and_locked_refuses_a_changed_file_a_moved_tag_or_another_option() {
    let Some(mut registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let greeter = registry.reference("demo/greeter:1");
    let greeter_digest = pushed_digest(&user.weld(&["push", s(&fixture("greeter")), &greeter]));
    let args = |extra: &[&'static str]| {
        let mut args = vec!["compose", "app.wasm", "--plug", greeter.as_str()];
        args.extend_from_slice(extra);
        args
    };

    // The same inputs in two folders: the same bytes and the same lock.
    let folders: Vec<_> = ["one", "two"].iter().map(|f| user.path(f)).collect();
    for dir in &folders {
        std::fs::create_dir(dir).unwrap();
        std::fs::copy(fixture("app"), dir.join("app.wasm")).unwrap();
        weld_in(
            &user,
            dir,
            &args(&["-o", "out.wasm", "--lock", "weld.lock"]),
        )
        .ok();
    }
    let out = std::fs::read(folders[0].join("out.wasm")).unwrap();
    assert_eq!(out, std::fs::read(folders[1].join("out.wasm")).unwrap());
    let lock_path = folders[0].join("weld.lock");
    assert_eq!(
        std::fs::read_to_string(&lock_path).unwrap(),
        std::fs::read_to_string(folders[1].join("weld.lock")).unwrap()
    );
    let lock = lock_json(&lock_path);
    assert_eq!(lock["version"], 1);
    assert_eq!(lock["weld"], env!("CARGO_PKG_VERSION"));
    let app_sha = sha256(&std::fs::read(fixture("app")).unwrap());
    assert_eq!(
        lock["inputs"][0],
        serde_json::json!({"kind": "file", "name": "app.wasm", "sha256": app_sha})
    );
    assert_eq!(
        lock["inputs"][1],
        serde_json::json!({
            "kind": "artifact", "name": greeter, "manifest": greeter_digest,
            "layer": sha256(&std::fs::read(fixture("greeter")).unwrap()),
        })
    );
    assert_eq!(lock["options"]["closed"], "no");
    assert_eq!(lock["output"]["sha256"], sha256(&out).as_str());
    assert_eq!(lock["output"]["size"], out.len());

    // --locked with nothing changed composes the same bytes and leaves the lock as it was.
    let dir = &folders[0];
    let before = std::fs::read_to_string(&lock_path).unwrap();
    weld_in(
        &user,
        dir,
        &args(&["-o", "again.wasm", "--lock", "weld.lock", "--locked"]),
    )
    .ok();
    assert_eq!(std::fs::read(dir.join("again.wasm")).unwrap(), out);
    assert_eq!(std::fs::read_to_string(&lock_path).unwrap(), before);

    // Another option, a moved tag, a changed file: each named, nothing composed or written.
    let refused = |extra: &[&'static str]| {
        let mut all = vec!["-o", "refused.wasm", "--lock", "weld.lock", "--locked"];
        all.extend_from_slice(extra);
        let err = weld_in(&user, dir, &args(&all)).fails();
        assert!(!dir.join("refused.wasm").exists(), "{err}");
        assert_eq!(std::fs::read_to_string(&lock_path).unwrap(), before);
        err
    };
    let err = refused(&["--closed"]);
    assert!(
        err.contains("closed is non-wasi; the lock says no"),
        "{err}"
    );
    // The same component pushed again with another annotation: another manifest under the same tag.
    let moved = pushed_digest(&user.weld(&[
        "push",
        s(&fixture("greeter")),
        &greeter,
        "--annotation",
        "org.opencontainers.image.description=again",
    ]));
    let err = refused(&[]);
    assert!(
        err.contains(&format!(
            "now resolves to {moved}; the lock says {greeter_digest}"
        )),
        "{err}"
    );
    let mut changed = std::fs::read(fixture("app")).unwrap();
    changed.extend_from_slice(b"\0\x04note");
    std::fs::write(dir.join("app.wasm"), &changed).unwrap();
    let err = refused(&[]);
    assert!(
        err.contains("`app.wasm` has SHA-256")
            && err.contains(&app_sha)
            && err.contains("now resolves"),
        "{err}"
    );

    // Without --locked the lock is rewritten to what the inputs are now.
    std::fs::copy(fixture("app"), dir.join("app.wasm")).unwrap();
    let status = Command::new(weld_bin())
        .arg("compose")
        .arg("--locked")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2), "--locked needs --lock");
    weld_in(&user, dir, &args(&["--lock", "weld.lock"])).ok();
    let rewritten = lock_json(&lock_path);
    assert_eq!(rewritten["inputs"][1]["manifest"], moved.as_str());
    assert_eq!(rewritten["inputs"][0]["sha256"], app_sha.as_str());

    // Locked inputs are fetched by digest: with the registry down, the cached content serves, with a warning
    // that the tag could not be checked.
    registry.stop();
    let offline = weld_in(
        &user,
        dir,
        &args(&["-o", "offline.wasm", "--lock", "weld.lock", "--locked"]),
    );
    offline.ok();
    assert!(
        offline
            .stderr()
            .contains("whether the tag moved is not checked"),
        "{}",
        offline.stderr()
    );
    assert_eq!(std::fs::read(dir.join("offline.wasm")).unwrap(), out);
}

#[test]
fn a_compose_file_is_locked_with_its_components() {
    let user = User::new();
    let dir = user.path("project");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(fixture("app"), dir.join("app.wasm")).unwrap();
    std::fs::copy(fixture("greeter"), dir.join("greeter.wasm")).unwrap();
    let toml = "root = \"app\"\n[components]\napp = \"app.wasm\"\ngreeter = \"greeter.wasm\"\n";
    std::fs::write(dir.join("weld.toml"), toml).unwrap();
    weld_in(
        &user,
        &dir,
        &[
            "compose",
            "-c",
            "weld.toml",
            "-o",
            "out.wasm",
            "--lock",
            "weld.lock",
        ],
    )
    .ok();
    let lock = lock_json(&dir.join("weld.lock"));
    assert_eq!(lock["config"]["name"], "weld.toml");
    assert_eq!(lock["config"]["sha256"], sha256(toml.as_bytes()).as_str());
    let names: Vec<&str> = lock["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].ends_with("app.wasm") && names[1].ends_with("greeter.wasm"),
        "{names:?}"
    );
    let locked = [
        "compose",
        "-c",
        "weld.toml",
        "-o",
        "again.wasm",
        "--lock",
        "weld.lock",
        "--locked",
    ];
    weld_in(&user, &dir, &locked).ok();
    // Regression: the lock names components as the compose file writes them, so another spelling of the compose
    // file's path (`./weld.toml`, or from another folder) is no drift.
    let mut respelled = locked;
    respelled[2] = "./weld.toml";
    weld_in(&user, &dir, &respelled).ok();
    let from_above = [
        "compose",
        "-c",
        "project/weld.toml",
        "-o",
        "project/again.wasm",
        "--lock",
        "project/weld.lock",
        "--locked",
    ];
    weld_in(&user, user.path("").as_path(), &from_above).ok();
    std::fs::write(dir.join("weld.toml"), format!("# a comment\n{toml}")).unwrap();
    let err = weld_in(&user, &dir, &locked).fails();
    assert!(err.contains("`weld.toml` has SHA-256"), "{err}");

    // Regression: the lock was written over the output or an input, or after the output when it could not be.
    let lock_on = |lock: &str, out: &str| {
        let args = ["compose", "-c", "weld.toml", "-o", out, "--lock", lock];
        weld_in(&user, &dir, &args).fails()
    };
    let app = std::fs::read(dir.join("app.wasm")).unwrap();
    assert!(lock_on("same.wasm", "same.wasm").contains("is also the output"));
    assert!(!dir.join("same.wasm").exists());
    assert!(lock_on("app.wasm", "x.wasm").contains("is an input"));
    assert_eq!(std::fs::read(dir.join("app.wasm")).unwrap(), app);
    assert!(lock_on("nodir/weld.lock", "y.wasm").contains("does not exist"));
    assert!(!dir.join("y.wasm").exists());
}

#[test]
fn a_wac_document_is_locked_with_the_packages_it_read() {
    let user = User::new();
    let dir = user.path("wac");
    let deps = dir.join("deps/weld");
    std::fs::create_dir_all(&deps).unwrap();
    for name in ["app2", "reverse", "upper"] {
        std::fs::copy(fixture(name), deps.join(format!("{name}.wasm"))).unwrap();
    }
    std::fs::write(
        dir.join("chain.wac"),
        "package weld:chain;\n\nlet upper = new weld:upper {};\nlet reverse = new weld:reverse { ...upper };\n\
         let app = new weld:app2 { ...reverse, ... };\n\nexport app[\"wasi:cli/run@0.2.12\"];\n",
    )
    .unwrap();
    let args = |extra: &[&'static str]| {
        let mut args = vec![
            "compose",
            "chain.wac",
            "-o",
            "out.wasm",
            "--lock",
            "weld.lock",
        ];
        args.extend_from_slice(extra);
        args
    };
    weld_in(&user, &dir, &args(&[])).ok();
    let lock = lock_json(&dir.join("weld.lock"));
    assert_eq!(lock["config"]["name"], "chain.wac");
    let packages: Vec<(String, String)> = lock["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            assert_eq!(i["kind"], "package");
            (
                i["name"].as_str().unwrap().to_owned(),
                i["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = ["upper", "reverse", "app2"]
        .iter()
        .map(|n| {
            (
                format!("weld:{n}"),
                sha256(&std::fs::read(fixture(n)).unwrap()),
            )
        })
        .collect();
    assert_eq!(packages, expected);
    let out = std::fs::read(dir.join("out.wasm")).unwrap();
    weld_in(&user, &dir, &args(&["--locked"])).ok();

    // A package changed in the deps folder (a custom section added: it still composes): refused, the output
    // left as it was.
    let mut changed = std::fs::read(fixture("upper")).unwrap();
    changed.extend_from_slice(b"\x00\x05\x04note");
    std::fs::write(deps.join("upper.wasm"), changed).unwrap();
    let err = weld_in(&user, &dir, &args(&["--locked"])).fails();
    assert!(
        err.contains("`weld:upper` has SHA-256") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("out.wasm")).unwrap(), out);
}

//! OCI image layouts (`oci:DIR[:TAG]`): what weld writes, skopeo (Debian's) copies to a real registry and back,
//! signatures included, and weld reads what skopeo writes; bad layouts are named and leave nothing behind.

use crate::registry::{User, pushed_digest, s};
use crate::util::registry::{LocalRegistry, Setup};
use crate::util::{fixture, missing, on_path, sha256};
use std::process::Command;

fn has_skopeo() -> bool {
    let found = on_path("skopeo").is_some();
    if !found {
        missing("`skopeo` is not on the PATH (Debian package skopeo)");
    }
    found
}

/// `skopeo ARGS`: stdout on success, else the test fails with its stderr.
fn skopeo(args: &[&str]) -> Vec<u8> {
    let out = Command::new("skopeo").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "skopeo {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn layouts_weld_writes_travel_with_skopeo_to_a_registry_and_back_with_their_signatures() {
    if !has_skopeo() {
        return;
    }
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    user.weld(&["key", "generate", s(&user.path("k")), "--no-password"])
        .ok();
    let (key, public) = (user.path("k.key"), user.path("k.pub"));
    let dir = user.path("build");
    let layout = format!("oci:{}:1.0", s(&dir));
    let push = user.weld(&["push", s(&fixture("greeter")), &layout, "--sign", s(&key)]);
    let digest = pushed_digest(&push);
    assert!(dir.join("oci-layout").is_file() && dir.join("index.json").is_file());

    // skopeo reads the manifest weld wrote, byte for byte.
    let raw = skopeo(&["inspect", "--raw", &layout]);
    assert_eq!(sha256(&raw), digest);
    let manifest: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    user.weld(&["verify", &layout, "--key", s(&public)]).ok();

    // To the registry, the signature with it: weld verifies it there and pulls under the policy.
    let remote = registry.reference("demo/greeter:1.0");
    let docker = |r: &str| format!("docker://{}", r.trim_start_matches("oci://"));
    skopeo(&[
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &layout,
        &docker(&remote),
    ]);
    let sig_tag = format!("{}.sig", digest.replacen(':', "-", 1));
    let sig_remote = registry.reference(&format!("demo/greeter:{sig_tag}"));
    skopeo(&[
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:{sig_tag}", s(&dir)),
        &docker(&sig_remote),
    ]);
    let verified = user
        .weld(&["verify", &remote, "--key", s(&public), "--json"])
        .json();
    assert_eq!(
        (verified["digest"].clone(), verified["verified"].clone()),
        (digest.clone().into(), true.into())
    );
    let pulled = user.path("pulled.wasm");
    user.weld(&[
        "pull",
        &remote,
        "--verify-key",
        s(&public),
        "-o",
        s(&pulled),
    ])
    .ok();
    assert_eq!(
        std::fs::read(&pulled).unwrap(),
        std::fs::read(fixture("greeter")).unwrap()
    );

    // And back into another layout, which weld reads: pull, run, inspect; unsigned there, so the policy refuses.
    let back = user.path("back");
    let back_ref = format!("oci:{}:v2", s(&back));
    skopeo(&[
        "copy",
        "-q",
        "--src-tls-verify=false",
        &docker(&remote),
        &back_ref,
    ]);
    let out = user.path("back.wasm");
    let said = user.weld(&["pull", &back_ref, "-o", s(&out)]).ok();
    assert!(
        said.contains(&format!("read {back_ref} {digest}")),
        "{said}"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(fixture("greeter")).unwrap()
    );
    let greeting = user
        .weld(&["run", &back_ref, "--invoke", "greet(\"layout\")"])
        .ok();
    assert_eq!(greeting.trim(), "\"Hello, layout!\"");
    // Without a tag, the layout's only artifact.
    let inspected = user
        .weld(&["inspect", &format!("oci:{}", s(&back)), "--json"])
        .json();
    assert_eq!(inspected["root"]["kind"], "component");
    let refused = user.weld(&[
        "run",
        &back_ref,
        "--verify-key",
        s(&public),
        "--invoke",
        "greet(\"x\")",
    ]);
    assert!(
        refused.fails().contains("no signatures"),
        "{}",
        refused.stderr()
    );
    assert_eq!(refused.stdout(), "");
}

#[test]
fn bad_layouts_are_named_and_nothing_is_written() {
    let user = User::new();
    let out = user.path("out.wasm");
    let missing_dir = format!("oci:{}:1", s(&user.path("nowhere")));
    let err = user.weld(&["pull", &missing_dir, "-o", s(&out)]).fails();
    assert!(
        err.contains("nowhere") && err.contains("no oci-layout file"),
        "{err}"
    );

    // A directory that is not a layout, or one of a version weld does not read.
    let other = user.path("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(
        other.join("oci-layout"),
        r#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    let err = user
        .weld(&["pull", &format!("oci:{}:1", s(&other)), "-o", s(&out)])
        .fails();
    assert!(err.contains("layout version 2.0.0"), "{err}");

    let dir = user.path("two");
    for tag in ["a", "b"] {
        user.weld(&[
            "push",
            s(&fixture("greeter")),
            &format!("oci:{}:{tag}", s(&dir)),
        ])
        .ok();
    }
    let err = user
        .weld(&["pull", &format!("oci:{}:c", s(&dir)), "-o", s(&out)])
        .fails();
    assert!(err.contains(":c: no such tag or digest"), "{err}");
    let err = user
        .weld(&["pull", &format!("oci:{}", s(&dir)), "-o", s(&out)])
        .fails();
    assert!(err.contains("2 artifacts (a, b)"), "{err}");
    assert!(!out.exists());

    // A component changed inside the layout: caught by its digest.
    let layer = sha256(&std::fs::read(fixture("greeter")).unwrap());
    let blob = dir.join("blobs/sha256").join(&layer["sha256:".len()..]);
    let mut bytes = std::fs::read(&blob).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&blob, &bytes).unwrap();
    let err = user
        .weld(&["pull", &format!("oci:{}:a", s(&dir)), "-o", s(&out)])
        .fails();
    assert!(
        err.contains("failed verification") && err.contains(&layer),
        "{err}"
    );
    assert!(!out.exists());

    // A digest is not a place to push to; bad references are bad usage.
    let pinned = format!("oci:{}@{layer}", s(&dir));
    assert_eq!(
        user.weld(&["push", s(&fixture("greeter")), &pinned]).code(),
        2
    );
    assert_eq!(user.weld(&["pull", "oci:dir:-bad"]).code(), 2);
}

#[test]
fn a_composition_from_a_layout_is_the_one_from_the_file_and_its_lock_records_the_digests() {
    let user = User::new();
    let dir = user.path("layouts/greeter");
    let layout = format!("oci:{}:1.0", s(&dir));
    let digest = pushed_digest(&user.weld(&["push", s(&fixture("greeter")), &layout]));
    let lock = user.path("weld.lock");
    let app = fixture("app");
    let (from_layout, from_file) = (user.path("from-layout.wasm"), user.path("from-file.wasm"));
    let compose = ["compose", s(&app), "--plug", &layout, "--lock", s(&lock)];
    user.weld(&[&compose[..], &["-o", s(&from_layout)]].concat())
        .ok();
    // Regression: the instance was named after the `oci:` text (`greeter:1`), so the bytes differed.
    let greeter = fixture("greeter");
    user.weld(&[
        "compose",
        s(&app),
        "--plug",
        s(&greeter),
        "-o",
        s(&from_file),
    ])
    .ok();
    assert_eq!(
        std::fs::read(&from_layout).unwrap(),
        std::fs::read(&from_file).unwrap()
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&lock).unwrap()).unwrap();
    assert_eq!(json["inputs"][1]["kind"], "artifact");
    assert_eq!(json["inputs"][1]["name"], layout.as_str());
    assert_eq!(json["inputs"][1]["manifest"], digest.as_str());
    // Retagging the layout to another artifact is drift.
    user.weld(&["push", s(&fixture("hello")), &layout]).ok();
    let err = user.weld(&[&compose[..], &["--locked"]].concat()).fails();
    assert!(err.contains("now resolves to"), "{err}");
}

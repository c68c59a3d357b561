//! `weld key generate`, `weld sign`, `weld verify`, `weld push --sign` and the `--verify-key` policy, against a real
//! registry (Debian's docker-registry). The format is checked by code that is not weld's: Python's `cryptography`
//! package verifies what weld signs and signs what weld verifies (`data/cosign_interop.py`).

use crate::registry::{User, pushed_digest, s};
use crate::util::registry::{LocalRegistry, Setup};
use crate::util::{fixture, missing, workspace_root};
use std::process::Command;

/// `python3 cosign_interop.py ARGS`: stdout on success, else the test fails with its stderr.
fn interop(args: &[&str]) -> String {
    let script = workspace_root().join("cli/tests/e2e/data/cosign_interop.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cosign_interop.py {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_cryptography() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        missing(
            "Python's cryptography package is not importable by python3 (pip install cryptography)",
        );
    }
    ok
}

/// The digest part of a registry reference's signature tag: `sha256:abc` gives `sha256-abc.sig`.
fn sig_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

#[test]
fn weld_signatures_verify_with_an_independent_verifier_and_the_other_way_round() {
    if !has_cryptography() {
        return;
    }
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let prefix = user.path("alice");
    let pw = [("WELD_KEY_PASSWORD", "correct horse")];
    user.weld_env(&pw, &["key", "generate", s(&prefix)]).ok();
    let (key, public) = (user.path("alice.key"), user.path("alice.pub"));

    let r = registry.reference("demo/greeter:1.0.0");
    let push = user.weld_env(
        &pw,
        &["push", s(&fixture("greeter")), &r, "--sign", s(&key)],
    );
    let digest = pushed_digest(&push);
    assert!(
        push.stdout()
            .contains(&format!("signed {digest} with key sha256:")),
        "{}",
        push.stdout()
    );

    let json = user
        .weld(&["verify", &r, "--key", s(&public), "--json"])
        .json();
    assert_eq!(json["digest"], digest.as_str());
    assert_eq!(json["verified"], true);
    assert_eq!(json["signatures"][0]["verdict"], "verified");
    let addr = r
        .trim_start_matches("oci://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        interop(&["verify", &addr, "demo/greeter", &digest, s(&public)]).trim(),
        "verified 1"
    );

    // Signing again with the same key adds nothing; another key adds a second signature beside the first.
    let again = user
        .weld_env(&pw, &["sign", &r, "--key", s(&key), "--json"])
        .json();
    assert_eq!(
        (again["added"].clone(), again["signatures"].clone()),
        (false.into(), 1.into())
    );
    user.weld(&["key", "generate", s(&user.path("bob")), "--no-password"])
        .ok();
    let both = user
        .weld(&["sign", &r, "--key", s(&user.path("bob.key")), "--json"])
        .json();
    assert_eq!(
        (both["added"].clone(), both["signatures"].clone()),
        (true.into(), 2.into())
    );
    let listed = user
        .weld(&[
            "verify",
            &r,
            "--key",
            s(&public),
            "--key",
            s(&user.path("bob.pub")),
            "--json",
        ])
        .json();
    let verdicts: Vec<&str> = listed["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sig| sig["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["verified", "verified"]);

    // A signature made by Python, as cosign stores it, verifies with weld and satisfies a pull's policy.
    let other = registry.reference("demo/hello:1");
    let other_digest = pushed_digest(&user.weld(&["push", s(&fixture("hello")), &other]));
    let python_pub = user.path("python.pub");
    interop(&["sign", &addr, "demo/hello", &other_digest, s(&python_pub)]);
    user.weld(&["verify", &other, "--key", s(&python_pub)]).ok();
    let out = user.path("hello.wasm");
    user.weld(&[
        "pull",
        &other,
        "--verify-key",
        s(&python_pub),
        "-o",
        s(&out),
    ])
    .ok();
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(fixture("hello")).unwrap()
    );
    // Regression: `verify --key` trusts the keys given, not WELD_VERIFY_KEYS besides them; and a broken
    // WELD_VERIFY_KEYS does not stop push or sign, which do not pull.
    let env = [("WELD_VERIFY_KEYS", s(&python_pub))];
    let only_given = user.weld_env(&env, &["verify", &other, "--key", s(&public)]);
    assert_eq!(only_given.code(), 1, "{}", only_given.stdout());
    // Regression: a WELD_VERIFY_KEYS that names no file (`"$A:$B"` with both unset) turned the policy off.
    let empty = user.weld_env(
        &[("WELD_VERIFY_KEYS", ":")],
        &["pull", &other, "-o", s(&user.path("x.wasm"))],
    );
    assert!(
        empty.fails().contains("names no key file"),
        "{}",
        empty.stderr()
    );
    let broken = [("WELD_VERIFY_KEYS", "/nonexistent.pub")];
    user.weld_env(
        &broken,
        &["sign", &other, "--key", s(&user.path("bob.key"))],
    )
    .ok();
    // ... and not alice's key.
    let refused = user.weld(&["verify", &other, "--key", s(&public)]);
    assert!(refused.fails().is_empty(), "{}", refused.stderr());
    assert!(
        refused.stdout().contains("no-trusted-key"),
        "{}",
        refused.stdout()
    );
}

#[test]
fn a_verify_policy_refuses_unsigned_wrongly_signed_tampered_and_copied_signatures_before_anything_runs_or_is_written()
 {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    for name in ["alice", "bob"] {
        user.weld(&["key", "generate", s(&user.path(name)), "--no-password"])
            .ok();
    }
    let (alice, alice_pub, bob) = (
        user.path("alice.key"),
        user.path("alice.pub"),
        user.path("bob.key"),
    );
    let signed = registry.reference("demo/app:signed");
    let unsigned = registry.reference("demo/app:unsigned");
    let by_bob = registry.reference("demo/bob:1");
    let signed_digest =
        pushed_digest(&user.weld(&["push", s(&fixture("hello")), &signed, "--sign", s(&alice)]));
    let unsigned_digest = pushed_digest(&user.weld(&["push", s(&fixture("greeter")), &unsigned]));
    user.weld(&["push", s(&fixture("greeter")), &by_bob, "--sign", s(&bob)])
        .ok();

    // The signed one passes, with the key from the environment.
    let out = user.path("out.wasm");
    let keys = [("WELD_VERIFY_KEYS", s(&alice_pub))];
    user.weld_env(&keys, &["pull", &signed, "-o", s(&out)]).ok();
    std::fs::remove_file(&out).unwrap();

    // Each refusal names the reference and the digest, and leaves no file.
    let refused_pull = |reference: &str| {
        let err = user
            .weld(&[
                "pull",
                reference,
                "--verify-key",
                s(&alice_pub),
                "-o",
                s(&out),
            ])
            .fails();
        assert!(!out.exists(), "{err}");
        err
    };

    // Unsigned: refused before the download.
    let err = refused_pull(&unsigned);
    assert!(
        err.contains("demo/app:unsigned")
            && err.contains(&unsigned_digest)
            && err.contains("no signatures"),
        "{err}"
    );
    assert!(err.contains("the component was not fetched"), "{err}");
    // The same under `run` (nothing runs) and `compose` (nothing is written).
    let run = user.weld_env(&keys, &["run", &unsigned, "--invoke", "greet(\"x\")"]);
    assert!(run.fails().contains(&unsigned_digest), "{}", run.stderr());
    assert_eq!(run.stdout(), "");
    let composed = user.path("composed.wasm");
    let compose = user.weld_env(
        &keys,
        &[
            "compose",
            s(&fixture("app")),
            "--plug",
            &unsigned,
            "-o",
            s(&composed),
        ],
    );
    assert!(
        compose.fails().contains("no signatures"),
        "{}",
        compose.stderr()
    );
    assert!(!composed.exists());

    // Signed by another key.
    let err = refused_pull(&by_bob);
    assert!(err.contains("not verified by any trusted key"), "{err}");

    // A valid signature of another digest, copied to the unsigned one's signature tag.
    let sig = registry.request(
        "GET",
        &format!("/v2/demo/app/manifests/{}", sig_tag(&signed_digest)),
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        b"",
    );
    assert_eq!(sig.status, 200, "{sig:?}");
    let put = |tag: &str, body: &[u8]| {
        let put = registry.request(
            "PUT",
            &format!("/v2/demo/app/manifests/{tag}"),
            &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
            body,
        );
        assert_eq!(put.status, 201, "{put:?}");
    };
    put(&sig_tag(&unsigned_digest), &sig.body);
    let json = user.weld(&["verify", &unsigned, "--key", s(&alice_pub), "--json"]);
    assert_eq!(json.code(), 1, "{}", json.stderr());
    let json: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(json["signatures"][0]["verdict"], "other-digest");
    assert_eq!(
        json["signatures"][0]["signed-digest"],
        signed_digest.as_str()
    );
    let err = refused_pull(&unsigned);
    assert!(err.contains("for another manifest"), "{err}");

    // A tampered signature on the signed one: refused, until alice signs again (her signature is added beside it).
    let mut manifest: serde_json::Value = serde_json::from_slice(&sig.body).unwrap();
    let annotation =
        &mut manifest["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"];
    let text = annotation.as_str().unwrap().to_owned();
    let flipped = if text.as_bytes()[10] == b'A' {
        'B'
    } else {
        'A'
    };
    *annotation = format!("{}{flipped}{}", &text[..10], &text[11..]).into();
    put(&sig_tag(&signed_digest), manifest.to_string().as_bytes());
    let err = refused_pull(&signed);
    assert!(err.contains("not verified by any trusted key"), "{err}");
    user.weld(&["sign", &signed, "--key", s(&alice)]).ok();
    let listed = user.weld(&["verify", &signed, "--key", s(&alice_pub)]).ok();
    assert!(
        listed.contains("no-trusted-key") && listed.contains("verified: 1 of 2 signatures"),
        "{listed}"
    );
    user.weld(&[
        "pull",
        &signed,
        "--verify-key",
        s(&alice_pub),
        "-o",
        s(&out),
    ])
    .ok();
}

#[test]
fn key_generate_protects_the_private_key_and_sign_names_what_is_missing() {
    let Some(registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    let prefix = user.path("k");
    let none = user.weld(&["key", "generate", s(&prefix)]);
    assert_eq!(none.code(), 2, "{}", none.stderr());
    assert!(
        none.stderr().contains("WELD_KEY_PASSWORD"),
        "{}",
        none.stderr()
    );
    assert!(!user.path("k.key").exists());

    user.weld_env(
        &[("COSIGN_PASSWORD", "pw")],
        &["key", "generate", s(&prefix)],
    )
    .ok();
    let key = std::fs::read_to_string(user.path("k.key")).unwrap();
    assert!(
        key.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"),
        "{key}"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(user.path("k.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let public = std::fs::read_to_string(user.path("k.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");

    let again = user.weld(&["key", "generate", s(&prefix), "--no-password"]);
    assert_eq!(again.code(), 2);
    assert!(again.stderr().contains("--force"), "{}", again.stderr());
    assert_eq!(std::fs::read_to_string(user.path("k.key")).unwrap(), key);

    // An encrypted key without its password, or with a wrong one, stops a push before anything is uploaded.
    let r = registry.reference("demo/greeter:1");
    let err = user
        .weld(&[
            "push",
            s(&fixture("greeter")),
            &r,
            "--sign",
            s(&user.path("k.key")),
        ])
        .fails();
    assert!(
        err.contains("k.key") && err.contains("WELD_KEY_PASSWORD"),
        "{err}"
    );
    let wrong = user.weld_env(
        &[("WELD_KEY_PASSWORD", "nope")],
        &[
            "push",
            s(&fixture("greeter")),
            &r,
            "--sign",
            s(&user.path("k.key")),
        ],
    );
    assert!(
        wrong.fails().contains("does not decrypt"),
        "{}",
        wrong.stderr()
    );
    let pulled = user.weld(&["pull", &r, "-o", s(&user.path("x.wasm"))]);
    assert!(pulled.fails().contains("not found"), "{}", pulled.stderr());

    // A public key where a private one belongs, and the other way round, are named.
    let err = user
        .weld(&["sign", &r, "--key", s(&user.path("k.pub"))])
        .fails();
    assert!(
        err.contains("k.pub") && err.contains("not a private key"),
        "{err}"
    );
    let err = user
        .weld(&["pull", &r, "--verify-key", s(&user.path("k.key"))])
        .fails();
    assert!(
        err.contains("k.key") && err.contains("--verify-key"),
        "{err}"
    );
}

#[test]
fn a_verify_policy_holds_offline_with_the_signatures_kept_when_it_last_passed() {
    let Some(mut registry) = LocalRegistry::start(Setup::default()) else {
        return;
    };
    let user = User::new();
    user.weld(&["key", "generate", s(&user.path("k")), "--no-password"])
        .ok();
    let (key, public) = (user.path("k.key"), user.path("k.pub"));
    let signed = registry.reference("demo/app:1");
    let unsigned = registry.reference("demo/other:1");
    let digest =
        pushed_digest(&user.weld(&["push", s(&fixture("hello")), &signed, "--sign", s(&key)]));
    user.weld(&["push", s(&fixture("greeter")), &unsigned]).ok();
    let out = user.path("out.wasm");
    let pull = |r: &str, policy: bool| {
        let mut args = vec!["pull", r, "-o", s(&out)];
        if policy {
            args.extend(["--verify-key", s(&public)]);
        }
        user.weld(&args)
    };
    pull(&signed, true).ok();
    pull(&unsigned, false).ok();

    registry.stop();
    let offline = pull(&signed, true).ok();
    assert!(
        offline.contains("from the cache") && offline.contains("signed by key sha256:"),
        "{offline}"
    );
    let pinned = format!("{}@{digest}", signed.rsplit_once(':').unwrap().0);
    assert!(pull(&pinned, true).ok().contains("signed by key"));
    // Content cached without its signatures passes no policy offline: the registry's error says why.
    std::fs::remove_file(&out).unwrap();
    let err = pull(&unsigned, true).fails();
    assert!(err.contains("cannot reach registry"), "{err}");
    assert!(!out.exists());
}

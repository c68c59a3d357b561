//! `weld virt`: capabilities decided inside a component hold whatever the host grants, under weld and under
//! wasmtime 49; the providers are generated for every WASI 0.2 minor version; it fails closed.

use crate::util::{fixture, weld};
use crate::wasi_p3::wasmtime_in;
use std::path::{Path, PathBuf};

/// `weld virt FIXTURE ARGS... -o DIR/NAME`, which must succeed; returns the output path.
fn virt(input: &Path, args: &[&str], dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let mut all = vec!["virt", input.to_str().unwrap()];
    all.extend(args);
    all.extend(["-o", out.to_str().unwrap()]);
    weld(&all).ok();
    out
}

/// Writes to `path` a component of `world` whose code traps (wit-component's dummy module): the imports are what
/// `weld virt` reads.
fn dummy_component(
    resolve: &wit_parser::Resolve,
    world: wit_parser::WorldId,
    mangling: wit_parser::ManglingAndAbi,
    path: &Path,
) {
    use wit_component::{ComponentEncoder, StringEncoding};
    let mut module = wit_component::dummy_module(resolve, world, mangling);
    wit_component::embed_component_metadata(&mut module, resolve, world, StringEncoding::UTF8)
        .unwrap();
    let component = ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap();
    std::fs::write(path, component).unwrap();
}

/// What the provider `weld virt INPUT POLICY... --provider-only` makes answers to `calls` (`weld run --invoke`).
fn provider_answers(input: &Path, policy: &[&str], dir: &Path, calls: &[&str]) -> String {
    let provider = virt(
        input,
        &[policy, &["--provider-only"]].concat(),
        dir,
        "provider.wasm",
    );
    let mut args = vec!["run", provider.to_str().unwrap()];
    for call in calls {
        args.extend(["--invoke", call]);
    }
    weld(&args).ok()
}

/// The `needs` of `weld inspect --json`.
fn needs(path: &Path) -> serde_json::Value {
    let inspected = weld(["inspect", "--json", path.to_str().unwrap()]).json();
    inspected["capabilities"]["needs"].clone()
}

#[test]
fn a_denied_filesystem_and_a_fixed_env_hold_whatever_weld_or_wasmtime_grants() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("f.txt"), "secret\n").unwrap();
    let probe = virt(
        &fixture("probe"),
        &["--deny", "filesystem"],
        dir,
        "probe.wasm",
    );
    let hello = virt(
        &fixture("hello"),
        &["--deny", "filesystem", "--env", "WELD_NAME=virt"],
        dir,
        "hello.wasm",
    );
    // The original reads the file it was granted; the virtualized one has no directory, granted or not.
    let granted = ["run", "--dir", dir.to_str().unwrap()];
    let read = |p: &Path| {
        let mut args = granted.to_vec();
        args.extend([p.to_str().unwrap(), "read", "f.txt"]);
        weld(&args)
    };
    assert_eq!(read(&fixture("probe")).ok(), "secret\n");
    let denied = read(&probe);
    assert_eq!(
        (denied.stderr().as_str(), denied.code()),
        ("no preopened directory\n", 1)
    );
    // The variables are the policy's; the arguments are still the host's.
    let run = weld([
        "run",
        "--env",
        "WELD_NAME=host",
        hello.to_str().unwrap(),
        "--",
        "alice",
    ])
    .ok();
    assert!(
        run.contains("arg: alice\n") && run.contains("WELD_NAME=virt\n"),
        "{run}"
    );
    assert!(!run.contains("host"), "{run}");
    // wasmtime sees the same.
    if let Some((out, code)) =
        wasmtime_in(dir, &["run", "--dir", ".", "probe.wasm", "read", "f.txt"])
    {
        assert_eq!((out.as_str(), code), ("", 1), "nothing read");
        std::fs::copy(fixture("probe"), dir.join("original.wasm")).unwrap();
        let (out, _) = wasmtime_in(
            dir,
            &["run", "--dir", ".", "original.wasm", "read", "f.txt"],
        )
        .unwrap();
        assert_eq!(out, "secret\n");
        let (out, _) = wasmtime_in(
            dir,
            &[
                "run",
                "--dir",
                ".",
                "--env",
                "WELD_NAME=host",
                "hello.wasm",
                "alice",
            ],
        )
        .unwrap();
        assert!(
            out.contains("WELD_NAME=virt\n") && out.contains("arg: alice\n"),
            "{out}"
        );
    }
    // The results validate, and inspect names neither capability any more, but the policy.
    for path in [&probe, &hello] {
        weld(["validate", path.to_str().unwrap()]).ok();
        assert!(needs(path).get("filesystem").is_none(), "{}", needs(path));
    }
    // The environment is still imported, for the arguments (fixed only with --args).
    assert_eq!(
        needs(&hello)["env"],
        serde_json::json!(["wasi:cli/environment@0.2.12"])
    );
    let shown = weld(["inspect", hello.to_str().unwrap()]).ok();
    assert!(
        shown.contains("virtualized")
            && shown.contains("deny filesystem")
            && shown.contains("WELD_NAME"),
        "{shown}"
    );
    assert!(!shown.contains("virt\n"), "the value is not shown: {shown}");
}

#[test]
fn denied_sockets_and_http_answer_access_denied_and_http_request_denied() {
    let tmp = tempfile::tempdir().unwrap();
    let net = virt(
        &fixture("netprobe"),
        &["--deny", "sockets", "--deny", "http"],
        tmp.path(),
        "net.wasm",
    );
    let connect = weld([
        "run",
        "--allow-net",
        net.to_str().unwrap(),
        "connect",
        "127.0.0.1",
        "9",
    ]);
    assert_eq!(connect.stdout(), "connect: error access-denied\n");
    let http = weld([
        "run",
        "--allow-http",
        net.to_str().unwrap(),
        "http",
        "127.0.0.1:9",
    ]);
    assert_eq!(http.stdout(), "http: error HTTP-request-denied\n");
    if let Some((out, _)) = wasmtime_in(
        tmp.path(),
        &[
            "run",
            "-S",
            "http,inherit-network",
            "net.wasm",
            "connect",
            "127.0.0.1",
            "9",
        ],
    ) {
        assert_eq!(out, "connect: error access-denied\n");
        let (out, _) = wasmtime_in(
            tmp.path(),
            &["run", "-S", "http", "net.wasm", "http", "127.0.0.1:9"],
        )
        .unwrap();
        assert_eq!(out, "http: error HTTP-request-denied\n");
    }
    let needs = needs(&net);
    assert!(
        needs.get("sockets").is_none() && needs.get("http").is_none(),
        "{needs}"
    );
}

#[test]
fn a_component_stubbed_down_to_no_imports_runs_its_pure_export_and_traps_naming_a_stub() {
    let tmp = tempfile::tempdir().unwrap();
    let pure = virt(
        &fixture("hello"),
        &[
            "--stub",
            "stdio",
            "--stub",
            "clocks",
            "--stub",
            "exit",
            "--stub",
            "io",
            "--deny",
            "filesystem",
            "--env",
            "A=b",
            "--args",
            "hello",
        ],
        tmp.path(),
        "pure.wasm",
    );
    let inspected = weld(["inspect", "--json", pure.to_str().unwrap()]).json();
    assert_eq!(
        inspected["world"]["imports"],
        serde_json::json!([]),
        "{inspected}"
    );
    // Its command prints, which now traps, naming what was stubbed.
    let run = weld(["run", pure.to_str().unwrap()]);
    assert_eq!(run.code(), 1);
    assert!(
        run.stderr().contains("stubbed by weld virt"),
        "{}",
        run.stderr()
    );
}

/// `fixture`'s component rebuilt from its own WIT with every `wasi` package set to 0.2.`minor` (code that traps:
/// wit-component's dummy module), so that the providers are made for that version.
fn at_wasi_minor(name: &str, minor: u64, dir: &Path) -> PathBuf {
    use wit_parser::{LiftLowerAbi, ManglingAndAbi};
    let bytes = std::fs::read(fixture(name)).unwrap();
    let mut src = weld_wit::WitSource::from_binary(Path::new(name), &bytes).unwrap();
    let resolve = &mut src.resolve;
    for (_, package) in resolve.packages.iter_mut() {
        if package.name.namespace == "wasi" {
            package.name.version = Some(semver::Version::new(0, 2, minor));
        }
    }
    resolve.package_names = resolve
        .packages
        .iter()
        .map(|(id, p)| (p.name.clone(), id))
        .collect();
    let path = dir.join(format!("{name}-0.2.{minor}.wasm"));
    let mangling = ManglingAndAbi::Legacy(LiftLowerAbi::Sync);
    dummy_component(resolve, src.world.unwrap(), mangling, &path);
    path
}

#[test]
fn providers_are_generated_for_every_wasi_0_2_minor_version_and_answer_as_the_wit_says() {
    let tmp = tempfile::tempdir().unwrap();
    for minor in 0..=12 {
        let input = at_wasi_minor("hello", minor, tmp.path());
        let policy = ["--deny", "filesystem", "--env", "A=b"];
        let out = tmp.path().join(format!("virt-{minor}.wasm"));
        let mut args = vec!["virt", "--json", input.to_str().unwrap()];
        args.extend(policy);
        args.extend(["-o", out.to_str().unwrap()]);
        let json = weld(&args).json();
        let provided: Vec<&str> = json["provided"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["import"].as_str().unwrap())
            .collect();
        assert_eq!(
            provided,
            [
                format!("wasi:cli/environment@0.2.{minor}"),
                format!("wasi:filesystem/preopens@0.2.{minor}"),
            ],
            "{json}"
        );
        weld(["validate", out.to_str().unwrap()]).ok();
        let calls = ["get-directories()", "get-environment()"];
        let answers = provider_answers(&input, &policy, tmp.path(), &calls);
        assert_eq!(answers, "[]\n[(\"A\", \"b\")]\n", "0.2.{minor}");
    }
}

#[test]
fn every_deny_value_is_the_error_case_its_wit_names() {
    let tmp = tempfile::tempdir().unwrap();
    let policy = ["--deny", "sockets", "--deny", "http"];
    let calls = ["create-tcp-socket(ipv4)", "create-tcp-socket(ipv6)"];
    let answers = provider_answers(&fixture("netprobe"), &policy, tmp.path(), &calls);
    assert_eq!(answers, "err(access-denied)\nerr(access-denied)\n");
}

#[test]
fn a_family_asked_for_the_wrong_way_or_entangled_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.wasm");
    let probe = fixture("probe");
    let wrong = weld([
        "virt",
        probe.to_str().unwrap(),
        "--deny",
        "clocks",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(wrong.code(), 2, "bad usage: {}", wrong.stderr());
    assert!(
        wrong.stderr().contains("clocks cannot be denied") && wrong.stderr().contains("stubbed"),
        "{}",
        wrong.stderr()
    );
    // Stubbing wasi:io alone would leave the host's stdio and files using the provider's streams.
    let err = weld([
        "virt",
        probe.to_str().unwrap(),
        "--stub",
        "io",
        "-o",
        out.to_str().unwrap(),
    ])
    .fails();
    assert!(
        err.contains("uses `wasi:io/") && err.contains("decide its family"),
        "{err}"
    );
    assert!(!out.exists());
    let usage = weld(["virt", probe.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(usage.code(), 2, "{}", usage.stderr());
    let bad = weld([
        "virt",
        probe.to_str().unwrap(),
        "--deny",
        "disk",
        "-o",
        "x.wasm",
    ]);
    assert_eq!(bad.code(), 2);
    assert!(bad.stderr().contains("not a family"), "{}", bad.stderr());
}

#[test]
fn a_family_the_component_does_not_import_is_a_note_and_virtualizing_twice_changes_nothing_more() {
    let tmp = tempfile::tempdir().unwrap();
    let once = virt(
        &fixture("probe"),
        &["--deny", "filesystem"],
        tmp.path(),
        "once.wasm",
    );
    let twice = weld([
        "virt",
        once.to_str().unwrap(),
        "--deny",
        "filesystem",
        "--deny",
        "sockets",
        "-o",
        tmp.path().join("twice.wasm").to_str().unwrap(),
    ])
    .ok();
    assert!(
        twice.contains("imports no filesystem") && twice.contains("imports no sockets"),
        "{twice}"
    );
    let run = weld([
        "run",
        "--dir",
        ".",
        tmp.path().join("twice.wasm").to_str().unwrap(),
        "read",
        "x",
    ]);
    assert_eq!(run.stderr(), "no preopened directory\n");
}

#[test]
fn weld_compose_takes_the_same_options_and_virtualizes_what_it_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("hello.wasm");
    let (app, greeter) = (fixture("app"), fixture("greeter"));
    let summary = weld([
        "compose",
        app.to_str().unwrap(),
        "--plug",
        greeter.to_str().unwrap(),
        "--deny",
        "filesystem",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    assert!(
        summary.contains("denied   wasi:filesystem/preopens@0.2.12"),
        "{summary}"
    );
    assert_eq!(
        weld(["run", "--dir", ".", out.to_str().unwrap()]).ok(),
        "Hello, world!\n"
    );
    assert!(needs(&out).get("filesystem").is_none(), "{}", needs(&out));
    // A lock records the composition itself, which the policy would change after it.
    let locked = weld([
        "compose",
        app.to_str().unwrap(),
        "--plug",
        greeter.to_str().unwrap(),
        "--deny",
        "filesystem",
        "--lock",
        tmp.path().join("weld.lock").to_str().unwrap(),
        "-o",
        tmp.path().join("other.wasm").to_str().unwrap(),
    ]);
    assert_eq!(locked.code(), 2, "{}", locked.stderr());
    assert!(!tmp.path().join("other.wasm").exists());
}

/// A component that imports `wasi:random` for one export and needs nothing for the other.
const ROLLER: &str = r#"(component
  (import "wasi:random/random@0.2.3" (instance $random (export "get-random-u64" (func (result u64)))))
  (core module $m
    (import "random" "get" (func $get (result i64)))
    (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
    (func (export "roll") (result i64) call $get))
  (core func $get (canon lower (func $random "get-random-u64")))
  (core instance $imports (export "get" (func $get)))
  (core instance $i (instantiate $m (with "random" (instance $imports))))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (func (export "roll") (result u64) (canon lift (core func $i "roll"))))"#;

#[test]
fn stubbed_down_to_no_imports_a_pure_export_runs_on_any_host_and_the_stubbed_call_traps() {
    let tmp = tempfile::tempdir().unwrap();
    let roller = tmp.path().join("roller.wat");
    std::fs::write(&roller, ROLLER).unwrap();
    let pure = virt(&roller, &["--stub", "random"], tmp.path(), "pure.wasm");
    let inspected = weld(["inspect", "--json", pure.to_str().unwrap()]).json();
    assert_eq!(
        inspected["world"]["imports"],
        serde_json::json!([]),
        "{inspected}"
    );
    assert_eq!(
        weld(["run", pure.to_str().unwrap(), "--invoke", "add(1, 2)"]).ok(),
        "3\n"
    );
    let rolled = weld(["run", pure.to_str().unwrap(), "--invoke", "roll()"]);
    assert_eq!(rolled.code(), 1);
    assert!(
        rolled
            .stderr()
            .contains("wasi:random/random@0.2.3#get-random-u64 (stubbed by weld virt: it traps)"),
        "{}",
        rolled.stderr()
    );
    // wasmtime runs it with nothing linked for it (no -S flag applies: it imports nothing).
    if let Some((out, code)) =
        wasmtime_in(tmp.path(), &["run", "--invoke", "add(1, 2)", "pure.wasm"])
    {
        assert_eq!((out.as_str(), code), ("3\n", 0));
    }
}

#[test]
fn a_c_command_denied_its_files_and_given_its_name_sees_virt_and_no_directory_under_weld_and_wasmtime()
 {
    let Some(clang) = crate::util::on_path("clang") else {
        crate::util::missing(
            "clang (Debian's clang, lld, wasi-libc, libclang-rt-14-dev-wasm32) is not on the PATH",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let source = crate::util::workspace_root().join("fixtures/interop/c/app.c");
    let core = dir.join("app.core.wasm");
    crate::interop::build(
        dir,
        &clang,
        &[
            "--target=wasm32-wasi",
            "-O2",
            source.to_str().unwrap(),
            "-o",
            core.to_str().unwrap(),
        ],
    );
    let command = weld_fixtures::command_from_preview1(&std::fs::read(&core).unwrap()).unwrap();
    let app = dir.join("app.wasm");
    std::fs::write(&app, command).unwrap();
    std::fs::write(dir.join("data.txt"), "file contents\n").unwrap();
    let run = |path: &Path| {
        let mut cmd = std::process::Command::new(crate::util::weld_bin());
        cmd.current_dir(dir);
        crate::util::weld_with(
            cmd,
            [
                "run",
                "--dir",
                ".",
                "--env",
                "NAME=host",
                path.to_str().unwrap(),
            ],
        )
        .ok()
    };
    assert_eq!(run(&app), "data.txt: file contents\nNAME: host\n");
    let virt = virt(
        &app,
        &["--deny", "wasi:filesystem", "--env", "NAME=virt"],
        dir,
        "app.virt.wasm",
    );
    let expected = "data.txt: no file\nNAME: virt\n";
    assert_eq!(run(&virt), expected);
    if let Some(printed) = wasmtime_in(
        dir,
        &["run", "--dir", ".", "--env", "NAME=host", "app.virt.wasm"],
    ) {
        assert_eq!(printed, (expected.to_owned(), 0));
    }
    weld(["validate", virt.to_str().unwrap()]).ok();
    assert!(needs(&virt).get("filesystem").is_none(), "{}", needs(&virt));
}

/// Regression (found by a new-user probe): `--args` alone was recorded as fixed but did nothing, since only
/// `--env` made the environment an interface to provide.
#[test]
fn args_alone_are_fixed_and_the_variables_still_come_from_the_host() {
    let tmp = tempfile::tempdir().unwrap();
    let fixed = virt(
        &fixture("hello"),
        &["--args", "hello,a,b"],
        tmp.path(),
        "args.wasm",
    );
    let run = weld([
        "run",
        "--env",
        "WELD_NAME=host",
        fixed.to_str().unwrap(),
        "--",
        "x",
    ])
    .ok();
    assert_eq!(run, "hello from weld\narg: a\narg: b\nWELD_NAME=host\n");
    // Fixing it again would not be seen (the first provider answers first): refused, nothing written.
    let again = tmp.path().join("again.wasm");
    let err = weld([
        "virt",
        fixed.to_str().unwrap(),
        "--env",
        "WELD_NAME=two",
        "-o",
        again.to_str().unwrap(),
    ])
    .fails();
    assert!(err.contains("already fixed"), "{err}");
    assert!(!again.exists());
}

/// Regression (found by a new-user probe): WASI 0.3 makes sockets in `wasi:sockets/types` and sends requests
/// through `wasi:http/client`, which `--deny` passed over, recording a policy that did not hold. Their functions
/// are async, which providers cannot be generated for yet: refused by name, nothing written.
#[test]
fn denying_wasi_0_3_sockets_or_http_is_refused_by_name_not_passed_over() {
    use wit_parser::{LiftLowerAbi, ManglingAndAbi};
    let tmp = tempfile::tempdir().unwrap();
    let wit = crate::util::workspace_root().join("fixtures/interop/p3/wit");
    let mut src = weld_wit::load(&wit).unwrap();
    let package = src
        .resolve
        .push_str(
            "net.wit",
            "package weld:net; world net { import wasi:sockets/types@0.3.0; import wasi:http/client@0.3.0; }",
        )
        .unwrap();
    let world = src.resolve.select_world(&[package], Some("net")).unwrap();
    let mangling = ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback);
    let input = tmp.path().join("net.wasm");
    dummy_component(&src.resolve, world, mangling, &input);
    let out = tmp.path().join("out.wasm");
    for (family, import) in [
        ("sockets", "wasi:sockets/types@0.3.0"),
        ("http", "wasi:http/client@0.3.0"),
    ] {
        let err = weld([
            "virt",
            input.to_str().unwrap(),
            "--deny",
            family,
            "-o",
            out.to_str().unwrap(),
        ])
        .fails();
        assert!(
            err.contains(&format!("`{import}` has async functions")),
            "{err}"
        );
        assert!(!out.exists());
    }
}

/// `--deny config`: `wasi:config/store` has no "not allowed" case, so the provider answers as a store with no
/// keys: `get` is `ok(none)`, `get-all` is `ok([])`.
#[test]
fn denied_config_answers_as_a_store_without_keys() {
    use wit_parser::{LiftLowerAbi, ManglingAndAbi};
    let tmp = tempfile::tempdir().unwrap();
    let src = weld_wit::WitSource::from_wit_text(
        "config.wit",
        "package weld:configured;
         world configured { import wasi:config/store@0.2.0-draft; }
         package wasi:config@0.2.0-draft {
             interface store {
                 variant error { upstream(string), io(string) }
                 get: func(key: string) -> result<option<string>, error>;
                 get-all: func() -> result<list<tuple<string, string>>, error>;
             }
         }",
    )
    .unwrap();
    let world = src.world.unwrap_or_else(|| {
        src.resolve
            .select_world(&[src.package], Some("configured"))
            .unwrap()
    });
    let input = tmp.path().join("configured.wasm");
    let mangling = ManglingAndAbi::Legacy(LiftLowerAbi::Sync);
    dummy_component(&src.resolve, world, mangling, &input);
    let virt = virt(&input, &["--deny", "config"], tmp.path(), "virt.wasm");
    let inspected = weld(["inspect", "--json", virt.to_str().unwrap()]).json();
    assert_eq!(
        inspected["world"]["imports"],
        serde_json::json!([]),
        "{inspected}"
    );
    let calls = [r#"get("region")"#, "get-all()"];
    let answers = provider_answers(&input, &["--deny", "config"], tmp.path(), &calls);
    assert_eq!(answers, "ok(none)\nok([])\n");
}

//! Every command on every kind of bad input: one clear error naming the file, exit 1, never a panic.

use crate::util::{fixture, is_root, weld, weld_as_nobody, weld_with};
use std::path::{Path, PathBuf};

/// The commands, each with the arguments that come before the file.
const COMMANDS: &[&[&str]] = &[&["wit"], &["inspect"], &["validate"]];

/// A folder of bad inputs, each `(file, what must be in the error)`.
fn bad_inputs(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let greeter = std::fs::read(fixture("greeter")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let mut corrupt = greeter.clone();
    // The first section's size becomes far larger than the file.
    corrupt.splice(9..10, [0xff, 0xff, 0xff, 0x0f]);
    // Deterministic noise: a linear congruential sequence.
    let noise: Vec<u8> = (0u32..4096)
        .scan(12345u32, |s, _| {
            *s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            Some((*s >> 16) as u8)
        })
        .collect();
    vec![
        (dir.join("missing.wasm"), "No such file"),
        (write("empty.wasm", b""), "is empty"),
        (write("random.wasm", &noise), "not WebAssembly"),
        (
            write("truncated.wasm", &greeter[..greeter.len() / 2]),
            "truncated.wasm",
        ),
        (write("corrupt.wasm", &corrupt), "corrupt.wasm"),
        // Regression (a user's probe): a truncated .cwasm was only "not WebAssembly".
        (
            write(
                "truncated.cwasm",
                b"\x7fELF\x02\x01\x01\0\0\0\x03\0\x3e\0\xc8\xff",
            ),
            "it is an ELF file, as precompiled code (.cwasm) is",
        ),
    ]
}

#[test]
fn every_command_reports_bad_binaries() {
    let tmp = tempfile::tempdir().unwrap();
    for (file, needle) in bad_inputs(tmp.path()) {
        for cmd in COMMANDS {
            let mut args: Vec<&std::ffi::OsStr> = cmd.iter().map(|a| a.as_ref()).collect();
            args.push(file.as_os_str());
            let run = weld(&args);
            let all = run.fails_output();
            let name = file.file_name().unwrap().to_str().unwrap();
            assert!(
                all.contains(name),
                "weld {cmd:?} on {name}: the file is named:\n{all}"
            );
            assert!(
                all.contains(needle),
                "weld {cmd:?} on {name}: expected {needle:?}:\n{all}"
            );
        }
    }
}

#[test]
fn a_directory_where_a_file_is_expected() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in [["inspect"], ["validate"]] {
        let run = weld([cmd[0].as_ref(), tmp.path().as_os_str()]);
        let all = run.fails_output();
        assert!(all.contains("is a directory"), "{all}");
    }
    // For `weld wit` a directory is a WIT package; one without WIT files is an error naming it.
    let err = weld(["wit".as_ref(), tmp.path().as_os_str()]).fails();
    assert!(err.contains(&tmp.path().display().to_string()), "{err}");
}

/// Regression (a user's probe): `weld run /dev/zero` read until memory ran out. A device is refused before
/// anything is read, and so is a file over the bound (a sparse one here, so the test writes nothing).
#[test]
fn an_endless_or_huge_input_is_refused_not_read_until_memory_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.wasm");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len((1 << 30) + 1).unwrap();
    let huge = huge.display().to_string();
    for cmd in [&["run"][..], &["compile", "-o", "/dev/null"], &["validate"]] {
        for (input, expected) in [
            (
                "/dev/zero",
                "`/dev/zero` is a device, not a file".to_string(),
            ),
            (huge.as_str(), format!("`{huge}` is larger than 1 GiB")),
        ] {
            let mut args: Vec<&str> = cmd.to_vec();
            args.push(input);
            let err = weld(args).fails_output();
            assert!(err.contains(&expected), "{cmd:?} {input}: {err}");
        }
    }
}

#[test]
fn wit_text_errors_for_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("syntax.wit");
    std::fs::write(&file, "package a:b;\ninterface i { f: func( }\n").unwrap();
    let err = weld(["wit".as_ref(), file.as_os_str()]).fails();
    assert!(err.contains("syntax.wit:2:"), "{err}");
    for cmd in ["inspect", "validate"] {
        let run = weld([cmd.as_ref(), file.as_os_str()]);
        let all = run.fails_output();
        assert!(
            all.contains("syntax.wit") && all.contains("not WebAssembly"),
            "{all}"
        );
    }
}

#[test]
fn an_unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("locked.wasm");
    std::fs::copy(fixture("greeter"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let bin_dir = tempfile::tempdir().unwrap();
    for cmd in COMMANDS {
        // Root reads any file, so under root the check runs weld as `nobody`.
        let runner = if is_root() {
            weld_as_nobody(bin_dir.path())
        } else {
            std::process::Command::new(crate::util::weld_bin())
        };
        let mut args: Vec<&std::ffi::OsStr> = cmd.iter().map(|a| a.as_ref()).collect();
        args.push(file.as_os_str());
        let run = weld_with(runner, &args);
        let all = run.fails_output();
        assert!(
            all.contains("locked.wasm") && all.contains("Permission denied"),
            "{all}"
        );
    }
}

/// Regression: values parsed after clap (`--wire`, `--graph`, registry references) exited 1; every bad value is
/// bad usage, exit 2, with clap's usage line, and nothing runs.
#[test]
fn bad_usage_exits_2() {
    let app = fixture("app");
    let app = app.to_str().unwrap();
    let wac = tempfile::tempdir().unwrap();
    let doc = wac.path().join("x.wac");
    std::fs::write(&doc, "package a:b;\n").unwrap();
    let doc = doc.to_str().unwrap();
    for args in [
        &["validate"][..],
        &["wit", "x.wit", "--json", "--out-dir", "d"],
        &["frobnicate"],
        &["inspect", "--nope", "x"],
        &["compose", app, "--wire", "nonsense"],
        &["compose", app, "--wire", "=greeter"],
        &["compose", app, "--graph", "nonsense", "g.txt"],
        &["compose", doc, "--dep", "nonsense"],
        &["compose", doc, "--plug", app],
        &["compose", "oci://BAD REF!!"],
        &["compose", app, "--plug", "oci://"],
        &["pull", "BAD REF!!"],
        &["push", app, "BAD REF!!"],
        // A reference where the file goes: push takes a file (it said "No such file or directory").
        &[
            "push",
            "oci://localhost:5000/demo/app:1",
            "localhost:5000/demo/copy:1",
        ],
        &[
            "push",
            app,
            "localhost:5000/demo/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ],
        &[
            "push",
            app,
            "localhost:5000/demo/app:1",
            "--annotation",
            "=x",
        ],
        &["run", "oci://BAD REF!!"],
        &["inspect", "oci://localhost:5000/Bad Repo:1"],
        &["wit", "oci://localhost:5000/"],
        &["validate", app, "oci://?"],
    ] {
        let run = weld(args);
        assert_eq!(run.code(), 2, "weld {args:?}:\n{}", run.stderr());
        assert!(
            run.stderr().contains("Usage") || run.stderr().contains("try '--help'"),
            "weld {args:?}:\n{}",
            run.stderr()
        );
    }
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let missing = ["inspect", "no-such-file.wasm"];
    let plain = weld(missing).fails();
    assert!(
        plain.starts_with("error: ") && !plain.contains('\x1b'),
        "{plain:?}"
    );
    let coloured = weld(["--color", "always", "inspect", "no-such-file.wasm"]).fails();
    assert!(coloured.contains("\x1b["), "{coloured:?}");
}

#[test]
fn a_read_error_says_its_cause_once() {
    let err = weld(["inspect", "no-such-file.wasm"]).fails();
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    assert!(err.contains("no-such-file.wasm"), "{err}");
}

#[test]
fn library_panics_become_errors() {
    // A valid component that made wit-parser reach `unreachable!()` (fixtures/regressions/README.md).
    let file =
        crate::util::workspace_root().join("fixtures/regressions/wit-parser-unreachable.wasm");
    let file = file.to_str().unwrap();
    let err = weld(["wit", file]).fails();
    assert!(
        err.contains("wit-parser-unreachable.wasm")
            && err.contains("wit-parser cannot handle")
            && err.contains("a bug in wit-parser that weld caught"),
        "{err}"
    );
    // inspect stops earlier, at a name the bit flip made invalid UTF-8; either way an error, not a panic.
    let err = weld(["inspect", file]).fails();
    assert!(err.contains("wit-parser-unreachable.wasm"), "{err}");
    // WIT text with the doc comment `/**/`, which made wit-parser unwrap `None`.
    let text =
        crate::util::workspace_root().join("fixtures/regressions/wit-parser-doc-comment.wit");
    let err = weld(["wit", text.to_str().unwrap()]).fails();
    assert!(
        err.contains("wit-parser-doc-comment.wit")
            && err.contains("wit-parser cannot handle")
            && err.contains("a bug in wit-parser that weld caught"),
        "{err}"
    );
    let err = weld(["compose", file, "--plug", file]).fails();
    assert!(
        !err.contains("panicked") && err.contains("wit-parser-unreachable.wasm"),
        "{err}"
    );
    // A valid component whose import re-exports a type aliased from a plain-named import: wit-component's
    // printer unwrapped `None` on it.
    let printer =
        crate::util::workspace_root().join("fixtures/regressions/wit-printer-outer-alias.wasm");
    let err = weld(["wit", printer.to_str().unwrap()]).fails();
    assert!(
        err.contains("wit-printer-outer-alias.wasm")
            && err.contains("wit-component's WIT printer cannot handle"),
        "{err}"
    );
}

/// Regression: `weld inspect` refused a valid component (exit 1) because wit-parser panicked decoding its types
/// (an import taking its resource from a plain-named import, as compositions of such components have). It now
/// shows the component without a world, its imports and exports and capabilities read from the binary.
#[test]
fn inspect_shows_a_component_whose_types_wit_parser_cannot_decode() {
    let file = crate::util::workspace_root()
        .join("fixtures/regressions/wit-parser-plain-named-resource.wasm");
    let file = file.to_str().unwrap();
    weld(["wit", file]).fails();
    let out = weld(["inspect", file]).ok();
    assert!(
        out.contains("no world: wit-parser cannot handle")
            && out.contains("base")
            && out.contains("weld:t/user")
            && out.contains("weld:t/run"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&weld(["inspect", file, "--json"]).ok()).unwrap();
    assert!(json["world"].is_null(), "{json}");
    assert!(
        json["world-unavailable"]
            .as_str()
            .is_some_and(|why| why.contains("a bug in wit-parser")),
        "{json}"
    );
    assert_eq!(
        json["capabilities"]["other-imports"],
        serde_json::json!(["base", "weld:t/user", "weld:t/run"])
    );
    // An import that holds an instance: valid, but wit-parser refuses it (an error, not a panic).
    let nested =
        crate::util::workspace_root().join("fixtures/regressions/wit-parser-nested-instance.wasm");
    let nested = nested.to_str().unwrap();
    weld(["wit", nested]).fails();
    let out = weld(["inspect", nested]).ok();
    assert!(
        out.contains("no world: failed to decode") && out.contains("nested  instance"),
        "{out}"
    );
}

/// No failure leaves an output behind, a panic included: with `WELD_FAIL_POINT` (a hook of debug builds) weld
/// panics after an output was written to its temporary file, or a WIT package to its staging folder, and before
/// either was renamed into place. The panic is reported as weld's own bug, and the folder stays empty.
#[cfg(debug_assertions)]
/// Regression: an identifier of some 30,000 characters in a `.wac` document overflowed the stack in wac-parser's
/// lexer, which recurses per character (`fatal runtime error: stack overflow`, an abort). It is read like any
/// other: here, into an error about the package the document names.
#[test]
fn a_very_long_wac_identifier_is_read_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let wac = dir.path().join("long.wac");
    let name = "g".repeat(200_000);
    std::fs::write(
        &wac,
        format!("package demo:composed;\nlet {name} = new demo:missing {{}};\n"),
    )
    .unwrap();
    let err = weld(["compose", wac.to_str().unwrap()]).fails();
    assert!(
        err.contains("demo:missing") && !err.contains("overflow"),
        "{}",
        &err[..err.len().min(400)]
    );
}

#[test]
fn a_panic_while_writing_leaves_no_output() {
    let greeter = fixture("greeter");
    let dir = tempfile::tempdir().unwrap();
    let wit = dir.path().join("wit");
    let cases: [(&str, Vec<std::ffi::OsString>); 2] = [
        (
            "write",
            crate::util::compose_greet_args(&dir.path().join("out.wasm")),
        ),
        (
            "write-tree",
            vec!["wit".into(), greeter.into(), "--out-dir".into(), wit.into()],
        ),
    ];
    for (point, args) in cases {
        let mut cmd = std::process::Command::new(crate::util::weld_bin());
        cmd.env("WELD_FAIL_POINT", point);
        let run = weld_with(cmd, &args);
        assert_eq!(run.code(), 101, "{point}: {}", run.stderr());
        assert!(
            run.stderr().contains("internal error, a bug in weld") && run.stderr().contains(point),
            "{point}: {}",
            run.stderr()
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{point} left {left:?}");
    }
}

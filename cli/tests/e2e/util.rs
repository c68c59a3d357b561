//! The test helpers of `weld-tests`, plus running the `weld` binary cargo built for these tests.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
pub use weld_tests::*;

/// The `weld` binary of this package, as cargo built it for its integration tests.
pub fn weld_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_weld"))
}

/// Runs `weld` with `args`, colour off.
pub fn weld<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    weld_with(Command::new(weld_bin()), args)
}

/// A command that runs a copy of `weld` as the unprivileged user `nobody`, the copy in `dir`.
pub fn weld_as_nobody(dir: &Path) -> Command {
    as_nobody(weld_bin(), dir)
}

/// The root of the checkout under test: cargo's `CARGO_MANIFEST_DIR` when it runs the tests (a target directory
/// shared by two checkouts must not mix them), else the one compiled in.
pub fn workspace_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

/// The arguments of `weld compose app --plug greeter -o OUT` (the result is about 22 KiB).
pub fn compose_greet_args(out: &Path) -> Vec<OsString> {
    let (app, greeter) = (fixture("app"), fixture("greeter"));
    vec![
        "compose".into(),
        app.into(),
        "--plug".into(),
        greeter.into(),
        "-o".into(),
        out.into(),
    ]
}

/// Writes `dir/greeter-pkg.wasm`: an encoded WIT package (the greeter interface and a world exporting it; types
/// only, no code), as `wasm-tools component wit --wasm` writes one.
pub fn greeter_wit_package(dir: &Path) -> PathBuf {
    let wit = "package weld:examples@1.0.0;\ninterface greeter { greet: func(name: string) -> string; }\n\
               world greeter-world { export greeter; }\n";
    let src = weld_wit::WitSource::from_wit_text("greeter.wit", wit).unwrap();
    let package = dir.join("greeter-pkg.wasm");
    std::fs::write(
        &package,
        wit_component::encode(&src.resolve, src.package).unwrap(),
    )
    .unwrap();
    package
}

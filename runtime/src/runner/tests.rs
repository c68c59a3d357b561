use super::*;

/// A component whose core module puts three functions of two signatures in a table (so each gets a trampoline
/// from the host) and exports the first; `body` is the second's body. Components made with different bodies share
/// `$a`, `$c` and every signature.
fn component(dir: &Path, name: &str, body: &str) -> PathBuf {
    let wat = format!(
        r#"(component
  (core module $m
    (func $a (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    (func $b (param i32) (result i32) {body})
    (func $c (param i64) (result i64) local.get 0)
    (table 3 funcref)
    (elem (i32.const 0) $a $b $c)
    (export "a" (func $a)))
  (core instance $i (instantiate $m))
  (func (export "a") (param "x" u32) (result u32) (canon lift (core func $i "a"))))"#
    );
    let path = dir.join(name);
    std::fs::write(&path, wat).unwrap();
    path
}

/// The two components, and a runtime caching in a fresh folder beside them that picks compilers as `tiering` says.
fn setup(tiering: Tiering) -> (tempfile::TempDir, Runtime, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let one = component(dir.path(), "one.wat", "local.get 0 i32.const 2 i32.mul");
    let two = component(dir.path(), "two.wat", "local.get 0 i32.const 3 i32.mul");
    let runtime = runtime_over(dir.path(), tiering);
    (dir, runtime, one, two)
}

/// A runtime caching in `dir/cache`, picking compilers as `tiering` says: what one process has (a second one
/// over the same folder starts with nothing in memory).
fn runtime_over(dir: &Path, tiering: Tiering) -> Runtime {
    let cache = CodeCache::new(dir.join("cache"));
    Runtime::new(EngineSettings::default(), Some(cache))
        .unwrap()
        .with_tiering(tiering)
}

/// What a load compiled: its compiler and the shared functions it looked up and found.
fn compiled(loaded: &Loaded) -> (Compiler, Reuse) {
    match &loaded.origin {
        CodeOrigin::Cranelift {
            reuse: Some(reuse), ..
        } => (Compiler::Cranelift, *reuse),
        other => panic!("expected code compiled now, counting reuse: {other:?}"),
    }
}

/// Regression (issue 25): weld carried a patched copy of wasmtime's Winch crate so that Winch's engine took the
/// function store. Without the patch, a Winch engine must be built without it, not fail.
#[test]
fn winch_compiles_without_the_function_store() {
    let (dir, runtime, one, _) = setup(Tiering::Winch);
    let loaded = runtime.load(&one, false).unwrap();
    assert!(
        matches!(loaded.origin, CodeOrigin::Winch { stored: None, .. }),
        "{:?}",
        loaded.origin
    );
    let functions = dir.path().join("cache/functions");
    assert!(!functions.exists() || walk(&functions).is_empty());
}

#[test]
fn cranelift_reuses_the_functions_two_components_share_and_compiles_the_rest() {
    let (_dir, runtime, one, two) = setup(Tiering::Cranelift);
    let (compiler, _) = compiled(&runtime.load(&one, false).unwrap());
    assert_eq!(compiler, Compiler::Cranelift);
    let (_, second) = compiled(&runtime.load(&two, false).unwrap());
    assert!(second.hits > 0, "{second:?}");
    assert!(
        second.hits < second.lookups,
        "the differing `$b` was found: {second:?}"
    );
}

/// Compiles `path` with Cranelift in `runtime`, past the code cache, and counts the shared functions looked up
/// and found meanwhile.
fn compile_counting(runtime: &Runtime, path: &Path) -> Reuse {
    let before = runtime.reuse().unwrap_or_default();
    runtime
        .compile(path, &wat::parse_file(path).unwrap())
        .unwrap();
    runtime.reuse().unwrap().since(before)
}

#[test]
fn a_store_read_by_a_new_process_serves_what_another_wrote() {
    // A runtime is what one process has; a second one over the same folder starts with nothing in memory.
    let (dir, runtime, one, _) = setup(Tiering::Cranelift);
    compile_counting(&runtime, &one);
    let again = runtime_over(dir.path(), Tiering::Cranelift);
    let reuse = compile_counting(&again, &one);
    assert!(reuse.hits > 0, "{reuse:?}");
}

#[test]
fn shared_functions_swapped_between_files_are_compiled_again_never_run() {
    let (dir, runtime, one, _) = setup(Tiering::Cranelift);
    let first = compile_counting(&runtime, &one);
    // Every file of the store takes the contents of the next one: each still decodes as compiled code.
    let mut files: Vec<PathBuf> = walk(&dir.path().join("cache/functions"));
    files.sort();
    assert!(files.len() > 1, "{files:?}");
    let contents: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for (file, bytes) in files.iter().zip(contents.iter().cycle().skip(1)) {
        std::fs::write(file, bytes).unwrap();
    }
    // A new process compiles it again. Only what it compiled itself can be found (a second function of one
    // key); none of the files is taken.
    let compile_again = || compile_counting(&runtime_over(dir.path(), Tiering::Cranelift), &one);
    let swapped = compile_again();
    assert_eq!(swapped.hits, first.hits, "{swapped:?} after {first:?}");
    // The files were rewritten: the next process finds them.
    let repaired = compile_again();
    assert!(
        repaired.hits > swapped.hits,
        "{repaired:?} after {swapped:?}"
    );
}

/// Every file under `dir`, at any depth.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Regression: on an interruptible engine (what `weld serve` and the containerd shim compile for), a run without
/// a timeout trapped at once with `interrupt`: the store's epoch deadline was left at 0.
#[test]
fn an_interruptible_engine_runs_a_command_without_a_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hello.wasm");
    std::fs::write(&path, weld_fixtures::build("hello").unwrap()).unwrap();
    let settings = EngineSettings {
        interruptible: true,
        ..EngineSettings::default()
    };
    let runtime = Runtime::new(settings, None).unwrap();
    let loaded = runtime.load(&path, false).unwrap();
    let pre = runtime.prepare(&loaded).unwrap();
    let spec = RunSpec {
        grants: Grants::default(),
        limits: RunLimits::default(),
        args: vec!["hello.wasm".into()],
        stdio: Stdio::Null,
        stuck: None,
    };
    assert_eq!(runtime.run_command(&pre, &path, spec).unwrap(), 0);
}

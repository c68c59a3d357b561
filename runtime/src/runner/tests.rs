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
    let cache = Cache::new(dir.join("cache"));
    Runtime::new(EngineSettings::default(), Some(cache))
        .unwrap()
        .with_tiering(tiering)
}

/// What a load compiled: its compiler and the shared functions it looked up and found.
fn compiled(loaded: &Loaded) -> (Compiler, Reuse) {
    match &loaded.origin {
        Origin::Baseline {
            reuse: Some(reuse), ..
        } => (Compiler::Winch, *reuse),
        Origin::Compiled {
            reuse: Some(reuse), ..
        } => (Compiler::Cranelift, *reuse),
        other => panic!("expected code compiled now, counting reuse: {other:?}"),
    }
}

#[test]
fn winch_shares_its_trampolines_through_the_function_store() {
    let (_dir, runtime, one, two) = setup(Tiering::Winch);
    let (compiler, first) = compiled(&runtime.load(&one, false).unwrap());
    assert_eq!(compiler, Compiler::Winch);
    assert!(first.lookups > 0, "{first:?}");
    // The second component's functions differ, but every trampoline has a signature the first one's had.
    let (_, second) = compiled(&runtime.load(&two, false).unwrap());
    assert!(second.lookups > 0, "{second:?}");
    assert_eq!(second.hits, second.lookups, "{second:?}");
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

#[test]
fn a_store_read_by_a_new_process_serves_what_another_wrote() {
    // A runtime is what one process has; a second one over the same folder starts with nothing in memory.
    let (dir, runtime, one, _) = setup(Tiering::Winch);
    runtime.load(&one, false).unwrap();
    let again = runtime_over(dir.path(), Tiering::Winch);
    let (_, reuse) = compiled(&again.load(&one, false).unwrap());
    assert!(reuse.lookups > 0, "{reuse:?}");
    assert_eq!(reuse.hits, reuse.lookups, "{reuse:?}");
}

#[test]
fn shared_functions_swapped_between_files_are_compiled_again_never_run() {
    // Winch's trampolines, whose keys are the same from one compile to the next (some of Cranelift's own are not).
    let (dir, runtime, one, _) = setup(Tiering::Winch);
    runtime.load(&one, false).unwrap();
    // Every file of the store takes the contents of the next one: each still decodes as compiled code.
    let mut files: Vec<PathBuf> = walk(&dir.path().join("cache/functions"));
    files.sort();
    assert!(files.len() > 1, "{files:?}");
    let contents: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    for (file, bytes) in files.iter().zip(contents.iter().cycle().skip(1)) {
        std::fs::write(file, bytes).unwrap();
    }
    // A new process compiles it again. Only what it compiled itself can be found (the second trampoline of a
    // signature); none of the files is taken.
    let compile_again = || {
        let again = runtime_over(dir.path(), Tiering::Winch);
        compiled(&again.load(&one, false).unwrap()).1
    };
    let swapped = compile_again();
    assert!(swapped.hits < swapped.lookups, "{swapped:?}");
    // The files were rewritten: the next process finds them all.
    let repaired = compile_again();
    assert!(repaired.lookups > 0, "{repaired:?}");
    assert_eq!(repaired.hits, repaired.lookups, "{repaired:?}");
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

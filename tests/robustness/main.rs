//! The bounded property run: thousands of generated and mutated inputs through weld's library entry points
//! (`weld_tests::robust`), each on its own thread with a time limit. Any panic or hang fails the test and names
//! the seed that reproduces it. The same drivers back the open-ended fuzz targets in `fuzz/`.
//!
//! `WELD_ROBUSTNESS_SCALE=N` multiplies the number of cases (default 1, which runs in well under a minute);
//! `WELD_ROBUSTNESS_SEED=S` starts elsewhere.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;
use weld_tests::robust::{self, Rng};

/// Longer than any case takes, short enough to call a hang a hang.
const LIMIT: Duration = Duration::from_secs(30);

fn scale() -> usize {
    std::env::var("WELD_ROBUSTNESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn base_seed() -> u64 {
    std::env::var("WELD_ROBUSTNESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7765_6c64)
}

/// The outcome of a batch: cases run, and the failures with their seeds.
#[derive(Default)]
struct Tally {
    cases: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Runs `case` (seed `seed`, described as `what`) on a thread: a panic or running past [`LIMIT`] is a failure.
    /// The inputs of a failing case are written to a temporary folder that the failure names, to reproduce and
    /// minimise it.
    fn run(
        &mut self,
        what: &str,
        seed: u64,
        inputs: &[(&str, &[u8])],
        case: impl FnOnce() + Send + 'static,
    ) {
        self.cases += 1;
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(case));
            let _ = done.send(outcome.err().map(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            }));
        });
        let problem = match finished.recv_timeout(LIMIT) {
            Ok(None) => return,
            Ok(Some(panic)) => format!("panicked: {panic}"),
            Err(_) => format!("still running after {LIMIT:?}"),
        };
        let dir = std::env::temp_dir().join(format!("weld-robustness/{seed}"));
        let _ = std::fs::create_dir_all(&dir);
        for (name, bytes) in inputs {
            let _ = std::fs::write(dir.join(name), bytes);
        }
        self.failures.push(format!(
            "{what}, seed {seed}: {problem} (inputs in {})",
            dir.display()
        ));
    }

    #[track_caller]
    fn check(self, name: &str) {
        eprintln!(
            "{name}: {} cases, {} failures",
            self.cases,
            self.failures.len()
        );
        assert!(
            self.failures.is_empty(),
            "{name}: {} of {} cases failed:\n{}",
            self.failures.len(),
            self.cases,
            self.failures.join("\n")
        );
    }
}

/// The built component fixtures, as bytes.
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    weld_fixtures::COMPONENTS
        .iter()
        .map(|name| (*name, std::fs::read(weld_tests::fixture(name)).unwrap()))
        .collect()
}

/// A generated module or component for `seed`, if the generator makes one (its own failures are not weld's).
fn generated(seed: u64, component: bool) -> Option<Vec<u8>> {
    let data = Rng::new(seed).bytes(256 + (seed % 4096) as usize);
    catch_unwind(|| robust::smith(&data, component))
        .ok()
        .flatten()
}

#[test]
fn generated_modules_and_components() {
    let mut tally = Tally::default();
    let base = base_seed();
    for i in 0..600 * scale() {
        let seed = base.wrapping_add(i as u64);
        let component = i % 3 == 2;
        let Some(bytes) = generated(seed, component) else {
            continue;
        };
        let what = if component {
            "wasm-smith component"
        } else {
            "wasm-smith module"
        };
        // A valid input, and the same damaged.
        let damaged = robust::mutate_binary(&mut Rng::new(seed), &bytes);
        let inputs = [("valid.wasm", &bytes[..]), ("damaged.wasm", &damaged[..])];
        tally.run(what, seed, &inputs, {
            let (bytes, damaged) = (bytes.clone(), damaged.clone());
            move || {
                robust::binary(&bytes);
                robust::binary(&damaged);
            }
        });
    }
    tally.check("generated modules and components");
}

#[test]
fn mutated_fixtures() {
    let mut tally = Tally::default();
    let fixtures = fixtures();
    let base = base_seed();
    for i in 0..1500 * scale() {
        let seed = base.wrapping_add(i as u64);
        let mut rng = Rng::new(seed);
        let (name, bytes) = &fixtures[rng.below(fixtures.len())];
        let mutated = robust::mutate_binary(&mut rng, bytes);
        let inputs = [("input.wasm", &mutated[..])];
        tally.run(&format!("mutated {name}"), seed, &inputs, {
            let mutated = mutated.clone();
            move || robust::binary(&mutated)
        });
    }
    tally.check("mutated fixtures");
}

#[test]
fn mutated_and_random_wit() {
    let mut tally = Tally::default();
    let texts: Vec<&str> = weld_fixtures::wit_texts().map(|(_, text)| text).collect();
    let base = base_seed();
    for i in 0..1500 * scale() {
        let seed = base.wrapping_add(i as u64);
        let mut rng = Rng::new(seed);
        let text = if i % 4 == 3 {
            robust::random_wit(&mut rng)
        } else {
            let seed_text = texts[rng.below(texts.len())];
            robust::mutate_wit(&mut rng, seed_text)
        };
        let inputs = [("input.wit", text.as_bytes())];
        tally.run("WIT text", seed, &inputs, {
            let text = text.clone();
            move || robust::wit_text(&text)
        });
    }
    tally.check("mutated and random WIT");
}

#[test]
fn compose_with_damaged_and_generated_parts() {
    let mut tally = Tally::default();
    let fixtures = fixtures();
    let base = base_seed();
    for i in 0..300 * scale() {
        let seed = base.wrapping_add(i as u64);
        let mut rng = Rng::new(seed);
        let (root_name, root) = &fixtures[rng.below(fixtures.len())];
        let (plug_name, plug) = &fixtures[rng.below(fixtures.len())];
        let (root, plug) = match i % 3 {
            // A damaged plug under an intact root, and the other way round.
            0 => (root.clone(), robust::mutate_binary(&mut rng, plug)),
            1 => (robust::mutate_binary(&mut rng, root), plug.clone()),
            // A generated component against a real one.
            _ => match generated(seed, true) {
                Some(generated) => (root.clone(), generated),
                None => continue,
            },
        };
        let inputs = [("root.wasm", &root[..]), ("plug.wasm", &plug[..])];
        tally.run(
            &format!("compose {root_name} + {plug_name}"),
            seed,
            &inputs,
            {
                let (root, plug) = (root.clone(), plug.clone());
                move || robust::compose(&root, &plug)
            },
        );
    }
    tally.check("compose");
}

/// Inputs that once broke something, kept in `fixtures/regressions/` (see its README): each must still give weld
/// an error to report, not a panic.
#[test]
fn regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/regressions");
    let mut tally = Tally::default();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let inputs = [(name.as_str(), &bytes[..])];
        tally.run(&name, 0, &inputs, {
            let bytes = bytes.clone();
            move || {
                robust::binary(&bytes);
                if let Ok(text) = std::str::from_utf8(&bytes) {
                    robust::wit_text(text);
                }
                robust::compose(&bytes, &bytes);
            }
        });
    }
    assert!(tally.cases > 0, "no regression inputs in {}", dir.display());
    tally.check("regressions");
}

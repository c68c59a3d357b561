//! weld's library entry points driven with arbitrary input, and the input generators: shared by the bounded
//! property run of the test suite (`tests/robustness`) and the fuzz targets (`fuzz/`). Errors are the expected
//! answer to bad input; a panic, an abort or a hang is the bug.

use std::path::Path;
use weld_compose::{Component, Options};

/// Everything weld does with one binary a user hands it: validate it, inspect it, read its WIT and render that
/// as WIT text and as the JSON model.
pub fn binary(bytes: &[u8]) {
    let path = Path::new("input.wasm");
    let _ = weld_wit::validate(bytes);
    let _ = weld_wit::inspect_bytes(path, bytes).map(|i| serde_json::to_string(&i));
    wit_of(weld_wit::WitSource::from_bytes(path, bytes));
}

/// WIT text, as `weld wit file.wit` reads it.
pub fn wit_text(text: &str) {
    wit_of(weld_wit::WitSource::from_wit_text("input.wit", text));
}

fn wit_of(src: Result<weld_wit::WitSource, weld_wit::Error>) {
    if let Ok(src) = src {
        let _ = weld_wit::to_wit(&src);
        let _ = serde_json::to_string(&weld_wit::model::Document::new(&src));
        let _ = weld_wit::package_files(&src);
        for world in src.world_names() {
            let _ = src.select_world(&world).map(|w| weld_wit::to_wit(&w));
        }
    }
}

/// The compose engine with `root` and one plug, then with the plug as root (the result, if any, is validated by
/// the engine itself).
pub fn compose(root: &[u8], plug: &[u8]) {
    let run = |a: &[u8], b: &[u8]| {
        let _ = weld_compose::compose(
            Component::new("root.wasm", a.to_vec()),
            vec![Component::new("plug.wasm", b.to_vec())],
            &Options::default(),
        );
    };
    run(root, plug);
    run(plug, root);
}

/// A deterministic generator of pseudo-random numbers (SplitMix64): the same seed gives the same cases on every
/// machine, so a failure names a seed that reproduces it.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started at `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// A mutation of a valid binary: bit flips, a truncation, a byte run deleted or repeated, or two sections
/// swapped, the kinds of damage real files suffer and the ones that reach deep into a parser.
pub fn mutate_binary(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.is_empty() {
        return out;
    }
    match rng.below(6) {
        0 => {
            for _ in 0..=rng.below(8) {
                let at = rng.below(out.len());
                out[at] ^= 1 << rng.below(8);
            }
        }
        1 => out.truncate(rng.below(out.len())),
        2 => {
            let at = rng.below(out.len());
            let len = rng.below(16).min(out.len() - at);
            out.drain(at..at + len);
        }
        3 => {
            let at = rng.below(out.len());
            let len = (1 + rng.below(32)).min(out.len() - at);
            let run: Vec<u8> = out[at..at + len].to_vec();
            out.splice(at..at, run);
        }
        4 => {
            // A LEB128 length stretched: the parser must not trust it.
            let at = rng.below(out.len());
            out[at] = 0xff;
            if at + 1 < out.len() {
                out[at + 1] = 0xff;
            }
        }
        _ => swap_sections(rng, &mut out),
    }
    out
}

/// Swaps two top-level sections of a module or component, if it has two.
fn swap_sections(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let mut sections = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        at += 1;
        let mut size = 0usize;
        let mut shift = 0;
        loop {
            let Some(&b) = bytes.get(at) else { return };
            at += 1;
            size |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            if b & 0x80 == 0 || shift > 28 {
                break;
            }
        }
        let Some(end) = at.checked_add(size).filter(|e| *e <= bytes.len()) else {
            return;
        };
        sections.push(start..end);
        at = end;
    }
    if sections.len() < 2 {
        return;
    }
    let a = rng.below(sections.len());
    let b = rng.below(sections.len());
    let (a, b) = (sections[a.min(b)].clone(), sections[a.max(b)].clone());
    if a == b {
        return;
    }
    let mut out = bytes[..a.start].to_vec();
    out.extend_from_slice(&bytes[b.clone()]);
    out.extend_from_slice(&bytes[a.end..b.start]);
    out.extend_from_slice(&bytes[a.clone()]);
    out.extend_from_slice(&bytes[b.end..]);
    *bytes = out;
}

/// Tokens that mean something to the WIT grammar, spliced into text to reach past the lexer.
const WIT_TOKENS: &[&str] = &[
    "package",
    "interface",
    "world",
    "use",
    "type",
    "record",
    "variant",
    "enum",
    "flags",
    "resource",
    "func",
    "import",
    "export",
    "include",
    "with",
    "as",
    "from",
    "static",
    "constructor",
    "borrow",
    "own",
    "list",
    "option",
    "result",
    "tuple",
    "future",
    "stream",
    "string",
    "u32",
    "@0.2.0",
    "@since(version = 0.2.0)",
    "@unstable(feature = x)",
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    ";",
    ":",
    ",",
    "->",
    "=",
    "/",
    ".",
    "%",
    "_",
    "a:b/c",
    "foo",
    "\n",
    " ",
    "///",
    "/*",
    "*/",
];

/// A mutation of WIT text: characters deleted, repeated or replaced, or grammar tokens spliced in.
pub fn mutate_wit(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(4) {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len());
        match rng.below(4) {
            0 => {
                let len = (1 + rng.below(8)).min(chars.len() - at);
                chars.drain(at..at + len);
            }
            1 => {
                let len = (1 + rng.below(24)).min(chars.len() - at);
                let run: Vec<char> = chars[at..at + len].to_vec();
                chars.splice(at..at, run);
            }
            2 => chars[at] = (b' ' + rng.below(95) as u8) as char,
            _ => {
                let token = WIT_TOKENS[rng.below(WIT_TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
        }
    }
    chars.into_iter().collect()
}

/// WIT text made from grammar tokens alone.
pub fn random_wit(rng: &mut Rng) -> String {
    let mut text = String::from("package a:b;\n");
    for _ in 0..rng.below(60) {
        text.push_str(WIT_TOKENS[rng.below(WIT_TOKENS.len())]);
        text.push(' ');
    }
    text
}

/// A wasm-smith module or component made from `seed` bytes, with the features weld validates by default.
pub fn smith(data: &[u8], component: bool) -> Option<Vec<u8>> {
    let mut u = arbitrary::Unstructured::new(data);
    let config = wasm_smith::Config {
        min_funcs: 1,
        max_funcs: 20,
        max_instructions: 200,
        ..wasm_smith::Config::default()
    };
    if component {
        wasm_smith::Component::new(config, &mut u)
            .ok()
            .map(|c| c.to_bytes())
    } else {
        wasm_smith::Module::new(config, &mut u)
            .ok()
            .map(|m| m.to_bytes())
    }
}

//! Validation of core modules and components, with function bodies checked in parallel.

use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use wasmparser::{
    Chunk, FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser, Payload, ValidPayload,
    Validator, ValidatorResources, WasmFeatures,
};
use weld_files::{read_file, wasm_bytes};

/// The one feature set of weld: what `validate`, `compose`, `push` and `inspect` accept, and what weld's engine
/// (`weld-runtime`'s `engine`, which reads the component-model flags from here) runs. It is the standard features
/// wasmparser enables by default (the WebAssembly 2.0 and 3.0 proposals, the component model with async
/// functions, `stream` and `future`), plus the component-model async extensions that wasmtime 48's engine turns
/// on for today's toolchains (jco's and componentize-qjs's async built-ins): `error-context` (📝), the
/// synchronous `stream.*`/`future.*` built-ins (🚝) and stackful async lifts (🚟). wasmparser's defaults alone
/// refuse these, though wasmtime runs them (WASI 0.3, component-model async: `wasmtime::Config`'s
/// `wasm_component_model_*` switches).
pub fn features() -> WasmFeatures {
    WasmFeatures::default() | component_model_async()
}

/// The component-model async extensions weld enables beyond wasmparser's defaults (see [`features`]), in
/// wasmparser's words: [`weld_files::COMPONENT_MODEL_ASYNC`], which the engine reads too.
pub fn component_model_async() -> WasmFeatures {
    let extensions = weld_files::COMPONENT_MODEL_ASYNC;
    let mut features = WasmFeatures::empty();
    features.set(WasmFeatures::CM_ERROR_CONTEXT, extensions.error_context);
    features.set(
        WasmFeatures::CM_MORE_ASYNC_BUILTINS,
        extensions.more_async_builtins,
    );
    features.set(WasmFeatures::CM_ASYNC_STACKFUL, extensions.async_stackful);
    features
}

/// What a valid file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A core module.
    Module,
    /// A component.
    Component,
    /// A `.wast` script: every module and component it defines (assertions of invalidity are skipped).
    Script,
}

/// A file that validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Validated {
    /// Module or component.
    pub kind: FileKind,
    /// Size of the binary in bytes.
    pub size: usize,
    /// Function bodies checked (across every nested module).
    pub functions: usize,
    /// Modules and components checked: 1 for a binary, each one defined in a `.wast` script.
    pub modules: usize,
}

/// Why a binary is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message} (at offset {offset:#x})")]
#[serde(rename_all = "kebab-case")]
pub struct Invalid {
    /// Byte offset of the problem in the binary.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

impl From<wasmparser::BinaryReaderError> for Invalid {
    fn from(err: wasmparser::BinaryReaderError) -> Invalid {
        Invalid {
            offset: err.offset(),
            message: err.message().to_string(),
        }
    }
}

/// The bytes of function bodies from which [`validate`] checks them on all cores (1 MiB): below it, starting the
/// thread pool costs more than it saves (a composition of 499 small components, 0.3 MB of code, validated in
/// about an eighth less time on one thread, 102 against 116 ms, on the 2-core machine of docs/performance.md).
const PARALLEL_FROM: u64 = 1 << 20;

/// Validates a binary. Function bodies are validated in parallel once the module structure is known, when there
/// is enough code to be worth it (1 MiB of function bodies; less is checked on the calling thread).
pub fn validate(bytes: &[u8]) -> std::result::Result<Validated, Invalid> {
    validate_pieces(&[bytes])
}

/// Validates a binary given as consecutive pieces, without joining them: the binary is their concatenation (so
/// a composition is checked where its parts lie, the inputs as they were read). Offsets in an [`Invalid`] are
/// into the whole. Each boundary between pieces must fall between payloads as wasmparser's incremental
/// [`Parser::parse`] yields them (between sections, or between a nested module's or component's section header
/// and its contents; the 8-byte header in one piece); a payload cut by a boundary is reported as [`Invalid`] at
/// the boundary.
pub fn validate_pieces(pieces: &[&[u8]]) -> std::result::Result<Validated, Invalid> {
    let size: usize = pieces.iter().map(|p| p.len()).sum();
    if size < 8 {
        return Err(Invalid {
            offset: size as u64,
            message: format!("unexpected end of file: {size} bytes, a WebAssembly header has 8"),
        });
    }
    let first = pieces.iter().find(|p| !p.is_empty()).copied();
    let kind = if first.is_some_and(Parser::is_component) {
        FileKind::Component
    } else {
        FileKind::Module
    };
    let mut validator = Validator::new_with_features(features());
    let mut bodies: Vec<(FuncToValidate<ValidatorResources>, FunctionBody<'_>)> = Vec::new();
    for payload in payloads(pieces) {
        if let ValidPayload::Func(func, body) = validator.payload(&payload?)? {
            bodies.push((func, body));
        }
    }
    let functions = bodies.len();
    let check =
        |allocs: &mut FuncValidatorAllocations,
         (func, body): (FuncToValidate<ValidatorResources>, FunctionBody<'_>)| {
            let mut validator = func.into_validator(std::mem::take(allocs));
            validator.validate(&body)?;
            *allocs = validator.into_allocations();
            Ok::<(), Invalid>(())
        };
    let code: u64 = bodies
        .iter()
        .map(|(_, body)| body.range().end - body.range().start)
        .sum();
    if code < PARALLEL_FROM {
        // Starting the thread pool costs more than checking a little code on this thread.
        let mut allocs = FuncValidatorAllocations::default();
        for item in bodies {
            check(&mut allocs, item)?;
        }
    } else {
        bodies
            .into_par_iter()
            .try_for_each_init(FuncValidatorAllocations::default, check)?;
    }
    Ok(Validated {
        kind,
        size,
        functions,
        modules: 1,
    })
}

/// The payloads of a binary given as consecutive pieces (see [`validate_pieces`]), nested modules and components
/// included, as [`Parser::parse_all`] yields those of one slice.
fn payloads<'a>(
    pieces: &'a [&'a [u8]],
) -> impl Iterator<Item = std::result::Result<Payload<'a>, Invalid>> + 'a {
    let mut parser = Parser::new(0);
    parser.set_features(features());
    let mut stack = Vec::new();
    let mut piece = 0;
    let mut data: &[u8] = pieces.first().copied().unwrap_or_default();
    let mut offset = 0u64;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        loop {
            let last = piece + 1 >= pieces.len();
            match parser.parse(data, last) {
                Err(e) => {
                    done = true;
                    return Some(Err(e.into()));
                }
                Ok(Chunk::NeedMoreData(_)) if data.is_empty() && !last => {
                    piece += 1;
                    data = pieces[piece];
                }
                Ok(Chunk::NeedMoreData(_)) => {
                    done = true;
                    return Some(Err(Invalid {
                        offset: offset + data.len() as u64,
                        message: "a payload is cut by the end of a piece".to_owned(),
                    }));
                }
                Ok(Chunk::Parsed { consumed, payload }) => {
                    data = &data[consumed..];
                    offset += consumed as u64;
                    match &payload {
                        Payload::ModuleSection { parser: nested, .. }
                        | Payload::ComponentSection { parser: nested, .. } => {
                            stack.push(parser.clone());
                            parser = nested.clone();
                        }
                        Payload::End(_) => match stack.pop() {
                            Some(outer) => parser = outer,
                            None => done = true,
                        },
                        _ => {}
                    }
                    return Some(Ok(payload));
                }
            }
        }
    })
}

/// Reads and validates the file at `path` (a binary, or `.wat` text). The outer error is about reading the file;
/// the inner result is the verdict on its contents.
pub fn validate_file(path: &Path) -> Result<std::result::Result<Validated, Invalid>> {
    let bytes = read_file(path)?;
    if path.extension().is_some_and(|e| e == "wast") {
        return validate_script(path, &bytes);
    }
    let binary = wasm_bytes(path, &bytes)?;
    Ok(validate(&binary))
}

/// Validates every module and component a `.wast` script defines. `assert_invalid` and `assert_malformed`
/// modules are meant to fail, so they are skipped; an error names the line of the module at fault.
fn validate_script(path: &Path, bytes: &[u8]) -> Result<std::result::Result<Validated, Invalid>> {
    let text = std::str::from_utf8(bytes).map_err(|_| weld_files::Error::UnknownFormat {
        path: path.to_path_buf(),
        reason: "a `.wast` script must be UTF-8 text".into(),
    })?;
    let wat_err = |mut err: wast::Error| {
        err.set_path(path);
        err.set_text(text);
        Error::from(weld_files::Error::Wat {
            path: path.to_path_buf(),
            source: Box::new(err),
        })
    };
    let buf = wast::parser::ParseBuffer::new(text).map_err(wat_err)?;
    let script: wast::Wast<'_> = wast::parser::parse(&buf).map_err(wat_err)?;
    let mut total = Validated {
        kind: FileKind::Script,
        size: bytes.len(),
        functions: 0,
        modules: 0,
    };
    for directive in script.directives {
        let span = directive.span();
        let mut quoted = match directive {
            wast::WastDirective::Module(q) | wast::WastDirective::ModuleDefinition(q) => q,
            _ => continue,
        };
        let binary = quoted.encode().map_err(wat_err)?;
        let (line, _) = span.linecol_in(text);
        match validate(&binary) {
            Ok(v) => {
                total.functions += v.functions;
                total.modules += 1;
            }
            Err(Invalid { offset, message }) => {
                return Ok(Err(Invalid {
                    offset,
                    message: format!("in the module at line {}: {message}", line + 1),
                }));
            }
        }
    }
    Ok(Ok(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_modules() {
        let ok = wat::parse_str("(module (func (param i32) (result i32) local.get 0))").unwrap();
        let v = validate(&ok).unwrap();
        assert_eq!((v.kind, v.functions), (FileKind::Module, 1));

        let bad = wat::parse_str("(module (func (result i32) f32.const 1))").unwrap();
        let err = validate(&bad).unwrap_err();
        assert!(err.message.contains("type mismatch"), "{err}");
        assert!(err.offset > 8 && err.offset < bad.len() as u64);
    }

    #[test]
    fn wast_scripts_validate_each_module_and_skip_expected_failures() {
        let dir = std::env::temp_dir().join(format!("weld-wast-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.wast");
        std::fs::write(
            &good,
            "(module (func))\n(assert_invalid (module (func (result i32))) \"type mismatch\")\n\
             (module (func) (func))\n(assert_return (invoke \"f\") (i32.const 1))\n",
        )
        .unwrap();
        let v = validate_file(&good).unwrap().unwrap();
        assert_eq!((v.kind, v.modules, v.functions), (FileKind::Script, 2, 3));
        let bad = dir.join("bad.wast");
        std::fs::write(&bad, "(module (func))\n\n(module (func (result i32)))\n").unwrap();
        let err = validate_file(&bad).unwrap().unwrap_err();
        assert!(
            err.message
                .starts_with("in the module at line 3: type mismatch"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn components_with_nested_modules_validate() {
        let ok =
            wat::parse_str("(component (core module (func (result i32) i32.const 1)))").unwrap();
        assert_eq!(validate(&ok).unwrap().kind, FileKind::Component);
    }

    /// Where a nested module's contents start in a component of one nested module: after the 8-byte header, the
    /// section id and the one-byte length.
    fn nested_contents_start(component: &[u8]) -> usize {
        assert_eq!(component[8], 1, "a core module section first");
        10
    }

    #[test]
    fn pieces_cut_between_payloads_validate_as_the_whole_and_report_offsets_into_it() {
        let ok = wat::parse_str(
            "(component (core module (func (result i32) i32.const 1)) (core module (func)))",
        )
        .unwrap();
        let at = nested_contents_start(&ok);
        let whole = validate(&ok).unwrap();
        let (head, rest) = ok.split_at(at);
        let pieces = validate_pieces(&[head, &[], rest]).unwrap();
        assert_eq!(pieces, whole);
        assert_eq!((pieces.size, pieces.functions), (ok.len(), 2));

        let bad =
            wat::parse_str("(component (core module (func (result i32) f32.const 1)))").unwrap();
        let at = nested_contents_start(&bad);
        let (head, rest) = bad.split_at(at);
        assert_eq!(
            validate_pieces(&[head, rest]).unwrap_err(),
            validate(&bad).unwrap_err()
        );
    }

    #[test]
    fn a_payload_cut_by_a_piece_boundary_is_invalid_at_the_boundary() {
        let ok =
            wat::parse_str("(component (core module (func (result i32) i32.const 1)))").unwrap();
        let (head, rest) = ok.split_at(nested_contents_start(&ok) + 3);
        let err = validate_pieces(&[head, rest]).unwrap_err();
        assert_eq!(err.offset, head.len() as u64, "{err}");
        assert!(err.message.contains("cut by the end of a piece"), "{err}");
        assert!(validate_pieces(&[]).is_err());
    }

    #[test]
    fn truncations_are_invalid_and_none_panics() {
        let ok = wat::parse_str("(module (func (export \"f\") (result i32) i32.const 7))").unwrap();
        // A cut at a section boundary can leave a smaller valid module; a cut inside the header or the last
        // section cannot.
        let last_section_start = ok.len() - 4;
        for len in (0..8).chain(last_section_start..ok.len()) {
            assert!(
                validate(&ok[..len]).is_err(),
                "prefix of {len} bytes validated"
            );
        }
        for len in 8..last_section_start {
            let _ = validate(&ok[..len]);
        }
    }
}

//! Loading WIT from wherever it lives: a WIT directory (with `deps/`), a `.wit` file, a component, a core module
//! carrying `component-type` metadata, or a WIT package encoded as wasm.

use crate::error::{Error, Result};
use crate::guard::{caught, guarded};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use wasmparser::{Parser, Payload};
use weld_files::{looks_like_wat, not_wasm, read_file, wasm_bytes};
use wit_component::DecodedWasm;
use wit_parser::{InterfaceId, PackageId, Resolve, WorldId, WorldItem};

/// What kind of input the WIT came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A directory of `.wit` files, with an optional `deps/` folder.
    WitDirectory,
    /// A single `.wit` file.
    WitFile,
    /// A WIT package encoded as a WebAssembly binary.
    WitPackageBinary,
    /// A WebAssembly component: its WIT is the world it targets.
    Component,
    /// A core module with `component-type` custom sections (what `wit-bindgen` emits).
    CoreModule,
}

/// WIT that was loaded, with the package (and, for binaries, the world) it is about.
#[derive(Debug, Clone)]
pub struct WitSource {
    /// Where it was loaded from (a display name for in-memory input).
    pub path: PathBuf,
    /// What the input was.
    pub kind: SourceKind,
    /// Every package, interface, world and type that was resolved.
    pub resolve: Resolve,
    /// The main package: the one that was asked for, or `root:component` for a component.
    pub package: PackageId,
    /// The world this is about: the component's world, or the one chosen with [`WitSource::select_world`].
    pub world: Option<WorldId>,
    /// The packages to show, main first; by default every package in the order they were resolved.
    pub packages: Vec<PackageId>,
}

/// Which feature-gated items of WIT text to keep: those marked `@unstable(feature = NAME)` for the names given,
/// or all of them (`wasm-tools component wit --features` and `--all-features`). Items without a gate, and
/// `@since` ones, are always kept. WIT decoded from a binary is already resolved: features do not apply to it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    /// The features enabled.
    pub names: Vec<String>,
    /// Enable every feature.
    pub all: bool,
}

/// Loads WIT from `path`: a directory, a `.wit` file, a component, a core module with WIT metadata or WAT text.
pub fn load(path: &Path) -> Result<WitSource> {
    load_with(path, &Features::default())
}

/// [`load`], keeping the feature-gated items `features` enables.
pub fn load_with(path: &Path, features: &Features) -> Result<WitSource> {
    if path.is_dir() {
        return resolve_wit(
            path,
            SourceKind::WitDirectory,
            (None, features),
            |resolve| resolve.push_dir(path).map(|(package, _)| package),
        );
    }
    // Anything else, a missing path included, is read as a file, so errors name it the same way.
    WitSource::from_bytes_with(path, &read_file(path)?, features)
}

/// Runs one `push_*` of wit-parser on a fresh `Resolve`. A failure at a known place becomes a [`SourceError`]
/// pointing into the file at fault; `text` is the text pushed when it did not come from disk.
fn resolve_wit(
    path: &Path,
    kind: SourceKind,
    (text, features): (Option<&str>, &Features),
    push: impl FnOnce(&mut Resolve) -> anyhow::Result<PackageId>,
) -> Result<WitSource> {
    let mut resolve = Resolve {
        all_features: features.all,
        ..Resolve::default()
    };
    resolve.features.extend(features.names.iter().cloned());
    match caught(|| push(&mut resolve)) {
        Ok(Ok(package)) => match crate::wit_error::duplicate_names(&resolve, text) {
            Some(source) => Err(Error::Wit {
                path: path.to_path_buf(),
                source,
            }),
            None => Ok(WitSource::new(path, kind, resolve, package, None)),
        },
        Ok(Err(err)) => Err(Error::Wit {
            path: path.to_path_buf(),
            source: crate::wit_error::diagnose(&resolve, err, text),
        }),
        // The fuzz targets found WIT text that makes wit-parser panic (fixtures/regressions/README.md).
        Err(message) => Err(Error::LibraryPanic {
            path: path.to_path_buf(),
            library: "wit-parser",
            message,
        }),
    }
}

/// Whether `bytes` (a binary) are an encoded WIT package rather than a component with code: a component whose top
/// level imports nothing, exports only types (its worlds and interfaces, as component types), and holds no
/// module, component or instance. `wasm-tools component wit --wasm` and `wit_component::encode` write these; they
/// have nothing to run or to compose.
pub fn is_wit_package(bytes: &[u8]) -> bool {
    use wasmparser::{ComponentExternalKind, Payload};
    if !wasmparser::Parser::is_component(bytes) {
        return false;
    }
    let mut exports = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::ComponentImportSection(reader)) if reader.count() > 0 => return false,
            Ok(Payload::ComponentExportSection(reader)) => {
                for export in reader {
                    match export {
                        Ok(e) if e.kind == ComponentExternalKind::Type => exports += 1,
                        _ => return false,
                    }
                }
            }
            Ok(
                Payload::ModuleSection { .. }
                | Payload::ComponentSection { .. }
                | Payload::InstanceSection(_)
                | Payload::ComponentInstanceSection(_)
                | Payload::ComponentCanonicalSection(_),
            )
            | Err(_) => return false,
            Ok(_) => {}
        }
    }
    exports > 0
}

impl WitSource {
    fn new(
        path: &Path,
        kind: SourceKind,
        resolve: Resolve,
        package: PackageId,
        world: Option<WorldId>,
    ) -> WitSource {
        let packages = std::iter::once(package)
            .chain(
                resolve
                    .packages
                    .iter()
                    .map(|(id, _)| id)
                    .filter(|id| *id != package),
            )
            .collect();
        WitSource {
            path: path.to_path_buf(),
            kind,
            resolve,
            package,
            world,
            packages,
        }
    }

    /// Loads WIT from the bytes of a file named `path`: a binary, WAT text or WIT text.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<WitSource> {
        WitSource::from_bytes_with(path, bytes, &Features::default())
    }

    /// [`WitSource::from_bytes`], keeping the feature-gated items of WIT text that `features` enables.
    pub fn from_bytes_with(path: &Path, bytes: &[u8], features: &Features) -> Result<WitSource> {
        if bytes.is_empty() {
            return Err(weld_files::Error::Empty {
                path: path.to_path_buf(),
            }
            .into());
        }
        let is_wasm_name = path.extension().is_some_and(|e| e == "wasm");
        if !bytes.starts_with(b"\0asm") {
            if is_wasm_name {
                return Err(not_wasm(path, bytes).into());
            }
            if let Ok(text) = std::str::from_utf8(bytes)
                && !looks_like_wat(path, text)
            {
                return resolve_wit(
                    path,
                    SourceKind::WitFile,
                    (Some(text), features),
                    |resolve| resolve.push_str(path, text),
                );
            }
        }
        let binary = wasm_bytes(path, bytes)?;
        WitSource::from_binary(path, &binary)
    }

    /// Parses WIT text (one file, possibly with nested `package x:y { ... }` blocks).
    pub fn from_wit_text(path: impl AsRef<Path>, text: &str) -> Result<WitSource> {
        let path = path.as_ref();
        resolve_wit(
            path,
            SourceKind::WitFile,
            (Some(text), &Features::default()),
            |resolve| resolve.push_str(path, text),
        )
    }

    /// Decodes the WIT of a binary: a component, an encoded WIT package or a core module with metadata.
    pub fn from_binary(path: &Path, bytes: &[u8]) -> Result<WitSource> {
        let decode_err = |err: anyhow::Error| Error::Decode {
            path: path.to_path_buf(),
            source: err.into(),
        };
        if Parser::is_component(bytes) {
            return match guarded(path, || wit_component::decode(bytes))?.map_err(decode_err)? {
                DecodedWasm::Component(resolve, world) => {
                    let package = resolve.worlds[world]
                        .package
                        .expect("decoded worlds belong to a package");
                    Ok(WitSource::new(
                        path,
                        SourceKind::Component,
                        resolve,
                        package,
                        Some(world),
                    ))
                }
                DecodedWasm::WitPackage(resolve, package) => Ok(WitSource::new(
                    path,
                    SourceKind::WitPackageBinary,
                    resolve,
                    package,
                    None,
                )),
            };
        }
        if !Parser::is_core_wasm(bytes) {
            return Err(Error::Decode {
                path: path.to_path_buf(),
                source: header_problem(bytes).into(),
            });
        }
        if !has_component_type_section(bytes).map_err(|e| decode_err(e.into()))? {
            return Err(Error::NoWitMetadata {
                path: path.to_path_buf(),
            });
        }
        let (_, bindgen) =
            guarded(path, || wit_component::metadata::decode(bytes))?.map_err(decode_err)?;
        let package = bindgen.resolve.worlds[bindgen.world]
            .package
            .expect("decoded worlds belong to a package");
        Ok(WitSource::new(
            path,
            SourceKind::CoreModule,
            bindgen.resolve,
            package,
            Some(bindgen.world),
        ))
    }

    /// Narrows this WIT to one world: that world, the interfaces it reaches, and the packages holding them.
    ///
    /// `name` is a world of the main package (`store`) or a qualified one (`wasi:cli/command`).
    pub fn select_world(&self, name: &str) -> Result<WitSource> {
        let world = self
            .resolve
            .select_world(&[self.package], Some(name))
            .map_err(|err| Error::UnknownWorld {
                path: self.path.clone(),
                name: name.to_string(),
                available: self.world_names(),
                source: err.into(),
            })?;
        let keep = reachable_interfaces(&self.resolve, world);
        let mut resolve = self.resolve.clone();
        for (_, pkg) in resolve.packages.iter_mut() {
            pkg.worlds.retain(|_, w| *w == world);
            pkg.interfaces.retain(|_, i| keep.contains(i));
        }
        let package = resolve.worlds[world]
            .package
            .expect("resolved worlds belong to a package");
        let mut narrowed = WitSource::new(&self.path, self.kind, resolve, package, Some(world));
        let resolve = &narrowed.resolve;
        narrowed.packages.retain(|id| {
            *id == package
                || !resolve.packages[*id].interfaces.is_empty()
                || !resolve.packages[*id].worlds.is_empty()
        });
        Ok(narrowed)
    }

    /// Every world of every package shown, qualified (`ns:pkg/world@version`).
    pub fn world_names(&self) -> Vec<String> {
        self.packages
            .iter()
            .flat_map(|id| {
                let pkg = &self.resolve.packages[*id];
                pkg.worlds.keys().map(move |w| {
                    let mut name = format!("{}:{}/{w}", pkg.name.namespace, pkg.name.name);
                    if let Some(v) = &pkg.name.version {
                        name.push_str(&format!("@{v}"));
                    }
                    name
                })
            })
            .collect()
    }
}

/// Explains why a file with the `\0asm` magic is neither a module nor a component.
fn header_problem(bytes: &[u8]) -> String {
    if bytes.len() < 8 {
        return format!(
            "the header is truncated: {} bytes, a WebAssembly header has 8",
            bytes.len()
        );
    }
    let version: Vec<String> = bytes[4..8].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "unknown binary version/layer `{}` (expected `01 00 00 00` for a core module or `0d 00 01 00` for a component)",
        version.join(" ")
    )
}

fn has_component_type_section(bytes: &[u8]) -> Result<bool, wasmparser::BinaryReaderError> {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::CustomSection(section) = payload?
            && section.name().starts_with("component-type")
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The interfaces a world imports or exports, plus every interface those `use` types from, transitively.
fn reachable_interfaces(resolve: &Resolve, world: WorldId) -> HashSet<InterfaceId> {
    let w = &resolve.worlds[world];
    let mut stack: Vec<InterfaceId> = w
        .imports
        .values()
        .chain(w.exports.values())
        .filter_map(|item| match item {
            WorldItem::Interface { id, .. } => Some(*id),
            WorldItem::Type { id, .. } => resolve.type_interface_dep(*id),
            WorldItem::Function(_) => None,
        })
        .collect();
    let mut seen = HashSet::new();
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(resolve.interface_direct_deps(id));
        }
    }
    seen
}

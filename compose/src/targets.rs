//! Whether a component targets a world, as `wasm-tools component targets` and `wac targets` decide it: it imports
//! only what the world imports (by name or a semver-compatible version, the interfaces the world imports through
//! `use` included), each with a type the world's satisfies, and it exports everything the world exports, each
//! with a type that satisfies the world's. The verdict is wac-types' `validate_target`; what differs is told here
//! as data, both sides in WIT syntax, item by item (the near-miss diff of a composition's type mismatch).

use crate::diff::differences;
use crate::report::Difference;
use crate::request::Component;
use crate::typefmt::{Printer, TypeNames};
use serde::Serialize;
use std::collections::HashSet;
use wac_graph::types::{
    ExternKind, ItemKind, NameMap, NameMapNoIntern, Package, Type, Types, World, validate_target,
};
use weld_wit::{BoxError, WitSource};

/// How a component stands against a world.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Conformance {
    /// The world: `ns:pkg/world`.
    pub world: String,
    /// The component's imports the world does not have, in name order.
    pub extra_imports: Vec<String>,
    /// The world's exports the component lacks, in name order.
    pub missing_exports: Vec<MissingExport>,
    /// Imports and exports whose types differ from the world's, in name order.
    pub mismatches: Vec<Mismatch>,
}

impl Conformance {
    /// Whether the component targets the world: nothing extra, nothing missing, nothing different.
    pub fn conforms(&self) -> bool {
        self.extra_imports.is_empty()
            && self.missing_exports.is_empty()
            && self.mismatches.is_empty()
    }
}

/// An export the world requires.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct MissingExport {
    /// Its name.
    pub name: String,
    /// What the world exports under it, in WIT syntax.
    pub expected: String,
}

/// An item of both whose types differ.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Mismatch {
    /// Its name in the component.
    pub name: String,
    /// Whether it is an import or an export.
    pub side: Side,
    /// Each differing function or type: `expected` is the world's side, `found` the component's.
    pub differences: Vec<Difference>,
}

/// An import or an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// An import of the component.
    Import,
    /// An export of the component.
    Export,
}

/// Why a component could not be checked against a world.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The WIT has no world chosen: it defines none, or several and none was named.
    #[error(
        "`{}` {}",
        path.display(),
        match available.as_slice() {
            [] => "defines no world to check against".to_owned(),
            worlds => format!("defines several worlds ({}) and none was chosen", worlds.join(", ")),
        }
    )]
    NoWorld {
        /// The WIT's path.
        path: std::path::PathBuf,
        /// The worlds it defines.
        available: Vec<String>,
    },
    /// The component is a core module: a world is targeted by components.
    #[error("`{label}` is a core module, not a component")]
    CoreModule {
        /// The module's label.
        label: String,
    },
    /// The component is not a component wac-types can read.
    #[error("`{label}` cannot be read as a component")]
    Component {
        /// The component's label.
        label: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The WIT package could not be encoded or read back.
    #[error("the WIT of `{}` cannot be encoded", path.display())]
    Wit {
        /// The WIT's path.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: BoxError,
    },
}

/// Checks `component` against the world `wit` has chosen ([`WitSource::world`]).
///
/// # Errors
/// [`TargetError::NoWorld`] without a chosen world, [`TargetError::Wit`] when its package cannot be encoded,
/// [`TargetError::CoreModule`] for a core module, [`TargetError::Component`] when the component cannot be read.
pub fn targets(component: Component, wit: &WitSource) -> Result<Conformance, TargetError> {
    let world = wit.world.ok_or_else(|| TargetError::NoWorld {
        path: wit.path.clone(),
        available: wit.world_names(),
    })?;
    let wit_error = |source: BoxError| TargetError::Wit {
        path: wit.path.clone(),
        source,
    };
    let world_name = wit.resolve.worlds[world].name.clone();
    let world_text = wit.resolve.id_of_name(wit.package, &world_name);
    let encoded =
        wit_component::encode(&wit.resolve, wit.package).map_err(|e| wit_error(e.into()))?;
    let mut types = Types::default();
    let package =
        Package::from_bytes("wit", None, encoded, &mut types).map_err(|e| wit_error(e.into()))?;
    // An encoded WIT package exports each world as a type whose one export is the world as a component type.
    let world = match types[package.ty()].exports.get(&world_name) {
        Some(ItemKind::Type(Type::World(wrapper))) => {
            types[*wrapper].exports.values().next().copied()
        }
        _ => None,
    };
    let Some(ItemKind::Component(world)) = world else {
        return Err(wit_error(
            format!("the encoded package has no world `{world_name}`").into(),
        ));
    };
    let label = component.label;
    if wasmparser::Parser::is_core_wasm(&component.bytes) {
        return Err(TargetError::CoreModule { label });
    }
    let component = Package::from_bytes(&label, None, component.bytes, &mut types)
        .map_err(|e| TargetError::Component {
            label,
            source: e.into(),
        })?
        .ty();
    let mut conformance = Conformance {
        world: world_text,
        extra_imports: Vec::new(),
        missing_exports: Vec::new(),
        mismatches: Vec::new(),
    };
    let Err(report) = validate_target(&types, world, component) else {
        return Ok(conformance);
    };
    let (target, ours) = (&types[world], &types[component]);
    conformance.extra_imports = report.imports_not_in_target().map(str::to_owned).collect();
    let target_names = TypeNames::of(&types, &target.exports);
    conformance.missing_exports = report
        .missing_exports()
        .map(|(name, kind)| MissingExport {
            name: name.to_owned(),
            expected: Printer::new(&types, &target_names).item(kind.promote()),
        })
        .collect();
    let mut cache = HashSet::new();
    conformance.mismatches = report
        .mismatched_types()
        .filter_map(|(name, kind, error)| {
            let (side, theirs, mine) = match kind {
                ExternKind::Import => (
                    Side::Import,
                    imported(&types, target, name)?,
                    ours.imports.get(name)?,
                ),
                ExternKind::Export => (
                    Side::Export,
                    target.exports.get(name)?.promote(),
                    ours.exports.get(name)?,
                ),
            };
            let (their_items, my_items) = match side {
                Side::Import => (&target.imports, &ours.imports),
                Side::Export => (&target.exports, &ours.exports),
            };
            let (their_names, my_names) = (
                TypeNames::of(&types, their_items),
                TypeNames::of(&types, my_items),
            );
            let mut found = differences(
                &types,
                &mut cache,
                (theirs, &their_names),
                (*mine, &my_names),
            );
            // The item-by-item check may pass where the whole does not (a resource's identity): the subtype
            // check's own words then say why.
            for d in found.iter_mut().filter(|d| d.first.is_empty()) {
                d.first = format!("{error:#}");
            }
            Some(Mismatch {
                name: name.to_owned(),
                side,
                differences: found,
            })
        })
        .collect();
    Ok(conformance)
}

/// What the world imports under `name` (or a semver-compatible name), explicitly or through a `use`.
fn imported(types: &Types, world: &World, name: &str) -> Option<ItemKind> {
    let mut all = NameMap::default();
    for (import, kind) in world.implicit_imported_interfaces(types) {
        all.insert(import, &mut NameMapNoIntern, true, kind).ok()?;
    }
    for (import, kind) in &world.imports {
        all.insert(import, &mut NameMapNoIntern, true, *kind).ok()?;
    }
    all.get(name, &NameMapNoIntern)
        .map(|kind: &ItemKind| kind.promote())
}

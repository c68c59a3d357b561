//! What a composition did, import by import: the data behind the summary, `--explain`, `--json` and `--graph`.
//! Serialised as the stable JSON documented in docs/compose.md.

use serde::Serialize;

/// The whole wiring of one composition.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Every instance in the result, in the order they were reached (the root first).
    pub instances: Vec<Instance>,
    /// Components that were given but that nothing needed: left out of the result.
    pub unused: Vec<String>,
    /// Open imports of one interface at several compatible versions that became one import.
    pub merged: Vec<Merge>,
    /// The imports of the composed component.
    pub imports: Vec<String>,
    /// The exports of the composed component.
    pub exports: Vec<String>,
}

/// One instance of a component in the result, with the fate of each of its imports.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    /// The component it instantiates, as the user named it (a path, a name in a compose file, a `.wac` package).
    pub component: String,
    /// Its imports, in the component's order.
    pub imports: Vec<Import>,
}

/// One import of one instance.
#[derive(Debug, Clone, Serialize)]
pub struct Import {
    /// The import's name, e.g. `weld:examples/greeter@1.0.0`.
    pub name: String,
    /// What happened to it.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Every other component that exports something of this name, and why it was not used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<Candidate>,
}

/// What became of an import.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// Satisfied by an export of another instance.
    Plugged {
        /// The component whose instance provides it.
        by: String,
        /// The name of the export used (a newer compatible version when `rule` is `semver`); empty when a `.wac`
        /// document passes a whole instance.
        export: String,
        /// Why this export was chosen.
        rule: Rule,
    },
    /// Left as an import of the composed component.
    Open {
        /// Why nothing satisfies it.
        reason: OpenReason,
    },
    /// Could not be decided: the composition fails.
    Error {
        /// What is wrong.
        problem: Problem,
    },
}

/// Why an export was chosen for an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The export has the import's exact name.
    Exact,
    /// The export is the same interface at a semver-compatible version.
    Semver,
    /// The user wired it (`--wire` or a compose file's `[wire]`).
    Wire,
    /// The `.wac` file says so.
    Wac,
    /// A world-level type import that names a type of an interface a plug supplies (a world's `use
    /// types.{request};` beside `import types;`): it is given that type of the plug's export, so the two stay one
    /// type (the shape of wac#99, which wac and wasm-tools fail to compose). The export is written
    /// `interface.{type}`.
    TypeOfPlug,
}

/// Why an import stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OpenReason {
    /// No component exports anything of this name.
    NoExport,
    /// The interface holds only types (records, enums, variants, flags; no function, no resource): nothing needs
    /// to provide it, so it may stay open under `--closed` too, and any host satisfies it.
    TypesOnly,
    /// A value type imported on its own (a world's `type id = u32;`): a name for a type, which nothing needs to
    /// provide, so it may stay open under `--closed` too.
    Type,
    /// An interface of types alone whose types the component also imports on their own (a world's `use
    /// shapes.{purse};`): those imports stay open, so this one does too, whoever exports it, and needs no provider.
    TypesNamedByImports,
    /// Only the root exports it, and the root's exports never plug imports (its own or its plugs').
    RootExports,
    /// Components export this interface, but only at incompatible versions (listed in `rejected`).
    Version,
    /// The `.wac` file leaves it to be imported.
    NotWired,
}

/// A component that exports something an import could have taken.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// The component.
    pub component: String,
    /// Its export's name.
    pub export: String,
    /// Why it was not used.
    pub why: Rejection,
}

/// Why a component's export was not used for an import, as data (`{"kind": "version"}` in the JSON).
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
#[non_exhaustive]
pub enum Rejection {
    /// Its version is not semver-compatible with the import's (semver: another major, or another minor of a
    /// `0.x`).
    Version,
    /// It fits too: one of several exports that would do, none chosen.
    AlsoFits,
    /// Its types differ from the import's.
    Types {
        /// The first differing item.
        difference: Option<Difference>,
    },
}

/// Something that makes the composition fail at one import.
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
pub enum Problem {
    /// The only exports of this name have other types.
    TypeMismatch {
        /// The component whose export does not fit.
        component: String,
        /// Its export's name.
        export: String,
        /// Each differing item, both sides.
        differences: Vec<Difference>,
    },
    /// Several components could satisfy it.
    Ambiguous {
        /// The components, with the export each would give.
        candidates: Vec<Candidate>,
    },
    /// Satisfying it would make an instance need itself.
    Cycle {
        /// The components along the cycle, the first repeated at the end.
        path: Vec<String>,
    },
    /// A `--wire` names a component that does not export it.
    WireNoExport {
        /// The component named by the wire.
        component: String,
        /// What the component does export.
        exports: Vec<String>,
    },
    /// The import would stay open, but its type uses a resource of another import that a plug supplies: an
    /// import of the result cannot name a resource of an instance made inside it, so no valid encoding exists.
    SharedResource {
        /// The resource.
        resource: String,
        /// The import that defines it, which a plug supplies.
        defined_by: String,
        /// The plug that supplies it.
        plugged_by: String,
        /// Whether a `.wac` document did the wiring (the advice then speaks of the document, not of plugs).
        #[serde(skip)]
        in_wac: bool,
        /// Whether the import is a type (a world's `use` of the resource), which nothing can plug.
        #[serde(skip)]
        is_type: bool,
    },
}

/// One item whose types differ between an import and the export offered for it.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    /// The function or type inside the interface (`greet`), or empty when the import itself is the item.
    pub item: String,
    /// The importer's side, in WIT syntax.
    pub expected: String,
    /// The exporter's side, in WIT syntax; `None` (JSON `null`) when the exporter lacks the item.
    pub found: Option<String>,
    /// The first differing type, as the subtype check found it (`function result: expected string, found u32`).
    pub first: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.item.is_empty() {
            write!(f, "{}: ", self.item)?;
        }
        match &self.found {
            Some(found) => write!(f, "expected {}, found {found}", self.expected),
            None => write!(
                f,
                "expected {}, found nothing: it is missing",
                self.expected
            ),
        }
    }
}

/// Several open imports merged into one.
#[derive(Debug, Clone, Serialize)]
pub struct Merge {
    /// The import that remains (the newest version).
    pub into: String,
    /// The older names it replaces.
    pub from: Vec<String>,
}

impl Problem {
    /// The problem's kind as the JSON names it (its `kind`): `type-mismatch`, `ambiguous`, `cycle`,
    /// `wire-no-export`, `shared-resource`.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::TypeMismatch { .. } => "type-mismatch",
            Problem::Ambiguous { .. } => "ambiguous",
            Problem::Cycle { .. } => "cycle",
            Problem::WireNoExport { .. } => "wire-no-export",
            Problem::SharedResource { .. } => "shared-resource",
        }
    }
}

impl Report {
    /// Every (consumer, import, problem) that makes the composition fail.
    pub fn problems(&self) -> impl Iterator<Item = (&str, &str, &Problem)> {
        self.instances.iter().flat_map(|i| {
            i.imports.iter().filter_map(move |imp| match &imp.outcome {
                Outcome::Error { problem } => {
                    Some((i.component.as_str(), imp.name.as_str(), problem))
                }
                _ => None,
            })
        })
    }

    /// The edges of the instance graph: (provider, consumer, interfaces wired), in a stable order.
    pub fn edges(&self) -> Vec<(&str, &str, Vec<&str>)> {
        let mut edges: Vec<(&str, &str, Vec<&str>)> = Vec::new();
        for instance in &self.instances {
            for import in &instance.imports {
                if let Outcome::Plugged { by, .. } = &import.outcome {
                    let consumer = instance.component.as_str();
                    match edges
                        .iter_mut()
                        .find(|(p, c, _)| *p == by.as_str() && *c == consumer)
                    {
                        Some((_, _, names)) => names.push(&import.name),
                        None => edges.push((by, consumer, vec![&import.name])),
                    }
                }
            }
        }
        edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problems_kind_is_the_one_its_json_names() {
        let problems = [
            Problem::TypeMismatch {
                component: "c".into(),
                export: "e".into(),
                differences: Vec::new(),
            },
            Problem::Ambiguous {
                candidates: Vec::new(),
            },
            Problem::Cycle { path: Vec::new() },
            Problem::WireNoExport {
                component: "c".into(),
                exports: Vec::new(),
            },
            Problem::SharedResource {
                resource: "r".into(),
                defined_by: "d".into(),
                plugged_by: "p".into(),
                in_wac: false,
                is_type: false,
            },
        ];
        for problem in problems {
            let json = serde_json::to_value(&problem).unwrap();
            assert_eq!(json["kind"], problem.kind());
        }
    }
}

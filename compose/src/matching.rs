//! Matching imports to exports. Depth-first from the root: each import is given to the one component that exports
//! it (same name, or a semver-compatible version whose type is a subtype of the import's), that component is
//! instantiated (once, shared by everyone who needs it) and its own imports are matched in turn. Every decision is
//! recorded in the [`Report`], problems included, so that all of them can be shown at once.

use crate::diff::differences;
use crate::encode::Loaded;
use crate::error::{ComposeError, RequestError};
use crate::names::{self, Relation};
use crate::report::{
    Candidate, Difference, Import, Instance, OpenReason, Outcome, Problem, Rejection, Rule,
};
use crate::typefmt::TypeNames;
use std::collections::{HashMap, HashSet};
use wac_graph::types::{ItemKind, SubtypeChecker, Type, Types, World};
use wac_graph::{CompositionGraph, NodeId, PackageId};

/// An explicit wiring: imports named `import` (exactly, or without their version) go to component `component`.
#[derive(Debug, Clone)]
pub(crate) struct Wire {
    /// An import name, with or without its version.
    pub(crate) import: String,
    /// The index of the component (0 is the root).
    pub(crate) component: usize,
}

impl Wire {
    fn applies_to(&self, import: &str) -> bool {
        self.import == import || names::split(import).0 == self.import
    }
}

/// The outcome of matching: the instances made, in the order they were reached, with their wiring.
pub(crate) struct Matched {
    /// (graph node, report row) of every instance; the root's is first.
    pub(crate) instances: Vec<(NodeId, Instance)>,
    /// Components that nothing needed.
    pub(crate) unused: Vec<String>,
    /// Exports of interfaces that hold only types and plugged an import: (providing instance, export name). The
    /// result re-exports them, since the types of what it exports must be nameable from outside.
    pub(crate) type_exports: Vec<(NodeId, String)>,
}

enum State {
    Unvisited,
    InProgress,
    Done(NodeId),
}

/// What to do with one import.
enum Decision {
    Plug {
        provider: usize,
        export: String,
        rule: Rule,
    },
    Open(OpenReason),
    Fail(Problem),
}

struct Matcher<'a> {
    graph: &'a mut CompositionGraph,
    /// Every plug export by its unversioned name: (plug, export name), plugs in order. Matching looks here, so
    /// that each import costs the few exports of its name, not a scan of every plug.
    exports: HashMap<String, Vec<(usize, String)>>,
    packages: &'a [PackageId],
    /// Each component as weld's encoder reads it, in the order of `packages`.
    loaded: &'a [Loaded],
    labels: &'a [String],
    wires: &'a [Wire],
    used_wires: Vec<bool>,
    state: Vec<State>,
    stack: Vec<usize>,
    instances: Vec<(NodeId, Instance)>,
    type_exports: Vec<(NodeId, String)>,
    cache: HashSet<(ItemKind, ItemKind)>,
}

/// Instantiates the root (component 0) and, transitively, every component that satisfies an import.
pub(crate) fn run(
    graph: &mut CompositionGraph,
    (packages, loaded): (&[PackageId], &[Loaded]),
    labels: &[String],
    wires: &[Wire],
) -> Result<Matched, ComposeError> {
    let mut exports: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    for (plug, package) in packages.iter().enumerate().skip(1) {
        for name in graph.types()[graph[*package].ty()].exports.keys() {
            exports
                .entry(names::split(name).0.to_owned())
                .or_default()
                .push((plug, name.clone()));
        }
    }
    let mut m = Matcher {
        graph,
        exports,
        packages,
        loaded,
        labels,
        wires,
        used_wires: vec![false; wires.len()],
        state: packages.iter().map(|_| State::Unvisited).collect(),
        stack: Vec::new(),
        instances: Vec::new(),
        type_exports: Vec::new(),
        cache: HashSet::new(),
    };
    m.visit(0)?;
    crate::resources::mark_shared(m.graph, &mut m.instances, false);
    if let Some(i) = m.used_wires.iter().position(|used| !used) {
        let wire = &wires[i];
        return Err(RequestError::WireUnused {
            import: wire.import.clone(),
            component: labels[wire.component].clone(),
        }
        .into());
    }
    let unused = m
        .state
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s, State::Unvisited))
        .map(|(i, _)| labels[i].clone())
        .collect();
    Ok(Matched {
        instances: m.instances,
        unused,
        type_exports: m.type_exports,
    })
}

/// Whether `kind` is an interface of value types alone (no function, no resource): it needs no provider, and a
/// plug that supplies it supplies only names for types.
fn types_only(types: &Types, kind: ItemKind) -> bool {
    match kind {
        ItemKind::Instance(id) => types[id]
            .exports
            .values()
            .all(|item| matches!(item, ItemKind::Type(Type::Value(_)))),
        _ => false,
    }
}

impl Matcher<'_> {
    fn world(&self, component: usize) -> &World {
        &self.graph.types()[self.graph[self.packages[component]].ty()]
    }

    fn visit(&mut self, component: usize) -> Result<NodeId, ComposeError> {
        let node = self.graph.instantiate(self.packages[component]);
        self.graph
            .set_node_name(node, self.labels[component].clone());
        self.state[component] = State::InProgress;
        self.stack.push(component);
        let slot = self.instances.len();
        self.instances.push((
            node,
            Instance {
                component: self.labels[component].clone(),
                imports: Vec::new(),
            },
        ));
        let imports: Vec<(String, ItemKind)> = self
            .world(component)
            .imports
            .iter()
            .map(|(name, kind)| (name.clone(), *kind))
            .collect();
        // The argument each plugged import was given, for the type imports that name its types.
        let mut plugged: HashMap<String, (usize, String, NodeId)> = HashMap::new();
        for (name, kind) in imports {
            if let Some(outcome) = self.type_of_plug(component, node, &name, &plugged)? {
                self.instances[slot].1.imports.push(Import {
                    name,
                    outcome,
                    rejected: Vec::new(),
                });
                continue;
            }
            let (decision, rejected) = self.decide(component, &name, kind);
            let outcome = match decision {
                Decision::Plug {
                    provider,
                    export,
                    rule,
                } => {
                    let types_only = types_only(self.graph.types(), kind);
                    let outcome = self.plug(node, &name, provider, export.clone(), rule)?;
                    if let Some(arg) = self
                        .graph
                        .get_instantiation_arguments(node)
                        .find(|(n, _)| *n == name)
                    {
                        plugged.insert(name.clone(), (provider, export.clone(), arg.1));
                    }
                    if let (true, State::Done(provider_node)) = (types_only, &self.state[provider])
                        && !self.type_exports.iter().any(|(_, e)| *e == export)
                    {
                        self.type_exports.push((*provider_node, export));
                    }
                    outcome
                }
                Decision::Open(reason) => Outcome::Open { reason },
                Decision::Fail(problem) => Outcome::Error { problem },
            };
            self.instances[slot].1.imports.push(Import {
                name,
                outcome,
                rejected,
            });
        }
        self.stack.pop();
        self.state[component] = State::Done(node);
        Ok(node)
    }

    /// Plugs a world-level type import of `consumer` (its instance `node`) that names a type of an interface
    /// already plugged (`plugged`: import name to provider, export and the argument given): with that type of the
    /// provider's export. `None` for any other import.
    fn type_of_plug(
        &mut self,
        consumer: usize,
        node: NodeId,
        import: &str,
        plugged: &HashMap<String, (usize, String, NodeId)>,
    ) -> Result<Option<Outcome>, ComposeError> {
        let loaded = &self.loaded[consumer];
        let Some(wasmparser::component_types::ComponentEntityType::Type { referenced, .. }) =
            loaded.import(import)
        else {
            return Ok(None);
        };
        let Some((interface, Some(ty))) = loaded.owner(referenced).cloned() else {
            return Ok(None);
        };
        let Some((provider, export, arg)) = plugged.get(&interface) else {
            return Ok(None);
        };
        let alias = self
            .graph
            .alias_instance_export(*arg, &ty)
            .map_err(ComposeError::graph)?;
        self.graph
            .set_instantiation_argument(node, import, alias)
            .map_err(ComposeError::graph)?;
        Ok(Some(Outcome::Plugged {
            by: self.labels[*provider].clone(),
            export: format!("{export}.{{{ty}}}"),
            rule: Rule::TypeOfPlug,
        }))
    }

    /// Wires `import` of `consumer` to `export` of `provider`'s instance, instantiating the provider first if this
    /// is the first time it is needed; a provider still being matched means a cycle.
    fn plug(
        &mut self,
        consumer: NodeId,
        import: &str,
        provider: usize,
        export: String,
        rule: Rule,
    ) -> Result<Outcome, ComposeError> {
        let provider_node = match self.state[provider] {
            State::Done(node) => node,
            State::Unvisited => self.visit(provider)?,
            State::InProgress => {
                let start = self.stack.iter().position(|c| *c == provider).unwrap_or(0);
                let mut path: Vec<String> = self.stack[start..]
                    .iter()
                    .map(|c| self.labels[*c].clone())
                    .collect();
                path.push(self.labels[provider].clone());
                return Ok(Outcome::Error {
                    problem: Problem::Cycle { path },
                });
            }
        };
        let alias = self
            .graph
            .alias_instance_export(provider_node, &export)
            .map_err(ComposeError::graph)?;
        self.graph
            .set_instantiation_argument(consumer, import, alias)
            .map_err(ComposeError::graph)?;
        Ok(Outcome::Plugged {
            by: self.labels[provider].clone(),
            export,
            rule,
        })
    }

    /// Chooses the export for `import` (of kind `kind`) of `consumer`: an explicit wire first, otherwise the one
    /// component whose export fits. Also returns the candidates that were turned down.
    fn decide(
        &mut self,
        consumer: usize,
        import: &str,
        kind: ItemKind,
    ) -> (Decision, Vec<Candidate>) {
        // A wire never plugs the wired component into itself: a forwarding plug that imports and exports one
        // interface, wired to take an import, keeps its own import to be plugged by the usual rules.
        if let Some(i) = self
            .wires
            .iter()
            .position(|w| w.applies_to(import) && w.component != consumer)
        {
            self.used_wires[i] = true;
            let provider = self.wires[i].component;
            return (
                self.decide_wired(consumer, provider, import, kind),
                Vec::new(),
            );
        }
        if self.types_named_by_type_imports(consumer, import, kind) {
            return (Decision::Open(OpenReason::TypesNamedByImports), Vec::new());
        }
        let mut fits = Vec::new();
        let mut mismatches = Vec::new();
        let mut rejected = Vec::new();
        let mut providers: Vec<usize> = self
            .exports
            .get(names::split(import).0)
            .map(|e| e.iter().map(|(plug, _)| *plug).collect())
            .unwrap_or_default();
        providers.dedup();
        for provider in providers {
            if provider == consumer {
                continue;
            }
            let Some((export, relation)) = self.best_export(provider, import) else {
                continue;
            };
            let rule = match relation {
                Relation::Exact => Rule::Exact,
                Relation::Compatible(_) => Rule::Semver,
                Relation::Incompatible | Relation::Unrelated => {
                    rejected.push(Candidate {
                        component: self.labels[provider].clone(),
                        export,
                        why: Rejection::Version,
                    });
                    continue;
                }
            };
            match self.check(consumer, kind, provider, &export) {
                Ok(()) => fits.push((provider, export, rule)),
                Err(differences) => mismatches.push((provider, export, differences)),
            }
        }
        let mut mismatches = mismatches.into_iter();
        let decision = match fits.len() {
            1 => {
                let (provider, export, rule) = fits.pop().expect("one fit");
                Decision::Plug {
                    provider,
                    export,
                    rule,
                }
            }
            0 => match mismatches.next() {
                Some((provider, export, differences)) => Decision::Fail(Problem::TypeMismatch {
                    component: self.labels[provider].clone(),
                    export,
                    differences,
                }),
                // Types alone need no provider, whatever versions are on offer (`--closed` allows them).
                None if rejected.is_empty() || types_only(self.graph.types(), kind) => {
                    Decision::Open(self.why_open(import, kind))
                }
                None => Decision::Open(OpenReason::Version),
            },
            _ => Decision::Fail(Problem::Ambiguous {
                candidates: fits
                    .into_iter()
                    .map(|(provider, export, _)| Candidate {
                        component: self.labels[provider].clone(),
                        export,
                        why: Rejection::AlsoFits,
                    })
                    .collect(),
            }),
        };
        rejected.extend(mismatches.map(|(provider, export, differences)| Candidate {
            component: self.labels[provider].clone(),
            export,
            why: Rejection::Types {
                difference: differences.into_iter().next(),
            },
        }));
        (decision, rejected)
    }

    fn decide_wired(
        &mut self,
        consumer: usize,
        provider: usize,
        import: &str,
        kind: ItemKind,
    ) -> Decision {
        match self.best_export(provider, import) {
            Some((export, Relation::Exact | Relation::Compatible(_))) => {
                match self.check(consumer, kind, provider, &export) {
                    Ok(()) => Decision::Plug {
                        provider,
                        export,
                        rule: Rule::Wire,
                    },
                    Err(differences) => Decision::Fail(Problem::TypeMismatch {
                        component: self.labels[provider].clone(),
                        export,
                        differences,
                    }),
                }
            }
            _ => Decision::Fail(Problem::WireNoExport {
                component: self.labels[provider].clone(),
                exports: self.world(provider).exports.keys().cloned().collect(),
            }),
        }
    }

    /// Whether `kind` is an interface of types alone some of whose types `consumer` imports on their own, at the
    /// world level (`use shapes.{purse};` in a world). Those type imports stay open, and an import of the result
    /// cannot name a type of an instance inside it, so the interface stays open too (the component model has no
    /// other way to say `purse` is that instance's type; the validator says `type not valid to be used as import`).
    fn types_named_by_type_imports(&self, consumer: usize, import: &str, kind: ItemKind) -> bool {
        types_only(self.graph.types(), kind) && self.loaded[consumer].named_by_type_imports(import)
    }

    /// Why an import nothing plugs stays open: it needs nothing, or only the root has it, or nobody does.
    fn why_open(&self, import: &str, kind: ItemKind) -> OpenReason {
        if types_only(self.graph.types(), kind) {
            return OpenReason::TypesOnly;
        }
        if let ItemKind::Type(Type::Value(_)) = kind {
            return OpenReason::Type;
        }
        let root_has = self.world(0).exports.keys().any(|export| {
            matches!(
                names::relate(import, export),
                Relation::Exact | Relation::Compatible(_)
            )
        });
        if root_has {
            OpenReason::RootExports
        } else {
            OpenReason::NoExport
        }
    }

    /// The export of `provider` that best matches `import`: the same name, else the newest semver-compatible
    /// version, else (to explain why it does not fit) any other version of the same interface.
    fn best_export(&self, provider: usize, import: &str) -> Option<(String, Relation)> {
        let mut best: Option<(String, Relation)> = None;
        let same_interface = self.exports.get(names::split(import).0);
        let candidates = same_interface
            .into_iter()
            .flatten()
            .filter(|(plug, _)| *plug == provider)
            .map(|(_, name)| name);
        for name in candidates {
            let relation = names::relate(import, name);
            let better = match (&relation, &best) {
                (Relation::Unrelated, _) => false,
                (Relation::Exact, _) => return Some((name.clone(), relation)),
                (_, None) => true,
                (Relation::Compatible(v), Some((_, Relation::Compatible(w)))) => v > w,
                (Relation::Compatible(_), Some((_, Relation::Incompatible))) => true,
                _ => false,
            };
            if better {
                best = Some((name.clone(), relation));
            }
        }
        best
    }

    /// Whether `export` of `provider` may be passed for an import of type `expected`; if not, what differs.
    fn check(
        &mut self,
        consumer: usize,
        expected: ItemKind,
        provider: usize,
        export: &str,
    ) -> Result<(), Vec<Difference>> {
        let graph = &*self.graph;
        let types = graph.types();
        let world = |c: usize| &types[graph[self.packages[c]].ty()];
        let found = world(provider).exports[export];
        if SubtypeChecker::new(&mut self.cache)
            .is_subtype(found, types, expected, types)
            .is_ok()
        {
            return Ok(());
        }
        let expected_names = TypeNames::of(types, &world(consumer).imports);
        let found_names = TypeNames::of(types, &world(provider).exports);
        Err(differences(
            types,
            &mut self.cache,
            (expected, &expected_names),
            (found, &found_names),
        ))
    }
}

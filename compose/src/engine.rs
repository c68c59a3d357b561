//! Composing from a root and plugs: load each into the graph, match, then finish.

use crate::composition::Composition;
use crate::encode::Loaded;
use crate::error::{ComposeError, RequestError};
use crate::labels::file_and_stem;
use crate::matching;
use crate::report::Report;
use crate::request::{Component, Options};
use wac_graph::CompositionGraph;
use wac_graph::types::{ItemKind, Package, Type, World};

/// Composes `root` with whichever of `plugs` its imports need, transitively. The result exports what `root`
/// exports and imports whatever stays open. Plugs nothing needs are left out and listed in [`Report::unused`].
///
/// # Errors
/// [`ComposeError::Load`] for an input that is not a component, [`ComposeError::Request`] for wires that name
/// nothing, [`ComposeError::Unresolved`] when an import cannot be decided (each problem is in the report), and
/// the errors of finishing: [`ComposeError::ImportConflict`], [`ComposeError::Closed`], [`ComposeError::Encode`],
/// [`ComposeError::Invalid`].
pub fn compose(
    root: Component,
    plugs: Vec<Component>,
    options: &Options,
) -> Result<Composition, ComposeError> {
    let mut graph = CompositionGraph::new();
    let mut labels = Vec::with_capacity(plugs.len() + 1);
    let mut names = Vec::with_capacity(plugs.len() + 1);
    let mut packages = Vec::with_capacity(plugs.len() + 1);
    let mut loaded = Vec::with_capacity(plugs.len() + 1);
    for component in std::iter::once(root).chain(plugs) {
        if labels.contains(&component.label) {
            return Err(RequestError::Twice(component.label).into());
        }
        let read =
            Loaded::read(&component.label, &component.bytes).map_err(|e| ComposeError::Load {
                label: component.label.clone(),
                source: e.into(),
            });
        let package =
            Package::from_bytes(&component.label, None, component.bytes, graph.types_mut())
                .map_err(|e| ComposeError::Load {
                    label: component.label.clone(),
                    source: e.into(),
                })?;
        if is_wit_package(&graph.types()[package.ty()]) {
            return Err(ComposeError::WitPackage {
                label: component.label,
            });
        }
        packages.push(
            graph
                .register_package(package)
                .map_err(ComposeError::graph)?,
        );
        loaded.push(read?);
        labels.push(component.label);
        names.push(component.name);
    }
    let wires = options
        .wires
        .iter()
        .map(|(import, target)| {
            Ok(matching::Wire {
                import: import.clone(),
                component: find_component(&labels, &names, target)?,
            })
        })
        .collect::<Result<Vec<_>, RequestError>>()?;
    let matched = matching::run(&mut graph, (&packages, &loaded), &labels, &wires)?;
    let root = matched.instances[0].0;
    let type_exports = matched.type_exports;
    let report = Report {
        instances: matched.instances.into_iter().map(|(_, i)| i).collect(),
        unused: matched.unused,
        ..Report::default()
    };
    if report.problems().next().is_some() {
        return Err(ComposeError::Unresolved(Box::new(report)));
    }
    if labels.len() > 1 && report.instances.len() == 1 {
        return Err(ComposeError::NothingToCompose(Box::new(report)));
    }
    let names = packages.iter().copied().zip(names).collect();
    let loaded = packages.into_iter().zip(loaded).collect();
    let matched = crate::finish::Matched {
        root,
        type_exports: &type_exports,
        loaded,
        names,
    };
    crate::finish::finish_plugged(graph, report, matched, options)
}

/// Whether a package is an encoded WIT package rather than a component: no imports, and exports that are all
/// component types (worlds), the test wit-parser's decoder applies. It has types and no code, so composing it
/// would wrap nothing runnable.
pub(crate) fn is_wit_package(world: &World) -> bool {
    world.imports.is_empty()
        && !world.exports.is_empty()
        && world
            .exports
            .values()
            .all(|item| matches!(item, ItemKind::Type(Type::World(_))))
}

/// The plug a wire names: by its label, the label's last path segment, or the component's short name
/// (`greeter.wasm` or `greeter` for `dir/greeter.wasm`; `greeter:1.0` or `greeter` for
/// `oci://host/demo/greeter:1.0` named `greeter`), as long as that is unambiguous. The root cannot be wired to.
fn find_component(
    labels: &[String],
    names: &[String],
    target: &str,
) -> Result<usize, RequestError> {
    // A plug named exactly as given wins over others whose file name or stem only match (`a.wasm` beside
    // `../a.wasm`): that is the path as given, which the ambiguity error asks for.
    if let Some(exact) = (1..labels.len()).find(|&i| labels[i] == target) {
        return Ok(exact);
    }
    let hits: Vec<usize> = (1..labels.len())
        .filter(|&i| file_and_stem(&labels[i]).0 == target || names[i] == target)
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] if labels.first().is_some_and(|root| root == target)
            || names.first().is_some_and(|root| root == target) =>
        {
            Err(RequestError::WireToRoot(target.to_owned()))
        }
        [] => Err(RequestError::WireToNothing {
            target: target.to_owned(),
            plugs: labels[1..].to_vec(),
        }),
        _ => Err(RequestError::WireAmbiguous {
            target: target.to_owned(),
            candidates: hits.iter().map(|i| labels[*i].clone()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::find_component;
    use crate::error::RequestError;

    /// Regression: with plugs `a.wasm` and `../a.wasm`, the suggested `--wire ...=a.wasm` was refused as
    /// ambiguous, though it is one plug's path as given.
    #[test]
    fn a_wire_to_a_path_as_given_is_not_ambiguous() {
        let labels = ["root.wasm", "a.wasm", "../a.wasm"].map(String::from);
        let names = ["root", "a", "a"].map(String::from);
        assert_eq!(find_component(&labels, &names, "a.wasm").ok(), Some(1));
        assert_eq!(find_component(&labels, &names, "../a.wasm").ok(), Some(2));
        assert!(matches!(
            find_component(&labels, &names, "a"),
            Err(RequestError::WireAmbiguous { .. })
        ));
        assert!(matches!(
            find_component(&labels, &names, "root"),
            Err(RequestError::WireToRoot(_))
        ));
    }
}

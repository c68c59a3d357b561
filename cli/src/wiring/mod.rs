//! Renderings of a composition's wiring report ([`weld_compose::Report`]) for people: the summary and
//! `--explain` table in the terminal's palette, and the instance graph as Graphviz or Mermaid.

pub mod explain;
pub mod graphviz;

/// Warns of each plug the composition left out (none of its exports was needed): `weld compose`, and `weld run`
/// and `weld serve` with `--plug`.
pub fn warn_unused_plugs(unused: &[String]) {
    for plug in unused {
        crate::report::warn(&format!(
            "plug {plug} was not used: none of its exports was needed"
        ));
    }
}

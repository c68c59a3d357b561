//! Renderings of a composition's wiring report ([`weld_compose::Report`]) for people: the summary and
//! `--explain` table in the terminal's palette, and the instance graph as Graphviz or Mermaid.

pub mod explain;
pub mod graphviz;

//! The instance graph of a composition as Graphviz `dot` or a Mermaid flowchart: one node per instance, one edge
//! from provider to consumer labelled with the interfaces wired between them.

use weld_compose::Report;

/// A graph language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphviz (`dot -Tsvg graph.dot`).
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// Renders the instance graph of `report` in `format`.
pub fn render(report: &Report, format: Format) -> String {
    let index = |label: &str| {
        report
            .instances
            .iter()
            .position(|i| i.component == label)
            .unwrap_or(usize::MAX)
    };
    let mut out = String::new();
    match format {
        Format::Dot => {
            out.push_str("digraph composition {\n  rankdir=LR;\n  node [shape=box];\n");
            for (i, instance) in report.instances.iter().enumerate() {
                out.push_str(&format!(
                    "  n{i} [label=\"{}\"];\n",
                    dot_escape(&instance.component)
                ));
            }
            for (provider, consumer, names) in report.edges() {
                out.push_str(&format!(
                    "  n{} -> n{} [label=\"{}\"];\n",
                    index(provider),
                    index(consumer),
                    dot_escape(&names.join("\n"))
                ));
            }
            out.push_str("}\n");
        }
        Format::Mermaid => {
            out.push_str("flowchart LR\n");
            for (i, instance) in report.instances.iter().enumerate() {
                out.push_str(&format!(
                    "  n{i}[\"{}\"]\n",
                    mermaid_escape(&instance.component)
                ));
            }
            for (provider, consumer, names) in report.edges() {
                out.push_str(&format!(
                    "  n{} -->|\"{}\"| n{}\n",
                    index(provider),
                    mermaid_escape(&names.join("<br>")),
                    index(consumer)
                ));
            }
        }
    }
    out
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use weld_compose::{Import, Instance, Outcome, Rule};

    fn report() -> Report {
        let plugged = |name: &str, by: &str| Import {
            name: name.into(),
            outcome: Outcome::Plugged {
                by: by.into(),
                export: name.into(),
                rule: Rule::Exact,
            },
            rejected: Vec::new(),
        };
        Report {
            instances: vec![
                Instance {
                    component: "app.wasm".into(),
                    imports: vec![plugged("a:b/c", "lib.wasm"), plugged("a:b/d", "lib.wasm")],
                },
                Instance {
                    component: "lib.wasm".into(),
                    imports: Vec::new(),
                },
            ],
            ..Report::default()
        }
    }

    #[test]
    fn dot_has_one_edge_per_pair_with_every_interface() {
        let dot = render(&report(), Format::Dot);
        assert!(dot.starts_with("digraph composition {"), "{dot}");
        assert!(dot.contains("n0 [label=\"app.wasm\"]"), "{dot}");
        assert!(dot.contains("n1 -> n0 [label=\"a:b/c\\na:b/d\"]"), "{dot}");
        assert_eq!(dot.matches("->").count(), 1);
    }

    #[test]
    fn mermaid_is_a_flowchart() {
        let mermaid = render(&report(), Format::Mermaid);
        assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
        assert!(
            mermaid.contains("n1 -->|\"a:b/c<br>a:b/d\"| n0"),
            "{mermaid}"
        );
    }
}

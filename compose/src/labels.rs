//! How components and instances are named: in messages, by the label the user gave; in the output, by the
//! component's short name (a path's stem unless the caller names it).

use wac_graph::{CompositionGraph, NodeId};

/// The file name and stem of a label read as a path: `greeter.wasm` and `greeter` for `dir/greeter.wasm` (or
/// `dir\\greeter.wasm`), `app` twice for `app`.
pub(crate) fn file_and_stem(label: &str) -> (&str, &str) {
    let file = label.rsplit(['/', '\\']).next().unwrap_or(label);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    (file, stem)
}

/// How messages name an instance of the graph: the name it was given (the component's label, or a `.wac`
/// variable), else its package's name.
pub(crate) fn instance_label(graph: &CompositionGraph, node: NodeId) -> String {
    let n = &graph[node];
    n.name()
        .map(str::to_owned)
        .or_else(|| n.package().map(|p| graph[p].name().to_owned()))
        .unwrap_or_else(|| format!("instance {node}"))
}

#[cfg(test)]
mod tests {
    use super::file_and_stem;

    #[test]
    fn stems_drop_the_folder_and_the_extension() {
        assert_eq!(
            file_and_stem("dir/greeter.wasm"),
            ("greeter.wasm", "greeter")
        );
        assert_eq!(file_and_stem("c:\\x\\app.wat"), ("app.wat", "app"));
        assert_eq!(file_and_stem("app"), ("app", "app"));
    }
}

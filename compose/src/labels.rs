//! How components and instances are named: in messages, by the label the user gave; in the output, by the label's
//! stem.

use wac_graph::{CompositionGraph, NodeId};

/// The file name and stem of a component's label: `greeter.wasm` and `greeter` for `dir/greeter.wasm`,
/// `greeter:1.0` and `greeter` for `oci://host/demo/greeter:1.0`, and the directory's name twice for an OCI
/// layout's `oci:build/greeter:1.0` (skopeo's syntax: the first `:` ends the directory).
pub(crate) fn file_and_stem(label: &str) -> (&str, &str) {
    if let Some(rest) = label
        .strip_prefix("oci:")
        .filter(|_| !label.starts_with("oci://"))
    {
        let dir = rest.split([':', '@']).next().unwrap_or(rest);
        let dir = dir.trim_end_matches('/');
        let name = dir.rsplit('/').next().unwrap_or(dir);
        return (name, name);
    }
    let file = label.rsplit(['/', '\\']).next().unwrap_or(label);
    let stem = if label.starts_with("oci://") {
        file.split([':', '@']).next().unwrap_or(file)
    } else {
        file.rsplit_once('.').map_or(file, |(s, _)| s)
    };
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
    fn layouts_are_named_after_their_directory() {
        assert_eq!(
            file_and_stem("oci:build/greeter:1.0"),
            ("greeter", "greeter")
        );
        assert_eq!(file_and_stem("oci:back:v2"), ("back", "back"));
        assert_eq!(file_and_stem("oci:/abs/x/@sha256:00"), ("x", "x"));
    }

    #[test]
    fn stems_drop_the_folder_the_extension_and_the_tag() {
        assert_eq!(
            file_and_stem("dir/greeter.wasm"),
            ("greeter.wasm", "greeter")
        );
        assert_eq!(
            file_and_stem("oci://host:5000/demo/greeter:1.0"),
            ("greeter:1.0", "greeter")
        );
        assert_eq!(
            file_and_stem("oci://host/demo/greeter@sha256:ab"),
            ("greeter@sha256:ab", "greeter")
        );
        assert_eq!(file_and_stem("app"), ("app", "app"));
    }
}

//! What to compose and how: the inputs and the options.

/// A component to compose: its bytes, the label the user knows it by, and its short name.
#[derive(Debug, Clone)]
pub struct Component {
    /// How the user named it: the path as given, a registry reference, or its name in a compose file. Used in
    /// every message and in the [`Report`](crate::Report).
    pub label: String,
    /// Its short name (`greeter`): what a wire may call it besides its label, and the name of its instance in the
    /// output, so the bytes do not depend on where the component was read from. [`Component::new`] takes the
    /// label's file stem; a caller whose labels are not paths (a registry reference) gives it with
    /// [`Component::named`].
    pub name: String,
    /// The component binary.
    pub bytes: Vec<u8>,
}

impl Component {
    /// A component labelled `label`, named after the label as a path: `greeter` for `dir/greeter.wasm`.
    pub fn new(label: impl Into<String>, bytes: Vec<u8>) -> Component {
        let label = label.into();
        Component {
            name: crate::labels::file_and_stem(&label).1.to_owned(),
            label,
            bytes,
        }
    }

    /// The same component under the short name `name`.
    pub fn named(self, name: impl Into<String>) -> Component {
        Component {
            name: name.into(),
            ..self
        }
    }
}

/// Which imports may stay open in the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Closed {
    /// Any import may stay open.
    #[default]
    No,
    /// Only `wasi:*` imports may stay open (`--closed`).
    NonWasi,
    /// No import may stay open (`--closed=all`).
    All,
}

impl Closed {
    /// What the policy closes the composition to, as [`ComposeError::Closed`](crate::ComposeError::Closed)'s
    /// message words it: `closing the composition to every import`.
    pub fn describe(self) -> &'static str {
        match self {
            Closed::All => "closing the composition to every import",
            _ => "closing the composition to imports other than WASI",
        }
    }
}

/// How to compose, besides what.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Explicit wiring: (import name with or without its version, the plug that provides it, named by its label,
    /// its file name or its stem).
    pub wires: Vec<(String, String)>,
    /// Which imports may stay open.
    pub closed: Closed,
    /// Keep open imports that differ only by a semver-compatible version apart (`--no-merge-imports`) instead
    /// of merging them into one import of the newest.
    pub no_merge_imports: bool,
}

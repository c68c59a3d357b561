//! What comes back from a composition: the composed component, held in pieces, and how it was made.

use crate::encode::Spliced;
use crate::report::Report;
use std::io::Write;
use wac_graph::{CompositionGraph, PackageId};

/// A composed component and how it was made.
///
/// The component is held as it was made, never in one buffer: weld's own sections with the input components
/// between them, as they were read. Writing it ([`Composition::write_to`]) streams the pieces, so composing two
/// 20 MB components holds their 40 MB once, not a second time for the result (docs/performance.md).
#[derive(Debug)]
pub struct Composition {
    /// The wiring, import by import.
    pub report: Report,
    /// For a `.wac` document, the packages it was composed from, in its order: `ns:name[@version]` and the
    /// SHA-256 of the bytes read (`sha256:<hex>`; a WIT folder's as encoded). Empty for other compositions, whose
    /// inputs the caller gave.
    pub packages: Vec<(String, String)>,
    pub(crate) component: Pieces,
}

impl Composition {
    /// The composed component's size in bytes.
    pub fn size(&self) -> u64 {
        self.pieces().map(|piece| piece.len() as u64).sum()
    }

    /// The composed component's bytes in order, in pieces (some empty): the component is their concatenation.
    /// It was validated, with the features of `weld validate`, before the composition was returned.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.component.pieces()
    }

    /// Writes the composed component to `out`, piece by piece.
    ///
    /// # Errors
    /// The first error `out` gives.
    pub fn write_to(&self, out: &mut dyn Write) -> std::io::Result<()> {
        self.pieces().try_for_each(|piece| out.write_all(piece))
    }

    /// The composed component in one buffer (a copy of every input it holds).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(usize::try_from(self.size()).unwrap_or_default());
        self.pieces()
            .for_each(|piece| bytes.extend_from_slice(piece));
        bytes
    }
}

/// A composed component's bytes: weld's own, cut where each input component goes.
pub(crate) struct Pieces {
    /// The composition without its inputs.
    own: Vec<u8>,
    /// Where each input goes, in order: (offset in `own`, which input).
    cuts: Vec<(usize, usize)>,
    /// The graph, which holds the inputs' bytes in its packages.
    graph: CompositionGraph,
    /// The inputs an index of `cuts` names: a package of the graph, or (past their end) `explicit`.
    packages: Vec<PackageId>,
    /// The component of a `.wac` document's explicit imports, when it has some.
    explicit: Option<Vec<u8>>,
}

impl Pieces {
    /// What the encoder wrote, with the input `cuts[i].1` put at `cuts[i].0`: inputs `0..packages.len()` are the
    /// packages' bytes (in [`Plan::components`](crate::encode::Plan) order), the next is `explicit`.
    pub(crate) fn new(
        Spliced { own, cuts }: Spliced,
        graph: CompositionGraph,
        packages: Vec<PackageId>,
        explicit: Option<Vec<u8>>,
    ) -> Pieces {
        Pieces {
            own,
            cuts,
            graph,
            packages,
            explicit,
        }
    }

    /// The bytes in order (see [`Composition::pieces`]).
    pub(crate) fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let tail = self.cuts.last().map_or(0, |&(at, _)| at);
        let mut from = 0;
        self.cuts
            .iter()
            .flat_map(move |&(at, which)| {
                let own = &self.own[from..at];
                from = at;
                [own, self.input(which)]
            })
            .chain([&self.own[tail..]])
    }

    /// The bytes of input `which`: a package of the graph, or (past them) the explicit imports' component.
    fn input(&self, which: usize) -> &[u8] {
        match self.packages.get(which) {
            Some(&package) => self.graph[package].bytes(),
            None => self.explicit.as_deref().unwrap_or_default(),
        }
    }
}

impl std::fmt::Debug for Pieces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pieces")
            .field("own", &self.own.len())
            .field("cuts", &self.cuts)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Component, Options, compose};

    /// The composed component holds each input once: the pieces between weld's own bytes are the inputs' bytes
    /// where the graph keeps them, not copies; writing, copying and measuring it agree.
    #[test]
    fn the_inputs_are_pieces_of_the_result_not_copies() {
        let fixture = |name: &str| weld_fixtures::build(name).unwrap();
        let (app, greeter) = (fixture("app"), fixture("greeter"));
        let composed = compose(
            Component::new("app.wasm", app.clone()),
            vec![Component::new("greeter.wasm", greeter.clone())],
            &Options::default(),
        )
        .unwrap();
        let held: Vec<*const u8> = composed
            .component
            .packages
            .iter()
            .map(|&p| composed.component.graph[p].bytes().as_ptr())
            .collect();
        let pieces: Vec<&[u8]> = composed.pieces().collect();
        for input in [&app, &greeter] {
            let piece = pieces
                .iter()
                .find(|piece| *piece == input)
                .expect("each input is one piece");
            assert!(held.contains(&piece.as_ptr()), "a copy of an input");
        }
        let bytes = composed.to_bytes();
        assert_eq!(bytes.len() as u64, composed.size());
        assert_eq!(bytes, pieces.concat());
        let mut written = Vec::new();
        composed.write_to(&mut written).unwrap();
        assert_eq!(written, bytes);
        weld_wit::validate(&bytes).unwrap();
    }
}

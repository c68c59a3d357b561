//! Why an export does not fit an import, item by item, both sides in WIT syntax.

use crate::report::Difference;
use crate::typefmt::{Printer, TypeNames};
use std::collections::HashSet;
use wac_graph::types::{ItemKind, SubtypeChecker, Types};

/// The differences between an import of type `expected` and an export of type `found` that fails the subtype
/// check. For instances, one entry per function or type that is missing or differs; otherwise one entry for the
/// item itself. Each side's type names come with it.
pub(crate) fn differences(
    types: &Types,
    cache: &mut HashSet<(ItemKind, ItemKind)>,
    expected: (ItemKind, &TypeNames),
    found: (ItemKind, &TypeNames),
) -> Vec<Difference> {
    let (ItemKind::Instance(want), ItemKind::Instance(have)) = (expected.0, found.0) else {
        return vec![difference(types, cache, String::new(), expected, found)];
    };
    let (want, have) = (&types[want], &types[have]);
    let want_names = TypeNames::of(types, &want.exports);
    let have_names = TypeNames::of(types, &have.exports);
    let mut out = Vec::new();
    for (item, kind) in &want.exports {
        match have.exports.get(item) {
            None => out.push(Difference {
                item: item.clone(),
                expected: Printer::new(types, &want_names).item(*kind),
                found: None,
                first: String::new(),
            }),
            Some(other) => {
                if SubtypeChecker::new(cache)
                    .is_subtype(*other, types, *kind, types)
                    .is_err()
                {
                    out.push(difference(
                        types,
                        cache,
                        item.clone(),
                        (*kind, &want_names),
                        (*other, &have_names),
                    ));
                }
            }
        }
    }
    if out.is_empty() {
        // The exports all fit one by one, so the instance types differ as wholes; say what the checker says.
        out.push(difference(types, cache, String::new(), expected, found));
    }
    out
}

fn difference(
    types: &Types,
    cache: &mut HashSet<(ItemKind, ItemKind)>,
    item: String,
    expected: (ItemKind, &TypeNames),
    found: (ItemKind, &TypeNames),
) -> Difference {
    let first = match SubtypeChecker::new(cache).is_subtype(found.0, types, expected.0, types) {
        Ok(()) => String::new(),
        Err(err) => format!("{err:#}").replace("mismatched type for ", ""),
    };
    Difference {
        item,
        expected: Printer::new(types, expected.1).item(expected.0),
        found: Some(Printer::new(types, found.1).item(found.0)),
        first,
    }
}

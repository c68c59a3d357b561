//! The composition's own imports: every import of an instance that no argument satisfies, plus each import whose
//! types such an import uses (imported for those types alone, as wac does: WIT can only name a type of an
//! interface the world imports). Imports of one name become one; unless versions are kept apart, so do imports
//! of one interface at versions on one semver track (the newest name wins). The merged import offers the union
//! of what its importers want, and each importer must accept what it is given: wac-types' subtype check decides.

use super::load::{Key, Loaded};
use super::plan::Plan;
use crate::names;
use std::collections::{HashMap, HashSet};
use wac_types::are_semver_compatible;
use wasmparser::component_types::{
    ComponentAnyTypeId, ComponentDefinedType, ComponentEntityType, ComponentValType,
};
use wasmparser::types::Types;

/// One import of an instance that the composition imports.
#[derive(Clone, Debug)]
pub(crate) struct Wanted {
    /// The component (an index into [`Plan::components`]).
    pub(crate) component: usize,
    /// The import's name in that component.
    pub(crate) name: String,
    /// The first instance that wants it (an index into [`Plan::instances`]), or `None` for an explicit import.
    pub(crate) importer: Option<usize>,
    /// Whether it is open (no argument), rather than imported for the types another open import uses.
    pub(crate) open: bool,
}

/// One import of the composition.
#[derive(Clone, Debug)]
pub(crate) struct Import {
    /// Its name: the newest version among those merged.
    pub(crate) name: String,
    /// What it is made of: the newest version's first, then in the order they were met.
    pub(crate) wanted: Vec<Wanted>,
    /// The other imports it must come after (their types are used): indexes into [`Imports::list`].
    pub(crate) after: Vec<usize>,
}

/// The composition's imports.
pub(crate) struct Imports {
    /// The imports, in the order they are encoded: instances first, each after the imports it uses types of.
    pub(crate) list: Vec<Import>,
    /// Which import each (component, import name) became.
    by_wanted: HashMap<(usize, String), usize>,
    /// The imports in the order they were met (open imports first, by instance in graph order).
    met: Vec<usize>,
}

/// Why two imports cannot become one.
pub(crate) struct Conflict {
    /// The import met first.
    pub(crate) first: Wanted,
    /// The one that conflicts with it.
    pub(crate) second: Wanted,
    /// What the subtype check said.
    pub(crate) source: anyhow::Error,
}

impl Imports {
    /// Which import of the composition an instance's import `name` (of `component`) is.
    pub(crate) fn of(&self, component: usize, name: &str) -> Option<usize> {
        self.by_wanted.get(&(component, name.to_owned())).copied()
    }

    /// The imports as a report lists them: the open imports in the order they were met (each instance's, in
    /// graph order), then those imported for their types alone, in the order they are written.
    pub(crate) fn reported(&self) -> impl Iterator<Item = &Import> {
        let open = |import: &&Import| import.wanted.iter().any(|w| w.open);
        let met = self.met.iter().map(|i| &self.list[*i]).filter(open);
        met.chain(self.list.iter().filter(move |i| !open(i)))
    }

    /// Works out the imports of `plan`. `check` tells whether an item offered for one import (component, name,
    /// export within it or `None` for the whole item) satisfies another; it is given (offered, wanted).
    pub(crate) fn of_plan(
        plan: &Plan<'_>,
        loaded: &[Loaded],
        no_merge_imports: bool,
        check: &mut dyn FnMut(Item<'_>, Item<'_>) -> anyhow::Result<()>,
    ) -> Result<Imports, Conflict> {
        let wanted = wanted(plan, loaded);
        // Group by name, then (unless kept apart) by semver track.
        let mut groups: Vec<(String, Vec<Wanted>)> = Vec::new();
        for w in wanted {
            let at = groups.iter().position(|(name, _)| {
                *name == w.name || !no_merge_imports && are_semver_compatible(name, &w.name)
            });
            match at {
                Some(at) => {
                    if newer(&w.name, &groups[at].0) {
                        groups[at].0 = w.name.clone();
                    }
                    groups[at].1.push(w);
                }
                None => groups.push((w.name.clone(), vec![w])),
            }
        }
        let mut list = Vec::with_capacity(groups.len());
        let mut by_wanted = HashMap::new();
        for (name, mut wanted) in groups {
            // The newest version's first (stable: otherwise in the order met).
            wanted.sort_by_key(|w| std::cmp::Reverse(names::split(&w.name).1));
            check_group(&wanted, loaded, check)?;
            for w in &wanted {
                by_wanted.insert((w.component, w.name.clone()), list.len());
            }
            list.push(Import {
                name,
                wanted,
                after: Vec::new(),
            });
        }
        let met = (0..list.len()).collect();
        let mut imports = Imports {
            list,
            by_wanted,
            met,
        };
        imports.order(loaded);
        Ok(imports)
    }

    /// Fills in [`Import::after`] and puts the list in encoding order: instances first, then the rest, each after
    /// what it uses, otherwise in the order met.
    fn order(&mut self, loaded: &[Loaded]) {
        for i in 0..self.list.len() {
            let mut after = Vec::new();
            for w in &self.list[i].wanted {
                let l = &loaded[w.component];
                for used in uses(l, &w.name) {
                    if let Some(j) = self.of(w.component, &used)
                        && j != i
                        && !after.contains(&j)
                    {
                        after.push(j);
                    }
                }
            }
            self.list[i].after = after;
        }
        let is_instance = |import: &Import| {
            let w = &import.wanted[0];
            matches!(
                loaded[w.component].import(&w.name),
                Some(ComponentEntityType::Instance(_))
            )
        };
        let mut order = Vec::with_capacity(self.list.len());
        let mut placed = vec![false; self.list.len()];
        let firsts: Vec<usize> = (0..self.list.len())
            .filter(|i| is_instance(&self.list[*i]))
            .chain((0..self.list.len()).filter(|i| !is_instance(&self.list[*i])))
            .collect();
        for start in firsts {
            self.place(start, &mut placed, &mut order, &mut HashSet::new());
        }
        let mut old: Vec<Option<Import>> = std::mem::take(&mut self.list)
            .into_iter()
            .map(Some)
            .collect();
        let new_index: HashMap<usize, usize> = order
            .iter()
            .enumerate()
            .map(|(new, old)| (*old, new))
            .collect();
        for old_index in &order {
            if let Some(mut import) = old.get_mut(*old_index).and_then(Option::take) {
                import.after = import
                    .after
                    .iter()
                    .filter_map(|a| new_index.get(a).copied())
                    .collect();
                self.list.push(import);
            }
        }
        for slot in self.by_wanted.values_mut().chain(self.met.iter_mut()) {
            *slot = new_index.get(slot).copied().unwrap_or(*slot);
        }
    }

    /// Places import `i` after everything it uses (a use in a cycle is left to the encoder, which reports it).
    fn place(
        &self,
        i: usize,
        placed: &mut [bool],
        order: &mut Vec<usize>,
        path: &mut HashSet<usize>,
    ) {
        if placed[i] || !path.insert(i) {
            return;
        }
        for &dep in &self.list[i].after {
            self.place(dep, placed, order, path);
        }
        path.remove(&i);
        if !placed[i] {
            placed[i] = true;
            order.push(i);
        }
    }
}

/// One item compared by the merge check: an import of a component, or one export of that import's instance.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item<'a> {
    /// The component.
    pub(crate) component: usize,
    /// The import.
    pub(crate) import: &'a str,
    /// The export of the import's instance, or `None` for the whole import.
    pub(crate) export: Option<&'a str>,
}

/// Checks that each wanted import accepts what the merged import offers for each of its exports: the first
/// that offered it.
fn check_group<'a>(
    wanted: &'a [Wanted],
    loaded: &[Loaded],
    check: &mut dyn FnMut(Item<'_>, Item<'_>) -> anyhow::Result<()>,
) -> Result<(), Conflict> {
    let item = |w: &'a Wanted, export| Item {
        component: w.component,
        import: &w.name,
        export,
    };
    let conflict = |first: &Wanted, second: &Wanted, source| Conflict {
        first: first.clone(),
        second: second.clone(),
        source,
    };
    let instance = |w: &Wanted| match loaded[w.component].import(&w.name) {
        Some(ComponentEntityType::Instance(id)) => Some(id),
        _ => None,
    };
    let Some(head) = wanted.first() else {
        return Ok(());
    };
    let mut offered: HashMap<&str, &Wanted> = HashMap::new();
    for w in wanted {
        let Some(id) = instance(w) else {
            // Not an instance: the whole item must fit what the first importer was given.
            if !std::ptr::eq(w, head) {
                check(item(head, None), item(w, None)).map_err(|e| conflict(head, w, e))?;
            }
            continue;
        };
        if instance(head).is_none() {
            check(item(head, None), item(w, None)).map_err(|e| conflict(head, w, e))?;
        }
        for (export, entry) in &loaded[w.component].types[id].exports {
            let Some(first) = offered.get(export.as_str()).copied() else {
                offered.insert(export, w);
                continue;
            };
            check(item(first, Some(export)), item(w, Some(export)))
                .map_err(|e| conflict(first, w, e))?;
            // A type both take from elsewhere must come from the same interface in both (at versions the merge
            // makes one): the merged import can take it from only one.
            if let ComponentEntityType::Type { referenced, .. } = entry.ty
                && let Some(ComponentEntityType::Instance(first_id)) =
                    loaded[first.component].import(&first.name)
                && let Some(ComponentEntityType::Type {
                    referenced: first_referenced,
                    ..
                }) = loaded[first.component].types[first_id]
                    .exports
                    .get(export)
                    .map(|e| e.ty)
            {
                let origin = |w: &Wanted, id| {
                    loaded[w.component]
                        .owner(id)
                        .map(|(owner, _)| names::split(owner).0.to_owned())
                        .filter(|owner| *owner != names::split(&w.name).0)
                };
                let (a, b) = (origin(first, first_referenced), origin(w, referenced));
                if a != b {
                    let from = |o: &Option<String>| match o {
                        Some(owner) => format!("interface `{owner}`"),
                        None => "the interface itself".to_owned(),
                    };
                    return Err(conflict(
                        first,
                        w,
                        anyhow::anyhow!(
                            "type `{export}` comes from {} for one importer and from {} for the other",
                            from(&a),
                            from(&b)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether version `a` is newer than version `b` (same interface).
fn newer(a: &str, b: &str) -> bool {
    names::split(a).1 > names::split(b).1
}

/// The open imports of every instance, then the imports whose types they use, transitively.
fn wanted(plan: &Plan<'_>, loaded: &[Loaded]) -> Vec<Wanted> {
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut seen: HashSet<(usize, String)> = HashSet::new();
    let mut in_graph_order: Vec<(usize, &super::plan::Instance)> =
        plan.instances.iter().enumerate().collect();
    in_graph_order.sort_by_key(|(_, instance)| instance.node);
    for (i, instance) in in_graph_order {
        for name in &loaded[instance.component].imports {
            let given = instance.args.iter().any(|(arg, _)| arg == name);
            if !given && seen.insert((instance.component, name.clone())) {
                wanted.push(Wanted {
                    component: instance.component,
                    name: name.clone(),
                    importer: Some(i),
                    open: true,
                });
            }
        }
    }
    if let Some(explicit) = plan.explicit {
        for name in &loaded[explicit].imports {
            if seen.insert((explicit, name.clone())) {
                wanted.push(Wanted {
                    component: explicit,
                    name: name.clone(),
                    importer: None,
                    open: true,
                });
            }
        }
    }
    let mut at = 0;
    while at < wanted.len() {
        let w = wanted[at].clone();
        for used in uses(&loaded[w.component], &w.name) {
            if seen.insert((w.component, used.clone())) {
                wanted.push(Wanted {
                    component: w.component,
                    name: used,
                    importer: w.importer,
                    open: false,
                });
            }
        }
        at += 1;
    }
    wanted
}

/// The other imports of a component whose types its import `name` uses.
fn uses(loaded: &Loaded, name: &str) -> Vec<String> {
    let mut walk = Uses {
        loaded,
        this: name,
        visited: HashSet::new(),
        found: Vec::new(),
    };
    if let Some(ty) = loaded.import(name) {
        walk.entity(ty);
    }
    walk.found
}

/// A walk over the types of one import, collecting the other imports that define types it names.
struct Uses<'a> {
    loaded: &'a Loaded,
    /// The import walked.
    this: &'a str,
    visited: HashSet<Key>,
    found: Vec<String>,
}

impl Uses<'_> {
    fn entity(&mut self, ty: ComponentEntityType) {
        match ty {
            ComponentEntityType::Instance(id) => {
                for item in self.loaded.types[id].exports.values() {
                    self.entity(item.ty);
                }
            }
            ComponentEntityType::Type { referenced, .. } => self.any(referenced),
            ComponentEntityType::Func(id) => self.any(ComponentAnyTypeId::Func(id)),
            ComponentEntityType::Value(v) => self.val(v),
            ComponentEntityType::Component(_) | ComponentEntityType::Module(_) => {}
        }
    }

    fn any(&mut self, id: ComponentAnyTypeId) {
        if !self.visited.insert(Key::Id(id)) {
            return;
        }
        if let Some((owner, _)) = self.loaded.owner(id)
            && owner != self.this
        {
            if !self.found.contains(owner) {
                self.found.push(owner.clone());
            }
            return;
        }
        let types: &Types = &self.loaded.types;
        match id {
            ComponentAnyTypeId::Func(f) => {
                let func = &types[f];
                for (_, v) in func.params.iter() {
                    self.val(*v);
                }
                if let Some(v) = func.result {
                    self.val(v);
                }
            }
            ComponentAnyTypeId::Defined(d) => {
                for v in children(&types[d]) {
                    self.val(v);
                }
                if let ComponentDefinedType::Own(r) | ComponentDefinedType::Borrow(r) = &types[d] {
                    self.any(ComponentAnyTypeId::Resource(*r));
                }
            }
            ComponentAnyTypeId::Instance(i) => {
                for item in types[i].exports.values() {
                    self.entity(item.ty);
                }
            }
            ComponentAnyTypeId::Resource(_) | ComponentAnyTypeId::Component(_) => {}
        }
    }

    fn val(&mut self, v: ComponentValType) {
        if let ComponentValType::Type(d) = v {
            self.any(ComponentAnyTypeId::Defined(d));
        }
    }
}

/// The value types a defined type is made of.
pub(crate) fn children(ty: &ComponentDefinedType) -> Vec<ComponentValType> {
    match ty {
        ComponentDefinedType::Primitive(_)
        | ComponentDefinedType::Flags(_)
        | ComponentDefinedType::Enum(_)
        | ComponentDefinedType::Own(_)
        | ComponentDefinedType::Borrow(_) => Vec::new(),
        ComponentDefinedType::Record(r) => r.fields.values().copied().collect(),
        ComponentDefinedType::Variant(v) => v.cases.values().filter_map(|c| c.ty).collect(),
        ComponentDefinedType::List { element, .. }
        | ComponentDefinedType::FixedLengthList { element, .. } => vec![*element],
        ComponentDefinedType::Map { key, value, .. } => vec![*key, *value],
        ComponentDefinedType::Tuple(t) => t.types.to_vec(),
        ComponentDefinedType::Option { ty, .. } => vec![*ty],
        ComponentDefinedType::Result { ok, err, .. } => {
            ok.iter().chain(err.iter()).copied().collect()
        }
        ComponentDefinedType::Future { ty, .. } | ComponentDefinedType::Stream { ty, .. } => {
            ty.iter().copied().collect()
        }
    }
}

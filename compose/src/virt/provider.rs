//! A provider generated from the component's own imports: the world that exports what the policy decides
//! (wit-parser's `Resolve::exportize`, so names and versions are the component's, from WASI 0.2.0 to 0.2.12 and
//! beyond, with no table of versions), a core module whose functions give the decided answers, and the component
//! wit-component encodes from them. The approach is componentize-qjs's `stubwasi` and Spin's environment
//! isolator (spin#3400), with answers instead of traps wherever the WIT has a way to say no.

use super::family::Family;
use super::layout::{Data, Value};
use super::module::{Body, CoreModule, Export, Import};
use super::{Policy, VirtError};
use indexmap::IndexMap;
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::{
    Function, FunctionKind, InterfaceId, LiftLowerAbi, ManglingAndAbi, Resolve, SizeAlign, Type,
    TypeDefKind, WasmExport, WasmExportKind, WasmImport, WorldId, WorldItem, WorldKey,
};

/// What the provider does for one interface the component imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// A root of a denied family: each call answers as an ungranted host would.
    Deny(Family),
    /// Every call traps: a stubbed family, or an interface of a decided family that only a root's handles
    /// reach.
    Trap(Family),
    /// `wasi:cli/environment` with the policy's variables (and arguments, if fixed).
    Env,
}

impl Role {
    pub(super) fn family(self) -> Family {
        match self {
            Role::Deny(f) | Role::Trap(f) => f,
            Role::Env => Family::Env,
        }
    }

    /// What its calls do, in a word: `denied`, `stubbed` or `fixed`. An interface of a denied family that only
    /// the family's roots hand out handles for traps, but counts as denied: nothing can call it.
    pub(super) fn does(self) -> &'static str {
        match self {
            Role::Deny(_) => "denied",
            Role::Trap(family) if family.decision() == Some(super::Decision::Deny) => "denied",
            Role::Trap(_) => "stubbed",
            Role::Env => "fixed",
        }
    }

    fn says(self) -> &'static str {
        match self {
            Role::Deny(_) => "denied by weld virt",
            Role::Trap(_) => "stubbed by weld virt: it traps",
            Role::Env => "fixed by weld virt",
        }
    }
}

/// The provider, and which of the component's imports it provides.
pub(super) struct Provider {
    pub(super) component: Vec<u8>,
    /// Each import it provides (`wasi:filesystem/preopens@0.2.3`), with what it does.
    pub(super) provides: Vec<(String, Role)>,
}

const MANGLING: ManglingAndAbi = ManglingAndAbi::Legacy(LiftLowerAbi::Sync);

/// The family of a WASI interface, from its package.
fn family_of(resolve: &Resolve, id: InterfaceId) -> Option<(Family, String)> {
    let iface = &resolve.interfaces[id];
    let package = &resolve.packages[iface.package?].name;
    let name = iface.name.clone()?;
    if package.namespace != "wasi" {
        return None;
    }
    Some((Family::of_interface(&package.name, &name)?, name))
}

/// The role `policy` gives the interface `id`, if any.
pub(super) fn role_of(resolve: &Resolve, id: InterfaceId, policy: &Policy) -> Option<Role> {
    let (family, name) = family_of(resolve, id)?;
    if policy.stub.contains(&family) {
        return Some(Role::Trap(family));
    }
    if policy.deny.contains(&family) && family.is_root(&name) {
        return Some(Role::Deny(family));
    }
    let fixes_env = policy.env.is_some() || policy.args.is_some();
    (family == Family::Env && fixes_env && family.is_root(&name)).then_some(Role::Env)
}

/// Chooses the imports of `world` the policy decides: its roots, then every other import that uses one of them
/// (an import cannot stay with the host while the types it uses come from the provider).
///
/// # Errors
/// [`VirtError::Entangled`] when such an import belongs to no family the policy decides.
fn choose(
    resolve: &Resolve,
    world: WorldId,
    policy: &Policy,
) -> Result<IndexMap<WorldKey, (InterfaceId, Role)>, VirtError> {
    let imports = &resolve.worlds[world].imports;
    let mut chosen: IndexMap<WorldKey, (InterfaceId, Role)> = imports
        .iter()
        .filter_map(|(key, item)| match item {
            WorldItem::Interface { id, .. } => {
                Some((key.clone(), (*id, role_of(resolve, *id, policy)?)))
            }
            _ => None,
        })
        .collect();
    loop {
        let moved: Vec<InterfaceId> = chosen.values().map(|(id, _)| *id).collect();
        let user = imports.iter().find_map(|(key, item)| match item {
            WorldItem::Interface { id, .. } if !chosen.contains_key(key) => resolve
                .interface_direct_deps(*id)
                .find(|dep| moved.contains(dep))
                .map(|dep| (key.clone(), *id, dep)),
            _ => None,
        });
        let Some((key, id, used)) = user else {
            return Ok(chosen);
        };
        let family = family_of(resolve, id).map(|(f, _)| f);
        match family.filter(|f| policy.deny.contains(f) || policy.stub.contains(f)) {
            Some(family) => {
                chosen.insert(key, (id, Role::Trap(family)));
            }
            None => {
                return Err(VirtError::Entangled {
                    import: resolve.name_world_key(&key),
                    family,
                    uses: interface_name(resolve, used),
                });
            }
        }
    }
}

fn interface_name(resolve: &Resolve, id: InterfaceId) -> String {
    resolve
        .id_of(id)
        .unwrap_or_else(|| format!("interface {}", id.index()))
}

/// The provider for `world` (the component's) under `policy`, or `None` when the policy decides none of its
/// imports.
///
/// # Errors
/// [`VirtError::Entangled`] (see [`choose`]); [`VirtError::Provider`] when the generated provider does not
/// encode (a weld bug).
pub(super) fn provider(
    resolve: &Resolve,
    world: WorldId,
    policy: &Policy,
) -> Result<Option<Provider>, VirtError> {
    let chosen = choose(resolve, world, policy)?;
    if chosen.is_empty() {
        return Ok(None);
    }
    for (key, (id, _)) in &chosen {
        let async_fn = |f: &Function| {
            matches!(
                f.kind,
                FunctionKind::AsyncFreestanding
                    | FunctionKind::AsyncMethod(_)
                    | FunctionKind::AsyncStatic(_)
            )
        };
        if resolve.interfaces[*id].functions.values().any(async_fn) {
            return Err(VirtError::Async {
                import: resolve.name_world_key(key),
            });
        }
    }
    let mut resolve = resolve.clone();
    {
        let w = &mut resolve.worlds[world];
        let items = std::mem::take(&mut w.imports);
        w.imports = items
            .into_iter()
            .filter(|(key, _)| chosen.contains_key(key))
            .collect();
        w.exports.clear();
    }
    resolve
        .exportize(world, Some("weld-virt-provider".into()), None)
        .map_err(|e| VirtError::Provider(e.into()))?;
    let (module, forwarded) = Generator::new(&resolve, policy).module(world, &chosen)?;
    // What the provider passes on to the host, it imports under the same name it exports.
    for key in forwarded {
        let item = resolve.worlds[world].exports[&key].clone();
        resolve.worlds[world].imports.insert(key, item);
    }
    let mut bytes = module.encode();
    let provider_error = |e: anyhow::Error| VirtError::Provider(e.into());
    wit_component::embed_component_metadata(&mut bytes, &resolve, world, StringEncoding::UTF8)
        .map_err(provider_error)?;
    let component = ComponentEncoder::default()
        .validate(true)
        .module(&bytes)
        .and_then(|e| e.encode())
        .map_err(provider_error)?;
    Ok(Some(Provider {
        component,
        provides: chosen
            .iter()
            .map(|(key, (_, role))| (resolve.name_world_key(key), *role))
            .collect(),
    }))
}

/// Writes the core module's functions and data.
struct Generator<'a> {
    resolve: &'a Resolve,
    policy: &'a Policy,
    sizes: SizeAlign,
    data: Data,
    imports: Vec<Import>,
    /// The interfaces some call is passed on to the host of.
    forwarded: Vec<WorldKey>,
    /// The largest return area a forwarded call needs.
    scratch: usize,
}

/// What a denied function answers.
enum Answer {
    Nothing,
    Value(Value),
    Trap,
}

impl<'a> Generator<'a> {
    fn new(resolve: &'a Resolve, policy: &'a Policy) -> Generator<'a> {
        let mut sizes = SizeAlign::default();
        sizes.fill(resolve);
        Generator {
            resolve,
            policy,
            sizes,
            // Address 0 stays unused, so that no answer is a null pointer.
            data: Data::new(8),
            imports: Vec::new(),
            forwarded: Vec::new(),
            scratch: 0,
        }
    }

    /// The module, and the interfaces it passes calls on to (which the provider must import).
    fn module(
        mut self,
        world: WorldId,
        chosen: &IndexMap<WorldKey, (InterfaceId, Role)>,
    ) -> Result<(CoreModule, Vec<WorldKey>), VirtError> {
        let resolve = self.resolve;
        let mut exports = Vec::new();
        for (key, item) in &resolve.worlds[world].exports {
            let WorldItem::Interface { id, .. } = item else {
                continue;
            };
            let role = chosen.get(key).map_or(Role::Trap(Family::Io), |(_, r)| *r);
            let iface_name = resolve.name_world_key(key);
            for func in resolve.interfaces[*id].functions.values() {
                let body = self.body(key, func, role)?;
                let export = |kind| {
                    resolve.wasm_export_name(
                        MANGLING,
                        WasmExport::Func {
                            interface: Some(key),
                            func,
                            kind,
                        },
                    )
                };
                exports.push(Export {
                    name: export(WasmExportKind::Normal),
                    post_return: export(WasmExportKind::PostReturn),
                    sig: resolve.wasm_signature(MANGLING.export_variant(), func),
                    body,
                    label: format!("{iface_name}#{} ({})", func.name, role.says()),
                });
            }
        }
        let scratch = self.data.end().next_multiple_of(8);
        let heap = (scratch + self.scratch as u32).next_multiple_of(8);
        let module = CoreModule {
            imports: self.imports,
            exports,
            data: self.data,
            scratch,
            heap,
            memory_name: resolve.wasm_export_name(MANGLING, WasmExport::Memory),
            realloc_name: resolve.wasm_export_name(MANGLING, WasmExport::Realloc),
        };
        Ok((module, self.forwarded))
    }

    fn body(&mut self, key: &WorldKey, func: &Function, role: Role) -> Result<Body, VirtError> {
        let answer = match role {
            Role::Trap(_) => Answer::Trap,
            Role::Deny(family) => self.denied(family, func.result.as_ref()),
            Role::Env => match (func.name.as_str(), &self.policy.env, &self.policy.args) {
                ("get-environment", Some(vars), _) => Answer::Value(Value::List(
                    vars.iter()
                        .map(|(k, v)| {
                            Value::Tuple(vec![Value::Str(k.clone()), Value::Str(v.clone())])
                        })
                        .collect(),
                )),
                ("get-arguments", _, Some(args)) => {
                    Answer::Value(Value::List(args.iter().cloned().map(Value::Str).collect()))
                }
                // `initial-cwd` in 0.2, `get-initial-cwd` in 0.3.
                ("initial-cwd" | "get-initial-cwd", _, Some(_)) => {
                    Answer::Value(Value::Case(0, None))
                }
                _ => return Ok(self.forward(key, func)),
            },
        };
        Ok(match (answer, func.result.as_ref()) {
            (Answer::Trap, _) => Body::Trap,
            (Answer::Nothing, _) => Body::Nothing,
            (Answer::Value(value), Some(ty)) => {
                let sig = self.resolve.wasm_signature(MANGLING.export_variant(), func);
                let flat = !sig.retptr;
                let returned = self
                    .data
                    .result(self.resolve, &self.sizes, ty, &value, flat)
                    .map_err(|e| VirtError::Provider(e.into()))?;
                Body::Return(returned)
            }
            (Answer::Value(_), None) => Body::Nothing,
        })
    }

    /// A call passed on to the host's own import of the interface.
    fn forward(&mut self, key: &WorldKey, func: &Function) -> Body {
        let (module, name) = self.resolve.wasm_import_name(
            MANGLING,
            WasmImport::Func {
                interface: Some(key),
                func,
            },
        );
        let sig = self.resolve.wasm_signature(MANGLING.import_variant(), func);
        if let (true, Some(ty)) = (sig.retptr, &func.result) {
            self.scratch = self.scratch.max(self.sizes.size(ty).size_wasm32());
        }
        self.imports.push(Import { module, name, sig });
        if !self.forwarded.contains(key) {
            self.forwarded.push(key.clone());
        }
        Body::Forward(self.imports.len() as u32 - 1)
    }

    /// What a root of a denied family answers, from the function's result type: an empty list, `none`, the
    /// family's `err(denied)`, or, for a result whose error type has no such case, `ok` of an empty list or of
    /// `none` (`wasi:config/store.get` says "no such key"). Anything else traps.
    fn denied(&self, family: Family, result: Option<&Type>) -> Answer {
        let Some(ty) = result else {
            return Answer::Nothing;
        };
        let empty = |ty: &Type| match self.kind(ty) {
            Some(TypeDefKind::List(_)) => Some(Value::List(Vec::new())),
            Some(TypeDefKind::Option(_)) => Some(Value::Case(0, None)),
            _ => None,
        };
        if let Some(value) = empty(ty) {
            return Answer::Value(value);
        }
        let Some(TypeDefKind::Result(result)) = self.kind(ty) else {
            return Answer::Trap;
        };
        let denied = family.denied_case().and_then(|case| {
            let index = match self.kind(result.err.as_ref()?)? {
                TypeDefKind::Enum(e) => e.cases.iter().position(|c| c.name == case)?,
                TypeDefKind::Variant(v) => v
                    .cases
                    .iter()
                    .position(|c| c.name == case && c.ty.is_none())?,
                _ => return None,
            };
            Some(Value::Case(
                1,
                Some(Box::new(Value::Case(index as u32, None))),
            ))
        });
        let ok_empty = || {
            let ok = result.ok.as_ref()?;
            Some(Value::Case(0, Some(Box::new(empty(ok)?))))
        };
        match denied.or_else(ok_empty) {
            Some(value) => Answer::Value(value),
            None => Answer::Trap,
        }
    }

    /// The definition behind `ty`, through aliases.
    fn kind(&self, ty: &Type) -> Option<&'a TypeDefKind> {
        let mut ty = *ty;
        loop {
            let Type::Id(id) = ty else {
                return None;
            };
            match &self.resolve.types[id].kind {
                TypeDefKind::Type(inner) => ty = *inner,
                kind => return Some(kind),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer a denied root gives, by function name, from WIT written as WASI defines it.
    fn answers(wit: &str, family: Family) -> Vec<(String, Option<Value>)> {
        let mut resolve = Resolve::default();
        resolve.push_str("wasi.wit", wit).unwrap();
        let policy = Policy::default();
        let generator = Generator::new(&resolve, &policy);
        let mut out = Vec::new();
        for (_, iface) in resolve.interfaces.iter() {
            if iface.name.as_deref().is_some_and(|n| family.is_root(n)) {
                for func in iface.functions.values() {
                    let value = match generator.denied(family, func.result.as_ref()) {
                        Answer::Value(v) => Some(v),
                        _ => None,
                    };
                    out.push((func.name.clone(), value));
                }
            }
        }
        out
    }

    fn err(case: u32) -> Option<Value> {
        Some(Value::Case(1, Some(Box::new(Value::Case(case, None)))))
    }

    #[test]
    fn sockets_roots_answer_access_denied_by_its_place_in_the_error_code() {
        let wit = "package wasi:sockets@0.2.3;
            interface network {
                resource network;
                enum error-code { unknown, access-denied, not-supported }
                enum ip-address-family { ipv4, ipv6 }
            }
            interface udp { resource udp-socket; }
            interface udp-create-socket {
                use network.{error-code, ip-address-family};
                use udp.{udp-socket};
                create-udp-socket: func(address-family: ip-address-family) -> result<udp-socket, error-code>;
            }
            interface ip-name-lookup {
                use network.{network, error-code};
                resource resolve-address-stream;
                resolve-addresses: func(network: borrow<network>, name: string) -> result<resolve-address-stream, error-code>;
            }";
        let got = answers(wit, Family::Sockets);
        assert_eq!(
            got,
            [
                ("create-udp-socket".to_owned(), err(1)),
                ("resolve-addresses".to_owned(), err(1)),
            ]
        );
    }

    #[test]
    fn config_has_no_denied_case_so_it_answers_no_such_key() {
        let wit = "package wasi:config@0.2.0-draft;
            interface store {
                variant error { upstream(string), io(string) }
                get: func(key: string) -> result<option<string>, error>;
                get-all: func() -> result<list<tuple<string, string>>, error>;
            }";
        let ok = |v: Value| Some(Value::Case(0, Some(Box::new(v))));
        assert_eq!(
            answers(wit, Family::Config),
            [
                ("get".to_owned(), ok(Value::Case(0, None))),
                ("get-all".to_owned(), ok(Value::List(Vec::new()))),
            ]
        );
    }

    #[test]
    fn http_answers_the_request_denied_case_of_a_variant_with_payloads() {
        let wit = "package wasi:http@0.2.3;
            interface types {
                resource outgoing-request;
                resource future-incoming-response;
                variant error-code { DNS-timeout, DNS-error(string), HTTP-request-denied, internal-error(option<string>) }
            }
            interface outgoing-handler {
                use types.{outgoing-request, future-incoming-response, error-code};
                handle: func(request: outgoing-request) -> result<future-incoming-response, error-code>;
            }";
        assert_eq!(answers(wit, Family::Http), [("handle".to_owned(), err(2))]);
    }
}

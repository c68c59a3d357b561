//! Checking a parsed WAVE value against the type it must have, before it is converted, so that a value that does
//! not fit says where and why: the path to the part at fault (`p.corner.x`, `items[1].0`), what was expected and
//! what was given. wasm-wave's own conversion says only `invalid value type`, and it drops a record field the type
//! does not have without a word; wasmtime's `--invoke` says `missing field "h"` for a missing one.

use std::collections::HashMap;
use wasmtime::component::wasm_wave::ast::{Node, NodeType};
use wasmtime::component::wasm_wave::wasm::DisplayType;
use wasmtime::component::{ResourceAny, Type, Val};

/// Why a value does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misfit {
    /// The path from the parameter to the part at fault: `p`, `p.x`, `items[1].0`, `s.circle`.
    pub path: String,
    /// Byte range of that part in the parsed text.
    pub span: std::ops::Range<usize>,
    /// What is wrong: `expected s32, got a string`, `unknown field `z` (the record has x, y)`.
    pub message: String,
}

/// Checks `node` (parsed from `src`) against `ty`, naming the value `name` in the path. Types a WAVE value
/// cannot stand for (resources, streams, futures) are left to the conversion, which refuses them.
pub(crate) fn check(node: &Node, ty: &Type, src: &str, name: &str) -> Result<(), Misfit> {
    Checker { src }.value(node, ty, name)
}

/// The value `node` (parsed from `src`) stands for as a `ty`, once [`check`] has passed: built here rather than by
/// wasm-wave's conversion, which cannot take a resource inside another value (`list<borrow<thing>>`) nor a flag
/// written with `%`. A resource is written as the name a call gave it, looked up in `handles`.
pub(crate) fn to_val(
    node: &Node,
    ty: &Type,
    src: &str,
    name: &str,
    handles: &HashMap<String, ResourceAny>,
) -> Result<Val, Misfit> {
    check(node, ty, src, name)?;
    Builder { src, handles }.value(node, ty, name)
}

struct Builder<'a> {
    src: &'a str,
    handles: &'a HashMap<String, ResourceAny>,
}

impl Builder<'_> {
    fn value(&self, node: &Node, ty: &Type, path: &str) -> Result<Val, Misfit> {
        let misfit = |message: String| Misfit {
            path: path.to_owned(),
            span: node.span(),
            message,
        };
        let boxed = |val: Option<Val>| val.map(Box::new);
        Ok(match ty {
            Type::List(list) => {
                let element = list.ty();
                let items = node
                    .as_list()
                    .map_err(|_| misfit("expected a list".into()))?;
                Val::List(
                    items
                        .enumerate()
                        .map(|(i, item)| self.value(item, &element, &format!("{path}[{i}]")))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Tuple(tuple) => {
                let items = node
                    .as_tuple()
                    .map_err(|_| misfit("expected a tuple".into()))?;
                Val::Tuple(
                    items
                        .zip(tuple.types())
                        .enumerate()
                        .map(|(i, (item, ty))| self.value(item, &ty, &format!("{path}.{i}")))
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Record(record) => {
                let given: Vec<(&str, &Node)> = node
                    .as_record(self.src)
                    .map_err(|_| misfit("expected a record".into()))?
                    .collect();
                let mut fields = Vec::new();
                for field in record.fields() {
                    let value = match given.iter().find(|(name, _)| *name == field.name) {
                        Some((_, value)) => {
                            self.value(value, &field.ty, &format!("{path}.{}", field.name))?
                        }
                        None => Val::Option(None),
                    };
                    fields.push((field.name.to_owned(), value));
                }
                Val::Record(fields)
            }
            Type::Variant(variant) => {
                let (label, payload) = node
                    .as_variant(self.src)
                    .map_err(|_| misfit("expected a variant case".into()))?;
                let case = variant.cases().find(|c| c.name == label);
                let value = match (case.and_then(|c| c.ty), payload) {
                    (Some(ty), Some(payload)) => {
                        Some(self.value(payload, &ty, &format!("{path}.{label}"))?)
                    }
                    _ => None,
                };
                Val::Variant(label.to_owned(), boxed(value))
            }
            Type::Enum(_) => Val::Enum(
                node.as_enum(self.src)
                    .map_err(|_| misfit("expected a case".into()))?
                    .to_owned(),
            ),
            Type::Flags(_) => Val::Flags(
                node.as_flags(self.src)
                    .map_err(|_| misfit("expected flags".into()))?
                    .map(|flag| flag.strip_prefix('%').unwrap_or(flag).to_owned())
                    .collect(),
            ),
            Type::Option(option) => {
                let some = option.ty();
                let inner = match node.ty() {
                    NodeType::OptionNone => None,
                    NodeType::OptionSome => {
                        let inner = node.as_option().ok().flatten();
                        match inner {
                            Some(inner) => {
                                Some(self.value(inner, &some, &format!("{path}.some"))?)
                            }
                            None => None,
                        }
                    }
                    _ => Some(self.value(node, &some, path)?),
                };
                Val::Option(boxed(inner))
            }
            Type::Result(result) => {
                let payload = |ty: Option<Type>, inner: Option<&Node>, case: &str| match (ty, inner)
                {
                    (Some(ty), Some(inner)) => {
                        self.value(inner, &ty, &format!("{path}.{case}")).map(Some)
                    }
                    _ => Ok(None),
                };
                match node.ty() {
                    NodeType::ResultOk | NodeType::ResultErr => {
                        match node
                            .as_result()
                            .map_err(|_| misfit("expected a result".into()))?
                        {
                            Ok(inner) => Val::Result(Ok(boxed(payload(result.ok(), inner, "ok")?))),
                            Err(inner) => {
                                Val::Result(Err(boxed(payload(result.err(), inner, "err")?)))
                            }
                        }
                    }
                    _ => Val::Result(Ok(boxed(payload(result.ok(), Some(node), "ok")?))),
                }
            }
            Type::Own(_) | Type::Borrow(_) => {
                let name = node.as_enum(self.src).map_err(|_| {
                    misfit(format!(
                        "expected a resource: the name a call gave it ({})",
                        self.known()
                    ))
                })?;
                let resource = self.handles.get(name).ok_or_else(|| {
                    misfit(format!("no resource is called `{name}` ({})", self.known()))
                })?;
                Val::Resource(*resource)
            }
            // Numbers, chars, strings, bools (checked already), and what WAVE cannot write: wasm-wave converts.
            ty => node
                .to_wasm_value::<Val>(ty, self.src)
                .map_err(|e| misfit(e.to_string()))?,
        })
    }

    /// The resources known so far, for an error.
    fn known(&self) -> String {
        let mut names: Vec<&str> = self.handles.keys().map(String::as_str).collect();
        names.sort();
        match names.as_slice() {
            [] => "no call has returned a resource yet".to_owned(),
            names => format!("known: {}", names.join(", ")),
        }
    }
}

struct Checker<'a> {
    src: &'a str,
}

impl Checker<'_> {
    fn value(&self, node: &Node, ty: &Type, path: &str) -> Result<(), Misfit> {
        let misfit = |message: String| Misfit {
            path: path.to_owned(),
            span: node.span(),
            message,
        };
        let expected = |what: &str| misfit(format!("expected {what}, got {}", self.describe(node)));
        match ty {
            Type::Bool => match node.ty() {
                NodeType::BoolTrue | NodeType::BoolFalse => Ok(()),
                _ => Err(expected("a bool (`true` or `false`)")),
            },
            Type::S8 => self.number::<i8>(node, "s8", path),
            Type::S16 => self.number::<i16>(node, "s16", path),
            Type::S32 => self.number::<i32>(node, "s32", path),
            Type::S64 => self.number::<i64>(node, "s64", path),
            Type::U8 => self.number::<u8>(node, "u8", path),
            Type::U16 => self.number::<u16>(node, "u16", path),
            Type::U32 => self.number::<u32>(node, "u32", path),
            Type::U64 => self.number::<u64>(node, "u64", path),
            Type::Float32 => self.number::<f32>(node, "f32", path),
            Type::Float64 => self.number::<f64>(node, "f64", path),
            Type::Char => match node.ty() {
                NodeType::Char => node
                    .as_char(self.src)
                    .map(drop)
                    .map_err(|_| misfit(format!("`{}` is not one char", self.text(node)))),
                _ => Err(expected("a char (`'x'`)")),
            },
            Type::String => match node.ty() {
                NodeType::String | NodeType::MultilineString => Ok(()),
                _ => Err(expected("a string (`\"...\"`)")),
            },
            Type::List(list) => {
                if node.ty() != NodeType::List {
                    return Err(expected(&format!("a list ({})", DisplayType(ty))));
                }
                let element = list.ty();
                for (i, item) in node.as_list().map_err(|_| expected("a list"))?.enumerate() {
                    self.value(item, &element, &format!("{path}[{i}]"))?;
                }
                Ok(())
            }
            Type::Tuple(tuple) => {
                if node.ty() != NodeType::Tuple {
                    return Err(expected(&format!("a tuple ({})", DisplayType(ty))));
                }
                let items: Vec<&Node> = node.as_tuple().map_err(|_| expected("a tuple"))?.collect();
                let types: Vec<Type> = tuple.types().collect();
                if items.len() != types.len() {
                    return Err(misfit(format!(
                        "expected a tuple of {} values ({}), got {}",
                        types.len(),
                        DisplayType(ty),
                        items.len()
                    )));
                }
                for (i, (item, ty)) in items.into_iter().zip(&types).enumerate() {
                    self.value(item, ty, &format!("{path}.{i}"))?;
                }
                Ok(())
            }
            Type::Record(record) => {
                if node.ty() != NodeType::Record {
                    return Err(expected(&format!("a record ({})", DisplayType(ty))));
                }
                let given: Vec<(&str, &Node)> = node
                    .as_record(self.src)
                    .map_err(|_| expected("a record"))?
                    .collect();
                let fields: Vec<(&str, Type)> = record.fields().map(|f| (f.name, f.ty)).collect();
                let names = || {
                    fields
                        .iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                for (name, value) in &given {
                    let label = name.strip_prefix('%').unwrap_or(name);
                    if !fields.iter().any(|(field, _)| *field == label) {
                        return Err(Misfit {
                            path: path.to_owned(),
                            span: value.span(),
                            message: format!(
                                "unknown field `{label}` (the record has {})",
                                names()
                            ),
                        });
                    }
                }
                for (field, ty) in &fields {
                    match given
                        .iter()
                        .find(|(name, _)| name.strip_prefix('%').unwrap_or(name) == *field)
                    {
                        Some((_, value)) => self.value(value, ty, &format!("{path}.{field}"))?,
                        // An absent option field is `none`, as in WAVE.
                        None if matches!(ty, Type::Option(_)) => {}
                        None => {
                            return Err(misfit(format!(
                                "missing field `{field}` ({field}: {})",
                                DisplayType(ty)
                            )));
                        }
                    }
                }
                Ok(())
            }
            Type::Variant(variant) => {
                if let Some(keyword) = keyword(node, self.src)
                    && variant.cases().any(|c| c.name == keyword)
                {
                    return Err(escape_keyword(keyword, misfit));
                }
                let (label, payload) = match node.ty() {
                    NodeType::Label | NodeType::VariantWithPayload => node
                        .as_variant(self.src)
                        .map_err(|_| expected("a variant case"))?,
                    _ => return Err(expected(&format!("a case of {}", DisplayType(ty)))),
                };
                let cases: Vec<(&str, Option<Type>)> =
                    variant.cases().map(|c| (c.name, c.ty)).collect();
                let Some((_, case_ty)) = cases.iter().find(|(name, _)| *name == label) else {
                    let known: Vec<&str> = cases.iter().map(|(name, _)| *name).collect();
                    return Err(misfit(format!(
                        "unknown case `{label}` (the cases are {})",
                        known.join(", ")
                    )));
                };
                self.payload(label, case_ty.as_ref(), payload, path, &misfit)
            }
            Type::Enum(cases) => {
                if let Some(keyword) = keyword(node, self.src)
                    && cases.names().any(|name| name == keyword)
                {
                    return Err(escape_keyword(keyword, misfit));
                }
                if node.ty() != NodeType::Label {
                    return Err(expected(&format!("a case of {}", DisplayType(ty))));
                }
                let label = node.as_enum(self.src).map_err(|_| expected("a case"))?;
                if cases.names().any(|name| name == label) {
                    Ok(())
                } else {
                    let known: Vec<&str> = cases.names().collect();
                    Err(misfit(format!(
                        "unknown case `{label}` (the cases are {})",
                        known.join(", ")
                    )))
                }
            }
            Type::Flags(flags) => {
                if node.ty() != NodeType::Flags {
                    return Err(expected(&format!(
                        "flags such as `{{a, b}}` ({})",
                        DisplayType(ty)
                    )));
                }
                for flag in node.as_flags(self.src).map_err(|_| expected("flags"))? {
                    let flag = flag.strip_prefix('%').unwrap_or(flag);
                    if !flags.names().any(|name| name == flag) {
                        let known: Vec<&str> = flags.names().collect();
                        return Err(misfit(format!(
                            "unknown flag `{flag}` (the flags are {})",
                            known.join(", ")
                        )));
                    }
                }
                Ok(())
            }
            Type::Option(option) => {
                let some = option.ty();
                match node.ty() {
                    NodeType::OptionNone => Ok(()),
                    NodeType::OptionSome => {
                        let inner = node.as_option().map_err(|_| expected("an option"))?;
                        self.payload("some", Some(&some), inner, path, &misfit)
                    }
                    // WAVE lets `some(x)` be written `x` unless `x` is itself an option or a result.
                    _ if !matches!(some, Type::Option(_) | Type::Result(_)) => {
                        self.value(node, &some, path)
                    }
                    _ => Err(expected(&format!(
                        "`some(...)` or `none` ({})",
                        DisplayType(ty)
                    ))),
                }
            }
            Type::Result(result) => {
                let (ok, err) = (result.ok(), result.err());
                match node.ty() {
                    NodeType::ResultOk | NodeType::ResultErr => {
                        let (case, payload_ty) = match node.ty() {
                            NodeType::ResultOk => ("ok", ok.as_ref()),
                            _ => ("err", err.as_ref()),
                        };
                        let payload = match node.as_result().map_err(|_| expected("a result"))? {
                            Ok(payload) | Err(payload) => payload,
                        };
                        self.payload(case, payload_ty, payload, path, &misfit)
                    }
                    // WAVE lets `ok(x)` be written `x` unless `x` is an option or a result.
                    _ => match &ok {
                        Some(ok) if !matches!(ok, Type::Option(_) | Type::Result(_)) => {
                            self.value(node, ok, path)
                        }
                        _ => Err(expected(&format!(
                            "`ok(...)` or `err(...)` ({})",
                            DisplayType(ty)
                        ))),
                    },
                }
            }
            // Resources, streams, futures and error contexts: the conversion says what it cannot do.
            _ => Ok(()),
        }
    }

    /// A case's payload: present exactly when the case has a type, and then of that type (path `path.case`).
    fn payload(
        &self,
        case: &str,
        ty: Option<&Type>,
        payload: Option<&Node>,
        path: &str,
        misfit: &dyn Fn(String) -> Misfit,
    ) -> Result<(), Misfit> {
        match (ty, payload) {
            (Some(ty), Some(node)) => self.value(node, ty, &format!("{path}.{case}")),
            (None, None) => Ok(()),
            (Some(ty), None) => Err(misfit(format!(
                "case `{case}` needs a payload: `{case}(...)` with a {}",
                DisplayType(ty)
            ))),
            (None, Some(_)) => Err(misfit(format!(
                "case `{case}` has no payload: write `{case}` alone"
            ))),
        }
    }

    /// A number of type `T` (named `name`): a number node, in range, an integer for integer types.
    fn number<T: std::str::FromStr>(
        &self,
        node: &Node,
        name: &str,
        path: &str,
    ) -> Result<(), Misfit> {
        let misfit = |message: String| Misfit {
            path: path.to_owned(),
            span: node.span(),
            message,
        };
        if node.ty() != NodeType::Number {
            return Err(misfit(format!(
                "expected {name}, got {}",
                self.describe(node)
            )));
        }
        if node.as_number::<T>(self.src).is_ok() {
            return Ok(());
        }
        let text = self.text(node);
        let integer = !name.starts_with('f');
        let digits = text.strip_prefix('-').unwrap_or(text);
        let whole = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
        let why = if integer && !whole && text.parse::<i128>().is_err() {
            "not an integer".to_owned()
        } else {
            format!("out of range for {name}")
        };
        Err(misfit(format!("`{text}` is {why} ({})", range(name))))
    }

    fn text(&self, node: &Node) -> &str {
        self.src.get(node.span()).unwrap_or_default()
    }

    /// What a node is, for `got ...`.
    fn describe(&self, node: &Node) -> String {
        match node.ty() {
            NodeType::BoolTrue | NodeType::BoolFalse => "a bool".into(),
            NodeType::Number => format!("the number {}", self.text(node)),
            NodeType::Char => "a char".into(),
            NodeType::String | NodeType::MultilineString => "a string".into(),
            NodeType::Tuple => "a tuple".into(),
            NodeType::List => "a list".into(),
            NodeType::Record => "a record".into(),
            NodeType::Label => format!("the name `{}`", self.text(node)),
            NodeType::VariantWithPayload => "a case with a payload".into(),
            NodeType::OptionSome => "`some(...)`".into(),
            NodeType::OptionNone => "`none`".into(),
            NodeType::ResultOk => "`ok(...)`".into(),
            NodeType::ResultErr => "`err(...)`".into(),
            NodeType::Flags => "flags".into(),
        }
    }
}

/// The WAVE keyword a node was written as (`none`, `some(..)`, `ok(..)`, `err(..)`, `true`, `false`, and the
/// numbers `nan` and `inf`), if any.
fn keyword(node: &Node, src: &str) -> Option<&'static str> {
    Some(match node.ty() {
        NodeType::OptionNone => "none",
        NodeType::OptionSome => "some",
        NodeType::ResultOk => "ok",
        NodeType::ResultErr => "err",
        NodeType::BoolTrue => "true",
        NodeType::BoolFalse => "false",
        NodeType::Number => match src.get(node.span())? {
            "nan" => "nan",
            "inf" => "inf",
            _ => return None,
        },
        _ => return None,
    })
}

/// A case named like a WAVE keyword, written bare: WAVE reads the keyword, and the case must be escaped.
fn escape_keyword(keyword: &str, misfit: impl Fn(String) -> Misfit) -> Misfit {
    misfit(format!(
        "`{keyword}` is a WAVE keyword; write the case `{keyword}` as `%{keyword}`"
    ))
}

/// The values a number type holds, for an error.
fn range(name: &str) -> &'static str {
    match name {
        "s8" => "s8 holds -128 to 127",
        "s16" => "s16 holds -32768 to 32767",
        "s32" => "s32 holds -2147483648 to 2147483647",
        "s64" => "s64 holds -9223372036854775808 to 9223372036854775807",
        "u8" => "u8 holds 0 to 255",
        "u16" => "u16 holds 0 to 65535",
        "u32" => "u32 holds 0 to 4294967295",
        "u64" => "u64 holds 0 to 18446744073709551615",
        "f32" => "f32 holds numbers up to about 3.4e38, and nan, inf, -inf",
        _ => "f64 holds numbers up to about 1.8e308, and nan, inf, -inf",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::component::types::ComponentItem;
    use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;
    use wasmtime::component::{Component, Type};
    use wasmtime::{Config, Engine};

    /// The parameter types of `f(p: point, s: shape, n: list<tuple<u8, option<string>>>, f: perm)`.
    fn params() -> Vec<Type> {
        let wat = r#"(component
            (type $point' (record (field "x" s32) (field "y" s32)))
            (export $point "point" (type $point'))
            (type $shape' (variant (case "circle" u32) (case "empty") (case "none")))
            (export $shape "shape" (type $shape'))
            (type $perm' (flags "read" "write"))
            (export $perm "perm" (type $perm'))
            (core module $m
                (memory (export "memory") 1)
                (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
                (func (export "f") (param i32 i32 i32 i32 i32 i32 i32)))
            (core instance $i (instantiate $m))
            (alias core export $i "memory" (core memory $memory))
            (alias core export $i "realloc" (core func $realloc))
            (func (export "f")
                (param "p" $point) (param "s" $shape) (param "n" (list (tuple u8 (option string))))
                (param "f" $perm)
                (canon lift (core func $i "f") (memory $memory) (realloc $realloc)))
        )"#;
        let engine = Engine::new(&Config::new()).unwrap();
        let component = Component::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let ty = component.component_type();
        let (_, item) = ty.exports(&engine).find(|(name, _)| *name == "f").unwrap();
        let ComponentItem::ComponentFunc(func) = item.ty else {
            panic!("f is a function")
        };
        func.params().map(|(_, ty)| ty).collect()
    }

    /// `each` of `f(ARGS)`'s arguments, in order, with its parameter's type, the parsed text and the name.
    fn each_argument<T>(args: &str, each: impl Fn(&Node, &Type, &str, &str) -> T) -> Vec<T> {
        let source = format!("f({args})");
        let call = UntypedFuncCall::parse(&source).unwrap();
        let nodes: Vec<_> = call.params_node().unwrap().as_tuple().unwrap().collect();
        nodes
            .iter()
            .zip(params())
            .zip(["p", "s", "n", "f"])
            .map(|((node, ty), name)| each(node, &ty, &source, name))
            .collect()
    }

    /// Checks `f(ARGS)`'s arguments in order, giving the first misfit as `path: message @ text`.
    fn misfit(args: &str) -> Option<String> {
        each_argument(args, |node, ty, source, name| {
            check(node, ty, source, name)
                .err()
                .map(|m| format!("{}: {} @ {}", m.path, m.message, &source[m.span]))
        })
        .into_iter()
        .flatten()
        .next()
    }

    /// The values `f(ARGS)`'s arguments stand for, built by [`to_val`] (no resources known).
    fn values(args: &str) -> Vec<Val> {
        each_argument(args, |node, ty, source, name| {
            to_val(node, ty, source, name, &HashMap::new()).unwrap()
        })
    }

    #[test]
    fn values_are_built_as_written_flags_with_percent_included() {
        let built = values("{x: -1, y: 2}, %none, [(7, some(\"a\")), (8, none)], {%read, write}");
        assert_eq!(
            built,
            [
                Val::Record(vec![("x".into(), Val::S32(-1)), ("y".into(), Val::S32(2))]),
                Val::Variant("none".into(), None),
                Val::List(vec![
                    Val::Tuple(vec![
                        Val::U8(7),
                        Val::Option(Some(Box::new(Val::String("a".into()))))
                    ]),
                    Val::Tuple(vec![Val::U8(8), Val::Option(None)]),
                ]),
                Val::Flags(vec!["read".into(), "write".into()]),
            ]
        );
    }

    #[test]
    fn values_that_fit_pass() {
        assert_eq!(
            misfit("{x: -1, y: 2}, circle(3), [(255, some(\"a\")), (0, none), (1, \"b\")]"),
            None
        );
        assert_eq!(misfit("{x: 0, y: 0}, empty, []"), None);
        assert_eq!(misfit("{x: 0, y: 0}, %none, []"), None);
    }

    #[test]
    fn misfits_name_the_path_what_was_expected_and_where() {
        let cases = [
            (
                "{x: 1}, empty, []",
                "p: missing field `y` (y: s32) @ {x: 1}",
            ),
            (
                "{x: 1, y: 2, z: 3}, empty, []",
                "p: unknown field `z` (the record has x, y) @ 3",
            ),
            (
                "{x: \"1\", y: 2}, empty, []",
                "p.x: expected s32, got a string @ \"1\"",
            ),
            (
                "{x: 1, y: 2}, square, []",
                "s: unknown case `square` (the cases are circle, empty, none) @ square",
            ),
            (
                "{x: 1, y: 2}, none, []",
                "s: `none` is a WAVE keyword; write the case `none` as `%none` @ none",
            ),
            (
                "{x: 1, y: 2}, circle, []",
                "s: case `circle` needs a payload: `circle(...)` with a u32 @ circle",
            ),
            (
                "{x: 1, y: 2}, empty(1), []",
                "s: case `empty` has no payload: write `empty` alone @ empty(1)",
            ),
            (
                "{x: 1, y: 2}, circle(-3), []",
                "s.circle: `-3` is out of range for u32 (u32 holds 0 to 4294967295) @ -3",
            ),
            (
                "{x: 1, y: 2}, empty, [(256, none)]",
                "n[0].0: `256` is out of range for u8 (u8 holds 0 to 255) @ 256",
            ),
            (
                "{x: 1, y: 2}, empty, [(1, some(2))]",
                "n[0].1.some: expected a string (`\"...\"`), got the number 2 @ 2",
            ),
            (
                "{x: 1, y: 2}, empty, [(1.5, none)]",
                "n[0].0: `1.5` is not an integer (u8 holds 0 to 255) @ 1.5",
            ),
            (
                "{x: 1, y: 2}, empty, [(123456789012345678901234567890123456789012, none)]",
                "n[0].0: `123456789012345678901234567890123456789012` is out of range for u8 (u8 holds 0 to 255) @ \
                 123456789012345678901234567890123456789012",
            ),
            (
                "{x: 1, y: 2}, empty, [(1,)]",
                "n[0]: expected a tuple of 2 values (tuple<u8, option<string>>), got 1 @ (1,)",
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(misfit(args).as_deref(), Some(expected), "{args}");
        }
    }
}

//! Converting a parsed WAVE value to the [`Val`] of the type it must have, in one pass that checks each part as it
//! builds it, so that a value that does not fit says where and why: the path to the part at fault (`p.corner.x`,
//! `items[1].0`), what was expected and what was given. wasm-wave's own conversion says only `invalid value type`,
//! and it drops a record field the type does not have without a word; wasmtime's `--invoke` says `missing field
//! "h"` for a missing one. Nor can that conversion take a resource inside another value (`list<borrow<thing>>`)
//! or a flag written with `%`, which this one can.

use std::collections::HashMap;
use std::str::FromStr;
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

/// The value `node` (parsed from `src`) stands for as a `ty`, checked and built in one pass, naming the value
/// `name` in the path of a misfit. A resource is written as the name a call gave it, looked up in `handles`;
/// types WAVE cannot write (streams, futures, error contexts) are left to wasm-wave's conversion, which refuses
/// them.
pub(crate) fn to_val(
    node: &Node,
    ty: &Type,
    src: &str,
    name: &str,
    handles: &HashMap<String, ResourceAny>,
) -> Result<Val, Misfit> {
    Converter { src, handles }.value(node, ty, name)
}

/// Checks a value against its type and builds it, part by part.
struct Converter<'a> {
    /// The text the nodes were parsed from.
    src: &'a str,
    /// The resources known so far, by the names calls gave them.
    handles: &'a HashMap<String, ResourceAny>,
}

impl Converter<'_> {
    /// The value `node` stands for as a `ty`, or why it does not fit; `path` names it in a misfit.
    fn value(&self, node: &Node, ty: &Type, path: &str) -> Result<Val, Misfit> {
        let misfit = |message: String| Misfit {
            path: path.to_owned(),
            span: node.span(),
            message,
        };
        let expected = |what: &str| misfit(self.expected(node, what));
        Ok(match ty {
            Type::Bool => Val::Bool(
                node.as_bool()
                    .map_err(|_| expected("a bool (`true` or `false`)"))?,
            ),
            Type::S8 => Val::S8(self.number(node, "s8", &misfit)?),
            Type::S16 => Val::S16(self.number(node, "s16", &misfit)?),
            Type::S32 => Val::S32(self.number(node, "s32", &misfit)?),
            Type::S64 => Val::S64(self.number(node, "s64", &misfit)?),
            Type::U8 => Val::U8(self.number(node, "u8", &misfit)?),
            Type::U16 => Val::U16(self.number(node, "u16", &misfit)?),
            Type::U32 => Val::U32(self.number(node, "u32", &misfit)?),
            Type::U64 => Val::U64(self.number(node, "u64", &misfit)?),
            Type::Float32 => Val::Float32(self.number(node, "f32", &misfit)?),
            Type::Float64 => Val::Float64(self.number(node, "f64", &misfit)?),
            Type::Char => match node.ty() {
                NodeType::Char => Val::Char(
                    node.as_char(self.src)
                        .map_err(|_| misfit(format!("`{}` is not one char", self.text(node))))?,
                ),
                _ => return Err(expected("a char (`'x'`)")),
            },
            Type::String => match node.ty() {
                NodeType::String | NodeType::MultilineString => Val::String(
                    node.as_str(self.src)
                        .map_err(|e| misfit(e.to_string()))?
                        .into_owned(),
                ),
                _ => return Err(expected("a string (`\"...\"`)")),
            },
            Type::List(list) => {
                let element = list.ty();
                let items = node
                    .as_list()
                    .map_err(|_| expected(&format!("a list ({})", DisplayType(ty))))?;
                Val::List(self.values(items.map(|item| (item, &element)), |i| {
                    format!("{path}[{i}]")
                })?)
            }
            Type::Tuple(tuple) => {
                let items = node
                    .as_tuple()
                    .map_err(|_| expected(&format!("a tuple ({})", DisplayType(ty))))?;
                let types: Vec<Type> = tuple.types().collect();
                if items.len() != types.len() {
                    return Err(misfit(format!(
                        "expected a tuple of {} values ({}), got {}",
                        types.len(),
                        DisplayType(ty),
                        items.len()
                    )));
                }
                Val::Tuple(self.values(items.zip(&types), |i| format!("{path}.{i}"))?)
            }
            Type::Record(record) => {
                // `as_record` gives a field written `%name` as `name`.
                let given: Vec<(&str, &Node)> = node
                    .as_record(self.src)
                    .map_err(|_| expected(&format!("a record ({})", DisplayType(ty))))?
                    .collect();
                let fields: Vec<(&str, Type)> = record.fields().map(|f| (f.name, f.ty)).collect();
                for (name, value) in &given {
                    if !fields.iter().any(|(field, _)| field == name) {
                        let names: Vec<&str> = fields.iter().map(|(field, _)| *field).collect();
                        return Err(Misfit {
                            path: path.to_owned(),
                            span: value.span(),
                            message: format!(
                                "unknown field `{name}` (the record has {})",
                                names.join(", ")
                            ),
                        });
                    }
                }
                let mut values = Vec::with_capacity(fields.len());
                for (field, ty) in &fields {
                    let value = match given.iter().find(|(name, _)| name == field) {
                        Some((_, value)) => self.value(value, ty, &format!("{path}.{field}"))?,
                        // An absent option field is `none`, as in WAVE.
                        None if matches!(ty, Type::Option(_)) => Val::Option(None),
                        None => {
                            return Err(misfit(format!(
                                "missing field `{field}` ({field}: {})",
                                DisplayType(ty)
                            )));
                        }
                    };
                    values.push(((*field).to_owned(), value));
                }
                Val::Record(values)
            }
            Type::Variant(variant) => {
                let cases: Vec<(&str, Option<Type>)> =
                    variant.cases().map(|c| (c.name, c.ty)).collect();
                let names: Vec<&str> = cases.iter().map(|(name, _)| *name).collect();
                let (label, payload) = match node.as_variant(self.src) {
                    Ok((label, payload)) => (Some(label), payload),
                    Err(_) => (None, None),
                };
                let (label, case_ty) = &cases[self.case(node, ty, &names, label, &misfit)?];
                let payload = self.payload(label, case_ty.as_ref(), payload, path, &misfit)?;
                Val::Variant((*label).to_owned(), payload)
            }
            Type::Enum(cases) => {
                let names: Vec<&str> = cases.names().collect();
                let label = node.as_enum(self.src).ok();
                Val::Enum(names[self.case(node, ty, &names, label, &misfit)?].to_owned())
            }
            Type::Flags(flags) => {
                let names: Vec<&str> = flags.names().collect();
                let given = node.as_flags(self.src).map_err(|_| {
                    expected(&format!("flags such as `{{a, b}}` ({})", DisplayType(ty)))
                })?;
                Val::Flags(
                    given
                        .map(|flag| {
                            let flag = flag.strip_prefix('%').unwrap_or(flag);
                            if names.contains(&flag) {
                                Ok(flag.to_owned())
                            } else {
                                Err(misfit(format!(
                                    "unknown flag `{flag}` (the flags are {})",
                                    names.join(", ")
                                )))
                            }
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Type::Option(option) => {
                let some = option.ty();
                Val::Option(match node.as_option() {
                    Ok(None) => None,
                    Ok(inner) => self.payload("some", Some(&some), inner, path, &misfit)?,
                    // WAVE lets `some(x)` be written `x` unless `x` is itself an option or a result.
                    Err(_) if bare(&some) => Some(Box::new(self.value(node, &some, path)?)),
                    Err(_) => {
                        return Err(expected(&format!(
                            "`some(...)` or `none` ({})",
                            DisplayType(ty)
                        )));
                    }
                })
            }
            Type::Result(result) => Val::Result(match node.as_result() {
                Ok(Ok(payload)) => {
                    Ok(self.payload("ok", result.ok().as_ref(), payload, path, &misfit)?)
                }
                Ok(Err(payload)) => {
                    Err(self.payload("err", result.err().as_ref(), payload, path, &misfit)?)
                }
                // WAVE lets `ok(x)` be written `x` unless `x` is an option or a result.
                Err(_) => match result.ok() {
                    Some(ok) if bare(&ok) => Ok(Some(Box::new(self.value(node, &ok, path)?))),
                    _ => {
                        return Err(expected(&format!(
                            "`ok(...)` or `err(...)` ({})",
                            DisplayType(ty)
                        )));
                    }
                },
            }),
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
            // Streams, futures and error contexts: the conversion says what it cannot do.
            ty => node
                .to_wasm_value::<Val>(ty, self.src)
                .map_err(|e| misfit(e.to_string()))?,
        })
    }

    /// The values of `items`, each given with its type; the `i`th is named `at(i)` in a misfit.
    fn values<'n, 't>(
        &self,
        items: impl Iterator<Item = (&'n Node, &'t Type)>,
        at: impl Fn(usize) -> String,
    ) -> Result<Vec<Val>, Misfit> {
        items
            .enumerate()
            .map(|(i, (item, ty))| self.value(item, ty, &at(i)))
            .collect()
    }

    /// Which of `names`, the cases of the variant or enum `ty`, `node` names, given the `label` it reads as (`None`
    /// when it is no case at all). A case named like a WAVE keyword must be escaped, as WAVE reads the keyword.
    fn case(
        &self,
        node: &Node,
        ty: &Type,
        names: &[&str],
        label: Option<&str>,
        misfit: &dyn Fn(String) -> Misfit,
    ) -> Result<usize, Misfit> {
        if let Some(keyword) = keyword(node, self.src)
            && names.contains(&keyword)
        {
            return Err(misfit(format!(
                "`{keyword}` is a WAVE keyword; write the case `{keyword}` as `%{keyword}`"
            )));
        }
        let label = label.ok_or_else(|| {
            misfit(self.expected(node, &format!("a case of {}", DisplayType(ty))))
        })?;
        names.iter().position(|name| *name == label).ok_or_else(|| {
            misfit(format!(
                "unknown case `{label}` (the cases are {})",
                names.join(", ")
            ))
        })
    }

    /// A case's payload: present exactly when the case has a type, and then of that type (path `path.case`).
    fn payload(
        &self,
        case: &str,
        ty: Option<&Type>,
        payload: Option<&Node>,
        path: &str,
        misfit: &dyn Fn(String) -> Misfit,
    ) -> Result<Option<Box<Val>>, Misfit> {
        match (ty, payload) {
            (Some(ty), Some(node)) => Ok(Some(Box::new(self.value(
                node,
                ty,
                &format!("{path}.{case}"),
            )?))),
            (None, None) => Ok(None),
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
    fn number<T: FromStr>(
        &self,
        node: &Node,
        name: &str,
        misfit: &dyn Fn(String) -> Misfit,
    ) -> Result<T, Misfit> {
        if node.ty() != NodeType::Number {
            return Err(misfit(self.expected(node, name)));
        }
        node.as_number(self.src).map_err(|_| {
            let text = self.text(node);
            let integer = !name.starts_with('f');
            let digits = text.strip_prefix('-').unwrap_or(text);
            let whole = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
            let why = if integer && !whole && text.parse::<i128>().is_err() {
                "not an integer".to_owned()
            } else {
                format!("out of range for {name}")
            };
            misfit(format!("`{text}` is {why} ({})", range(name)))
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

    /// `expected WHAT, got ...`, saying what `node` is.
    fn expected(&self, node: &Node, what: &str) -> String {
        format!("expected {what}, got {}", self.describe(node))
    }

    /// The text `node` was parsed from.
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

/// Whether a `some(x)` or `ok(x)` holding a `ty` may be written `x`: unless `x` is itself an option or a result.
fn bare(ty: &Type) -> bool {
    !matches!(ty, Type::Option(_) | Type::Result(_))
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

    /// Converts `f(ARGS)`'s arguments in order (no resources known), giving the first misfit as
    /// `path: message @ text`.
    fn misfit(args: &str) -> Option<String> {
        each_argument(args, |node, ty, source, name| {
            to_val(node, ty, source, name, &HashMap::new())
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
    fn values_are_checked_and_built_in_one_pass() {
        // Nested parts come out built: a field written `%x`, `some` written bare, a missing element's `none`.
        let args = "{%x: 3, y: -4}, circle(5), [(1, \"b\"), (2, some(\"c\")), (3, none)], {}";
        assert_eq!(
            values(args),
            [
                Val::Record(vec![("x".into(), Val::S32(3)), ("y".into(), Val::S32(-4))]),
                Val::Variant("circle".into(), Some(Box::new(Val::U32(5)))),
                Val::List(vec![
                    Val::Tuple(vec![
                        Val::U8(1),
                        Val::Option(Some(Box::new(Val::String("b".into()))))
                    ]),
                    Val::Tuple(vec![
                        Val::U8(2),
                        Val::Option(Some(Box::new(Val::String("c".into()))))
                    ]),
                    Val::Tuple(vec![Val::U8(3), Val::Option(None)]),
                ]),
                Val::Flags(vec![]),
            ]
        );
        // The same pass stops at a misfit deep inside, after the parts before it were built, and names its path.
        assert_eq!(
            misfit("{x: 3, y: -4}, circle(5), [(1, \"b\"), (2, some(\"c\")), (3, some(4))], {}")
                .as_deref(),
            Some("n[2].1.some: expected a string (`\"...\"`), got the number 4 @ 4")
        );
        assert_eq!(
            misfit("{x: 3, y: -4}, circle(5), [], {read, exec}").as_deref(),
            Some("f: unknown flag `exec` (the flags are read, write) @ {read, exec}")
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

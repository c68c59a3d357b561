//! Values a generated provider returns, laid out in linear memory as the canonical ABI lifts them
//! (component-model `CanonicalABI.md`, "store" and "flattening"): sizes, alignments and payload offsets come from
//! wit-parser's `SizeAlign`, never from hand-counted offsets.

use wit_parser::{Int, Resolve, SizeAlign, Type, TypeDefKind};

/// A value of a WIT type, as much of the value space as a provider returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// A case of a variant, enum, option (`none` 0, `some` 1) or result (`ok` 0, `err` 1), by index, with its
    /// payload if the case has one.
    Case(u32, Option<Box<Value>>),
    /// A list of values.
    List(Vec<Value>),
    /// A string.
    Str(String),
    /// A tuple or record, in field order.
    Tuple(Vec<Value>),
}

/// What a function returns, ready for its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Returned {
    /// One flat value, returned on the stack (a payload-less case: its discriminant).
    Immediate(i32),
    /// Stored at this address of the static data: the function returns the address.
    Stored(u32),
}

/// The static data of a provider: values laid out from `base` on, in one data segment.
pub(super) struct Data {
    base: u32,
    bytes: Vec<u8>,
}

/// A value that does not fit its type (a provider bug, never the user's input).
#[derive(Debug, thiserror::Error)]
#[error("the value {value:?} does not fit its type")]
pub(super) struct Misfit {
    value: Value,
}

impl Data {
    /// Empty static data starting at address `base`.
    pub(super) fn new(base: u32) -> Data {
        Data {
            base,
            bytes: Vec::new(),
        }
    }

    /// The bytes, from [`Data::base`] on.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Their first address.
    pub(super) fn base(&self) -> u32 {
        self.base
    }

    /// The first address after them.
    pub(super) fn end(&self) -> u32 {
        self.base + self.bytes.len() as u32
    }

    /// Lays out `value` as the result of a function whose result type is `ty`: on the stack when the type
    /// flattens to one value and `flat` says the signature returns it directly, else in memory.
    pub(super) fn result(
        &mut self,
        resolve: &Resolve,
        sizes: &SizeAlign,
        ty: &Type,
        value: &Value,
        flat: bool,
    ) -> Result<Returned, Misfit> {
        if flat {
            return match value {
                Value::Case(disc, None) => Ok(Returned::Immediate(*disc as i32)),
                _ => Err(Misfit {
                    value: value.clone(),
                }),
            };
        }
        let at = self.alloc(sizes.size(ty).size_wasm32(), sizes.align(ty).align_wasm32());
        self.store(resolve, sizes, ty, value, at)?;
        Ok(Returned::Stored(at))
    }

    /// Reserves `size` zeroed bytes aligned to `align`; returns their address.
    fn alloc(&mut self, size: usize, align: usize) -> u32 {
        let align = align.max(1);
        let at = (self.end() as usize).div_ceil(align) * align;
        self.bytes.resize(at - self.base as usize + size, 0);
        at as u32
    }

    fn put(&mut self, at: u32, bytes: &[u8]) {
        let start = (at - self.base) as usize;
        self.bytes[start..start + bytes.len()].copy_from_slice(bytes);
    }

    /// Stores `value` of type `ty` at `at` (already reserved), allocating what it points to.
    fn store(
        &mut self,
        resolve: &Resolve,
        sizes: &SizeAlign,
        ty: &Type,
        value: &Value,
        at: u32,
    ) -> Result<(), Misfit> {
        let misfit = || Misfit {
            value: value.clone(),
        };
        match (ty, value) {
            (Type::String, Value::Str(text)) => {
                let ptr = self.alloc(text.len(), 1);
                self.put(ptr, text.as_bytes());
                self.pointer_and_length(at, ptr, text.len() as u32);
                Ok(())
            }
            (Type::Id(id), _) => match (&resolve.types[*id].kind, value) {
                (TypeDefKind::Type(inner), _) => self.store(resolve, sizes, inner, value, at),
                (TypeDefKind::List(item), Value::List(items)) => {
                    let size = sizes.size(item).size_wasm32();
                    let ptr = self.alloc(size * items.len(), sizes.align(item).align_wasm32());
                    for (i, one) in items.iter().enumerate() {
                        self.store(resolve, sizes, item, one, ptr + (i * size) as u32)?;
                    }
                    self.pointer_and_length(at, ptr, items.len() as u32);
                    Ok(())
                }
                (TypeDefKind::Tuple(tuple), Value::Tuple(values)) => {
                    self.fields(resolve, sizes, &tuple.types, values, at)
                }
                (TypeDefKind::Record(record), Value::Tuple(values)) => {
                    let types: Vec<Type> = record.fields.iter().map(|f| f.ty).collect();
                    self.fields(resolve, sizes, &types, values, at)
                }
                (TypeDefKind::Option(some), Value::Case(disc, payload)) => self.case(
                    resolve,
                    sizes,
                    Int::U8,
                    &[None, Some(*some)],
                    *disc,
                    payload,
                    at,
                ),
                (TypeDefKind::Result(result), Value::Case(disc, payload)) => {
                    let cases = [result.ok, result.err];
                    self.case(resolve, sizes, Int::U8, &cases, *disc, payload, at)
                }
                (TypeDefKind::Variant(variant), Value::Case(disc, payload)) => {
                    let cases: Vec<Option<Type>> = variant.cases.iter().map(|c| c.ty).collect();
                    self.case(resolve, sizes, variant.tag(), &cases, *disc, payload, at)
                }
                (TypeDefKind::Enum(enum_), Value::Case(disc, None))
                    if (*disc as usize) < enum_.cases.len() =>
                {
                    self.discriminant(enum_.tag(), *disc, at);
                    Ok(())
                }
                _ => Err(misfit()),
            },
            _ => Err(misfit()),
        }
    }

    fn pointer_and_length(&mut self, at: u32, ptr: u32, len: u32) {
        self.put(at, &ptr.to_le_bytes());
        self.put(at + 4, &len.to_le_bytes());
    }

    fn fields(
        &mut self,
        resolve: &Resolve,
        sizes: &SizeAlign,
        types: &[Type],
        values: &[Value],
        at: u32,
    ) -> Result<(), Misfit> {
        if types.len() != values.len() {
            return Err(Misfit {
                value: Value::Tuple(values.to_vec()),
            });
        }
        for ((offset, ty), value) in sizes.field_offsets(types).into_iter().zip(values) {
            self.store(resolve, sizes, ty, value, at + offset.size_wasm32() as u32)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn case(
        &mut self,
        resolve: &Resolve,
        sizes: &SizeAlign,
        tag: Int,
        cases: &[Option<Type>],
        disc: u32,
        payload: &Option<Box<Value>>,
        at: u32,
    ) -> Result<(), Misfit> {
        let misfit = || Misfit {
            value: Value::Case(disc, payload.clone()),
        };
        let case = cases.get(disc as usize).ok_or_else(misfit)?;
        self.discriminant(tag, disc, at);
        let offset = sizes
            .payload_offset(tag, cases.iter().map(Option::as_ref))
            .size_wasm32() as u32;
        match (case, payload) {
            (None, None) => Ok(()),
            (Some(ty), Some(value)) => self.store(resolve, sizes, ty, value, at + offset),
            _ => Err(misfit()),
        }
    }

    fn discriminant(&mut self, tag: Int, disc: u32, at: u32) {
        match tag {
            Int::U8 => self.put(at, &[disc as u8]),
            Int::U16 => self.put(at, &(disc as u16).to_le_bytes()),
            Int::U32 | Int::U64 => self.put(at, &disc.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(wit: &str) -> (Resolve, SizeAlign) {
        let mut resolve = Resolve::default();
        resolve.push_str("t.wit", wit).unwrap();
        let mut sizes = SizeAlign::default();
        sizes.fill(&resolve);
        (resolve, sizes)
    }

    fn result_type(resolve: &Resolve, func: &str) -> Type {
        let (_, iface) = resolve.interfaces.iter().next().unwrap();
        iface.functions[func].result.unwrap()
    }

    #[test]
    fn a_list_of_string_pairs_is_pointers_to_pairs_to_bytes() {
        let (resolve, sizes) = resolve(
            "package a:b; interface e { get-environment: func() -> list<tuple<string, string>>; }",
        );
        let ty = result_type(&resolve, "get-environment");
        let mut data = Data::new(16);
        let pair = Value::Tuple(vec![Value::Str("K".into()), Value::Str("vv".into())]);
        let at = data.result(&resolve, &sizes, &ty, &Value::List(vec![pair]), false);
        assert_eq!(at.unwrap(), Returned::Stored(16));
        let word = |a: u32| {
            let i = (a - 16) as usize;
            u32::from_le_bytes(data.bytes()[i..i + 4].try_into().unwrap())
        };
        let (list, len) = (word(16), word(20));
        assert_eq!(len, 1);
        let (k, k_len, v, v_len) = (word(list), word(list + 4), word(list + 8), word(list + 12));
        let text = |p: u32, n: u32| &data.bytes()[(p - 16) as usize..(p - 16 + n) as usize];
        assert_eq!((text(k, k_len), text(v, v_len)), (&b"K"[..], &b"vv"[..]));
    }

    #[test]
    fn an_error_case_sits_after_the_result_discriminant_at_the_payload_alignment() {
        let (resolve, sizes) = resolve(
            "package a:b; interface s {
                 enum error-code { unknown, access-denied }
                 resource sock;
                 create: func() -> result<sock, error-code>;
                 flags-of: func() -> result<u64, error-code>;
             }",
        );
        let denied = Value::Case(1, Some(Box::new(Value::Case(1, None))));
        let mut data = Data::new(0);
        let ty = result_type(&resolve, "create");
        assert_eq!(
            data.result(&resolve, &sizes, &ty, &denied, false).unwrap(),
            Returned::Stored(0)
        );
        assert_eq!(data.bytes(), [1, 0, 0, 0, 1, 0, 0, 0]);
        let mut data = Data::new(0);
        let ty = result_type(&resolve, "flags-of");
        data.result(&resolve, &sizes, &ty, &denied, false).unwrap();
        assert_eq!(
            data.bytes()[..9],
            [1, 0, 0, 0, 0, 0, 0, 0, 1],
            "u64 payloads align to 8"
        );
    }

    #[test]
    fn a_value_of_the_wrong_shape_is_a_misfit_not_garbage() {
        let (resolve, sizes) =
            resolve("package a:b; interface e { names: func() -> list<string>; }");
        let ty = result_type(&resolve, "names");
        let mut data = Data::new(0);
        assert!(
            data.result(&resolve, &sizes, &ty, &Value::Case(0, None), false)
                .is_err()
        );
    }
}

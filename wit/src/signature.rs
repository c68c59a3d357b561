//! WIT spellings of types and function signatures, for JSON, `inspect` and diagnostics.

use wit_component::WitPrinter;
use wit_parser::{Function, FunctionKind, Param, Resolve, Type};

/// The WIT spelling of a type reference: `string`, `list<tuple<u8, u32>>`, `own<counter>`, `result<_, error>`...
pub(crate) fn type_name(resolve: &Resolve, ty: &Type) -> String {
    let mut printer = WitPrinter::default();
    match printer.print_type_name(resolve, ty) {
        Ok(()) => printer.output.to_string(),
        // The printer only fails on types a resolved `Resolve` cannot hold; say so rather than panic.
        Err(err) => format!("<unprintable type: {err}>"),
    }
}

/// The parameters a WIT reader sees: a method's implicit `self` is left out, as WIT text leaves it out.
pub(crate) fn visible_params(func: &Function) -> &[Param] {
    match func.kind {
        FunctionKind::Method(_) | FunctionKind::AsyncMethod(_) => &func.params[1..],
        _ => &func.params,
    }
}

/// The signature of `func` as WIT writes it: `func(name: string) -> string`, `constructor(start: u32)`,
/// `async func() -> u32`.
pub(crate) fn signature(resolve: &Resolve, func: &Function) -> String {
    let params: Vec<String> = visible_params(func)
        .iter()
        .map(|p| format!("{}: {}", p.name, type_name(resolve, &p.ty)))
        .collect();
    let keyword = match func.kind {
        FunctionKind::Constructor(_) => "constructor",
        _ if func.kind.is_async() => "async func",
        _ => "func",
    };
    let mut sig = format!("{keyword}({})", params.join(", "));
    let is_constructor = matches!(func.kind, FunctionKind::Constructor(_));
    if let (Some(result), false) = (&func.result, is_constructor) {
        sig.push_str(" -> ");
        sig.push_str(&type_name(resolve, result));
    }
    sig
}

#[cfg(test)]
mod tests {
    use crate::WitSource;

    #[test]
    fn signatures_read_like_wit() {
        let src = WitSource::from_wit_text(
            "t.wit",
            "package a:b;
             interface i {
               resource counter { constructor(start: u32); get: func() -> u32; make: static func() -> counter; }
               f: func(xs: list<tuple<string, u8>>, o: option<counter>) -> result<_, string>;
               g: async func();
             }",
        )
        .unwrap();
        let iface = src.resolve.interfaces.iter().next().unwrap().1;
        let sig = |name: &str| super::signature(&src.resolve, &iface.functions[name]);
        assert_eq!(sig("[constructor]counter"), "constructor(start: u32)");
        assert_eq!(sig("[method]counter.get"), "func() -> u32");
        assert_eq!(sig("[static]counter.make"), "func() -> counter");
        assert_eq!(
            sig("f"),
            "func(xs: list<tuple<string, u8>>, o: option<counter>) -> result<_, string>"
        );
        assert_eq!(sig("g"), "async func()");
    }
}

//! `--invoke 'f(args)'`: find an exported function (top-level or inside an exported interface), read its
//! arguments as WAVE values against its signature, call it, and give back the result in WAVE.
//!
//! Several calls run in order on one instance. A resource a call returns is kept under a name (`counter1`,
//! `counter2`, ...) that later calls pass where that resource is expected: `counter.new(5)`, then
//! `counter.increment(counter1, 2)` and `counter.get(counter1)`.

use crate::error::RunError;
use std::collections::HashMap;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;
use wasmtime::component::{Component, Instance, ResourceAny, Type, Val};
use wasmtime::{AsContextMut, Engine};

/// One exported function.
#[derive(Clone)]
pub struct Export {
    /// The exported interface it is in, if any.
    pub interface: Option<String>,
    /// Its name (`greet`, `[method]counter.get`).
    pub name: String,
    /// Its type.
    pub ty: ComponentFunc,
    /// The names of the component's resources, for its signature.
    resources: std::sync::Arc<crate::type_text::ResourceNames>,
}

impl Export {
    /// The full name a user can always write: `iface#name`, or `name`.
    pub fn path(&self) -> String {
        match &self.interface {
            Some(iface) => format!("{iface}#{}", self.name),
            None => self.name.clone(),
        }
    }

    /// `name: func(a: T, ...) -> R`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .ty
            .params()
            .map(|(name, ty)| format!("{name}: {}", self.type_text(&ty)))
            .collect();
        let results: Vec<String> = self.ty.results().map(|ty| self.type_text(&ty)).collect();
        let arrow = match results.as_slice() {
            [] => String::new(),
            [one] => format!(" -> {one}"),
            many => format!(" -> ({})", many.join(", ")),
        };
        let func = if self.ty.async_() {
            "async func"
        } else {
            "func"
        };
        format!("{}: {func}({}){arrow}", self.name, params.join(", "))
    }

    /// `ty` in WIT syntax, resources by their names.
    pub(crate) fn type_text(&self, ty: &Type) -> String {
        crate::type_text::named_type_text(ty, &self.resources)
    }

    /// The resource this function belongs to (`counter` for `[method]counter.get`), if any.
    fn resource(&self) -> Option<&str> {
        let rest = ["[constructor]", "[method]", "[static]"]
            .iter()
            .find_map(|prefix| self.name.strip_prefix(prefix))?;
        Some(rest.split('.').next().unwrap_or(rest))
    }
}

/// Every function the component exports, top-level ones first, then those of each exported interface.
pub fn exports(engine: &Engine, component: &Component) -> Vec<Export> {
    let resources = std::sync::Arc::new(crate::type_text::ResourceNames::of(engine, component));
    let mut functions = Vec::new();
    let mut interfaces = Vec::new();
    for (name, item) in component.component_type().exports(engine) {
        match item.ty {
            ComponentItem::ComponentFunc(ty) => functions.push(Export {
                interface: None,
                name: name.to_owned(),
                ty,
                resources: resources.clone(),
            }),
            ComponentItem::ComponentInstance(instance) => {
                for (func, item) in instance.exports(engine) {
                    if let ComponentItem::ComponentFunc(ty) = item.ty {
                        interfaces.push(Export {
                            interface: Some(name.to_owned()),
                            name: func.to_owned(),
                            ty,
                            resources: resources.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    functions.extend(interfaces);
    functions
}

/// Finds the function `wanted` names: `iface#name` (the interface by its full name, without its version, or by
/// its last segment) or `name` alone, where `name` may also be written `res.method` / `res.new` for a
/// resource's method, static function or constructor.
pub fn find<'a>(exports: &'a [Export], wanted: &str) -> Result<&'a Export, RunError> {
    let (iface, name) = match wanted.rsplit_once('#') {
        Some((iface, name)) => (Some(iface), name),
        None => (None, wanted),
    };
    let matches: Vec<&Export> = exports
        .iter()
        .filter(|e| {
            names_function(e, name)
                && iface.is_none_or(|i| names_interface(e.interface.as_deref(), i))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(RunError::NoSuchFunction {
            wanted: wanted.to_owned(),
            available: exports.iter().map(Export::path).collect(),
        }),
        many => {
            // A top-level function wins over same-named ones inside interfaces.
            let top: Vec<&&Export> = many.iter().filter(|e| e.interface.is_none()).collect();
            match top.as_slice() {
                [one] => Ok(one),
                _ => Err(RunError::AmbiguousFunction {
                    wanted: wanted.to_owned(),
                    candidates: many.iter().map(|e| e.path()).collect(),
                }),
            }
        }
    }
}

fn names_function(export: &Export, name: &str) -> bool {
    if export.name == name {
        return true;
    }
    let Some((resource, method)) = name.split_once('.') else {
        return false;
    };
    if method == "new" && export.name == format!("[constructor]{resource}") {
        return true;
    }
    export.name == format!("[method]{resource}.{method}")
        || export.name == format!("[static]{resource}.{method}")
}

fn names_interface(interface: Option<&str>, wanted: &str) -> bool {
    let Some(interface) = interface else {
        return false;
    };
    let unversioned = interface.split('@').next().unwrap_or(interface);
    let short = unversioned.rsplit('/').next().unwrap_or(unversioned);
    wanted == interface || wanted == unversioned || wanted == short
}

/// Calls on one instance, with the resources earlier calls returned.
pub struct Session {
    instance: Instance,
    exports: Vec<Export>,
    handles: HashMap<String, ResourceAny>,
    counts: HashMap<String, usize>,
}

impl Session {
    /// A session on `instance` of `component`.
    pub fn new(engine: &Engine, component: &Component, instance: Instance) -> Self {
        Session {
            instance,
            exports: exports(engine, component),
            handles: HashMap::new(),
            counts: HashMap::new(),
        }
    }

    /// Runs one `--invoke` expression and returns its result in WAVE (empty for a function without results), on
    /// wasmtime's synchronous path.
    pub fn call(
        &mut self,
        mut store: impl AsContextMut,
        expression: &str,
    ) -> Result<String, RunError> {
        let call = self.begin(&mut store, expression)?;
        let mut results = call.results();
        call.func
            .call(&mut store, &call.args, &mut results)
            .map_err(|e| call.failed(e))?;
        self.finish(&call.export, &results)
    }

    /// Like [`Session::call`], on wasmtime's concurrent path: an async export is awaited, and the streams and
    /// futures its result holds are read to their end (a stream shows as the list of its items, a future as its
    /// value), within [`MAX_READ_BYTES`](crate::MAX_READ_BYTES). A trap or a limit hit while they are written
    /// fails the call as one hit during it would.
    pub(crate) async fn call_concurrent<S>(
        &mut self,
        mut store: S,
        expression: &str,
    ) -> Result<String, RunError>
    where
        S: AsContextMut,
        S::Data: Send + 'static,
    {
        let call = self.begin(&mut store, expression)?;
        let unreadable = |source: crate::concurrent::ReadError| RunError::InvokeResult {
            function: call.export.path(),
            source: source.into(),
        };
        // A result holding a stream or a future weld cannot read: said before the guest runs.
        if let Some(ty) = call
            .export
            .ty
            .results()
            .find_map(|ty| crate::concurrent::unreadable(&ty))
        {
            return Err(unreadable(crate::concurrent::ReadError::Payload(ty)));
        }
        let mut results = call.results();
        call.func
            .call_async(&mut store, &call.args, &mut results)
            .await
            .map_err(|e| call.failed(e))?;
        crate::concurrent::read_transmits(&mut store, &mut results)
            .await
            .map_err(|failure| match failure {
                crate::concurrent::ReadFailure::Unreadable(e) => unreadable(e),
                crate::concurrent::ReadFailure::Guest(e) => call.failed(e),
            })?;
        self.finish(&call.export, &results)
    }

    /// Finds the function `expression` calls and reads its arguments.
    fn begin(&self, mut store: impl AsContextMut, expression: &str) -> Result<Call, RunError> {
        let syntax = |message: String| RunError::InvokeSyntax {
            expression: expression.to_owned(),
            message,
        };
        let open = expression.find('(').ok_or_else(|| {
            syntax("expected `name(arguments)`, such as `greet(\"world\")`".into())
        })?;
        let export = find(&self.exports, expression[..open].trim())?.clone();
        let args = self.arguments(&export, expression, open)?;

        let iface = export.interface.as_deref();
        let func = lookup(&self.instance, &mut store, iface, &export.name).ok_or_else(|| {
            RunError::NoSuchFunction {
                wanted: export.path(),
                available: self.exports.iter().map(Export::path).collect(),
            }
        })?;
        Ok(Call {
            export,
            func,
            args,
            expression: expression.to_owned(),
        })
    }

    /// The results in WAVE, joined by `, `.
    fn finish(&mut self, export: &Export, results: &[Val]) -> Result<String, RunError> {
        let texts = results
            .iter()
            .map(|val| self.show(export, val))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(texts.join(", "))
    }

    /// Reads the arguments after `open` (the `(`) against the function's parameters.
    fn arguments(
        &self,
        export: &Export,
        expression: &str,
        open: usize,
    ) -> Result<Vec<Val>, RunError> {
        // WAVE parses `name(args)`; give it a plain name so any function name works, and map error positions
        // back to the user's text.
        let source = format!("f{}", &expression[open..]);
        let shift = |pos: usize| pos + open - 1;
        let bad = |message: String| RunError::InvokeArguments {
            expression: expression.to_owned(),
            signature: export.signature(),
            message,
        };
        // WAVE's own text ends with `at START..END` in the source it parsed; say the column in the user's.
        // What is wrong comes from the error's detail or, when a value does not fit its type (a record without a
        // field, an unknown case), from its source: `missing field "h"`, as wasmtime says it.
        let locate = |span: std::ops::Range<usize>| {
            let (start, end) = (shift(span.start), shift(span.end));
            let text = expression.get(start..end).unwrap_or_default();
            format!(
                "(column {}{})",
                start + 1,
                if text.is_empty() || text.len() > 40 {
                    String::new()
                } else {
                    format!(", at `{text}`")
                }
            )
        };
        let wave_text = |e: &wasmtime::component::wasm_wave::parser::ParserError| {
            let (start, end) = (shift(e.span().start), shift(e.span().end));
            // The lexer may start a token inside a word it could not read (`lue` of `Blue`): show the word.
            let word = expression.get(..start).map_or(0, |before| {
                before.len()
                    - before
                        .chars()
                        .rev()
                        .take_while(|c| c.is_alphanumeric() || *c == '-')
                        .map(char::len_utf8)
                        .sum::<usize>()
            });
            let text = expression.get(word..end).unwrap_or_default();
            if let Some(syntax) = syntax_error(&e.kind(), text) {
                return format!("{syntax} {}", locate((word + 1 - open)..e.span().end));
            }
            let why = match (std::error::Error::source(e), e.detail()) {
                (Some(source), _) => format!(": {source}"),
                (None, Some(detail)) => format!(": {detail}"),
                (None, None) => String::new(),
            };
            format!("{}{why} {}", e.kind(), locate(e.span()))
        };
        // A stream, a future or an error context has no WAVE syntax: say so before reading anything.
        if let Some((name, ty)) = export
            .ty
            .params()
            .find(|(_, ty)| crate::concurrent::holds_transmit(ty))
        {
            return Err(bad(format!(
                "`{name}` is a {}: WAVE has no syntax for streams, futures or error contexts, so no value of \
                 this type can be written here; pass it from another component instead (compose one that \
                 calls this function)",
                export.type_text(&ty)
            )));
        }
        let wave_error =
            |e: wasmtime::component::wasm_wave::parser::ParserError| bad(wave_text(&e));
        let call = UntypedFuncCall::parse(&source).map_err(wave_error)?;
        let params: Vec<(String, Type)> =
            export.ty.params().map(|(n, t)| (n.to_owned(), t)).collect();
        let nodes: Vec<_> = match call.params_node() {
            Some(node) => node.as_tuple().map_err(wave_error)?.collect(),
            None => Vec::new(),
        };
        if nodes.len() > params.len()
            || (nodes.len() < params.len()
                && !params[nodes.len()..]
                    .iter()
                    .all(|(_, t)| matches!(t, Type::Option(_))))
        {
            return Err(bad(format!(
                "{} given, {} expected",
                count(nodes.len()),
                count(params.len())
            )));
        }
        let mut values = Vec::with_capacity(params.len());
        for (i, (name, ty)) in params.iter().enumerate() {
            let Some(node) = nodes.get(i) else {
                values.push(Val::Option(None));
                continue;
            };
            let value = crate::wave_check::to_val(node, ty, &source, name, &self.handles)
                .map_err(|m| bad(format!("`{}`: {} {}", m.path, m.message, locate(m.span))))?;
            values.push(value);
        }
        Ok(values)
    }

    /// A result in WAVE; each resource in it, at any depth (`some(thing)`), is kept and shown by its new name
    /// (`counter1`: the resource's name when the function is one of its own, else `resource1`).
    fn show(&mut self, export: &Export, val: &Val) -> Result<String, RunError> {
        let base = export.resource().unwrap_or("resource").to_owned();
        let named = self.name_resources(&base, val);
        named.to_wave().map_err(|e| RunError::InvokeResult {
            function: export.path(),
            source: e.into(),
        })
    }

    /// `val` with each resource replaced by a fresh name (`{base}{n}`, written as an enum case so that WAVE prints
    /// it bare), kept for later calls.
    fn name_resources(&mut self, base: &str, val: &Val) -> Val {
        let mut each = |vals: &[Val]| vals.iter().map(|v| self.name_resources(base, v)).collect();
        match val {
            Val::Resource(resource) => {
                let n = self.counts.entry(base.to_owned()).or_default();
                *n += 1;
                let name = format!("{base}{n}");
                self.handles.insert(name.clone(), *resource);
                Val::Enum(name)
            }
            // An error context has no WAVE form; it is shown by what it is.
            Val::ErrorContext(_) => Val::Enum("error-context".to_owned()),
            Val::List(items) => Val::List(each(items)),
            Val::Tuple(items) => Val::Tuple(each(items)),
            Val::Record(fields) => Val::Record(
                fields
                    .iter()
                    .map(|(name, v)| (name.clone(), self.name_resources(base, v)))
                    .collect(),
            ),
            Val::Variant(case, payload) => Val::Variant(
                case.clone(),
                payload
                    .as_ref()
                    .map(|v| Box::new(self.name_resources(base, v))),
            ),
            Val::Option(inner) => Val::Option(
                inner
                    .as_ref()
                    .map(|v| Box::new(self.name_resources(base, v))),
            ),
            Val::Result(result) => {
                let mut inner = |v: &Option<Box<Val>>| {
                    v.as_ref().map(|v| Box::new(self.name_resources(base, v)))
                };
                Val::Result(match result {
                    Ok(v) => Ok(inner(v)),
                    Err(v) => Err(inner(v)),
                })
            }
            other => other.clone(),
        }
    }
}

/// One call about to be made: the function, its arguments, and the expression that asked for it.
struct Call {
    export: Export,
    func: wasmtime::component::Func,
    args: Vec<Val>,
    expression: String,
}

impl Call {
    /// Room for the function's results.
    fn results(&self) -> Vec<Val> {
        vec![Val::Bool(false); self.export.ty.results().len()]
    }

    /// What a failed call was: a resource used after an earlier call took it, the guest's fault (a trap, an exit),
    /// or a value that could not be passed.
    fn failed(&self, e: wasmtime::Error) -> RunError {
        // A name whose resource an earlier call took (an `own` parameter moves it) or dropped.
        if format!("{e:#}").contains("unknown handle index") {
            return RunError::InvokeArguments {
                expression: self.expression.clone(),
                signature: self.export.signature(),
                message:
                    "a resource passed here is gone: an earlier call took it (an `own` parameter \
                          moves the resource into the callee) or dropped it"
                        .to_owned(),
            };
        }
        match RunError::from_guest(e) {
            RunError::Host(source) => RunError::CallFailed {
                function: self.export.path(),
                source,
            },
            other => other,
        }
    }
}

/// A WAVE syntax error in words, rather than the lexer's token names (`unexpected token: LabelOrKeyword`): what was
/// found, and for a name, a string or a char, the rule it breaks.
fn syntax_error(
    kind: &wasmtime::component::wasm_wave::parser::ParserErrorKind,
    text: &str,
) -> Option<String> {
    use wasmtime::component::wasm_wave::parser::ParserErrorKind as Kind;
    let hint = match text.chars().next() {
        Some('"') => {
            "; a string is `\"...\"`, its escapes `\\n`, `\\t`, `\\\\`, `\\\"`, `\\'` and `\\u{..}`"
        }
        Some('\'') => "; a char is one character in single quotes, `'a'`",
        Some(c) if c.is_ascii_uppercase() => "; names are lower-case in WAVE (`blue`, `my-case`)",
        _ => "",
    };
    match kind {
        Kind::UnexpectedToken => Some(format!("WAVE syntax: unexpected `{text}`{hint}")),
        Kind::InvalidToken | Kind::InvalidEscape | Kind::MultipleChars => {
            Some(format!("WAVE syntax: cannot read `{text}`{hint}"))
        }
        _ => None,
    }
}

fn count(n: usize) -> String {
    match n {
        1 => "1 argument".into(),
        n => format!("{n} arguments"),
    }
}

/// The function `name` of the instance, inside `iface` when given.
fn lookup(
    instance: &Instance,
    mut store: impl AsContextMut,
    iface: Option<&str>,
    name: &str,
) -> Option<wasmtime::component::Func> {
    let parent = match iface {
        Some(iface) => Some(instance.get_export_index(&mut store, None, iface)?),
        None => None,
    };
    let index = instance.get_export_index(&mut store, parent.as_ref(), name)?;
    instance.get_func(&mut store, index)
}

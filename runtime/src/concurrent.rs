//! wasmtime's concurrent (async) path, for the components that need it: those that import a WASI 0.3 interface
//! (wasmtime defines 0.3 host functions as concurrent ones, which a synchronous instantiation refuses) or export
//! an async function (wasmtime refuses a synchronous call of an async-lifted export). Everything else keeps the
//! synchronous path, unchanged.
//!
//! A concurrent run is driven on a current-thread tokio runtime made for it; its time limit also holds while the
//! guest waits (on a stream, a future, a host call), not only while it computes. The streams and futures a
//! result holds are read here, to their end.

use crate::imports;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, FutureAny, FutureConsumer, Lift, Source, StreamAny, StreamConsumer, StreamResult,
    Val,
};
use wasmtime::{AsContextMut, Engine, StoreContextMut};

/// The most items weld reads from one stream a result holds (`weld run --invoke`), so that a guest streaming
/// without end cannot make the host buffer without end even without `--timeout`: 16 Mi items (16 MiB of a
/// `stream<u8>`).
pub const MAX_STREAM_ITEMS: usize = 16 << 20;

/// Whether `component` must run on the concurrent path: it imports a WASI 0.3 interface, or exports an async
/// function (at the top level or in an exported interface).
pub(crate) fn needed(component: &Component) -> bool {
    let engine = component.engine();
    let ty = component.component_type();
    ty.imports(engine)
        .any(|(name, _)| imports::is_wasi_0_3(name))
        || ty
            .exports(engine)
            .any(|(_, item)| has_async(engine, &item.ty))
}

/// Whether `item` is, or is an instance holding, an async function.
fn has_async(engine: &Engine, item: &ComponentItem) -> bool {
    match item {
        ComponentItem::ComponentFunc(func) => func.async_(),
        ComponentItem::ComponentInstance(instance) => instance
            .exports(engine)
            .any(|(_, export)| has_async(engine, &export.ty)),
        _ => false,
    }
}

/// Runs `work` to its end on a current-thread runtime made for it, or until `timeout` passes: `None` then. The
/// runtime is let go without waiting for blocking work it started (a read of the host's stdin never ends).
pub(crate) fn block_on<T>(
    timeout: Option<Duration>,
    work: impl Future<Output = T>,
) -> std::io::Result<Option<T>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let done = runtime.block_on(async move {
        match timeout {
            Some(timeout) => tokio::time::timeout(timeout, work).await.ok(),
            None => Some(work.await),
        }
    });
    runtime.shutdown_background();
    Ok(done)
}

/// Why a stream or a future in a result could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Its payload is of a type weld does not read on the host.
    #[error(
        "it holds a {0}: weld reads streams and futures of booleans, numbers, chars, strings and list<u8>, not \
         of other types"
    )]
    Payload(&'static str),
    /// The stream went past [`MAX_STREAM_ITEMS`].
    #[error("it holds a stream longer than {MAX_STREAM_ITEMS} items, the most weld reads")]
    TooLong,
    /// wasmtime failed while reading it (the guest trapped, say).
    #[error("reading it failed")]
    Wasmtime(#[source] crate::error::BoxError),
}

/// `results` with every stream replaced by a list of what it carried, to its end, and every future by its value:
/// the values a user can read as WAVE. The guest keeps running (in `store`'s event loop) while they are read.
pub(crate) async fn read_transmits<S>(mut store: S, results: &mut [Val]) -> Result<(), ReadError>
where
    S: AsContextMut,
    S::Data: Send + 'static,
{
    let mut found = Vec::new();
    for val in results.iter() {
        collect(val, &mut found);
    }
    if found.is_empty() {
        return Ok(());
    }
    let mut read = Vec::with_capacity(found.len());
    for transmit in found {
        read.push(read_one(&mut store, transmit).await?);
    }
    let mut read = read.into_iter();
    for val in results.iter_mut() {
        replace(val, &mut read);
    }
    Ok(())
}

/// A stream or a future in a result.
enum Transmit {
    Stream(StreamAny),
    Future(FutureAny),
}

/// Every stream and future in `val`, in order.
fn collect(val: &Val, found: &mut Vec<Transmit>) {
    match val {
        Val::Stream(stream) => found.push(Transmit::Stream(stream.clone())),
        Val::Future(future) => found.push(Transmit::Future(future.clone())),
        Val::List(items) | Val::Tuple(items) => items.iter().for_each(|v| collect(v, found)),
        Val::Record(fields) => fields.iter().for_each(|(_, v)| collect(v, found)),
        Val::Variant(_, Some(v))
        | Val::Option(Some(v))
        | Val::Result(Ok(Some(v)) | Err(Some(v))) => collect(v, found),
        _ => {}
    }
}

/// `val` with each stream and future replaced by the next of `read`, in the order of [`collect`].
fn replace(val: &mut Val, read: &mut impl Iterator<Item = Val>) {
    match val {
        Val::Stream(_) | Val::Future(_) => {
            if let Some(next) = read.next() {
                *val = next;
            }
        }
        Val::List(items) | Val::Tuple(items) => items.iter_mut().for_each(|v| replace(v, read)),
        Val::Record(fields) => fields.iter_mut().for_each(|(_, v)| replace(v, read)),
        Val::Variant(_, Some(v))
        | Val::Option(Some(v))
        | Val::Result(Ok(Some(v)) | Err(Some(v))) => replace(v, read),
        _ => {}
    }
}

/// Reads one stream to its end, or one future, trying each payload type weld reads.
async fn read_one<S>(store: &mut S, transmit: Transmit) -> Result<Val, ReadError>
where
    S: AsContextMut,
    S::Data: Send + 'static,
{
    macro_rules! try_payloads {
        ($($ty:ty => $to_val:expr),* $(,)?) => {
            match transmit {
                Transmit::Stream(stream) => {
                    $(
                        if let Ok(reader) = stream.clone().try_into_stream_reader::<$ty>() {
                            let items = drain_stream(store, reader).await?;
                            let to_val: fn($ty) -> Val = $to_val;
                            return Ok(Val::List(items.into_iter().map(to_val).collect()));
                        }
                    )*
                    let mut stream = stream;
                    let _ = stream.close(store.as_context_mut());
                    Err(ReadError::Payload("stream"))
                }
                Transmit::Future(future) => {
                    $(
                        if let Ok(reader) = future.clone().try_into_future_reader::<$ty>() {
                            let value = drain_future(store, reader).await?;
                            let to_val: fn($ty) -> Val = $to_val;
                            return Ok(value.map_or(Val::Option(None), to_val));
                        }
                    )*
                    let mut future = future;
                    let _ = future.close(store.as_context_mut());
                    Err(ReadError::Payload("future"))
                }
            }
        };
    }
    try_payloads! {
        u8 => Val::U8,
        bool => Val::Bool,
        i8 => Val::S8,
        u16 => Val::U16,
        i16 => Val::S16,
        u32 => Val::U32,
        i32 => Val::S32,
        u64 => Val::U64,
        i64 => Val::S64,
        f32 => Val::Float32,
        f64 => Val::Float64,
        char => Val::Char,
        String => Val::String,
        Vec<u8> => |bytes: Vec<u8>| Val::List(bytes.into_iter().map(Val::U8).collect()),
        () => |()| Val::Tuple(Vec::new()),
    }
}

/// Pipes `reader` into a consumer that keeps what it is given, and runs the store's event loop until the stream
/// ends (its writer dropped it) or passes [`MAX_STREAM_ITEMS`].
async fn drain_stream<S, T>(
    store: &mut S,
    reader: wasmtime::component::StreamReader<T>,
) -> Result<Vec<T>, ReadError>
where
    S: AsContextMut,
    S::Data: Send + 'static,
    T: Lift + Send + Sync + Unpin + 'static,
{
    let (done, items) = oneshot::channel();
    let keep = Keep {
        items: Vec::new(),
        too_long: false,
        done: Some(done),
    };
    reader
        .pipe(store.as_context_mut(), keep)
        .map_err(|e| ReadError::Wasmtime(e.into()))?;
    let kept = store
        .as_context_mut()
        .run_concurrent(async |_| items.await)
        .await
        .map_err(|e| ReadError::Wasmtime(e.into()))?;
    match kept {
        Ok((_, true)) => Err(ReadError::TooLong),
        Ok((items, false)) => Ok(items),
        Err(_) => Err(ReadError::Wasmtime(
            "the stream was dropped by the host before it ended".into(),
        )),
    }
}

/// Pipes `reader` into a consumer that keeps its value, and runs the store's event loop until it comes (`None`
/// when the writer dropped the future without writing).
async fn drain_future<S, T>(
    store: &mut S,
    reader: wasmtime::component::FutureReader<T>,
) -> Result<Option<T>, ReadError>
where
    S: AsContextMut,
    S::Data: Send + 'static,
    T: Lift + Send + Sync + Unpin + 'static,
{
    let (done, value) = oneshot::channel();
    reader
        .pipe(
            store.as_context_mut(),
            KeepOne {
                value: None,
                done: Some(done),
            },
        )
        .map_err(|e| ReadError::Wasmtime(e.into()))?;
    store
        .as_context_mut()
        .run_concurrent(async |_| value.await.ok().flatten())
        .await
        .map_err(|e| ReadError::Wasmtime(e.into()))
}

/// A stream's consumer that keeps every item, up to [`MAX_STREAM_ITEMS`]; what it kept is sent when the stream
/// ends (wasmtime drops the consumer).
struct Keep<T> {
    items: Vec<T>,
    too_long: bool,
    done: Option<oneshot::Sender<(Vec<T>, bool)>>,
}

impl<T> Drop for Keep<T> {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send((std::mem::take(&mut self.items), self.too_long));
        }
    }
}

impl<D, T: Lift + Send + Sync + Unpin + 'static> StreamConsumer<D> for Keep<T> {
    type Item = T;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        mut store: StoreContextMut<D>,
        mut source: Source<'_, T>,
        _: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let this = self.get_mut();
        let offered = source.remaining(&mut store);
        if this.items.len() + offered > MAX_STREAM_ITEMS {
            this.too_long = true;
            return Poll::Ready(Ok(StreamResult::Dropped));
        }
        this.items.reserve(offered);
        source.read(&mut store, &mut this.items)?;
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// A future's consumer that keeps its value; sent when wasmtime drops the consumer.
struct KeepOne<T> {
    value: Option<T>,
    done: Option<oneshot::Sender<Option<T>>>,
}

impl<T> Drop for KeepOne<T> {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(self.value.take());
        }
    }
}

impl<D, T: Lift + Send + Sync + Unpin + 'static> FutureConsumer<D> for KeepOne<T> {
    type Item = T;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        mut store: StoreContextMut<D>,
        mut source: Source<'_, T>,
        _: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let this = self.get_mut();
        source.read(&mut store, &mut this.value)?;
        if let Some(done) = this.done.take() {
            let _ = done.send(this.value.take());
        }
        Poll::Ready(Ok(()))
    }
}

/// The type of a value in WIT syntax where wasm-wave's display has none: `stream<u8>`, `future<string>`,
/// `error-context` (`None` for every other type).
pub(crate) fn transmit_type_text(
    ty: &wasmtime::component::Type,
    text: impl Fn(&wasmtime::component::Type) -> String,
) -> Option<String> {
    use wasmtime::component::Type;
    let payload = |kind: &str, ty: Option<Type>| match ty {
        Some(ty) => format!("{kind}<{}>", text(&ty)),
        None => kind.to_owned(),
    };
    match ty {
        Type::Stream(stream) => Some(payload("stream", stream.ty())),
        Type::Future(future) => Some(payload("future", future.ty())),
        Type::ErrorContext => Some("error-context".to_owned()),
        _ => None,
    }
}

/// Whether a value of type `ty` holds a stream, a future or an error context anywhere: a value WAVE cannot write.
pub(crate) fn holds_transmit(ty: &wasmtime::component::Type) -> bool {
    use wasmtime::component::Type;
    match ty {
        Type::Stream(_) | Type::Future(_) | Type::ErrorContext => true,
        Type::List(list) => holds_transmit(&list.ty()),
        Type::Option(option) => holds_transmit(&option.ty()),
        Type::Result(result) => {
            result.ok().is_some_and(|t| holds_transmit(&t))
                || result.err().is_some_and(|t| holds_transmit(&t))
        }
        Type::Tuple(tuple) => tuple.types().any(|t| holds_transmit(&t)),
        Type::Record(record) => record.fields().any(|f| holds_transmit(&f.ty)),
        Type::Variant(variant) => variant
            .cases()
            .any(|c| c.ty.as_ref().is_some_and(holds_transmit)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EngineSettings, Runtime};
    use std::path::Path;

    /// `fixtures/p3/NAME.wat`, compiled.
    fn p3(runtime: &Runtime, name: &str) -> Component {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../fixtures/p3/{name}.wat"));
        runtime.load(&path, false).unwrap().component
    }

    #[test]
    fn only_components_that_import_wasi_0_3_or_export_async_functions_take_the_concurrent_path() {
        let runtime = Runtime::new(EngineSettings::default(), None).unwrap();
        for (name, concurrent) in [
            ("answer", true),
            ("mixed", true),
            ("hello-p3", true),
            ("env-p3", true),
        ] {
            assert_eq!(needed(&p3(&runtime, name)), concurrent, "{name}");
        }
        let sync = r#"(component
            (core module $m (func (export "f") (result i32) i32.const 1))
            (core instance $i (instantiate $m))
            (func (export "f") (result u32) (canon lift (core func $i "f"))))"#;
        let loaded = runtime
            .load_bytes(Path::new("sync.wat"), sync.as_bytes().to_vec(), false)
            .unwrap();
        assert!(!needed(&loaded.component));
    }

    #[test]
    fn values_holding_streams_or_futures_are_found_at_any_depth() {
        let runtime = Runtime::new(EngineSettings::default(), None).unwrap();
        let takes = p3(&runtime, "takes-stream");
        let exports = crate::invoke::exports(runtime.engine(), &takes);
        for export in &exports {
            let (_, ty) = export.ty.params().next().unwrap();
            assert!(holds_transmit(&ty), "{}", export.signature());
        }
        let numbers = p3(&runtime, "numbers");
        let signatures: Vec<String> = crate::invoke::exports(runtime.engine(), &numbers)
            .iter()
            .map(|e| e.signature())
            .collect();
        assert_eq!(
            signatures,
            [
                "numbers: async func() -> stream<u8>",
                "empty: async func() -> stream<u8>",
                "later: async func() -> future<u32>"
            ]
        );
    }
}

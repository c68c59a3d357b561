//! wasmtime's concurrent (async) path, for the components that need it: those that import a WASI 0.3 interface
//! (wasmtime defines 0.3 host functions as concurrent ones, which a synchronous instantiation refuses) or export
//! an async function (wasmtime refuses a synchronous call of an async-lifted export). Everything else keeps the
//! synchronous path, unchanged.
//!
//! A concurrent run is driven on a current-thread tokio runtime made for it; its time limit also holds while the
//! guest waits (on a stream, a future, a host call), not only while it computes. The streams and futures a
//! result holds are read here, to their end.

use crate::error::RunError;
use crate::imports;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, FutureAny, FutureConsumer, Lift, Source, StreamAny, StreamConsumer, StreamResult,
    Val,
};
use wasmtime::{AsContextMut, Engine, StoreContextMut};

/// The most bytes weld reads from the streams and futures one `--invoke` result holds, all together: 1 MiB,
/// counted as their values take in memory (a byte per `u8` or `bool`, four per `u32`, a string's or a
/// `list<u8>`'s length, at least one per item), so that a guest streaming without end cannot make the host buffer
/// without end, even without `--timeout`. Printed as WAVE, 1 MiB of `u8`s is about 5 MB of text.
pub const MAX_READ_BYTES: usize = 1 << 20;

/// Turns of the event loop weld waits, once no task of the guest is left, for what the guest wrote to reach the
/// host, before it says a stream or a future will never end.
const IDLE_TURNS: u32 = 8;

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

/// Runs `work` to its end on a current-thread runtime made for it, within `timeout` (then the guest is stopped as
/// a trap of `Interrupt`, which `settle` turns into the time limit). The runtime is let go without waiting for
/// blocking work it started (a read of the host's stdin never ends).
///
/// It blocks the thread: called from inside an async runtime, tokio refuses it with a panic.
pub(crate) fn run<T>(
    timeout: Option<Duration>,
    work: impl Future<Output = Result<T, RunError>>,
) -> Result<T, RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Engine(e.into()))?;
    let done = runtime.block_on(async move {
        match timeout {
            Some(timeout) => tokio::time::timeout(timeout, work).await.ok(),
            None => Some(work.await),
        }
    });
    runtime.shutdown_background();
    done.unwrap_or_else(|| {
        Err(RunError::from_guest(wasmtime::Error::new(
            wasmtime::Trap::Interrupt,
        )))
    })
}

/// Why a stream or a future in a result could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Its payload is of a type weld does not read on the host (the type, in WIT: `stream<point>`).
    #[error(
        "it returns a {0}: weld reads streams and futures of booleans, numbers, chars, strings and list<u8>, \
         not of other types"
    )]
    Payload(String),
    /// The streams and futures of the result carried more than [`MAX_READ_BYTES`].
    #[error(
        "its streams and futures carried more than {MAX_READ_BYTES} bytes, the most weld reads"
    )]
    TooLong,
    /// No task of the guest was left, and a stream had not ended or a future had no value.
    #[error("the guest finished without ending a stream or writing a future its result holds")]
    Stalled,
}

/// How reading a result's streams and futures failed: unreadable, or the guest failed (a trap, a limit) while
/// writing them.
pub(crate) enum ReadFailure {
    Unreadable(ReadError),
    Guest(wasmtime::Error),
}

/// `results` with every stream replaced by a list of what it carried, to its end, and every future by its value
/// (`none` when its writer dropped it without one): the values a user can read as WAVE. Every stream and future is
/// read at once, in one run of the store's event loop, so the guest may write them in any order; the loop runs
/// until each has ended or no task of the guest is left.
pub(crate) async fn read_transmits<S>(mut store: S, results: &mut [Val]) -> Result<(), ReadFailure>
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
    let budget = Arc::new(Budget {
        left: AtomicUsize::new(MAX_READ_BYTES),
        over: AtomicBool::new(false),
    });
    let mut pending = Vec::with_capacity(found.len());
    for transmit in found {
        pending.push(pipe(&mut store, transmit, &budget)?);
    }
    let got = store
        .as_context_mut()
        .run_concurrent(async |accessor| {
            let mut got: Vec<Option<Result<Val, ReadError>>> =
                pending.iter().map(|_| None).collect();
            let mut idle = 0;
            poll_fn(|cx| {
                for (slot, rx) in got.iter_mut().zip(pending.iter_mut()) {
                    if slot.is_none()
                        && let Poll::Ready(read) = Pin::new(rx).poll(cx)
                    {
                        *slot = Some(read.unwrap_or(Err(ReadError::Stalled)));
                    }
                }
                if got.iter().all(Option::is_some) {
                    return Poll::Ready(());
                }
                if accessor.poll_no_interesting_tasks(cx).is_pending() {
                    idle = 0;
                    return Poll::Pending;
                }
                idle += 1;
                if idle > IDLE_TURNS {
                    return Poll::Ready(());
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            })
            .await;
            got
        })
        .await
        .map_err(|e| {
            // A guest that writes on after weld dropped a stream for the budget traps; the budget is the cause.
            if budget.over.load(Ordering::Relaxed) {
                ReadFailure::Unreadable(ReadError::TooLong)
            } else {
                ReadFailure::Guest(e)
            }
        })?;
    let mut read = Vec::with_capacity(got.len());
    for slot in got {
        read.push(
            slot.unwrap_or(Err(ReadError::Stalled))
                .map_err(ReadFailure::Unreadable)?,
        );
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

/// What a stream or a future comes to: its value (a stream's list), or why it could not be read.
type Read = oneshot::Receiver<Result<Val, ReadError>>;

/// A payload weld reads on the host: its size against the budget, and its value.
trait Payload: Lift + Send + Sync + Unpin + Sized + 'static {
    /// Bytes it counts against [`MAX_READ_BYTES`] (at least 1).
    fn bytes(&self) -> usize;
    /// Its value, to print.
    fn into_val(self) -> Val;
}

macro_rules! scalar_payloads {
    ($($ty:ty => $case:ident),* $(,)?) => {$(
        impl Payload for $ty {
            fn bytes(&self) -> usize {
                std::mem::size_of::<$ty>()
            }
            fn into_val(self) -> Val {
                Val::$case(self)
            }
        }
    )*};
}

scalar_payloads! {
    u8 => U8, bool => Bool, i8 => S8, u16 => U16, i16 => S16, u32 => U32, i32 => S32, u64 => U64, i64 => S64,
    f32 => Float32, f64 => Float64, char => Char,
}

impl Payload for String {
    fn bytes(&self) -> usize {
        self.len().max(1)
    }
    fn into_val(self) -> Val {
        Val::String(self)
    }
}

/// A `stream` or `future` without a payload: each item (a future's one) is `()`.
impl Payload for () {
    fn bytes(&self) -> usize {
        1
    }
    fn into_val(self) -> Val {
        Val::Tuple(Vec::new())
    }
}

impl Payload for Vec<u8> {
    fn bytes(&self) -> usize {
        self.len().max(1)
    }
    fn into_val(self) -> Val {
        Val::List(self.into_iter().map(Val::U8).collect())
    }
}

/// Sets a consumer on `transmit` that keeps what it carries, trying each payload type weld reads; what it keeps
/// comes through the receiver when the stream ends (wasmtime drops the consumer), the future is written, or the
/// budget runs out.
fn pipe<S>(store: &mut S, transmit: Transmit, budget: &Arc<Budget>) -> Result<Read, ReadFailure>
where
    S: AsContextMut,
    S::Data: Send + 'static,
{
    macro_rules! try_payloads {
        ($($ty:ty),*) => {
            match transmit {
                Transmit::Stream(stream) => {
                    $(
                        if let Ok(reader) = stream.clone().try_into_stream_reader::<$ty>() {
                            let (done, read) = oneshot::channel();
                            let keep = Keep::<$ty> { items: Vec::new(), over: false, budget: budget.clone(), done: Some(done) };
                            reader.pipe(store.as_context_mut(), keep).map_err(ReadFailure::Guest)?;
                            return Ok(read);
                        }
                    )*
                    let mut stream = stream;
                    let _ = stream.close(store.as_context_mut());
                    Err(ReadFailure::Unreadable(ReadError::Payload("stream".to_owned())))
                }
                Transmit::Future(future) => {
                    $(
                        if let Ok(reader) = future.clone().try_into_future_reader::<$ty>() {
                            let (done, read) = oneshot::channel();
                            let keep = KeepOne::<$ty> { value: None, budget: budget.clone(), done: Some(done) };
                            reader.pipe(store.as_context_mut(), keep).map_err(ReadFailure::Guest)?;
                            return Ok(read);
                        }
                    )*
                    let mut future = future;
                    let _ = future.close(store.as_context_mut());
                    Err(ReadFailure::Unreadable(ReadError::Payload("future".to_owned())))
                }
            }
        };
    }
    try_payloads!(
        u8,
        bool,
        i8,
        u16,
        i16,
        u32,
        i32,
        u64,
        i64,
        f32,
        f64,
        char,
        String,
        Vec<u8>,
        ()
    )
}

/// What is left to read of [`MAX_READ_BYTES`], and whether a read went past it.
struct Budget {
    left: AtomicUsize,
    over: AtomicBool,
}

/// Takes `bytes` from `budget`; false (and the budget marked as passed) when there are not that many left.
fn spend(budget: &Budget, bytes: usize) -> bool {
    let spent = budget
        .left
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            left.checked_sub(bytes)
        })
        .is_ok();
    if !spent {
        budget.over.store(true, Ordering::Relaxed);
    }
    spent
}

/// A stream's consumer that keeps every item, one at a time against the budget (a write of many big strings is
/// not lifted whole first); what it kept is sent when the stream ends and wasmtime drops it.
struct Keep<T: Payload> {
    items: Vec<T>,
    over: bool,
    budget: Arc<Budget>,
    done: Option<oneshot::Sender<Result<Val, ReadError>>>,
}

impl<T: Payload> Drop for Keep<T> {
    fn drop(&mut self) {
        let Some(done) = self.done.take() else {
            return;
        };
        let read = if self.over {
            Err(ReadError::TooLong)
        } else {
            let items = std::mem::take(&mut self.items);
            Ok(Val::List(items.into_iter().map(T::into_val).collect()))
        };
        let _ = done.send(read);
    }
}

impl<D, T: Payload> StreamConsumer<D> for Keep<T> {
    type Item = T;

    fn poll_consume(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        mut store: StoreContextMut<D>,
        mut source: Source<'_, T>,
        _: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let this = self.get_mut();
        while source.remaining(&mut store) > 0 {
            let mut one = None;
            source.read(&mut store, &mut one)?;
            let Some(item) = one else {
                break;
            };
            if !spend(&this.budget, item.bytes()) {
                this.over = true;
                return Poll::Ready(Ok(StreamResult::Dropped));
            }
            this.items.push(item);
        }
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// A future's consumer that keeps its value; sent when it comes, or when wasmtime drops the consumer (`none`: the
/// writer dropped the future without writing).
struct KeepOne<T: Payload> {
    value: Option<T>,
    budget: Arc<Budget>,
    done: Option<oneshot::Sender<Result<Val, ReadError>>>,
}

impl<T: Payload> KeepOne<T> {
    fn send(&mut self) {
        let Some(done) = self.done.take() else {
            return;
        };
        let read = match self.value.take() {
            Some(value) if !spend(&self.budget, value.bytes()) => Err(ReadError::TooLong),
            Some(value) => Ok(value.into_val()),
            None => Ok(Val::Option(None)),
        };
        let _ = done.send(read);
    }
}

impl<T: Payload> Drop for KeepOne<T> {
    fn drop(&mut self) {
        self.send();
    }
}

impl<D, T: Payload> FutureConsumer<D> for KeepOne<T> {
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
        this.send();
        Poll::Ready(Ok(()))
    }
}

/// The first stream or future in a value of type `ty` whose payload weld cannot read on the host (in WIT:
/// `stream<point>`), if any: found before a call, so that the guest does not run for a result that cannot be shown.
pub(crate) fn unreadable(ty: &wasmtime::component::Type) -> Option<String> {
    use wasmtime::component::Type;
    let readable = |payload: Option<Type>| match payload {
        None => true,
        Some(Type::List(list)) => matches!(list.ty(), Type::U8),
        Some(ty) => matches!(
            ty,
            Type::Bool
                | Type::S8
                | Type::U8
                | Type::S16
                | Type::U16
                | Type::S32
                | Type::U32
                | Type::S64
                | Type::U64
                | Type::Float32
                | Type::Float64
                | Type::Char
                | Type::String
        ),
    };
    let text = crate::type_text::type_text;
    match ty {
        Type::Stream(stream) if !readable(stream.ty()) => Some(text(ty)),
        Type::Future(future) if !readable(future.ty()) => Some(text(ty)),
        Type::List(list) => unreadable(&list.ty()),
        Type::Option(option) => unreadable(&option.ty()),
        Type::Result(result) => result
            .ok()
            .and_then(|t| unreadable(&t))
            .or_else(|| result.err().and_then(|t| unreadable(&t))),
        Type::Tuple(tuple) => tuple.types().find_map(|t| unreadable(&t)),
        Type::Record(record) => record.fields().find_map(|f| unreadable(&f.ty)),
        Type::Variant(variant) => variant
            .cases()
            .find_map(|c| c.ty.as_ref().and_then(unreadable)),
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

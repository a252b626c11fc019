//! What an `#[sse]` method may return, and what its stream may yield.

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use serde::Serialize;

use super::typed::{EventWriter, SseEvent};
use crate::{BoxError, Documented, Json};

/// An item that an `#[sse]` stream may yield: an [`SseEvent`] (a typed enum with
/// `#[derive(SseEvent)]`, or anything that converts into a [`MessageEvent`](crate::MessageEvent):
/// `MessageEvent`, `String`, `&str`, or a type of yours with `From<T> for MessageEvent`),
/// [`Json<T>`] (data serialised straight into the response buffer), a hub's
/// [`HubEvent`](crate::hub::HubEvent), or a `Result` of one with an error.
///
/// An `Err` item ends the response: nestish writes `event: error` whose data is the error's
/// message when it is an [`HttpError`](crate::HttpError), and `Internal server error` otherwise
/// (the error itself goes to the log), then closes the stream, as NestJS does.
///
/// ```
/// use futures::stream::{self, Stream};
/// use nestish_core::{EventError, Json, MessageEvent};
///
/// // Each of these streams may be returned from an `#[sse]` method.
/// fn objects() -> impl Stream<Item = Json<serde_json::Value>> + Send + 'static {
///     stream::iter([Json(serde_json::json!({ "hello": "world" }))])
/// }
/// fn texts() -> impl Stream<Item = &'static str> + Send + 'static {
///     stream::iter(["one", "two"])
/// }
/// fn fallible() -> impl Stream<Item = Result<MessageEvent, EventError>> + Send + 'static {
///     stream::iter([MessageEvent::new("x").id("1")])
/// }
/// # let _ = (objects(), texts(), fallible());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent as a server-sent event",
    label = "not an event type",
    note = "an #[sse] stream yields an enum with `#[derive(SseEvent)]`, `MessageEvent`, `Json<T>`, `String`, `&'static str`, a hub's `HubEvent`, any `T` with `From<T> for MessageEvent`, or `Result<T, E>` of one of them with `E` an error"
)]
pub trait SseItem: sealed::Sealed + Send + 'static {
    /// Appends the item, encoded as one event, to `buf`; or returns the error that ends the
    /// stream (with `buf` as it was).
    ///
    /// # Errors
    ///
    /// An `Err` item's error, or an [`EventError`](crate::EventError) for a field that would
    /// break the wire.
    fn write_to(self, buf: &mut BytesMut) -> Result<(), BoxError>
    where
        Self: Sized,
    {
        self.write_item(buf).map(drop)
    }

    /// As [`SseItem::write_to`], returning whether the event asked to end the stream.
    #[doc(hidden)]
    fn write_item(self, buf: &mut BytesMut) -> Result<bool, BoxError>;

    /// The item's bytes on the wire when they are encoded already and shared (a hub's event,
    /// encoded once for every subscriber): sent as a frame of their own, with no copy into the
    /// connection's buffer. `Err(self)` for an item that must be written with
    /// [`SseItem::write_to`].
    #[doc(hidden)]
    fn into_shared(self) -> Result<Bytes, Self>
    where
        Self: Sized,
    {
        Err(self)
    }

    /// The events an item may be, for the OpenAPI document (feature `openapi`).
    #[cfg(feature = "openapi")]
    #[doc(hidden)]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc>;
}

/// Only nestish's own item types are [`SseItem`]s: each writes its event through the encoder
/// or an [`EventWriter`], which refuse what would break the wire, so no other type may write raw
/// bytes to it. A type of yours becomes an item by being an [`SseEvent`] (derived, or through
/// `From<T> for MessageEvent`).
pub(crate) mod sealed {
    /// The supertrait that no type outside nestish can implement.
    pub trait Sealed {}

    impl<T: super::SseEvent> Sealed for T {}
    impl<T: super::SseItem, E> Sealed for Result<T, E> {}
}

// Not recommended in errors: a wrong item type is reported with `SseItem`'s own message, not as
// a missing `SseEvent`.
#[diagnostic::do_not_recommend]
impl<T: SseEvent> SseItem for T {
    fn write_item(self, buf: &mut BytesMut) -> Result<bool, BoxError> {
        let start = buf.len();
        let mut out = EventWriter::new(buf);
        match self.write_event(&mut out) {
            Ok(()) => Ok(out.ends_stream()),
            Err(error) => {
                // Half an event must not reach the wire: the `event:` line of a failed `data:`.
                buf.truncate(start);
                Err(error.into())
            }
        }
    }

    #[cfg(feature = "openapi")]
    #[doc(hidden)]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        T::describe(schemas)
    }
}

/// `data: <json>`, serialised straight into the response buffer.
impl<T: Serialize + Documented + Send + 'static> SseEvent for Json<T> {
    fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), crate::EventError> {
        out.json(&self.0)
    }

    /// An unnamed event (the browser's `message`) of `T`'s JSON.
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        let data = crate::openapi::EventData::Json(schemas.subschema_for::<T>());
        vec![crate::openapi::EventDoc::new(None, data)]
    }
}

impl<T, E> SseItem for Result<T, E>
where
    T: SseItem,
    E: Into<BoxError> + Send + 'static,
{
    fn write_item(self, buf: &mut BytesMut) -> Result<bool, BoxError> {
        self.map_err(Into::into)?.write_item(buf)
    }

    fn into_shared(self) -> Result<Bytes, Self> {
        match self {
            Ok(item) => item.into_shared().map_err(Ok),
            Err(error) => Err(Err(error)),
        }
    }

    #[cfg(feature = "openapi")]
    #[doc(hidden)]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        // An `Err` ends the stream with `event: error`, whose data is its message.
        let mut events = T::describe(schemas);
        let error = crate::openapi::EventDoc::new(Some("error"), crate::openapi::EventData::Text);
        events.push(error.ending());
        events
    }
}

/// A stream that an `#[sse]` method may return: `Send + 'static`, yielding [`SseItem`]s.
///
/// Implemented for every such stream; the `#[sse]` macro checks a method's return type against it,
/// so that a wrong return type is reported on the method's signature.
///
/// ```
/// use futures::StreamExt;
/// use nestish_core::{MessageEvent, SseStream};
/// use std::time::Duration;
///
/// fn ticks() -> impl SseStream {
///     nestish_core::interval(Duration::from_secs(1)).map(|n| MessageEvent::new(n.to_string()))
/// }
/// # let _ = ticks; // calling it needs a tokio runtime
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a stream of server-sent events",
    label = "an #[sse] method must return a stream of events",
    note = "return `impl Stream<Item = MessageEvent> + Send + 'static`; items may also be `Json<T>`, `String`, `&'static str`, a hub's `HubEvent`, anything with `From<T> for MessageEvent`, or a `Result` of one"
)]
pub trait SseStream: Stream<Item: SseItem> + Send + 'static {}

// Not recommended in errors: a wrong return type is reported with `SseStream`'s own message,
// not as a missing `Stream` impl followed by every type that has one.
#[diagnostic::do_not_recommend]
impl<S> SseStream for S
where
    S: Stream + Send + 'static,
    S::Item: SseItem,
{
}

//! [`SseEvent`]: a type whose values are events, written through an [`EventWriter`] that checks
//! every field, so a type of the user's (usually `#[derive(SseEvent)]` on an enum) sends typed
//! events straight into the response buffer without ever writing raw bytes.

use std::fmt::{self, Write as _};

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use super::encode::{encode, encode_data, encode_json};
use super::{EventError, ForbiddenChar, MessageEvent};

/// A type whose values an `#[sse]` stream may yield, each written as one event.
///
/// Derive it on an enum with `#[derive(SseEvent)]`: each variant is one event, its `event:` name
/// the variant's name in snake_case (or `#[event(rename = "...")]`), its data the variant's one
/// field as JSON (`null` for a unit variant). An event named `message` goes without its `event:`
/// line: `message` is the name a browser gives an event that has none, so it is dispatched the
/// same, and the stream is byte for byte what a `Json<T>` stream of the same data sends. `#[event(id = field)]` takes the `id:` from a field of
/// the data (any `Display` value), `#[event(end)]` marks an event after which the stream ends.
///
/// ```
/// use futures::stream::{self, Stream};
/// use nestish_core::SseEvent;
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// struct Progress {
///     seq: u64,
///     percent: u8,
/// }
///
/// #[derive(SseEvent)]
/// enum JobEvents {
///     // `event: progress`, `id: <seq>`, `data: {"seq":..,"percent":..}`
///     #[event(id = seq)]
///     Progress(Progress),
///     // `event: job-done`, `data: null`, then the stream ends.
///     #[event(rename = "job-done", end)]
///     Done,
/// }
///
/// // An `#[sse]` method may return this stream.
/// fn events() -> impl Stream<Item = JobEvents> + Send + 'static {
///     stream::iter([
///         JobEvents::Progress(Progress { seq: 1, percent: 50 }),
///         JobEvents::Done,
///     ])
/// }
/// # let _ = events();
/// ```
///
/// Every [`MessageEvent`] (and anything that converts into one) is an `SseEvent` already, whose
/// data is untyped text.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a server-sent event type",
    label = "not an event",
    note = "derive it on an enum with `#[derive(SseEvent)]`, or convert it into a `MessageEvent`"
)]
pub trait SseEvent: Send + 'static {
    /// Writes the value as one event. On error the stream ends with an `event: error` and
    /// whatever was written of this event is discarded.
    ///
    /// # Errors
    ///
    /// An [`EventError`] when a field would break the wire or the data is not JSON.
    fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError>;

    /// The events a value may be, one per `event:` name, for the OpenAPI document (feature
    /// `openapi`): `#[derive(SseEvent)]` writes it from the variants. A hand-written `SseEvent`
    /// that does not say what it writes is documented as a [`MessageEvent`] is: any name, text
    /// data.
    ///
    /// ```
    /// # #[cfg(feature = "openapi")] {
    /// use nestish_core::openapi::{EventData, EventDoc, schemars::SchemaGenerator};
    /// use nestish_core::{EventError, EventWriter, SseEvent};
    ///
    /// struct Tick(u64);
    ///
    /// impl SseEvent for Tick {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.event("tick")?.id(self.0)?.json(&self.0)
    ///     }
    ///
    ///     fn describe(schemas: &mut SchemaGenerator) -> Vec<EventDoc> {
    ///         let data = EventData::Json(schemas.subschema_for::<u64>());
    ///         vec![EventDoc::new(Some("tick"), data).with_id()]
    ///     }
    /// }
    /// # }
    /// ```
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        let _ = schemas;
        vec![crate::openapi::EventDoc::untyped()]
    }
}

impl<T> SseEvent for T
where
    T: Into<MessageEvent> + Send + 'static,
{
    fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
        encode(&self.into(), out.buf);
        Ok(())
    }
}

/// Where an [`SseEvent`] writes itself: the response buffer, behind methods that refuse what
/// would break the wire. Call [`event`](Self::event) and [`id`](Self::id) (each optional) before
/// one of [`json`](Self::json) or [`text`](Self::text), which ends the event.
///
/// ```
/// use nestish_core::{EventError, EventWriter, SseEvent};
///
/// struct Tick(u64);
///
/// impl SseEvent for Tick {
///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
///         out.event("tick")?.id(self.0)?.json(&self.0)
///     }
/// }
/// ```
pub struct EventWriter<'a> {
    buf: &'a mut BytesMut,
    end: bool,
}

impl<'a> EventWriter<'a> {
    pub(crate) fn new(buf: &'a mut BytesMut) -> Self {
        Self { buf, end: false }
    }

    /// Whether the event written asked to end the stream.
    pub(crate) fn ends_stream(&self) -> bool {
        self.end
    }

    /// Writes the `event:` line: the name the browser dispatches the event under.
    ///
    /// # Errors
    ///
    /// [`EventError::EventType`] if `name` holds CR or LF (nothing is written then).
    ///
    /// ```
    /// # use nestish_core::{EventError, EventWriter, SseEvent};
    /// struct Named;
    /// impl SseEvent for Named {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.event("hello")?.text("world");
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub fn event(&mut self, name: &str) -> Result<&mut Self, EventError> {
        if let Some(found) = ForbiddenChar::find(name, false) {
            return Err(EventError::EventType { found });
        }
        self.buf.put_slice(b"event: ");
        self.buf.put_slice(name.as_bytes());
        self.buf.put_u8(b'\n');
        Ok(self)
    }

    /// Writes the `id:` line, formatting `id` straight into the buffer.
    ///
    /// # Errors
    ///
    /// [`EventError::Id`] if the formatted id holds CR, LF or NUL (nothing is written then).
    ///
    /// ```
    /// # use nestish_core::{EventError, EventWriter, SseEvent};
    /// struct Numbered(u32);
    /// impl SseEvent for Numbered {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.id(self.0)?.json(&self.0)
    ///     }
    /// }
    /// ```
    pub fn id(&mut self, id: impl fmt::Display) -> Result<&mut Self, EventError> {
        let start = self.buf.len();
        self.buf.put_slice(b"id: ");
        let value = self.buf.len();
        // Writing into a BytesMut cannot fail; only a `Display` impl that errors can.
        let _ = write!(Writer(self.buf), "{id}");
        let written = std::str::from_utf8(&self.buf[value..]).unwrap_or_default();
        if let Some(found) = ForbiddenChar::find(written, true) {
            self.buf.truncate(start);
            return Err(EventError::Id { found });
        }
        self.buf.put_u8(b'\n');
        Ok(self)
    }

    /// Writes `value` as the event's JSON data and ends the event.
    ///
    /// # Errors
    ///
    /// [`EventError::Json`] if `value` cannot be serialised as JSON.
    ///
    /// ```
    /// # use nestish_core::{EventError, EventWriter, SseEvent};
    /// struct Point(i32, i32);
    /// impl SseEvent for Point {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.json(&[self.0, self.1])
    ///     }
    /// }
    /// ```
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EventError> {
        encode_json(value, self.buf).map_err(EventError::Json)
    }

    /// Writes `data` as the event's text data (one `data:` line per line) and ends the event.
    ///
    /// ```
    /// # use nestish_core::{EventError, EventWriter, SseEvent};
    /// struct Line(String);
    /// impl SseEvent for Line {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.text(&self.0);
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub fn text(&mut self, data: &str) {
        encode_data(data, self.buf);
        self.buf.put_u8(b'\n');
    }

    /// Ends the stream after this event: the response closes cleanly once it is written, as if
    /// the stream had ended (`#[event(end)]` on a derived variant).
    ///
    /// ```
    /// # use nestish_core::{EventError, EventWriter, SseEvent};
    /// struct Bye;
    /// impl SseEvent for Bye {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.end_stream();
    ///         out.event("bye")?.json(&())
    ///     }
    /// }
    /// ```
    pub fn end_stream(&mut self) -> &mut Self {
        self.end = true;
        self
    }
}

/// `fmt::Write` into the buffer, so an id is formatted in place, not into a `String` first.
struct Writer<'b>(&'b mut BytesMut);

impl fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.put_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl FnOnce(&mut EventWriter<'_>) -> Result<(), EventError>) -> String {
        let mut buf = BytesMut::new();
        let mut out = EventWriter::new(&mut buf);
        write(&mut out).expect("writes");
        String::from_utf8(buf.to_vec()).unwrap()
    }

    #[test]
    fn fields_in_wire_order() {
        assert_eq!(
            written(|out| out.event("progress")?.id(7)?.json(&[1, 2])),
            "event: progress\nid: 7\ndata: [1,2]\n\n"
        );
        assert_eq!(
            written(|out| {
                out.text("a\nb");
                Ok(())
            }),
            "data: a\ndata: b\n\n"
        );
    }

    #[test]
    fn a_bad_id_or_name_writes_nothing() {
        let mut buf = BytesMut::from(&b"data: earlier\n\n"[..]);
        let mut out = EventWriter::new(&mut buf);
        assert!(matches!(
            out.id("1\nevent: forged"),
            Err(EventError::Id {
                found: ForbiddenChar::LineFeed
            })
        ));
        assert!(matches!(out.id("a\0"), Err(EventError::Id { .. })));
        assert!(matches!(
            out.event("x\ry"),
            Err(EventError::EventType { .. })
        ));
        assert_eq!(&buf[..], b"data: earlier\n\n");
    }
}

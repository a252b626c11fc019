//! The per-stream hooks an interceptor sets on an SSE route (see `intercept`): each event on
//! its way out, mapped or dropped ([`StreamEvent`]), and the stream's end ([`StreamClosed`]).
//!
//! A stream without hooks never meets this module: its body polls the route's stream itself.
//! A stream with mapping hooks polls [`Mapped`], which hands each event to them in its wire
//! form: a hub's event is already encoded once for every subscriber, so every event is seen
//! encoded, and an event kept as it is goes out as the very bytes it came as.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use pin_project_lite::pin_project;

use super::encode::encode;
use super::{MessageEvent, SseItem};
use crate::BoxError;
use crate::observe::CloseReason;

/// Maps one event, or drops it (`None`).
pub(crate) type MapFn = Box<dyn FnMut(StreamEvent) -> Option<StreamEvent> + Send>;
/// Told once how the stream ended.
pub(crate) type CloseFn = Box<dyn FnOnce(&StreamClosed) + Send>;

/// The hooks of one stream, in the order they run: innermost interceptor (the route's) first.
#[derive(Default)]
pub(crate) struct StreamHooks {
    pub(crate) maps: Vec<MapFn>,
    pub(crate) close: Vec<CloseFn>,
}

impl StreamHooks {
    pub(crate) fn is_empty(&self) -> bool {
        self.maps.is_empty() && self.close.is_empty()
    }
}

/// One event of an SSE stream on its way out, as an interceptor's
/// [`map_events`](crate::intercept::Call::map_events) sees it: its fields, read from its wire
/// form, and ways to make another.
///
/// ```
/// use nestish_core::MessageEvent;
/// use nestish_core::intercept::StreamEvent;
///
/// let event = StreamEvent::from(MessageEvent::new("hi").id("7").unwrap());
/// assert_eq!(event.id().as_deref(), Some("7"));
/// assert_eq!(event.data(), "hi");
/// let shouted = event.map_data(|data| data.to_uppercase());
/// assert_eq!(shouted.as_bytes().as_ref(), b"id: 7\ndata: HI\n\n");
/// ```
#[derive(Clone, Debug)]
pub struct StreamEvent {
    /// The event on the wire, its blank line included.
    bytes: Bytes,
    /// Whether it ends the stream (`#[event(end)]`).
    last: bool,
    /// Whether its bytes came shared (a hub's event, encoded once for every subscriber): sent
    /// as a frame of their own, as without the maps. Any other event is copied into the
    /// connection's buffer with the events ready beside it, so a map keeps a fast stream's
    /// batching (one frame per event cost a flood three times the CPU).
    shared: bool,
}

impl StreamEvent {
    /// The event's bytes on the wire.
    ///
    /// ```
    /// let event = nestish_core::intercept::StreamEvent::from(nestish_core::MessageEvent::new("x"));
    /// assert_eq!(event.as_bytes().as_ref(), b"data: x\n\n");
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Its `data:` lines, joined by line breaks, as a client reads them (`""` without any).
    ///
    /// ```
    /// let event = nestish_core::intercept::StreamEvent::from(nestish_core::MessageEvent::new("a\nb"));
    /// assert_eq!(event.data(), "a\nb");
    /// ```
    #[must_use]
    pub fn data(&self) -> String {
        let mut data: Option<String> = None;
        for value in self.values("data") {
            match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_owned()),
            }
        }
        data.unwrap_or_default()
    }

    /// Its `id:`, if it has one.
    ///
    /// ```
    /// let event = nestish_core::intercept::StreamEvent::from(nestish_core::MessageEvent::new("x"));
    /// assert_eq!(event.id(), None);
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<String> {
        self.values("id").last().map(str::to_owned)
    }

    /// Its `event:` name, if it has one (a client dispatches it as `message` otherwise).
    ///
    /// ```
    /// let event = nestish_core::intercept::StreamEvent::from(
    ///     nestish_core::MessageEvent::new("x").event("joined").unwrap(),
    /// );
    /// assert_eq!(event.event().as_deref(), Some("joined"));
    /// ```
    #[must_use]
    pub fn event(&self) -> Option<String> {
        self.values("event").last().map(str::to_owned)
    }

    /// The same event with other data: its comments, `event:`, `id:` and `retry:` kept.
    ///
    /// ```
    /// let event = nestish_core::intercept::StreamEvent::from(nestish_core::MessageEvent::new("1"));
    /// assert_eq!(event.map_data(|n| format!("[{n}]")).data(), "[1]");
    /// ```
    #[must_use]
    pub fn map_data(self, f: impl FnOnce(&str) -> String) -> Self {
        let mut message = self.to_message();
        let data = f(message.data.as_deref().unwrap_or_default());
        message.data = Some(data);
        let mut buf = BytesMut::new();
        encode(&message, &mut buf);
        Self {
            bytes: buf.freeze(),
            last: self.last,
            shared: false,
        }
    }

    /// The event as a [`MessageEvent`] (read back from its wire form).
    fn to_message(&self) -> MessageEvent {
        let mut message = MessageEvent::default();
        let mut comment: Option<String> = None;
        for line in self.lines() {
            if let Some(text) = line.strip_prefix(':') {
                let comment = comment.get_or_insert_with(String::new);
                if !comment.is_empty() {
                    comment.push('\n');
                }
                comment.push_str(text);
            }
        }
        message.comment = comment;
        message.event = self.event();
        message.id = self.id();
        message.retry = self
            .values("retry")
            .last()
            .and_then(|millis| millis.parse().ok())
            .map(Duration::from_millis);
        let has_data = self.values("data").next().is_some();
        message.data = has_data.then(|| self.data());
        message
    }

    fn lines(&self) -> impl Iterator<Item = &str> {
        // nestish's encoder writes UTF-8 and LF alone; an event is never empty of its blank line.
        std::str::from_utf8(&self.bytes)
            .unwrap_or_default()
            .split('\n')
            .filter(|line| !line.is_empty())
    }

    /// The values of `field`'s lines, in order.
    fn values<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.lines().filter_map(move |line| {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            (name == field).then(|| value.strip_prefix(' ').unwrap_or(value))
        })
    }
}

impl From<MessageEvent> for StreamEvent {
    fn from(event: MessageEvent) -> Self {
        let mut buf = BytesMut::new();
        encode(&event, &mut buf);
        Self {
            bytes: buf.freeze(),
            last: false,
            shared: false,
        }
    }
}

impl super::sealed::Sealed for StreamEvent {}

impl SseItem for StreamEvent {
    fn write_item(self, buf: &mut BytesMut) -> Result<bool, BoxError> {
        buf.extend_from_slice(&self.bytes);
        Ok(self.last)
    }

    /// Whatever the maps made: any name, text data.
    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        vec![crate::openapi::EventDoc::untyped()]
    }

    fn into_shared(self) -> Result<Bytes, Self> {
        if self.shared && !self.last {
            Ok(self.bytes)
        } else {
            Err(self)
        }
    }
}

/// How an SSE stream ended, as an interceptor's [`on_close`](crate::intercept::Call::on_close)
/// is told, once.
///
/// ```
/// use nestish_core::intercept::{CloseReason, StreamClosed};
///
/// fn report(closed: &StreamClosed) -> String {
///     let why = match closed.reason() {
///         CloseReason::ClientGone => "left",
///         CloseReason::Shutdown => "server stopping",
///         _ => closed.reason().as_str(),
///     };
///     format!("{why} after {} events", closed.events())
/// }
/// # let _ = report;
/// ```
#[derive(Clone, Copy, Debug)]
pub struct StreamClosed {
    pub(crate) reason: CloseReason,
    pub(crate) events: u64,
    pub(crate) bytes: u64,
    pub(crate) lifetime: Duration,
}

impl StreamClosed {
    /// Why it ended.
    ///
    /// ```
    /// # fn f(closed: &nestish_core::intercept::StreamClosed) {
    /// let _ = closed.reason();
    /// # }
    /// ```
    #[must_use]
    pub fn reason(&self) -> CloseReason {
        self.reason
    }

    /// The events it sent (heartbeats are not events; a dropped event was not sent).
    ///
    /// ```
    /// # fn f(closed: &nestish_core::intercept::StreamClosed) {
    /// let _ = closed.events();
    /// # }
    /// ```
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The bytes it sent, heartbeats and the opening line included.
    ///
    /// ```
    /// # fn f(closed: &nestish_core::intercept::StreamClosed) {
    /// let _ = closed.bytes();
    /// # }
    /// ```
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// How long it lived.
    ///
    /// ```
    /// # fn f(closed: &nestish_core::intercept::StreamClosed) {
    /// let _ = closed.lifetime();
    /// # }
    /// ```
    #[must_use]
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }
}

pin_project! {
    /// A route's stream with its events passed through the mapping hooks.
    pub(crate) struct Mapped<S> {
        #[pin]
        stream: S,
        maps: Vec<MapFn>,
        // Where an event that is not shared bytes is written for the maps to read: each event
        // is split off it, and its room is taken back once the event's bytes are dropped (sent),
        // so a busy stream does not allocate per event.
        scratch: BytesMut,
        // A terminal event was dropped: the stream ends all the same.
        ended: bool,
    }
}

impl<S> Mapped<S> {
    pub(crate) fn new(stream: S, maps: Vec<MapFn>) -> Self {
        Self {
            stream,
            maps,
            scratch: BytesMut::new(),
            ended: false,
        }
    }
}

impl<S> Stream for Mapped<S>
where
    S: Stream,
    S::Item: SseItem,
{
    type Item = Result<StreamEvent, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        loop {
            if *this.ended {
                return Poll::Ready(None);
            }
            let Some(item) = std::task::ready!(this.stream.as_mut().poll_next(cx)) else {
                return Poll::Ready(None);
            };
            let event = match item.into_shared() {
                Ok(bytes) => StreamEvent {
                    bytes,
                    last: false,
                    shared: true,
                },
                Err(item) => {
                    let buf = &mut *this.scratch;
                    match item.write_item(buf) {
                        Ok(last) => StreamEvent {
                            bytes: buf.split().freeze(),
                            last,
                            shared: false,
                        },
                        Err(error) => return Poll::Ready(Some(Err(error))),
                    }
                }
            };
            let last = event.last;
            let mut event = Some(event);
            for map in this.maps.iter_mut() {
                event = event.and_then(&mut *map);
                if event.is_none() {
                    break;
                }
            }
            // The last event ends the stream, sent or dropped.
            *this.ended = last;
            if let Some(mut event) = event {
                // A mapping keeps the event's place: the last stays the last.
                event.last = last;
                return Poll::Ready(Some(Ok(event)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::StreamExt;
    use futures::stream;

    use super::*;
    use crate::sse::typed::{EventWriter, SseEvent};

    /// A typed event; `Last` ends the stream.
    enum Typed {
        Text(&'static str),
        Last,
    }

    impl SseEvent for Typed {
        fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), crate::EventError> {
            match self {
                Self::Text(text) => out.text(text),
                Self::Last => out.event("last")?.end_stream().text("bye"),
            }
            Ok(())
        }
    }

    async fn mapped(items: Vec<Typed>, maps: Vec<MapFn>) -> Vec<(String, bool)> {
        let events = Mapped::new(stream::iter(items), maps);
        events
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .map(|event| {
                let event = event.expect("no error");
                (event.data(), event.last)
            })
            .collect()
    }

    #[tokio::test]
    async fn maps_run_in_order_and_keep_the_last_event_last() {
        let maps: Vec<MapFn> = vec![
            Box::new(|event: StreamEvent| Some(event.map_data(|data| format!("{data}1")))),
            Box::new(|event: StreamEvent| Some(event.map_data(|data| format!("{data}2")))),
        ];
        let items = vec![Typed::Text("a"), Typed::Last, Typed::Text("never")];
        assert_eq!(
            mapped(items, maps).await,
            [("a12".to_owned(), false), ("bye12".to_owned(), true)]
        );
    }

    #[tokio::test]
    async fn a_dropped_last_event_still_ends_the_stream_and_a_drop_stops_the_later_maps() {
        let later_saw = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&later_saw);
        let maps: Vec<MapFn> = vec![
            Box::new(|event: StreamEvent| (event.data() != "bye").then_some(event)),
            Box::new(move |event: StreamEvent| {
                seen.fetch_add(1, Ordering::SeqCst);
                Some(event)
            }),
        ];
        let items = vec![Typed::Text("a"), Typed::Last, Typed::Text("never")];
        assert_eq!(mapped(items, maps).await, [("a".to_owned(), false)]);
        assert_eq!(later_saw.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_event_read_back_keeps_its_fields() {
        let event = MessageEvent::new("one\ntwo")
            .id("7")
            .unwrap()
            .event("note")
            .unwrap()
            .comment("c")
            .retry(Duration::from_millis(300));
        let event = StreamEvent::from(event);
        assert_eq!(event.data(), "one\ntwo");
        let renamed = event.map_data(|data| data.replace('\n', " "));
        assert_eq!(
            renamed.as_bytes().as_ref(),
            b":c\nevent: note\nid: 7\nretry: 300\ndata: one two\n\n"
        );
    }
}

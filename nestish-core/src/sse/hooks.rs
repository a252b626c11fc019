//! The per-stream hooks an interceptor sets on an SSE route (see `intercept`): each event on
//! its way out, kept, rewritten or dropped ([`StreamEvent`]), and the stream's end
//! ([`StreamClosed`]).
//!
//! A stream without hooks never meets the maps. With maps, the body runs them over each event
//! where it already is: written into the connection's frame buffer, or a hub's event encoded
//! once for every subscriber. Keeping an event costs nothing (no copy, no count of shared
//! references), dropping it truncates the buffer, rewriting it writes over it; a hub's event
//! kept as it is goes out as the very bytes it came as.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::MessageEvent;
use super::encode::encode;
use crate::observe::CloseReason;

/// Sees one event: `true` sends it (as the map left it), `false` drops it.
pub(crate) type MapFn = Box<dyn FnMut(&mut StreamEvent<'_>) -> bool + Send>;
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

/// Where an event is after the maps ran over it (see [`run_maps`]).
pub(crate) enum MapOutcome {
    /// The shared bytes it came as, unchanged: sent as a frame of their own.
    Shared(Bytes),
    /// In the buffer, from where it was to be written on.
    Buffered,
    /// Dropped: the buffer is as it was before the event.
    Dropped,
}

/// Runs `maps` in order over one event: the bytes at `buf[start..]` when `shared` is `None`,
/// else `shared` (with `buf.len() == start`). A map that drops it stops the later ones.
pub(crate) fn run_maps(
    maps: &mut [MapFn],
    buf: &mut BytesMut,
    start: usize,
    shared: Option<Bytes>,
) -> MapOutcome {
    let mut event = StreamEvent { buf, start, shared };
    for map in maps {
        if !map(&mut event) {
            event.buf.truncate(event.start);
            return MapOutcome::Dropped;
        }
    }
    match event.shared {
        Some(bytes) => MapOutcome::Shared(bytes),
        None => MapOutcome::Buffered,
    }
}

/// One event of an SSE stream on its way out, as an interceptor's
/// [`map_events`](crate::intercept::Call::map_events) sees it: its fields, read from its wire
/// form where it already is, and ways to rewrite it there.
///
/// ```
/// # fn f(event: &mut nestish_core::intercept::StreamEvent<'_>) {
/// if event.event() == Some("chat") {
///     event.map_data(|data| data.to_uppercase());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct StreamEvent<'a> {
    /// The connection's frame buffer: the event is `buf[start..]`, unless `shared`.
    buf: &'a mut BytesMut,
    start: usize,
    /// A hub's event, encoded once for every subscriber, while no map has rewritten it.
    shared: Option<Bytes>,
}

impl StreamEvent<'_> {
    /// The event's bytes on the wire, its blank line included.
    ///
    /// ```
    /// # fn f(event: &nestish_core::intercept::StreamEvent<'_>) {
    /// let size = event.as_bytes().len();
    /// # let _ = size; }
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.shared {
            Some(bytes) => bytes,
            None => &self.buf[self.start..],
        }
    }

    /// Its `data:` lines, joined by line breaks, as a client reads them (`""` without any).
    ///
    /// ```
    /// # fn f(event: &nestish_core::intercept::StreamEvent<'_>) {
    /// let keep = event.data() != "drop";
    /// # let _ = keep; }
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
    /// # fn f(event: &nestish_core::intercept::StreamEvent<'_>) {
    /// let resumable = event.id().is_some();
    /// # let _ = resumable; }
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.values("id").last()
    }

    /// Its `event:` name, if it has one (a client dispatches it as `message` otherwise).
    ///
    /// ```
    /// # fn f(event: &nestish_core::intercept::StreamEvent<'_>) {
    /// let typing = event.event() == Some("typing");
    /// # let _ = typing; }
    /// ```
    #[must_use]
    pub fn event(&self) -> Option<&str> {
        self.values("event").last()
    }

    /// Gives it other data: its comments, `event:`, `id:` and `retry:` kept.
    ///
    /// ```
    /// # fn f(event: &mut nestish_core::intercept::StreamEvent<'_>) {
    /// event.map_data(|n| format!("[{n}]"));
    /// # }
    /// ```
    pub fn map_data(&mut self, f: impl FnOnce(&str) -> String) {
        let mut message = self.to_message();
        let data = f(message.data.as_deref().unwrap_or_default());
        message.data = Some(data);
        self.replace(&message);
    }

    /// Sends `event` in its place (it keeps its place: the last event of a stream stays the
    /// last).
    ///
    /// ```
    /// # fn f(event: &mut nestish_core::intercept::StreamEvent<'_>) {
    /// event.replace(&nestish_core::MessageEvent::new("redacted"));
    /// # }
    /// ```
    pub fn replace(&mut self, event: &MessageEvent) {
        self.shared = None;
        self.buf.truncate(self.start);
        encode(event, self.buf);
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
        message.event = self.event().map(str::to_owned);
        message.id = self.id().map(str::to_owned);
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
        std::str::from_utf8(self.as_bytes())
            .unwrap_or_default()
            .split('\n')
            .filter(|line| !line.is_empty())
    }

    /// The values of `field`'s lines, in order.
    fn values<'s>(&'s self, field: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.lines().filter_map(move |line| {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            (name == field).then(|| value.strip_prefix(' ').unwrap_or(value))
        })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn encoded(event: &MessageEvent) -> BytesMut {
        let mut buf = BytesMut::new();
        encode(event, &mut buf);
        buf
    }

    #[test]
    fn maps_run_in_order_over_the_event_in_the_buffer_after_what_is_there() {
        let mut buf = BytesMut::from(&b"data: before\n\n"[..]);
        let start = buf.len();
        encode(&MessageEvent::new("a"), &mut buf);
        let mut maps: Vec<MapFn> = vec![
            Box::new(|event: &mut StreamEvent<'_>| {
                event.map_data(|data| format!("{data}1"));
                true
            }),
            Box::new(|event: &mut StreamEvent<'_>| {
                event.map_data(|data| format!("{data}2"));
                true
            }),
        ];
        assert!(matches!(
            run_maps(&mut maps, &mut buf, start, None),
            MapOutcome::Buffered
        ));
        assert_eq!(&buf[..], b"data: before\n\ndata: a12\n\n");
    }

    #[test]
    fn a_drop_truncates_the_buffer_and_stops_the_later_maps() {
        let later_saw = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&later_saw);
        let mut maps: Vec<MapFn> = vec![
            Box::new(|event: &mut StreamEvent<'_>| event.data() != "bye"),
            Box::new(move |_: &mut StreamEvent<'_>| {
                seen.fetch_add(1, Ordering::SeqCst);
                true
            }),
        ];
        let mut buf = encoded(&MessageEvent::new("hi"));
        let start = buf.len();
        encode(&MessageEvent::new("bye"), &mut buf);
        assert!(matches!(
            run_maps(&mut maps, &mut buf, start, None),
            MapOutcome::Dropped
        ));
        assert_eq!(&buf[..], b"data: hi\n\n");
        assert_eq!(later_saw.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_shared_event_kept_stays_shared_and_one_rewritten_is_written_into_the_buffer() {
        let shared = encoded(&MessageEvent::new("hub")).freeze();
        let mut buf = BytesMut::new();
        let mut keep: Vec<MapFn> = vec![Box::new(|event: &mut StreamEvent<'_>| {
            event.data() == "hub"
        })];
        match run_maps(&mut keep, &mut buf, 0, Some(shared.clone())) {
            MapOutcome::Shared(bytes) => assert_eq!(bytes.as_ptr(), shared.as_ptr()),
            _ => panic!("a shared event kept as it is goes out as its own bytes"),
        }
        assert!(buf.is_empty());
        let mut rewrite: Vec<MapFn> = vec![Box::new(|event: &mut StreamEvent<'_>| {
            event.map_data(str::to_uppercase);
            true
        })];
        assert!(matches!(
            run_maps(&mut rewrite, &mut buf, 0, Some(shared)),
            MapOutcome::Buffered
        ));
        assert_eq!(&buf[..], b"data: HUB\n\n");
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
        let mut buf = encoded(&event);
        let mut maps: Vec<MapFn> = vec![Box::new(|event: &mut StreamEvent<'_>| {
            assert_eq!(event.data(), "one\ntwo");
            assert_eq!((event.id(), event.event()), (Some("7"), Some("note")));
            event.map_data(|data| data.replace('\n', " "));
            true
        })];
        run_maps(&mut maps, &mut buf, 0, None);
        assert_eq!(
            &buf[..],
            b":c\nevent: note\nid: 7\nretry: 300\ndata: one two\n\n"
        );
    }
}

//! [`HubEvent`]: a published event as every subscriber sends it, encoded once.

use bytes::{Bytes, BytesMut};

use crate::sse::encode::encode;
use crate::{BoxError, MessageEvent, SseItem};

/// One event of a topic, as subscribers receive it: its id in the topic and its bytes on the
/// wire, encoded once at publication and shared by every subscriber (no copy per connection).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::hub::HubError> {
/// use futures::StreamExt;
/// use nestish_core::hub::Hub;
///
/// let hub = Hub::new();
/// hub.publish("news", "first").await?;
/// let replayed = hub.subscribe("news", Some(0)).next().await.unwrap();
/// assert_eq!(replayed.id(), Some(1));
/// assert_eq!(replayed.encoded(), b"id: 1\ndata: first\n\n");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubEvent {
    id: Option<u64>,
    bytes: Bytes,
}

impl HubEvent {
    /// `event` as published with id `id` (which replaces any id it had).
    pub fn published(id: u64, event: &MessageEvent) -> Self {
        let mut event = event.clone();
        // Digits: never a line break, so no validation is needed.
        event.id = Some(id.to_string());
        let mut buf = BytesMut::with_capacity(64);
        encode(&event, &mut buf);
        Self {
            id: Some(id),
            bytes: buf.freeze(),
        }
    }

    /// `event` as a backend stores it, without an id: its bytes on the wire less the `id:` line,
    /// after the place where that line goes (`<offset>\n<bytes>`). [`HubEvent::from_stored`]
    /// rebuilds the event with the id the engine gave it, so a network backend encodes an event
    /// once, at publication, and every instance only splices the id in.
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    /// use nestish_core::hub::HubEvent;
    ///
    /// # fn main() -> Result<(), nestish_core::EventError> {
    /// let stored = HubEvent::stored(&MessageEvent::new("hi").event("greeting")?);
    /// let event = HubEvent::from_stored(7, &stored).expect("bytes from HubEvent::stored");
    /// assert_eq!(event.encoded(), b"event: greeting\nid: 7\ndata: hi\n\n");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn stored(event: &MessageEvent) -> Bytes {
        // The fields the wire puts before `id:` (comment lines, `event:`), to know where it goes.
        let head = MessageEvent {
            comment: event.comment.clone(),
            event: event.event.clone(),
            ..MessageEvent::default()
        };
        let mut head_bytes = BytesMut::new();
        encode(&head, &mut head_bytes);
        let offset = head_bytes.len() - 1; // less the blank line that ends an event
        let mut without_id = event.clone();
        without_id.id = None;
        let mut buf = BytesMut::with_capacity(64);
        buf.extend_from_slice(offset.to_string().as_bytes());
        buf.extend_from_slice(b"\n");
        encode(&without_id, &mut buf);
        buf.freeze()
    }

    /// The event `stored` holds (bytes from [`HubEvent::stored`]) with id `id`; `None` when
    /// `stored` is not such bytes.
    ///
    /// ```
    /// use nestish_core::hub::HubEvent;
    ///
    /// let event = HubEvent::from_stored(3, b"0\ndata: x\n\n").unwrap();
    /// assert_eq!((event.id(), event.encoded()), (Some(3), &b"id: 3\ndata: x\n\n"[..]));
    /// assert!(HubEvent::from_stored(3, b"data: x\n\n").is_none());
    /// ```
    #[must_use]
    pub fn from_stored(id: u64, stored: &[u8]) -> Option<Self> {
        let newline = memchr::memchr(b'\n', stored)?;
        let offset: usize = std::str::from_utf8(&stored[..newline]).ok()?.parse().ok()?;
        let wire = &stored[newline + 1..];
        if offset > wire.len() || !wire.ends_with(b"\n\n") {
            return None;
        }
        let mut buf = BytesMut::with_capacity(wire.len() + 24);
        buf.extend_from_slice(&wire[..offset]);
        buf.extend_from_slice(b"id: ");
        buf.extend_from_slice(id.to_string().as_bytes());
        buf.extend_from_slice(b"\n");
        buf.extend_from_slice(&wire[offset..]);
        Some(Self {
            id: Some(id),
            bytes: buf.freeze(),
        })
    }

    /// `event` as sent without an id (a presence announcement): not in any history, so the
    /// client's last event id is left alone.
    pub(crate) fn unnumbered(event: &MessageEvent) -> Self {
        let mut event = event.clone();
        event.id = None;
        let mut buf = BytesMut::with_capacity(64);
        encode(&event, &mut buf);
        Self {
            id: None,
            bytes: buf.freeze(),
        }
    }

    /// An event without an id from its bytes on the wire (as the Redis hub announces a
    /// presence change); `None` unless they end an event.
    #[cfg(feature = "redis")]
    pub(crate) fn unnumbered_wire(wire: &[u8]) -> Option<Self> {
        wire.ends_with(b"\n\n").then(|| Self {
            id: None,
            bytes: Bytes::copy_from_slice(wire),
        })
    }

    /// The notice a subscriber gets when events it asked for are no longer held: an
    /// `event: missed` whose data is `{"lastEventId":<asked>,"resumeFrom":<oldest held>}`. It has
    /// no id, so the client's last event id is left alone.
    pub fn missed(last_event_id: u64, resume_from: u64) -> Self {
        let notice = format!(
            "event: {}\ndata: {{\"lastEventId\":{last_event_id},\"resumeFrom\":{resume_from}}}\n\n",
            super::MISSED_EVENT
        );
        Self {
            id: None,
            bytes: Bytes::from(notice),
        }
    }

    /// The event's id in its topic; `None` for a `missed` notice.
    #[must_use]
    pub fn id(&self) -> Option<u64> {
        self.id
    }

    /// The event exactly as it goes on the wire.
    #[must_use]
    pub fn encoded(&self) -> &[u8] {
        &self.bytes
    }
}

// An item the encoder writes as it is: sealed, as every item type is.
impl crate::sse::sealed::Sealed for HubEvent {}

impl SseItem for HubEvent {
    fn write_item(self, buf: &mut BytesMut) -> Result<bool, BoxError> {
        buf.extend_from_slice(&self.bytes);
        Ok(false)
    }

    fn into_shared(self) -> Result<Bytes, Self> {
        Ok(self.bytes)
    }

    /// Whatever was published: any name, text data.
    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        vec![crate::openapi::EventDoc::untyped()]
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_stored_event_rebuilds_byte_for_byte_as_published() {
        let events = [
            MessageEvent::new("plain"),
            MessageEvent::new("two\nlines").event("update").unwrap(),
            MessageEvent::new("x")
                .comment("a note\non two lines")
                .event("e")
                .unwrap()
                .id("replaced")
                .unwrap()
                .retry(Duration::from_millis(1500)),
            MessageEvent::new(""),
        ];
        for event in &events {
            let rebuilt = HubEvent::from_stored(1_764_000_000_000_042, &HubEvent::stored(event));
            assert_eq!(
                rebuilt,
                Some(HubEvent::published(1_764_000_000_000_042, event))
            );
        }
    }

    #[test]
    fn bytes_that_are_not_a_stored_event_are_refused() {
        for bad in [
            &b""[..],
            b"x\ndata: a\n\n",
            b"99\ndata: a\n\n",
            b"0\ndata: a\n",
        ] {
            assert_eq!(HubEvent::from_stored(1, bad), None, "{bad:?}");
        }
    }
}

//! Typed events through the hub: [`Hub::publish_event`] publishes an [`SseEvent`] (a
//! `#[derive(SseEvent)]` enum's variant), and [`TypedSubscription`] is a subscription whose route
//! documents that event type instead of "any event". The hub still encodes each event once, at
//! publication; a typed subscription hands the same shared bytes to the connection.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;

use super::{Hub, HubError, HubEvent, Subscription};
use crate::sse::EventWriter;
use crate::{BoxError, EventError, MessageEvent, SseEvent, SseItem};

/// Why [`Hub::publish_event`] failed: the event could not be written, or the hub refused it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishEventError {
    /// A field of the event would break the wire, or its data is not JSON.
    #[error("the event cannot be written: {0}")]
    Event(#[from] EventError),
    /// The hub did not take it.
    #[error(transparent)]
    Hub(#[from] HubError),
}

impl Hub {
    /// Publishes a typed event on `topic` and returns the id it got, as
    /// [`publish`](Hub::publish) does: it is written once, as an `#[sse]` stream would write it
    /// (its `event:` name and data), and any `id:` it writes is replaced by the topic's.
    ///
    /// # Errors
    ///
    /// [`PublishEventError::Event`] when the event cannot be written, and the hub's errors.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::PublishEventError> {
    /// use futures::StreamExt;
    /// use nestish_core::hub::Hub;
    /// use nestish_core::{EventError, EventWriter, SseEvent};
    ///
    /// struct Price(f64);
    ///
    /// impl SseEvent for Price {
    ///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
    ///         out.event("price")?.json(&self.0)
    ///     }
    /// }
    ///
    /// let hub = Hub::new();
    /// assert_eq!(hub.publish_event("prices", Price(101.5)).await?, 1);
    /// let first = hub.subscribe("prices", Some(0)).next().await.unwrap();
    /// assert_eq!(first.encoded(), b"event: price\nid: 1\ndata: 101.5\n\n");
    /// # Ok(()) }
    /// ```
    pub async fn publish_event(
        &self,
        topic: &str,
        event: impl SseEvent,
    ) -> Result<u64, PublishEventError> {
        let message = message_of(event)?;
        Ok(self.publish(topic, message).await?)
    }
}

/// `event` as the [`MessageEvent`] it writes: the hub stores and replays `MessageEvent`s, with
/// an id of its own.
fn message_of(event: impl SseEvent) -> Result<MessageEvent, EventError> {
    let mut buf = BytesMut::with_capacity(64);
    event.write_event(&mut EventWriter::new(&mut buf))?;
    // The writer refuses line breaks in names and ids, and its data lines are split from the
    // data at its line breaks: each line is one field.
    let text = String::from_utf8_lossy(&buf);
    let mut message = MessageEvent::default();
    let mut data: Option<String> = None;
    // The blank line that ends the event is not a field.
    for line in text.lines().filter(|line| !line.is_empty()) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "" => {
                let comment = message.comment.get_or_insert_with(String::new);
                if !comment.is_empty() {
                    comment.push('\n');
                }
                comment.push_str(value);
            }
            "event" => message.event = Some(value.to_owned()),
            "data" => match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            "retry" => message.retry = value.parse().ok().map(Duration::from_millis),
            // The hub gives the id.
            _ => {}
        }
    }
    message.data = data;
    Ok(message)
}

/// A hub [`Subscription`] whose events are of type `E`, for an `#[sse]` route to return: the
/// route's OpenAPI description lists `E`'s events and the hub's own `missed` notice (feature
/// `openapi`), and the testing module checks each event against them. Each event is sent as the hub encoded it, shared by every
/// subscriber: the type costs nothing per event.
///
/// ```
/// use nestish_core::hub::{Hub, TypedSubscription};
/// use nestish_core::{EventError, EventWriter, SseEvent};
///
/// pub struct Price(f64);
///
/// impl SseEvent for Price {
///     fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
///         out.event("price")?.json(&self.0)
///     }
/// }
///
/// // In an `#[sse]` method:
/// fn prices(hub: &Hub, seen: Option<u64>) -> TypedSubscription<Price> {
///     TypedSubscription::new(hub.subscribe("prices", seen))
/// }
/// # let _ = prices(&Hub::new(), None);
/// ```
pub struct TypedSubscription<E> {
    inner: Subscription,
    _events: PhantomData<fn() -> E>,
}

impl<E: SseEvent> TypedSubscription<E> {
    /// `subscription`, whose events were published as `E`s ([`Hub::publish_event`]).
    pub fn new(subscription: Subscription) -> Self {
        Self {
            inner: subscription,
            _events: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for TypedSubscription<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedSubscription")
            .field("events", &std::any::type_name::<E>())
            .finish_non_exhaustive()
    }
}

impl<E> Stream for TypedSubscription<E> {
    type Item = TypedHubEvent<E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx).map(|event| {
            event.map(|event| TypedHubEvent {
                event,
                _events: PhantomData,
            })
        })
    }
}

/// One event of a [`TypedSubscription`]: a [`HubEvent`] published as an `E`.
///
/// ```
/// # async fn show(mut prices: nestish_core::hub::TypedSubscription<nestish_core::MessageEvent>) {
/// use futures::StreamExt;
/// let next = prices.next().await.unwrap();
/// println!("{:?}", next.hub_event().id());
/// # }
/// ```
pub struct TypedHubEvent<E> {
    event: HubEvent,
    _events: PhantomData<fn() -> E>,
}

impl<E> TypedHubEvent<E> {
    /// The event as the hub holds it: its id and its bytes on the wire.
    #[must_use]
    pub fn hub_event(&self) -> &HubEvent {
        &self.event
    }
}

impl<E> std::fmt::Debug for TypedHubEvent<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.event.fmt(f)
    }
}

// An item the encoder writes as it is: sealed, as every item type is.
impl<E: SseEvent> crate::sse::sealed::Sealed for TypedHubEvent<E> {}

impl<E: SseEvent> SseItem for TypedHubEvent<E> {
    fn write_item(self, buf: &mut BytesMut) -> Result<bool, BoxError> {
        self.event.write_item(buf)
    }

    fn into_shared(self) -> Result<Bytes, Self> {
        self.event.into_shared().map_err(|event| Self {
            event,
            _events: PhantomData,
        })
    }

    /// `E`'s events, and the notice the hub itself sends a subscriber that asked for events it
    /// no longer holds (`event: missed`).
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> Vec<crate::openapi::EventDoc> {
        use crate::openapi::{EventData, EventDoc};
        let mut events = E::describe(schemas);
        let missed = super::MISSED_EVENT;
        if !events.iter().any(|e| e.name.as_deref() == Some(missed)) {
            let notice = schemars::json_schema!({
                "type": "object",
                "required": ["lastEventId", "resumeFrom"],
                "properties": {
                    "lastEventId": { "type": "integer", "minimum": 0 },
                    "resumeFrom": { "type": "integer", "minimum": 0 },
                },
            });
            events.push(EventDoc::new(Some(missed), EventData::Json(notice)));
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    /// Text over several lines, with a name: written through the `EventWriter`.
    struct Note(&'static str);

    impl SseEvent for Note {
        fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
            out.event("note")?.text(self.0);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_typed_event_goes_on_the_wire_as_the_same_message_event_would() {
        let hub = Hub::new();
        hub.publish_event("a", Note("first\nsecond")).await.unwrap();
        let event = MessageEvent::new("first\nsecond").event("note").unwrap();
        hub.publish("b", event).await.unwrap();
        let typed = hub.subscribe("a", Some(0)).next().await.unwrap();
        let plain = hub.subscribe("b", Some(0)).next().await.unwrap();
        assert_eq!(typed.encoded(), plain.encoded());
        assert_eq!(
            typed.encoded(),
            b"event: note\nid: 1\ndata: first\ndata: second\n\n"
        );
    }
}

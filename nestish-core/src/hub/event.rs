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

impl SseItem for HubEvent {
    fn write_to(self, buf: &mut BytesMut) -> Result<(), BoxError> {
        buf.extend_from_slice(&self.bytes);
        Ok(())
    }
}

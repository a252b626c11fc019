//! The third controller: a chat on the event hub. A POST publishes; every open page receives it;
//! a page that reconnects resumes from the last message it has, so nothing is lost.

use std::sync::Arc;

use futures::Stream;
use nestish_core::hub::{Hub, HubEvent};
use nestish_core::{
    Html, HttpError, Json, MessageEvent, StatusCode, controller, get, inject, post, sse,
};

/// The hub topic the chat publishes on.
pub const TOPIC: &str = "chat";

/// A message as a client posts it.
#[derive(Debug, serde::Deserialize)]
pub struct NewMessage {
    /// Who writes (1 to 40 characters).
    pub author: String,
    /// What they write (1 to 500 characters).
    pub text: String,
}

/// `/chat`: the page, the messages' stream, and posting.
pub struct ChatController {
    hub: Arc<Hub>,
}

#[controller("chat")]
impl ChatController {
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    /// The chat page.
    #[get]
    fn page(&self) -> Html<&'static str> {
        Html(include_str!("chat.html"))
    }

    /// Publishes a message to every open page; answers 201 with its id, 503 when the hub's
    /// engine cannot take it now.
    #[post("messages")]
    async fn post(
        &self,
        #[body] message: Json<NewMessage>,
    ) -> Result<(StatusCode, Json<serde_json::Value>), HttpError> {
        let NewMessage { author, text } = message.0;
        let (author, text) = (author.trim(), text.trim());
        if author.is_empty() || author.chars().count() > 40 {
            return Err(HttpError::bad_request("author must be 1 to 40 characters"));
        }
        if text.is_empty() || text.chars().count() > 500 {
            return Err(HttpError::bad_request("text must be 1 to 500 characters"));
        }
        let event = MessageEvent::json(&serde_json::json!({ "author": author, "text": text }))
            .map_err(|_| HttpError::internal())?;
        // The hub's engine (Redis, with several instances) may be away for a while: the client
        // is told to try again, as NestJS's ServiceUnavailableException would.
        let id = self.hub.publish(TOPIC, event).await.map_err(|error| {
            tracing::warn!(%error, "chat: a message could not be published");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the chat cannot take messages right now",
            )
        })?;
        Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
    }

    /// The messages after `Last-Event-ID` (sent by the browser when it reconnects) or after
    /// `?after=` (a page's first connection: `0` for the whole history), then live ones.
    #[sse("events", retry = "500ms")]
    fn events(
        &self,
        #[last_event_id] seen: Option<u64>,
        #[query("after")] after: Option<u64>,
    ) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe(TOPIC, seen.or(after))
    }
}

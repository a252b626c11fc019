//! The third controller: a chat on the event hub, for logged-in users. A POST publishes under the
//! user's name; every open page receives it; a page that reconnects resumes from the last
//! message it has, so nothing is lost. A message that mentions `@name` notifies that user.
//!
//! Who is online is the chat topic's presence: every user with a chat stream open, on any
//! instance, once however many tabs they have (`GET /chat/online`); a page that asks
//! (`/chat/events?presence=true`) is told as users arrive and go (`join` and `leave` events).

use std::sync::Arc;

use nestish_core::hub::{
    GrantedHub, Hub, JOIN_EVENT, LEAVE_EVENT, PresenceMode, PublishEventError, TypedSubscription,
};
use nestish_core::openapi::schemars::SchemaGenerator;
use nestish_core::openapi::{EventData, EventDoc};
use nestish_core::{
    EventError, EventWriter, Guarded, HttpError, Json, SseEvent, StatusCode, Valid, controller,
    get, inject, post, sse, use_guards,
};

use crate::auth::{AuthGuard, User, Users};
use crate::notifications::{self, MENTIONS_MAX, NotificationEvent};
use crate::topics::TopicsGuard;

/// The hub topic the chat publishes on.
pub const TOPIC: &str = "chat";

/// The chat's presence is kept and announced; no other topic's (a user's notifications are
/// theirs alone).
///
/// ```
/// use nestish_core::hub::PresenceMode;
/// use nestish_sample::chat::{TOPIC, presence_mode};
///
/// assert_eq!(presence_mode(TOPIC), PresenceMode::Announced);
/// assert_eq!(presence_mode("notifications:ann"), PresenceMode::Off);
/// ```
pub fn presence_mode(topic: &str) -> PresenceMode {
    if topic == TOPIC {
        PresenceMode::Announced
    } else {
        PresenceMode::Off
    }
}

/// The users a principal names: the auth guard names them `user:<name>`.
fn user_name(principal: &str) -> &str {
    principal.strip_prefix("user:").unwrap_or(principal)
}

/// A message as a client posts it; its author is the logged-in user.
#[derive(Debug, serde::Deserialize, garde::Validate, schemars::JsonSchema)]
pub struct NewMessage {
    /// What they write (1 to 500 characters, not only spaces, mentioning at most
    /// [`MENTIONS_MAX`] names).
    #[garde(
        length(chars, min = 1, max = 500),
        custom(not_blank),
        custom(few_mentions)
    )]
    // `not_blank`'s rule, for the OpenAPI document: something but spaces.
    #[schemars(pattern(r"\S"))]
    pub text: String,
}

fn few_mentions(text: &str, _: &()) -> garde::Result {
    if notifications::mentions(text).len() > MENTIONS_MAX {
        return Err(garde::Error::new(format!(
            "mentions more than {MENTIONS_MAX} names"
        )));
    }
    Ok(())
}

fn not_blank(text: &str, _: &()) -> garde::Result {
    if text.trim().is_empty() {
        return Err(garde::Error::new("must not be blank"));
    }
    Ok(())
}

/// A message as every page receives it.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ChatMessage {
    /// Who wrote it.
    pub author: String,
    /// What they wrote.
    pub text: String,
}

/// A user who arrived in the chat or left it (`user:<name>`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct PresenceChange {
    /// The user's principal.
    pub principal: String,
}

/// What the chat's stream carries: messages, as the chat publishes them on the hub (without an
/// `event:` name, so a page's `onmessage` gets them, with the hub's id), and the hub's presence
/// events, with `?presence=true`. Written by hand rather than derived: a message has no name.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::hub::PublishEventError> {
/// use futures::StreamExt;
/// use nestish_core::hub::Hub;
/// use nestish_sample::chat::{ChatEvents, ChatMessage};
///
/// let hub = Hub::new();
/// let hi = ChatMessage { author: "ann".into(), text: "hi".into() };
/// hub.publish_event("chat", ChatEvents::Message(hi)).await?;
/// let first = hub.subscribe("chat", Some(0)).next().await.unwrap();
/// assert_eq!(first.encoded(), b"id: 1\ndata: {\"author\":\"ann\",\"text\":\"hi\"}\n\n");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub enum ChatEvents {
    /// A message.
    Message(ChatMessage),
    /// `event: join`: a user opened their first chat stream.
    Join(PresenceChange),
    /// `event: leave`: a user closed their last chat stream.
    Leave(PresenceChange),
}

impl SseEvent for ChatEvents {
    fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
        match self {
            Self::Message(message) => out.json(&message),
            Self::Join(change) => out.event(JOIN_EVENT)?.json(&change),
            Self::Leave(change) => out.event(LEAVE_EVENT)?.json(&change),
        }
    }

    fn describe(schemas: &mut SchemaGenerator) -> Vec<EventDoc> {
        let message = EventData::Json(schemas.subschema_for::<ChatMessage>());
        let mut change = || EventData::Json(schemas.subschema_for::<PresenceChange>());
        vec![
            EventDoc::new(None, message).with_id(),
            EventDoc::new(Some(JOIN_EVENT), change()),
            EventDoc::new(Some(LEAVE_EVENT), change()),
        ]
    }
}

/// `/chat`: the messages' stream, and posting; logged-in users only.
pub struct ChatController {
    hub: Arc<Hub>,
    users: Arc<Users>,
}

#[controller("chat")]
#[use_guards(AuthGuard, TopicsGuard)]
impl ChatController {
    #[inject]
    fn new(hub: Arc<Hub>, users: Arc<Users>) -> Self {
        Self { hub, users }
    }

    /// Publishes a message to every open page, and a notification to each user it mentions
    /// (names that are not users' are left alone); answers 201 with its id.
    #[post("messages")]
    async fn post(
        &self,
        user: Guarded<User>,
        #[body] message: Valid<Json<NewMessage>>,
    ) -> Result<(StatusCode, Json<serde_json::Value>), HttpError> {
        let (author, text) = (user.name.as_str(), message.text.trim());
        // The hub's engine (Redis, with several instances) may be away for a while: the client
        // is told to try again, as NestJS's ServiceUnavailableException would.
        let unavailable = |error: nestish_core::hub::HubError| {
            tracing::warn!(%error, "chat: a message could not be published");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the chat cannot take messages right now",
            )
        };
        let refused = |error: PublishEventError| match error {
            PublishEventError::Hub(error) => unavailable(error),
            _ => HttpError::internal(),
        };
        let message = || ChatMessage {
            author: author.to_owned(),
            text: text.to_owned(),
        };
        let id = self
            .hub
            .publish_event(TOPIC, ChatEvents::Message(message()))
            .await
            .map_err(refused)?;
        let mentioned = notifications::mentions(text);
        for name in mentioned
            .into_iter()
            .filter(|name| self.users.contains(name))
        {
            let mention = NotificationEvent::Mention(message());
            self.hub
                .publish_event(&notifications::topic(name), mention)
                .await
                .map_err(refused)?;
        }
        Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
    }

    /// The messages after `Last-Event-ID` (sent by the browser when it reconnects) or after
    /// `?after=` (a page's first connection: `0` for the whole history), then live ones; through
    /// the user's grants ([`TopicsGuard`]), as every subscription a request asks for. At most
    /// three open at once per user, per instance (a fourth gets 429 with `Retry-After`). While
    /// it is open, the user is online; with `?presence=true` it also carries a `join` or `leave`
    /// event (`{"principal":"user:ann"}`, no id) when a user arrives or goes.
    #[sse("events", retry = "500ms", max_per_principal = 3)]
    fn events(
        &self,
        hub: GrantedHub,
        #[last_event_id] seen: Option<u64>,
        #[query("after")] after: Option<u64>,
        #[query("presence")] presence: Option<bool>,
    ) -> Result<TypedSubscription<ChatEvents>, HttpError> {
        let subscription = if presence == Some(true) {
            hub.subscribe_with_presence_events(TOPIC, seen.or(after))
        } else {
            hub.subscribe(TOPIC, seen.or(after))
        };
        subscription.map(TypedSubscription::new)
    }

    /// Who is online: the users with a chat stream open on any instance, each once, sorted
    /// (`{"count":2,"online":["ann","bob"],"truncated":false}`); 503 while the hub's engine
    /// cannot answer.
    #[get("online")]
    async fn online(&self) -> Result<Json<serde_json::Value>, HttpError> {
        let presence = self.hub.presence(TOPIC).await.map_err(|error| {
            tracing::warn!(%error, "chat: who is online could not be read");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "who is online cannot be read right now",
            )
        })?;
        let online: Vec<&str> = presence.principals.iter().map(|p| user_name(p)).collect();
        Ok(Json(serde_json::json!({
            "count": online.len(),
            "online": online,
            "truncated": presence.truncated,
        })))
    }
}

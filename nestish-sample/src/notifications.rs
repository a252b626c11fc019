//! Per-user notifications: `GET /notifications/events` streams, to the logged-in user only, the
//! chat messages that mention them (`@name`). One hub topic per user, and only per user: a
//! mention of a name that is not a user publishes nothing, and a message mentions at most
//! [`MENTIONS_MAX`] names, so a message costs at most that many publications. The stream is
//! typed ([`NotificationEvent`]): its OpenAPI description, and the TypeScript client, know each
//! event it carries.
use nestish_core::hub::{GrantedHub, TypedSubscription};
use nestish_core::{Guarded, HttpError, SseEvent, controller, sse, use_guards};

use crate::auth::{AuthGuard, User, is_name_char};
use crate::chat::ChatMessage;
use crate::topics::TopicsGuard;

/// What a user's notifications stream carries, as the chat publishes it on the user's topic
/// ([`topic`]) with `Hub::publish_event`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::hub::PublishEventError> {
/// use futures::StreamExt;
/// use nestish_core::hub::Hub;
/// use nestish_sample::chat::ChatMessage;
/// use nestish_sample::notifications::{NotificationEvent, topic};
///
/// let hub = Hub::new();
/// let hi = ChatMessage { author: "bob".into(), text: "hi @ann".into() };
/// hub.publish_event(&topic("ann"), NotificationEvent::Mention(hi)).await?;
/// let first = hub.subscribe(&topic("ann"), Some(0)).next().await.unwrap();
/// assert_eq!(
///     first.encoded(),
///     b"event: mention\nid: 1\ndata: {\"author\":\"bob\",\"text\":\"hi @ann\"}\n\n"
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, SseEvent)]
pub enum NotificationEvent {
    /// `event: mention`: a chat message that mentions the user (`@name`).
    Mention(ChatMessage),
}

/// The most names one chat message may mention (`@ann @bob`, each counted once, users or not);
/// a message with more is refused with 400 before anything is published.
pub const MENTIONS_MAX: usize = 5;

/// The hub topic of `name`'s notifications.
#[must_use]
pub fn topic(name: &str) -> String {
    format!("notifications/{name}")
}

/// The names a message mentions (`@ann`, `@bob-2`), each once, in order.
#[must_use]
pub fn mentions(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for word in text.split('@').skip(1) {
        let end = word.find(|c: char| !is_name_char(c)).unwrap_or(word.len());
        let name = &word[..end];
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `/notifications`: the logged-in user's stream.
#[derive(Default)]
pub struct NotificationsController;

#[controller("notifications")]
#[use_guards(AuthGuard, TopicsGuard)]
impl NotificationsController {
    /// The user's notifications after `Last-Event-ID`, then live ones: their own topic, the one
    /// [`TopicsGuard`] grants them.
    #[sse("events", retry = "500ms")]
    fn events(
        &self,
        hub: GrantedHub,
        user: Guarded<User>,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<TypedSubscription<NotificationEvent>, HttpError> {
        hub.subscribe(&topic(&user.name), seen)
            .map(TypedSubscription::new)
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_are_names_after_an_at_sign_each_once() {
        assert_eq!(mentions("hi @ann and @bob-2, @ann!"), ["ann", "bob-2"]);
        assert!(mentions("mail me at example.com @ ").is_empty());
    }
}

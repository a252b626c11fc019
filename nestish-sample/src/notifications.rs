//! Per-user notifications: `GET /notifications/events` streams, to the logged-in user only, the
//! chat messages that mention them (`@name`). One hub topic per user.

use std::sync::Arc;

use futures::Stream;
use nestish_core::hub::{Hub, HubEvent};
use nestish_core::{Guarded, controller, inject, sse, use_guards};

use crate::auth::{AuthGuard, User};

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
        let end = word
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(word.len());
        let name = &word[..end];
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `/notifications`: the logged-in user's stream.
pub struct NotificationsController {
    hub: Arc<Hub>,
}

#[controller("notifications")]
#[use_guards(AuthGuard)]
impl NotificationsController {
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    /// The user's notifications after `Last-Event-ID`, then live ones.
    #[sse("events", retry = "500ms")]
    fn events(
        &self,
        user: Guarded<User>,
        #[last_event_id] seen: Option<u64>,
    ) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe(&topic(&user.name), seen)
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

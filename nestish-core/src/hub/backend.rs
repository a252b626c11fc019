//! [`HubBackend`]: what an event hub engine provides, so another one (Redis Streams, say) can
//! replace the in-process default without touching controllers.

use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;

use super::{HubError, HubEvent, Presence, SubscribeAs};
use crate::MessageEvent;

/// A boxed future, as backends return them.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A subscription: the events of a topic, in id order, without gaps or duplicates (a gap the
/// backend cannot fill is announced by a [`HubEvent::missed`] notice).
pub type Subscription = Pin<Box<dyn Stream<Item = HubEvent> + Send>>;

/// An event hub engine. Ids are per topic and increase by one per publication; in process they
/// start at 1, an engine that can lose its data starts a topic anew above every id it gave
/// before (the Redis hub, `Hub::redis`, with feature `redis`).
///
/// ```
/// use nestish_core::hub::{BoxFuture, Hub, HubBackend, HubError, HubEvent, MemoryBackend, Subscription};
/// use nestish_core::MessageEvent;
///
/// /// A backend that logs publications and delegates the rest.
/// struct Logged(MemoryBackend);
///
/// impl HubBackend for Logged {
///     fn publish(&self, topic: &str, event: MessageEvent) -> BoxFuture<Result<u64, HubError>> {
///         println!("publish on {topic}");
///         self.0.publish(topic, event)
///     }
///     fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
///         self.0.subscribe(topic, last_event_id)
///     }
///     fn history(&self, topic: &str) -> BoxFuture<Result<Vec<HubEvent>, HubError>> {
///         self.0.history(topic)
///     }
/// }
///
/// let hub = Hub::with_backend(Logged(MemoryBackend::default()));
/// # let _ = hub;
/// ```
pub trait HubBackend: Send + Sync + 'static {
    /// Gives `event` the topic's next id (replacing any id it had), keeps it in the topic's
    /// history and delivers it to the topic's subscribers; returns the id.
    fn publish(&self, topic: &str, event: MessageEvent) -> BoxFuture<Result<u64, HubError>>;

    /// The topic's events after `last_event_id` that the history still holds, then every new
    /// one, with no gap and no duplicate between the two. `None`: new events only.
    fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription;

    /// As [`subscribe`](Self::subscribe), for `who`: its principal a member of the topic's
    /// presence while the subscription lives, and the topic's presence events delivered to it if
    /// it asks (when the engine keeps the topic's presence). By default, the engine keeps none:
    /// a plain subscription.
    fn subscribe_as(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
        who: SubscribeAs,
    ) -> Subscription {
        let _ = who;
        self.subscribe(topic, last_event_id)
    }

    /// Who is subscribed to the topic, on every instance on this engine. By default the engine
    /// keeps no presence: [`HubError::PresenceOff`].
    fn presence(&self, topic: &str) -> BoxFuture<Result<Presence, HubError>> {
        let topic = topic.to_owned();
        Box::pin(std::future::ready(Err(HubError::PresenceOff { topic })))
    }

    /// The events the topic's history holds, oldest first.
    fn history(&self, topic: &str) -> BoxFuture<Result<Vec<HubEvent>, HubError>>;

    /// The topic's class in the metrics (`topic_class`): a label the app declared
    /// ([`HubConfig::classify`](super::HubConfig::classify)), never the topic's own text. By
    /// default one class, `"all"`.
    fn topic_class(&self, topic: &str) -> &'static str {
        let _ = topic;
        "all"
    }

    /// Carries the revocation of `key` to every instance on this engine, each of which hands it
    /// to its hub's listeners (this one's included, once the engine brings it back). `None`, by
    /// default: the engine serves this process alone, and the hub hands the revocation to its
    /// listeners itself.
    fn revoke(&self, key: &str) -> Option<BoxFuture<Result<(), HubError>>> {
        let _ = key;
        None
    }

    /// How many announcements of events this instance has read from its engine since it
    /// connected, for every topic; `None`, by default, for an engine that reads none (the
    /// in-process hub).
    fn announcements_received(&self) -> Option<u64> {
        None
    }
}

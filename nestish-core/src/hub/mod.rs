//! An event hub: publish once, deliver to every subscriber of a topic, and let a browser that
//! reconnects resume exactly where it stopped.
//!
//! Every event published on a topic gets the topic's next id (1, 2, 3, ...), which is the id on
//! the wire, so the browser's `Last-Event-ID` names the last event it has. A subscription replays
//! what that client missed from the topic's bounded history, then goes live, with no gap and no
//! duplicate between the two.
//!
//! ```standalone_crate
//! use std::sync::Arc;
//!
//! use nestish_core::hub::{Hub, HubEvent};
//! use nestish_core::{HttpError, Json, StatusCode, controller, inject, post, sse};
//!
//! pub struct NewsController {
//!     hub: Arc<Hub>,
//! }
//!
//! #[controller("news")]
//! impl NewsController {
//!     #[inject]
//!     fn new(hub: Arc<Hub>) -> Self {
//!         Self { hub }
//!     }
//!
//!     #[post]
//!     async fn publish(&self, #[body] text: String) -> Result<(StatusCode, Json<u64>), HttpError> {
//!         let id = self.hub.publish("news", text).await.map_err(|_| HttpError::internal())?;
//!         Ok((StatusCode::CREATED, Json(id)))
//!     }
//!
//!     #[sse("events")]
//!     fn events(
//!         &self,
//!         #[last_event_id] seen: Option<u64>,
//!     ) -> impl futures::Stream<Item = HubEvent> + Send + 'static {
//!         self.hub.subscribe("news", seen)
//!     }
//! }
//! // With `NestFactory::create().provide(Hub::new())`.
//! ```
//!
//! # Who may subscribe to what
//!
//! The hub above reaches every topic: it is for trusted server-side code. A route that names a
//! topic from the request (a path, a query, a body) takes a [`GrantedHub`] instead, which
//! subscribes and publishes only on the topics the request's guards granted
//! ([`GuardRequest::grant`](crate::GuardRequest::grant) with a [`TopicGrant`]): a refused
//! subscription is 403 before any SSE header, a refused publication a [`GrantError`].
//!
//! # Slow subscribers
//!
//! A subscriber is never waited for: publishing hands the event to a bounded broadcast buffer.
//! One that falls more than [`HubConfig::buffer`] events behind is resynchronised from the
//! history; if it fell behind the history too, it receives a `missed` event
//! ([`MISSED_EVENT`]) whose data is `{"lastEventId":N,"resumeFrom":M}` and continues from the
//! oldest event held. The same notice answers a `Last-Event-ID` older than the history (or one
//! this topic never gave, as after a restart of the server). Memory stays bounded by the
//! history and the buffer per topic, whatever the subscribers do.
//!
//! # Engines
//!
//! [`Hub::new`] keeps everything in the process ([`MemoryBackend`]); another engine implements
//! [`HubBackend`] and is plugged in with [`Hub::with_backend`], without touching controllers.
//! With the `redis` feature, `Hub::redis` puts the hub on Redis Streams, so that several
//! instances of an app act as one (see `RedisHub` for its guarantees).
//!
//! # Presence
//!
//! [`Hub::presence`] says who is subscribed to a topic: the principals its guards named, on
//! every instance, for the topics the app keeps presence of ([`HubConfig::presence`]), with
//! `join` and `leave` events on the topic if it asks (see [`PresenceMode`]).

mod backend;
mod event;
mod grant;
mod memory;
mod presence;
#[cfg(feature = "redis")]
mod redis;
mod revoke;
mod typed;

use std::sync::Arc;
use std::time::Duration;

pub use backend::{BoxFuture, HubBackend, Subscription};
pub use event::HubEvent;
pub(crate) use grant::TopicGrants;
pub use grant::{GrantError, GrantedHub, TopicGrant};
pub use memory::{HubUsage, MemoryBackend};
pub use presence::{JOIN_EVENT, LEAVE_EVENT, Presence, PresenceMode, SubscribeAs};
#[cfg(feature = "redis")]
pub use redis::RedisHub;
use revoke::Listeners;
pub use typed::{PublishEventError, TypedHubEvent, TypedSubscription};

use crate::{BoxError, MessageEvent};

/// The event type of the notice that some requested events are no longer held.
pub const MISSED_EVENT: &str = "missed";

/// The bounds of a hub: per topic (history, live buffer), and of the whole hub (topics, bytes,
/// idle expiry), and the label of its topics in the metrics.
///
/// A topic costs nothing until something is published on it or someone subscribes; its live
/// buffer exists only while it has a subscriber. A topic with no subscriber is removed once it
/// has been idle for [`idle_expiry`](Self::idle_expiry), or, when the hub reaches
/// [`max_topics`](Self::max_topics) or [`max_bytes`](Self::max_bytes), before any other idle
/// topic that was active more recently (see [`MemoryBackend`] for the rules).
///
/// ```
/// use std::time::Duration;
/// use nestish_core::hub::PresenceMode;
///
/// let config = nestish_core::hub::HubConfig::default()
///     .history(5_000)
///     .buffer(512)
///     .max_topics(10_000)
///     .max_bytes(16 << 20)
///     .idle_expiry(Duration::from_secs(600))
///     .classify(|topic| if topic.starts_with("user/") { "user" } else { "room" })
///     .presence(|topic| if topic.starts_with("room/") { PresenceMode::Announced } else { PresenceMode::Off })
///     .presence_limit(500);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct HubConfig {
    /// How many recent events a topic keeps for replay. Default 1,000.
    pub history: usize,
    /// How far a live subscriber may fall behind before it is resynchronised from the history.
    /// Default 1,024.
    pub buffer: usize,
    /// The most topics the hub holds at once. Default 100,000.
    pub max_topics: usize,
    /// The most memory the topics hold, all together, by the in-process hub's accounting (names,
    /// histories, their bookkeeping; not the live buffers of topics with subscribers, which the
    /// subscribers bound). Default 64 MiB. The Redis hub leaves bytes to Redis's `maxmemory`.
    pub max_bytes: usize,
    /// How long a topic with no subscriber is kept after its last publication (or after its
    /// last subscriber left). Default one day.
    pub idle_expiry: Duration,
    /// A topic's class: the `topic_class` label of the hub's metrics. Default: `"all"` for
    /// every topic.
    pub classify: fn(&str) -> &'static str,
    /// Whether a topic's presence is kept, and announced (see [`PresenceMode`]). Default:
    /// [`PresenceMode::Off`] for every topic.
    pub presence: fn(&str) -> PresenceMode,
    /// The most principals one instance lists per topic in its presence. Default 1,000.
    pub presence_limit: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            history: 1_000,
            buffer: 1_024,
            max_topics: 100_000,
            max_bytes: 64 << 20,
            idle_expiry: Duration::from_secs(24 * 60 * 60),
            classify: |_| "all",
            presence: |_| PresenceMode::Off,
            presence_limit: 1_000,
        }
    }
}

impl HubConfig {
    /// Sets how many recent events a topic keeps for replay.
    #[must_use]
    pub fn history(mut self, events: usize) -> Self {
        self.history = events;
        self
    }

    /// Sets how far a live subscriber may fall behind before it is resynchronised (at least 1).
    #[must_use]
    pub fn buffer(mut self, events: usize) -> Self {
        self.buffer = events.max(1);
        self
    }

    /// Sets the most topics the hub holds at once (at least 1).
    #[must_use]
    pub fn max_topics(mut self, topics: usize) -> Self {
        self.max_topics = topics.max(1);
        self
    }

    /// Sets the most memory the in-process hub's topics hold, all together.
    #[must_use]
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets how long a topic with no subscriber is kept after its last activity.
    #[must_use]
    pub fn idle_expiry(mut self, idle: Duration) -> Self {
        self.idle_expiry = idle;
        self
    }

    /// Sets the class of each topic in the metrics: the app declares it, so a label is never
    /// text a client chose (a topic named after a user is one series per user otherwise). At
    /// most [`MAX_TOPIC_CLASSES`] classes are counted apart; others count as `(overflow)`.
    #[must_use]
    pub fn classify(mut self, classify: fn(&str) -> &'static str) -> Self {
        self.classify = classify;
        self
    }

    /// Sets whether each topic's presence is kept ([`PresenceMode::Listed`]), and announced
    /// with `join` and `leave` events ([`PresenceMode::Announced`]). Every instance of an app
    /// on one engine must say the same.
    #[must_use]
    pub fn presence(mut self, mode: fn(&str) -> PresenceMode) -> Self {
        self.presence = mode;
        self
    }

    /// Sets the most principals one instance lists per topic (at least 1). Past it, a new
    /// principal's subscription works as any other but is not listed (nor announced) until a
    /// listed principal leaves; [`Presence::truncated`] says so. The presence of a topic then
    /// holds at most this many principals per instance, whatever its clients do.
    #[must_use]
    pub fn presence_limit(mut self, principals: usize) -> Self {
        self.presence_limit = principals.max(1);
        self
    }
}

pub use crate::limits::MAX_TOPIC_CLASSES;

/// Why a publication failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The backend could not do it.
    #[error("the hub's backend failed: {0}")]
    Backend(#[source] BoxError),
    /// The engine at `url` could not be reached, or `url` is not one, at start-up.
    #[error("the hub could not connect to {url}: {source}")]
    Connect {
        /// The engine's URL, without its password.
        url: String,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The in-process hub is at [`HubConfig::max_topics`] or [`HubConfig::max_bytes`] and every
    /// other topic it holds has a subscriber: nothing idle is left to remove for this event.
    #[error(
        "the hub is full: {topics} topics, {bytes} bytes, and every other topic has a subscriber"
    )]
    Full {
        /// The topics held.
        topics: usize,
        /// The bytes held, by the hub's accounting.
        bytes: usize,
    },
    /// [`Hub::presence`] of a topic whose presence is not kept ([`HubConfig::presence`] says
    /// [`PresenceMode::Off`] for it, or the engine keeps none).
    #[error("the presence of topic {topic:?} is not kept: see HubConfig::presence")]
    PresenceOff {
        /// The topic asked for.
        topic: String,
    },
}

/// The event hub: cheap to clone, shared as a provider (`NestFactory::create().provide(Hub::new())`).
#[derive(Clone)]
pub struct Hub {
    backend: Arc<dyn HubBackend>,
    /// Who in this process hears of revocations: the apps built with the hub, and the app's own.
    revocations: Arc<Listeners>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// An in-process hub with the default bounds.
    ///
    /// ```
    /// let hub = nestish_core::hub::Hub::new();
    /// # let _ = hub;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_backend(MemoryBackend::default())
    }

    /// A hub on another engine.
    ///
    /// ```
    /// use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
    ///
    /// let hub = Hub::with_backend(MemoryBackend::new(HubConfig::default().history(10)));
    /// # let _ = hub;
    /// ```
    #[must_use]
    pub fn with_backend(backend: impl HubBackend) -> Self {
        Self::with_listeners(backend, Arc::default())
    }

    /// A hub on `backend`, whose revocations reach `revocations` (which the engine may also
    /// hand the revocations of other instances to).
    pub(crate) fn with_listeners(backend: impl HubBackend, revocations: Arc<Listeners>) -> Self {
        Self {
            backend: Arc::new(backend),
            revocations,
        }
    }

    /// A hub on Redis Streams at `url` (feature `redis`): set its bounds on the returned
    /// [`RedisHub`], then [`connect`](RedisHub::connect) at start-up. Several instances of an app
    /// on one Redis act as one hub: ids, history and delivery are shared.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// let hub = nestish_core::hub::Hub::redis("redis://127.0.0.1:6379").connect().await?;
    /// let id = hub.publish("prices", "101.5").await?;
    /// # let _ = id;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis(url: impl Into<String>) -> RedisHub {
        RedisHub::new(url.into())
    }

    /// A hub on a Redis Cluster (feature `redis`), from a comma-separated list of seed nodes'
    /// URLs: the rest of the cluster is found from them. The same builder and guarantees as
    /// [`Hub::redis`]; a topic's keys share a hash tag, and events are announced with sharded
    /// Pub/Sub (Redis 7 or later).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// let hub = nestish_core::hub::Hub::redis_cluster("redis://10.0.0.1:7000,redis://10.0.0.2:7000")
    ///     .connect()
    ///     .await?;
    /// # let _ = hub;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis_cluster(seeds: impl Into<String>) -> RedisHub {
        RedisHub::cluster(seeds.into())
    }

    /// Publishes `event` on `topic`, whatever the topic, and returns the id it got (any id it had is replaced).
    ///
    /// # Errors
    ///
    /// [`HubError::Backend`] when the engine fails; [`HubError::Full`] when the in-process hub
    /// is at its bounds and every other topic has a subscriber.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// let hub = nestish_core::hub::Hub::new();
    /// assert_eq!(hub.publish("prices", "101.5").await?, 1);
    /// assert_eq!(hub.publish("prices", "101.7").await?, 2);
    /// assert_eq!(hub.publish("other", "x").await?, 1);
    /// # Ok(()) }
    /// ```
    pub async fn publish(
        &self,
        topic: &str,
        event: impl Into<MessageEvent>,
    ) -> Result<u64, HubError> {
        let id = self.backend.publish(topic, event.into()).await?;
        crate::observe::published(self.backend.topic_class(topic));
        Ok(id)
    }

    /// The events of `topic` after `last_event_id` still in the history, then live ones, whatever
    /// the topic: for a topic the server chose; a topic from the request goes through a
    /// [`GrantedHub`], which checks it against the request's grants.
    ///
    /// `None` for live ones only, `Some(0)` for the whole history first. Return it from an
    /// `#[sse]` method: each event carries its id, so the browser resumes on its own.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// use futures::StreamExt;
    ///
    /// let hub = nestish_core::hub::Hub::new();
    /// for price in ["1", "2", "3"] {
    ///     hub.publish("prices", price).await?;
    /// }
    /// let mut resumed = hub.subscribe("prices", Some(1));
    /// assert_eq!(resumed.next().await.unwrap().id(), Some(2));
    /// assert_eq!(resumed.next().await.unwrap().id(), Some(3));
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
        self.backend.subscribe(topic, last_event_id)
    }

    /// As [`subscribe`](Self::subscribe), for `who` (a principal's name, or a [`SubscribeAs`]):
    /// while the subscription lives, its principal is a member of the topic's
    /// [`presence`](Self::presence), if that is kept ([`HubConfig::presence`]), and it receives
    /// the topic's `join` and `leave` events if it asks
    /// ([`SubscribeAs::presence_events`]). A route subscribes through a [`GrantedHub`], which
    /// does this with the principal its guards named
    /// ([`GuardRequest::principal`](crate::GuardRequest::principal)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// use nestish_core::hub::{Hub, HubConfig, MemoryBackend, PresenceMode};
    ///
    /// let hub = Hub::with_backend(MemoryBackend::new(
    ///     HubConfig::default().presence(|_| PresenceMode::Listed),
    /// ));
    /// let stream = hub.subscribe_as("doc:7", None, "user:ann");
    /// assert!(hub.presence("doc:7").await?.contains("user:ann"));
    /// drop(stream);
    /// assert!(!hub.presence("doc:7").await?.contains("user:ann"));
    /// # Ok(()) }
    /// ```
    pub fn subscribe_as(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
        who: impl Into<SubscribeAs>,
    ) -> Subscription {
        self.backend.subscribe_as(topic, last_event_id, who.into())
    }

    /// Who is subscribed to `topic`: the principals with a subscription to it on any instance
    /// of the app on this hub's engine (see [`Presence`] and [`PresenceMode`]). In process, as
    /// of now; on Redis, as of the instances' last writes (a moment after a subscription opens
    /// or closes), without the instances that died (within `RedisHub::presence_expiry`).
    ///
    /// # Errors
    ///
    /// [`HubError::PresenceOff`] when the topic's presence is not kept;
    /// [`HubError::Backend`] when the engine fails.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use nestish_core::hub::{Hub, HubError};
    ///
    /// let hub = Hub::new(); // keeps no presence
    /// assert!(matches!(hub.presence("news").await, Err(HubError::PresenceOff { .. })));
    /// # }
    /// ```
    pub async fn presence(&self, topic: &str) -> Result<Presence, HubError> {
        self.backend.presence(topic).await
    }

    /// Ends every open SSE stream that a guard named with `key` (its principal,
    /// [`GuardRequest::principal`](crate::GuardRequest::principal), or another name such as its
    /// session, [`revocable_as`](crate::GuardRequest::revocable_as)), on every instance of the
    /// app on this hub's engine (through Redis for a hub on Redis, within its Pub/Sub's delay),
    /// each with a `retry:` so its client reconnects and is authenticated again; and tells the
    /// listeners of [`on_revoke`](Self::on_revoke), so every instance can refuse those
    /// credentials from then on.
    ///
    /// # Errors
    ///
    /// [`HubError::Backend`] when the engine fails (then no other instance heard it; this one's
    /// streams are ended all the same).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// let hub = nestish_core::hub::Hub::new();
    /// hub.on_revoke(|key| println!("{key} is revoked"));
    /// hub.revoke("session:7f3a").await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, key: &str) -> Result<(), HubError> {
        match self.backend.revoke(key) {
            Some(broadcast) => {
                let sent = broadcast.await;
                if sent.is_err() {
                    // The others cannot hear it; this instance at least ends its own.
                    self.revocations.deliver(key);
                }
                sent
            }
            None => {
                self.revocations.deliver(key);
                Ok(())
            }
        }
    }

    /// Calls `listener` with every key revoked through this hub ([`revoke`](Self::revoke)), on
    /// any instance of the app: how an instance learns that credentials it would still accept
    /// (a session logged out elsewhere) are no good.
    ///
    /// ```
    /// let hub = nestish_core::hub::Hub::new();
    /// hub.on_revoke(|key| tracing::info!(key, "revoked"));
    /// ```
    pub fn on_revoke(&self, listener: impl Fn(&str) + Send + Sync + 'static) {
        self.revocations.add(move |key| {
            listener(key);
            true
        });
    }

    /// Like [`on_revoke`](Self::on_revoke), for a listener that says when it is gone (false).
    pub(crate) fn on_revoke_while(&self, listener: impl Fn(&str) -> bool + Send + Sync + 'static) {
        self.revocations.add(listener);
    }

    /// The events `topic`'s history holds, oldest first.
    ///
    /// # Errors
    ///
    /// [`HubError::Backend`] when the engine fails; never for the in-process one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// let hub = nestish_core::hub::Hub::new();
    /// hub.publish("log", "boot").await?;
    /// assert_eq!(hub.history("log").await?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn history(&self, topic: &str) -> Result<Vec<HubEvent>, HubError> {
        self.backend.history(topic).await
    }

    /// How many announcements of events this instance has read from its engine (on Redis, Pub/Sub
    /// messages) since it connected, whichever topic they were for; `None` for the in-process
    /// hub, which reads none. An instance listens only to the topics its subscribers hold, so
    /// this follows the events of those topics, not every event of the fleet: divided by the
    /// events its subscribers' topics had, it is the share of its reading that served someone.
    ///
    /// ```
    /// assert_eq!(nestish_core::hub::Hub::new().announcements_received(), None);
    /// ```
    #[must_use]
    pub fn announcements_received(&self) -> Option<u64> {
        self.backend.announcements_received()
    }
}

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

mod backend;
mod event;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::sync::Arc;

pub use backend::{BoxFuture, HubBackend, Subscription};
pub use event::HubEvent;
pub use memory::MemoryBackend;
#[cfg(feature = "redis")]
pub use redis::RedisHub;

use crate::{BoxError, MessageEvent};

/// The event type of the notice that some requested events are no longer held.
pub const MISSED_EVENT: &str = "missed";

/// The bounds of an in-process hub, per topic.
///
/// ```
/// let config = nestish_core::hub::HubConfig::default().history(5_000).buffer(512);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubConfig {
    /// How many recent events a topic keeps for replay. Default 1,000.
    pub history: usize,
    /// How far a live subscriber may fall behind before it is resynchronised from the history.
    /// Default 1,024.
    pub buffer: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            history: 1_000,
            buffer: 1_024,
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
}

/// Why a publication failed (the in-process backend never fails; another engine may).
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
}

/// The event hub: cheap to clone, shared as a provider (`NestFactory::create().provide(Hub::new())`).
#[derive(Clone)]
pub struct Hub {
    backend: Arc<dyn HubBackend>,
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
        Self {
            backend: Arc::new(backend),
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

    /// Publishes `event` on `topic` and returns the id it got (any id it had is replaced).
    ///
    /// # Errors
    ///
    /// [`HubError::Backend`] when the engine fails; never for the in-process one.
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
        crate::observe::published(topic);
        Ok(id)
    }

    /// The events of `topic` after `last_event_id` still in the history, then live ones;
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
}

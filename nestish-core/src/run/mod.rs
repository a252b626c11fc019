//! Runs: producers detached from the request that started them, so a model's answer survives a
//! reload, a second device and a lost connection.
//!
//! A plain `#[sse]` stream belongs to its connection: when the client goes, the stream is
//! dropped and its producer stops. That is the right default for a feed, and the wrong one for
//! a language model's answer, which costs money to produce and which the user wants to find
//! again after a reload. A **run** is the other choice: [`Runs::start`] hands a producer to a
//! task of its own and returns a [`RunId`] at once. The task stores every event the producer
//! yields (in the process, or in Redis with [`Runs::redis`]), whether anyone is attached or not,
//! until the producer ends, its owner cancels it from any instance, or it reaches its size
//! bounds. A client attaches with [`Runs::attach`], by id and `Last-Event-ID`, from any tab,
//! device or instance: it gets what it missed, then live events, and the stream ends after the
//! run's last event. Once everything was seen, [`Runs::attach`] answers 204, which is what stops
//! a browser's `EventSource` from reconnecting. **A disconnect is not a cancel** for a run:
//! only [`Runs::cancel`] stops it.
//!
//! Only a run's owner, the principal the app's guards established, attaches to it or cancels it:
//! anyone else gets 403, before any SSE header. A run id is random but not a secret: the owner
//! check is what protects a run.
//!
//! ```standalone_crate
//! use futures::StreamExt;
//! use nestish_core::run::{RunId, Runs};
//! use nestish_core::{Guarded, HttpError, Json, MessageEvent, StatusCode, controller, post, sse};
//! # #[derive(Clone)]
//! # pub struct User { pub name: String }
//!
//! pub struct AnswersController {
//!     runs: std::sync::Arc<Runs>,
//! }
//!
//! #[controller("answers")]
//! impl AnswersController {
//!     #[nestish_core::inject]
//!     fn new(runs: std::sync::Arc<Runs>) -> Self {
//!         Self { runs }
//!     }
//!
//!     /// Starts an answer, and returns its id at once.
//!     #[post]
//!     async fn start(&self, user: Guarded<User>) -> Result<(StatusCode, Json<RunId>), HttpError> {
//!         let tokens = futures::stream::iter(["Hello", ", ", "world"]).map(MessageEvent::new);
//!         let id = self.runs.start(&user.0.name, tokens).await?;
//!         Ok((StatusCode::CREATED, Json(id)))
//!     }
//!
//!     /// The answer, resumed after `Last-Event-ID`, from any instance.
//!     #[sse(":id/events")]
//!     async fn events(
//!         &self,
//!         user: Guarded<User>,
//!         #[param("id")] id: String,
//!         #[last_event_id] seen: Option<u64>,
//!     ) -> Result<nestish_core::run::RunStream, HttpError> {
//!         Ok(self.runs.attach(&user.0.name, &id, seen).await?)
//!     }
//!
//!     /// Stops it, from any instance.
//!     #[post(":id/cancel")]
//!     async fn cancel(
//!         &self,
//!         user: Guarded<User>,
//!         #[param("id")] id: String,
//!     ) -> Result<(StatusCode, ()), HttpError> {
//!         self.runs.cancel(&user.0.name, &id).await?;
//!         Ok((StatusCode::NO_CONTENT, ()))
//!     }
//! }
//! // With `NestFactory::create().provide(Runs::new())` and a guard that inserts the `User`.
//! ```
//!
//! # How it is kept
//!
//! A run is two topics of a hub of its own (not the app's: its history must hold a whole
//! answer): `run:<id>`, its events, whose hub ids are the SSE ids, and `run:<id>:control`, a
//! few records (opened by whom, cancel, ended with which last id). Every instance on the same
//! Redis reads the same records, so attaching and cancelling work from any instance, and the
//! cancel reaches the producer's task through the hub's live delivery. A finished run is
//! replayed from one read of its history (one `XRANGE` on Redis), not event by event.
//!
//! # Bounds
//!
//! See [`RunsConfig`]: a run's events and bytes, its retention after its last event, and the
//! runs producing at once on an instance. Every run stored in process shares the hub's whole
//! bound ([`HubConfig::max_bytes`](crate::hub::HubConfig::max_bytes), 64 MiB): past it, the
//! least recently active finished runs are forgotten first.

mod attach;
mod driver;
mod record;
mod shutdown;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_core::Stream;

use self::record::{Record, Summary};
use crate::hub::{Hub, HubConfig, HubError, HubEvent, MemoryBackend};
use crate::{HttpError, MessageEvent, StatusCode};

/// The stream an attachment returns: return it from an `#[sse]` method.
pub type RunStream = Pin<Box<dyn Stream<Item = HubEvent> + Send>>;

/// The bounds of runs. Defaults: 20,000 events and 4 MiB of data per run, kept 1 hour after
/// its last event, 1,000 runs producing at once per instance.
///
/// ```
/// use std::time::Duration;
///
/// let config = nestish_core::run::RunsConfig::default()
///     .max_events(50_000)
///     .max_bytes(8 << 20)
///     .retention(Duration::from_secs(600))
///     .max_running(200);
/// # let _ = config;
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RunsConfig {
    /// The most events one run stores; past it the run stops as [`RunStatus::TooLarge`].
    /// Default 20,000.
    pub max_events: usize,
    /// The most bytes of event data one run stores; past it the run stops as
    /// [`RunStatus::TooLarge`]. Default 4 MiB.
    pub max_bytes: usize,
    /// How long a run is kept after its last event (and so after its end): attaching later
    /// answers 404. Default 1 hour.
    pub retention: Duration,
    /// The most runs producing at once on one instance; past it [`Runs::start`] fails with
    /// [`RunError::Busy`] (503). Default 1,000.
    pub max_running: usize,
}

impl Default for RunsConfig {
    fn default() -> Self {
        Self {
            max_events: 20_000,
            max_bytes: 4 << 20,
            retention: Duration::from_secs(60 * 60),
            max_running: 1_000,
        }
    }
}

impl RunsConfig {
    /// Sets the most events one run stores (at least 1).
    #[must_use]
    pub fn max_events(mut self, events: usize) -> Self {
        self.max_events = events.max(1);
        self
    }

    /// Sets the most bytes of event data one run stores.
    #[must_use]
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Sets how long a run is kept after its last event.
    #[must_use]
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Sets the most runs producing at once on one instance (at least 1).
    #[must_use]
    pub fn max_running(mut self, runs: usize) -> Self {
        self.max_running = runs.max(1);
        self
    }
}

/// A run's id: 32 random hex digits. Not a secret: only its owner may use it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::run::RunError> {
/// let runs = nestish_core::run::Runs::new();
/// let id = runs.start("ann", futures::stream::iter(["a"])).await?;
/// assert_eq!(id.as_str().len(), 32);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(
    feature = "openapi",
    derive(schemars::JsonSchema),
    schemars(transparent)
)]
pub struct RunId(String);

impl RunId {
    fn random() -> Self {
        Self(format!(
            "{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        ))
    }

    /// The id as text, as it goes in a URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a run is, or how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub enum RunStatus {
    /// Its producer is going.
    Running,
    /// Its producer ended.
    Done,
    /// Its owner cancelled it.
    Cancelled,
    /// It reached [`RunsConfig::max_events`] or [`RunsConfig::max_bytes`].
    TooLarge,
    /// Its events could not be stored (the hub failed).
    Failed,
}

/// Why a run could not be started, attached to or cancelled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// No such run (never started, or past its retention).
    #[error("no such run")]
    NotFound,
    /// The run is someone else's.
    #[error("the run belongs to another principal")]
    Forbidden,
    /// The run ended and the client has seen its last event: nothing more will come.
    #[error("the run ended and every event was seen")]
    Finished,
    /// [`RunsConfig::max_running`] runs are producing on this instance.
    #[error("{0} runs are producing on this instance already")]
    Busy(usize),
    /// The hub that stores runs failed.
    #[error(transparent)]
    Hub(#[from] HubError),
}

impl From<RunError> for HttpError {
    /// 404, 403, 204 (which stops an `EventSource`), 503, or 500 (logged).
    fn from(error: RunError) -> Self {
        match error {
            RunError::NotFound => HttpError::not_found("no such run"),
            RunError::Forbidden => HttpError::forbidden("not your run"),
            RunError::Finished => HttpError::new(StatusCode::NO_CONTENT, "run finished"),
            RunError::Busy(_) => {
                HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "too many runs in progress")
            }
            RunError::Hub(error) => {
                tracing::error!(%error, "runs: the hub failed");
                HttpError::internal()
            }
        }
    }
}

/// The names of a run's two topics.
pub(crate) struct Topics {
    events: String,
    control: String,
    /// Whether the id is one [`RunId`] makes: 32 lowercase hex digits.
    valid: bool,
}

impl Topics {
    fn of(id: &str) -> Self {
        Self {
            events: format!("run:{id}"),
            control: format!("run:{id}:control"),
            valid: id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        }
    }
}

/// What every clone of a [`Runs`] and every run's task share.
pub(crate) struct Inner {
    hub: Hub,
    config: RunsConfig,
    /// Runs producing on this instance.
    running: AtomicUsize,
    /// Told when the last run producing on this instance ends.
    idle: tokio::sync::Notify,
}

/// Detached producers and their stored events: provide one to the app
/// (`NestFactory::create().provide(Runs::new())`) and take `Arc<Runs>` in controllers.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::run::RunError> {
/// use futures::StreamExt;
/// use nestish_core::run::Runs;
///
/// let runs = Runs::new();
/// let id = runs.start("ann", futures::stream::iter(["Hel", "lo"])).await?;
/// let answer: Vec<_> = runs.attach("ann", id.as_str(), None).await?.collect().await;
/// assert_eq!(answer[1].encoded(), b"id: 2\ndata: lo\n\n");
/// assert!(runs.attach("bob", id.as_str(), None).await.is_err());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Runs {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runs")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Default for Runs {
    fn default() -> Self {
        Self::new()
    }
}

impl Runs {
    /// Runs kept in the process, with the default bounds.
    ///
    /// ```
    /// let runs = nestish_core::run::Runs::new();
    /// # let _ = runs;
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with_config(RunsConfig::default())
    }

    /// Runs kept in the process, with `config`'s bounds.
    ///
    /// ```
    /// use nestish_core::run::{Runs, RunsConfig};
    ///
    /// let runs = Runs::with_config(RunsConfig::default().max_events(100));
    /// # let _ = runs;
    /// ```
    #[must_use]
    pub fn with_config(config: RunsConfig) -> Self {
        let hub = Hub::with_backend(MemoryBackend::new(
            HubConfig::default()
                .history(config.max_events)
                .idle_expiry(config.retention),
        ));
        Self::on(hub, config)
    }

    /// Runs kept in Redis at `url` (feature `redis`), under keys starting `nestish:runs:`:
    /// every instance on that Redis attaches to and cancels the runs of every other.
    ///
    /// # Errors
    ///
    /// [`HubError::Connect`] when Redis cannot be reached at start-up.
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// use nestish_core::run::{Runs, RunsConfig};
    ///
    /// let runs = Runs::redis("redis://127.0.0.1:6379", RunsConfig::default()).await?;
    /// # let _ = runs;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub async fn redis(url: impl Into<String>, config: RunsConfig) -> Result<Self, HubError> {
        let hub = Hub::redis(url)
            .key_prefix("nestish:runs:")
            .history(config.max_events)
            .idle_expiry(config.retention)
            .connect()
            .await?;
        Ok(Self::on(hub, config))
    }

    fn on(hub: Hub, config: RunsConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                hub,
                config,
                running: AtomicUsize::new(0),
                idle: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Starts a run of `producer` for `owner` (the principal the guards established) and
    /// returns its id once the run is stored. The producer runs in a task of its own until it
    /// ends, is cancelled or reaches the bounds; its events are stored whether anyone is
    /// attached or not, each with the id it gets in the run (the producer's own ids are
    /// replaced).
    ///
    /// # Errors
    ///
    /// [`RunError::Busy`] at [`RunsConfig::max_running`]; [`RunError::Hub`] when the store
    /// fails.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::run::RunError> {
    /// let runs = nestish_core::run::Runs::new();
    /// let id = runs.start("ann", futures::stream::iter(["one", "two"])).await?;
    /// # let _ = id;
    /// # Ok(()) }
    /// ```
    pub async fn start<S, T>(&self, owner: &str, producer: S) -> Result<RunId, RunError>
    where
        S: Stream<Item = T> + Send + 'static,
        T: Into<MessageEvent> + Send + 'static,
    {
        let inner = &self.inner;
        let before = inner.running.fetch_add(1, Ordering::AcqRel);
        let running = driver::Running(Arc::clone(inner));
        if before >= inner.config.max_running {
            return Err(RunError::Busy(before));
        }
        let id = RunId::random();
        let topics = Topics::of(id.as_str());
        let opened = Record::Opened {
            owner: owner.to_owned(),
        };
        let opened_id = inner
            .hub
            .publish(&topics.control, opened.to_event())
            .await?;
        // From after `Opened`: a cancel published an instant after this returns is still seen.
        let control = inner.hub.subscribe(&topics.control, Some(opened_id));
        tokio::spawn(driver::drive(running, topics, producer, control));
        Ok(id)
    }

    /// The run `id`'s events after `last_event_id`, then live ones until its last event, for
    /// its `owner`. Return the stream from an `#[sse]` method: the errors convert to the
    /// statuses a browser needs before any SSE header.
    ///
    /// # Errors
    ///
    /// [`RunError::NotFound`] (404), [`RunError::Forbidden`] (403) for another principal,
    /// [`RunError::Finished`] (204) when the run ended and `last_event_id` is its last event,
    /// [`RunError::Hub`] (500).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::run::RunError> {
    /// use futures::StreamExt;
    /// # let runs = nestish_core::run::Runs::new();
    /// let id = runs.start("ann", futures::stream::iter(["a", "b", "c"])).await?;
    /// let all: Vec<_> = runs.attach("ann", id.as_str(), None).await?.collect().await;
    /// assert_eq!(all.len(), 3);
    /// // Later, from another tab that saw the first event:
    /// let rest: Vec<_> = runs.attach("ann", id.as_str(), Some(1)).await?.collect().await;
    /// assert_eq!(rest.iter().map(|e| e.id()).collect::<Vec<_>>(), [Some(2), Some(3)]);
    /// assert!(matches!(runs.attach("ann", id.as_str(), Some(3)).await, Err(nestish_core::run::RunError::Finished)));
    /// # Ok(()) }
    /// ```
    pub async fn attach(
        &self,
        owner: &str,
        id: &str,
        last_event_id: Option<u64>,
    ) -> Result<RunStream, RunError> {
        let topics = Topics::of(id);
        let summary = self.summary(owner, &topics).await?;
        let hub = &self.inner.hub;
        match summary.ended {
            Some((_, last)) => {
                if last.is_none_or(|last| last_event_id.is_some_and(|seen| seen >= last)) {
                    return Err(RunError::Finished);
                }
                let history = hub.history(&topics.events).await?;
                Ok(Box::pin(attach::finished(history, last_event_id)))
            }
            None => {
                let control = hub.subscribe(&topics.control, Some(summary.last_record));
                let events = hub.subscribe(&topics.events, Some(last_event_id.unwrap_or(0)));
                Ok(Box::pin(attach::live(events, control, last_event_id)))
            }
        }
    }

    /// Stops the run `id`, for its `owner`, wherever its producer runs: the producer is dropped
    /// as soon as the cancel reaches its instance (through the hub, at once). Cancelling a run
    /// that ended does nothing.
    ///
    /// # Errors
    ///
    /// [`RunError::NotFound`], [`RunError::Forbidden`], [`RunError::Hub`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::run::RunError> {
    /// # let runs = nestish_core::run::Runs::new();
    /// let id = runs.start("ann", futures::stream::pending::<String>()).await?;
    /// runs.cancel("ann", id.as_str()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self, owner: &str, id: &str) -> Result<(), RunError> {
        let topics = Topics::of(id);
        let summary = self.summary(owner, &topics).await?;
        if summary.ended.is_none() {
            self.inner
                .hub
                .publish(&topics.control, Record::Cancel.to_event())
                .await?;
        }
        Ok(())
    }

    /// The run `id`'s status, for its `owner`.
    ///
    /// # Errors
    ///
    /// [`RunError::NotFound`], [`RunError::Forbidden`], [`RunError::Hub`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::run::RunError> {
    /// use nestish_core::run::{RunStatus, Runs};
    ///
    /// let runs = Runs::new();
    /// let id = runs.start("ann", futures::stream::pending::<String>()).await?;
    /// assert_eq!(runs.status("ann", id.as_str()).await?, RunStatus::Running);
    /// # Ok(()) }
    /// ```
    pub async fn status(&self, owner: &str, id: &str) -> Result<RunStatus, RunError> {
        let summary = self.summary(owner, &Topics::of(id)).await?;
        Ok(summary
            .ended
            .map_or(RunStatus::Running, |(status, _)| status))
    }

    /// The runs producing on this instance now.
    ///
    /// ```
    /// assert_eq!(nestish_core::run::Runs::new().running(), 0);
    /// ```
    #[must_use]
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::Acquire)
    }

    /// Waits until no run is producing on this instance, for at most `within`, and returns the
    /// runs still producing then (0: every one ended). This is what a graceful shutdown awaits
    /// (see [`Lifecycle`](crate::Lifecycle) below): the runs of a stopping instance finish
    /// their answers while their clients, drained to another instance, read them there.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::run::RunError> {
    /// use std::time::Duration;
    ///
    /// let runs = nestish_core::run::Runs::new();
    /// runs.start("ann", futures::stream::iter(["a", "b"])).await?;
    /// assert_eq!(runs.settle(Duration::from_secs(5)).await, 0);
    /// # Ok(()) }
    /// ```
    pub async fn settle(&self, within: Duration) -> usize {
        let settled = async {
            loop {
                // Registered before the count is read, so an end in between is not missed.
                let idle = self.inner.idle.notified();
                if self.running() == 0 {
                    return;
                }
                idle.await;
            }
        };
        let _ = tokio::time::timeout(within, settled).await;
        self.running()
    }

    /// The run's control records, checked against `owner`; an id that [`RunId`] never has is
    /// not looked up.
    async fn summary(&self, owner: &str, topics: &Topics) -> Result<Summary, RunError> {
        if !topics.valid {
            return Err(RunError::NotFound);
        }
        let history = self.inner.hub.history(&topics.control).await?;
        let summary = Summary::of(&history);
        match &summary.owner {
            None => Err(RunError::NotFound),
            Some(theirs) if theirs != owner => Err(RunError::Forbidden),
            Some(_) => Ok(summary),
        }
    }
}

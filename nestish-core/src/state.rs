//! What a running application shares between its accept loop, its connections and its SSE
//! bodies: the shutdown signal and the counts of open connections and streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

use crate::admission::Tables;
use crate::heartbeat::Heartbeats;
use crate::shutdown::ShutdownWakers;
use crate::tally::Tally;

/// Shared by everything an application runs.
#[derive(Debug, Default)]
pub(crate) struct State {
    shutting_down: AtomicBool,
    /// Notified when `shutting_down` is set.
    shutdown: Arc<Notify>,
    /// Set when the shutdown deadline passes: connections still open close at once.
    forcing: AtomicBool,
    /// Notified when `forcing` is set. Apart from `shutdown`, so that a waiter for the deadline
    /// can never be spent by the shutdown's own notification.
    force: Arc<Notify>,
    open_streams: AtomicUsize,
    open_connections: AtomicUsize,
    /// Notified, during a shutdown, each time a connection closes.
    connection_closed: Notify,
    /// The SSE routes' heartbeats, one wheel per interval.
    pub(crate) heartbeats: Heartbeats,
    /// The tasks of the open SSE streams, woken when `shutting_down` is set.
    pub(crate) shutdown_wakers: ShutdownWakers,
    /// The open SSE streams by principal, address and revocation key.
    pub(crate) admissions: Arc<Tables>,
    /// Its answers by status and the events of its streams (see `tally`).
    pub(crate) tally: Arc<Tally>,
}

impl State {
    pub(crate) fn trigger_shutdown(&self) {
        if !self.shutting_down.swap(true, Ordering::SeqCst) {
            self.shutdown.notify_waiters();
            self.shutdown_wakers.wake_all();
        }
    }

    // Inlined: every SSE body asks at every poll, from code generic over its stream and so
    // compiled in the application's crate.
    #[inline]
    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Past the shutdown deadline: tells every connection still open to close now.
    pub(crate) fn force_close(&self) {
        if !self.forcing.swap(true, Ordering::SeqCst) {
            self.force.notify_waiters();
        }
    }

    pub(crate) fn is_forcing(&self) -> bool {
        self.forcing.load(Ordering::SeqCst)
    }

    /// A future that completes when the shutdown starts. It sees every notification sent after
    /// it was created, so create it, then read the flag, then wait on it.
    pub(crate) fn shutdown_notified(&self) -> OwnedNotified {
        Arc::clone(&self.shutdown).notified_owned()
    }

    /// As [`shutdown_notified`](Self::shutdown_notified), for the shutdown deadline.
    pub(crate) fn force_notified(&self) -> OwnedNotified {
        Arc::clone(&self.force).notified_owned()
    }

    /// Completes once shutdown is triggered (at once if it already was).
    pub(crate) async fn shutdown_triggered(&self) {
        loop {
            let notified = self.shutdown.notified();
            if self.is_shutting_down() {
                return;
            }
            notified.await;
        }
    }

    /// Waits until no connection is open.
    pub(crate) async fn all_connections_closed(&self) {
        loop {
            let closed = self.connection_closed.notified();
            tokio::pin!(closed);
            // Registered before the count is read, so a close in between is not missed.
            closed.as_mut().enable();
            if self.open_connections.load(Ordering::SeqCst) == 0 {
                return;
            }
            closed.await;
        }
    }

    /// Counts an SSE stream as open until the guard is dropped.
    pub(crate) fn stream_opened(self: &Arc<Self>) -> StreamGuard {
        self.open_streams.fetch_add(1, Ordering::SeqCst);
        StreamGuard(Arc::clone(self))
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }

    /// Counts a connection as open until the guard is dropped; the count before it opened.
    pub(crate) fn connection_opened(self: &Arc<Self>) -> (OpenGuard, usize) {
        let before = self.open_connections.fetch_add(1, Ordering::SeqCst);
        crate::observe::connections(1.0);
        let guard = OpenGuard {
            state: Arc::clone(self),
        };
        (guard, before)
    }
}

/// Decrements the count of open connections when dropped, whatever ends the connection.
#[derive(Debug)]
pub(crate) struct OpenGuard {
    state: Arc<State>,
}

impl OpenGuard {
    /// The application's state.
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.state
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.state.open_connections.fetch_sub(1, Ordering::SeqCst);
        crate::observe::connections(-1.0);
        // Only a shutdown waits for connections to close; otherwise this costs no lock.
        if self.state.is_shutting_down() {
            self.state.connection_closed.notify_waiters();
        }
    }
}

/// Decrements the count of open SSE streams when dropped, whatever ends the stream. A type of
/// its own, not a flag in [`OpenGuard`], so that every SSE body is 8 bytes smaller.
#[derive(Debug)]
pub(crate) struct StreamGuard(Arc<State>);

impl StreamGuard {
    /// The application's state.
    pub(crate) fn state(&self) -> &Arc<State> {
        &self.0
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A handle on an application: trigger a graceful shutdown, read its counts, revoke streams.
/// Cheap to clone; from [`AppBuilder::handle`](crate::AppBuilder::handle),
/// [`App::handle`](crate::App::handle) or [`Server::handle`](crate::Server::handle), or injected
/// (`Arc<AppHandle>`). It exists from [`NestFactory::create`](crate::NestFactory::create) on,
/// before any server, and is the application's whichever server runs it: nestish's own, or
/// another that mounts the app as a `tower::Service`.
///
/// ```no_run
/// # async fn run() -> Result<(), nestish_core::Error> {
/// let server = nestish_core::NestFactory::create().build()?.bind("127.0.0.1:0").await?;
/// let handle = server.handle();
/// tokio::spawn(async move {
///     tokio::time::sleep(std::time::Duration::from_secs(60)).await;
///     handle.shutdown(); // as SIGTERM would
/// });
/// server.serve().await
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AppHandle {
    pub(crate) state: Arc<State>,
}

impl AppHandle {
    /// Starts a graceful shutdown: no new connections, every SSE stream ends cleanly, in-flight
    /// requests finish, and `serve` returns within the shutdown timeout.
    pub fn shutdown(&self) {
        self.state.trigger_shutdown();
    }

    /// Whether a graceful shutdown has started: what a readiness check reports (see
    /// [`AppBuilder::health_routes`](crate::AppBuilder::health_routes)).
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create().build().unwrap();
    /// let handle = app.handle();
    /// assert!(!handle.is_shutting_down());
    /// handle.shutdown();
    /// assert!(handle.is_shutting_down());
    /// ```
    #[must_use]
    pub fn is_shutting_down(&self) -> bool {
        self.state.is_shutting_down()
    }

    /// How many SSE streams are open now.
    #[must_use]
    pub fn open_streams(&self) -> usize {
        self.state.open_streams.load(Ordering::SeqCst)
    }

    /// How many client connections are open now.
    #[must_use]
    pub fn open_connections(&self) -> usize {
        self.state.open_connections()
    }

    /// How many requests the app has answered, by status (ascending; statuses never given are
    /// left out), since it was built. Every answer counts: its routes', the 404 and 405 of a
    /// request no route takes, a guard's refusal, a body refused (400, 413, 415), its health,
    /// metrics and document routes', the server's refusal of a malformed request and, with
    /// tower layers, what the outermost layer answers. An SSE request counts when its head goes
    /// out. The app's own counts, whatever cargo features are on: one relaxed atomic add per
    /// answer.
    ///
    /// ```standalone_crate
    /// use http_body_util::Empty;
    /// use nestish_core::StatusCode;
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let app = nestish_core::NestFactory::create().build().unwrap();
    /// let handle = app.handle();
    /// let request = http::Request::get("/nowhere").body(Empty::<bytes::Bytes>::new()).unwrap();
    /// app.oneshot(request).await.unwrap();
    /// assert_eq!(handle.answered_by_status(), [(StatusCode::NOT_FOUND, 1)]);
    /// # }
    /// ```
    #[must_use]
    pub fn answered_by_status(&self) -> Vec<(http::StatusCode, u64)> {
        self.state.tally.by_status()
    }

    /// How many events the app's SSE streams have sent since it was built (heartbeats not
    /// included): sampled twice, the events per second between. A stream that keeps writing
    /// is counted every 64 events, and the rest as soon as it pauses or ends, so a busy
    /// stream's last few events may show in the next sample.
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create().build().unwrap();
    /// assert_eq!(app.handle().events_sent(), 0);
    /// ```
    #[must_use]
    pub fn events_sent(&self) -> u64 {
        self.state.tally.events()
    }

    /// Ends every SSE stream of this instance that a guard named with `key` (its principal,
    /// [`GuardRequest::principal`](crate::GuardRequest::principal), or another name,
    /// [`revocable_as`](crate::GuardRequest::revocable_as)), each with a `retry:` so its client
    /// reconnects and is authenticated again; how many. On every instance of a fleet:
    /// [`Hub::revoke`](crate::hub::Hub::revoke).
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create().build().unwrap();
    /// assert_eq!(app.handle().revoke("user:ann"), 0);
    /// ```
    pub fn revoke(&self, key: &str) -> usize {
        self.state.admissions.revoke(key)
    }
}

//! What a running application shares between its accept loop, its connections and its SSE
//! bodies: the shutdown signal and the counts of open connections and streams.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

/// Shared by everything an application runs.
#[derive(Debug, Default)]
pub(crate) struct State {
    shutting_down: AtomicBool,
    shutdown: Arc<Notify>,
    /// Set when the shutdown deadline passes: connections still open close at once.
    forcing: AtomicBool,
    force: Arc<Notify>,
    open_streams: AtomicUsize,
    open_connections: AtomicUsize,
    /// Notified, during a shutdown, each time a connection closes.
    connection_closed: Notify,
}

impl State {
    pub(crate) fn trigger_shutdown(&self) {
        if !self.shutting_down.swap(true, Ordering::SeqCst) {
            self.shutdown.notify_waiters();
        }
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// A future that completes once shutdown is triggered (at once if it already was).
    pub(crate) fn shutdown_signal(self: &Arc<Self>) -> ShutdownSignal {
        ShutdownSignal::new(Arc::clone(self), &self.shutdown, false)
    }

    /// Past the shutdown deadline: tells every connection still open to close now.
    pub(crate) fn force_close(&self) {
        if !self.forcing.swap(true, Ordering::SeqCst) {
            self.force.notify_waiters();
        }
    }

    /// A future that completes once the connections must close (at once if they already must).
    pub(crate) fn force_signal(self: &Arc<Self>) -> ShutdownSignal {
        ShutdownSignal::new(Arc::clone(self), &self.force, true)
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
    pub(crate) fn stream_opened(self: &Arc<Self>) -> OpenGuard {
        self.open_streams.fetch_add(1, Ordering::SeqCst);
        OpenGuard {
            state: Arc::clone(self),
            stream: true,
        }
    }

    pub(crate) fn open_connections(&self) -> usize {
        self.open_connections.load(Ordering::SeqCst)
    }

    /// Counts a connection as open until the guard is dropped; the count before it opened.
    pub(crate) fn connection_opened(self: &Arc<Self>) -> (OpenGuard, usize) {
        let before = self.open_connections.fetch_add(1, Ordering::SeqCst);
        let guard = OpenGuard {
            state: Arc::clone(self),
            stream: false,
        };
        (guard, before)
    }
}

/// Decrements its count when dropped, whatever ends the stream or connection.
#[derive(Debug)]
pub(crate) struct OpenGuard {
    state: Arc<State>,
    stream: bool,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        if self.stream {
            self.state.open_streams.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        self.state.open_connections.fetch_sub(1, Ordering::SeqCst);
        // Only a shutdown waits for connections to close; otherwise this costs no lock.
        if self.state.is_shutting_down() {
            self.state.connection_closed.notify_waiters();
        }
    }
}

/// Completes when the application starts shutting down (or, for the force signal, when the
/// shutdown deadline has passed).
///
/// Cheap to poll often: the flag is read first, and the waker is handed to the `Notify` (which
/// takes its lock) only when it changed.
pub(crate) struct ShutdownSignal {
    state: Arc<State>,
    force: bool,
    notified: Pin<Box<OwnedNotified>>,
    registered: Option<Waker>,
}

impl ShutdownSignal {
    fn new(state: Arc<State>, notify: &Arc<Notify>, force: bool) -> Self {
        let mut notified = Box::pin(Arc::clone(notify).notified_owned());
        // Registered before the flag can be read, so a trigger in between is not missed.
        notified.as_mut().enable();
        Self {
            state,
            force,
            notified,
            registered: None,
        }
    }

    fn triggered(&self) -> bool {
        if self.force {
            self.state.forcing.load(Ordering::SeqCst)
        } else {
            self.state.is_shutting_down()
        }
    }
}

impl Future for ShutdownSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.triggered() {
            return Poll::Ready(());
        }
        if self
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        if self.notified.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        self.registered = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A handle on a running application: trigger a graceful shutdown, read its counts. Cheap to
/// clone; from [`App::handle`](crate::App::handle) or [`Server::handle`](crate::Server::handle).
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
pub struct ServerHandle {
    pub(crate) state: Arc<State>,
}

impl ServerHandle {
    /// Starts a graceful shutdown: no new connections, every SSE stream ends cleanly, in-flight
    /// requests finish, and `serve` returns within the shutdown timeout.
    pub fn shutdown(&self) {
        self.state.trigger_shutdown();
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
}

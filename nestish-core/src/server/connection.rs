//! [`ServeConnection`]: one client connection, served by hyper until it ends, and ended
//! gracefully when the application shuts down.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use pin_project_lite::pin_project;
use tokio::net::TcpStream;
use tokio::sync::futures::OwnedNotified;

use crate::routing::dispatch::Dispatcher;
use crate::server::stall::StallGuard;
use crate::state::OpenGuard;

type Http = http1::Connection<TokioIo<StallGuard<TcpStream>>, Dispatcher>;

pin_project! {
    /// The task of one connection. A hand-written future rather than an `async fn` with
    /// `select!`, because every byte of it is paid once per open connection (ten thousand idle
    /// SSE clients are ten thousand of these): the shutdown waiter lives inline instead of in a
    /// box of its own, and nothing is kept that the connection no longer needs.
    pub(crate) struct ServeConnection {
        #[pin]
        http: Http,
        // Woken when the application starts shutting down; once it has, when its deadline passes.
        #[pin]
        wake: OwnedNotified,
        // The waker `wake` was last polled with. Polling it takes the `Notify`'s lock, which every
        // connection shares, so it is polled again only when the task's waker changes.
        registered: Option<Waker>,
        // Whether hyper has been told to finish the request in flight and close.
        graceful: bool,
        // Counts the connection as open; also its way to the application's state.
        open: OpenGuard,
    }
}

impl ServeConnection {
    /// Serves `stream` with `http`'s settings, routing through `dispatcher`.
    pub(crate) fn new(
        stream: TcpStream,
        http: &http1::Builder,
        dispatcher: &Dispatcher,
        stall_timeout: Duration,
        open: OpenGuard,
    ) -> Self {
        let io = TokioIo::new(StallGuard::new(stream, stall_timeout));
        // Created before the first look at the flags, so a shutdown in between still wakes it.
        let wake = open.state().shutdown_notified();
        Self {
            http: http.serve_connection(io, dispatcher.clone()),
            wake,
            registered: None,
            graceful: false,
            open,
        }
    }
}

impl Future for ServeConnection {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            let state = this.open.state();
            if state.is_forcing() {
                // Past the shutdown deadline: dropping the connection closes the socket.
                return Poll::Ready(());
            }
            if !*this.graceful && state.is_shutting_down() {
                // Finish the request in flight (an SSE body ends itself), then close.
                this.http.as_mut().graceful_shutdown();
                *this.graceful = true;
                // From now on, wait for the deadline, with a waiter created before the flags
                // are read again.
                this.wake.set(state.force_notified());
                *this.registered = None;
                continue;
            }
            if let Poll::Ready(result) = this.http.as_mut().poll(cx) {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return Poll::Ready(());
            }
            let waker = cx.waker();
            if this.registered.as_ref().is_some_and(|w| w.will_wake(waker)) {
                return Poll::Pending;
            }
            if this.wake.as_mut().poll(cx).is_ready() {
                // Its flag was set before it was notified: the top of the loop acts on it
                // (and replaces the spent waiter, or ends the connection).
                continue;
            }
            *this.registered = Some(waker.clone());
            return Poll::Pending;
        }
    }
}

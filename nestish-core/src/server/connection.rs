//! [`ServeConnection`]: one client connection, HTTP/1.1 or HTTP/2, served by hyper until it ends,
//! and ended gracefully when the application shuts down.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::futures::OwnedNotified;
use tokio::time::Sleep;

use super::http2::Http2Connection;
use super::peer::{self, Fd};
use super::sniff::{Protocol, Rewind, Sniff};
use super::stall::StallGuard;
use super::strict;
use crate::extract::{ConnectionInfo, RequestBody};
use crate::observe::{CloseReason, dropping_for};
use crate::state::OpenGuard;
use crate::{Limits, Routes, RoutesFuture};

/// The routes as hyper serves them: its `Incoming` body goes to the routes unboxed, after the
/// checks of HTTP/1.1 that hyper does not make.
#[derive(Clone)]
pub(crate) struct HyperService {
    pub(crate) routes: Routes,
    pub(crate) head_limit: usize,
}

impl hyper::service::Service<http::Request<Incoming>> for HyperService {
    type Response = crate::Response;
    type Error = std::convert::Infallible;
    type Future = RoutesFuture;

    fn call(&self, mut request: http::Request<Incoming>) -> RoutesFuture {
        if let Some(refusal) = strict::check(&request, self.head_limit) {
            return self.routes.refuse(refusal);
        }
        if let Some(peer) = peer::current() {
            request.extensions_mut().insert(ConnectionInfo::new(peer));
        }
        self.routes.dispatch(request.map(RequestBody::incoming))
    }
}

/// What every connection of a server is built with.
pub(crate) struct Builders {
    pub(crate) http1: http1::Builder,
    pub(crate) service: HyperService,
    pub(crate) limits: Limits,
}

type Io<I> = TokioIo<StallGuard<Rewind<I>>>;

pin_project! {
    #[project = PhaseProj]
    enum Phase<I> {
        // Reading the first bytes, to tell HTTP/2's preface from an HTTP/1.1 request, within
        // the header read timeout.
        Sniff {
            io: Option<I>,
            sniff: Sniff,
            #[pin]
            deadline: Sleep,
        },
        Http1 { #[pin] conn: http1::Connection<Io<I>, HyperService> },
        // Boxed: an HTTP/2 connection's state is twice an HTTP/1 one's, and an enum is as large
        // as its largest variant, so inline it would be paid by every HTTP/1.1 connection
        // (one per idle SSE client); an HTTP/2 connection carries many streams.
        Http2 { conn: Pin<Box<Http2Connection<StallGuard<Rewind<I>>>>> },
        // Over: what it served is dropped.
        Closed,
    }
}

pin_project! {
    /// The task of one connection. A hand-written future rather than an `async fn` with
    /// `select!`, because every byte of it is paid once per open connection (ten thousand idle
    /// SSE clients are ten thousand of these): the shutdown waiter lives inline instead of in a
    /// box of its own, and nothing is kept that the connection no longer needs.
    pub(crate) struct ServeConnection<I> {
        #[pin]
        phase: Phase<I>,
        // Woken when the application starts shutting down; once it has, when its deadline passes.
        #[pin]
        wake: OwnedNotified,
        // The waker `wake` was last polled with. Polling it takes the `Notify`'s lock, which every
        // connection shares, so it is polled again only when the task's waker changes.
        registered: Option<Waker>,
        // Whether hyper has been told to finish the requests in flight and close.
        graceful: bool,
        // Counts the connection as open; also its way to the application's state.
        open: OpenGuard,
        // Kept until the protocol is known, then dropped.
        builders: Option<Arc<Builders>>,
        // The socket's descriptor, so that a request can learn its client's address (see
        // `peer`); it fits in what would be padding.
        fd: Fd,
    }
}

impl<I> ServeConnection<I>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static + AsFd,
{
    /// Serves `io`. `protocol` is what the transport already agreed (TLS's ALPN); `None` reads
    /// the first bytes to find out.
    pub(crate) fn new(
        io: I,
        protocol: Option<Protocol>,
        open: OpenGuard,
        with: &Arc<Builders>,
    ) -> Self {
        let fd = io.fd();
        // Created before the first look at the flags, so a shutdown in between still wakes it.
        let wake = open.state().shutdown_notified();
        let phase = match protocol {
            None => Phase::Sniff {
                io: Some(io),
                sniff: Sniff::default(),
                deadline: tokio::time::sleep(with.limits.header_read_timeout),
            },
            Some(protocol) => Phase::serve(protocol, Sniff::default().rewind(io), with),
        };
        Self {
            phase,
            wake,
            registered: None,
            graceful: false,
            open,
            builders: protocol.is_none().then(|| Arc::clone(with)),
            fd,
        }
    }
}

impl<I> Phase<I>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn serve(protocol: Protocol, io: Rewind<I>, with: &Builders) -> Self {
        let io = StallGuard::new(io, with.limits.stall_timeout);
        let service = with.service.clone();
        match protocol {
            Protocol::Http1 => Self::Http1 {
                conn: with.http1.serve_connection(TokioIo::new(io), service),
            },
            Protocol::Http2 => Self::Http2 {
                conn: Box::pin(Http2Connection::new(io, service, &with.limits)),
            },
        }
    }
}

impl<I> Future for ServeConnection<I>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut serve = self.project();
        loop {
            let state = serve.open.state();
            if state.is_forcing() {
                // Past the shutdown deadline: dropping the connection closes the socket.
                return Poll::Ready(());
            }
            if !*serve.graceful && state.is_shutting_down() {
                // Finish the requests in flight (an SSE body ends itself), then close; HTTP/2
                // sends GOAWAY first.
                match serve.phase.as_mut().project() {
                    // Nothing was asked yet: close.
                    PhaseProj::Sniff { .. } => return Poll::Ready(()),
                    PhaseProj::Http1 { conn } => conn.graceful_shutdown(),
                    PhaseProj::Http2 { conn } => conn.as_mut().graceful_shutdown(),
                    PhaseProj::Closed => return Poll::Ready(()),
                }
                *serve.graceful = true;
                // From now on, wait for the deadline, with a waiter created before the flags
                // are read again.
                serve.wake.set(state.force_notified());
                *serve.registered = None;
                continue;
            }
            let done = match serve.phase.as_mut().project() {
                PhaseProj::Sniff {
                    io,
                    sniff,
                    deadline,
                } => {
                    if deadline.poll(cx).is_ready() {
                        tracing::debug!("no request within the header read timeout");
                        return Poll::Ready(());
                    }
                    let Some(raw) = io.as_mut() else {
                        return Poll::Ready(());
                    };
                    match sniff.poll_protocol(raw, cx) {
                        Poll::Ready(Ok(Some(protocol))) => {
                            let (Some(raw), Some(builders)) = (io.take(), serve.builders.take())
                            else {
                                return Poll::Ready(());
                            };
                            let rewound = std::mem::take(sniff).rewind(raw);
                            serve.phase.set(Phase::serve(protocol, rewound, &builders));
                            continue;
                        }
                        Poll::Ready(Ok(None)) => return Poll::Ready(()),
                        Poll::Ready(Err(error)) => {
                            tracing::debug!(%error, "connection failed before its first request");
                            return Poll::Ready(());
                        }
                        Poll::Pending => None,
                    }
                }
                PhaseProj::Http1 { conn } => match peer::serving(*serve.fd, || conn.poll(cx)) {
                    Poll::Ready(result) => Some(result),
                    Poll::Pending => None,
                },
                PhaseProj::Http2 { conn } => {
                    match peer::serving(*serve.fd, || conn.as_mut().poll(cx)) {
                        Poll::Ready(result) => Some(result),
                        Poll::Pending => None,
                    }
                }
                PhaseProj::Closed => return Poll::Ready(()),
            };
            if let Some(result) = done {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                    if stalled(&error) {
                        // An HTTP/1.1 stream is dropped here, and learns why it ends. (HTTP/2's
                        // streams live on tasks of their own, and learn it from their
                        // connection: see `http2::streams`; hyper's HTTP/2 error does not even
                        // name the I/O error.)
                        let mut phase = serve.phase;
                        dropping_for(CloseReason::StallTimeout, || phase.set(Phase::Closed));
                    }
                }
                return Poll::Ready(());
            }
            let waker = cx.waker();
            if serve
                .registered
                .as_ref()
                .is_some_and(|w| w.will_wake(waker))
            {
                return Poll::Pending;
            }
            if serve.wake.as_mut().poll(cx).is_ready() {
                // Its flag was set before it was notified: the top of the loop acts on it
                // (and replaces the spent waiter, or ends the connection).
                continue;
            }
            *serve.registered = Some(waker.clone());
            return Poll::Pending;
        }
    }
}

/// Whether a connection failed because the stall guard gave up on its client.
fn stalled(error: &hyper::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::TimedOut;
        }
        source = error.source();
    }
    false
}

/// A transport's socket descriptor, for [`peer`].
pub(crate) trait AsFd {
    /// The descriptor, or [`peer::NO_FD`].
    fn fd(&self) -> Fd;
}

#[cfg(unix)]
impl<T: std::os::fd::AsRawFd> AsFd for T {
    fn fd(&self) -> Fd {
        self.as_raw_fd()
    }
}

#[cfg(not(unix))]
impl<T> AsFd for T {
    fn fd(&self) -> Fd {
        peer::NO_FD
    }
}

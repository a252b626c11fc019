//! An HTTP/2 connection with the bounds hyper does not keep by itself: an idle timeout (GOAWAY
//! once no stream has been open for a while), one send budget for all its SSE streams, a cap on
//! frames that do no work, and close reasons that reach its streams' tasks.

mod frames;
mod streams;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http2;
use hyper_util::rt::{TokioIo, TokioTimer};
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};

use super::connection::HyperService;
use crate::Limits;
pub(crate) use frames::FrameGuard;
use streams::{Shared, Streams};

/// Where the connection's timer is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Streams are open: no timer.
    Off,
    /// No stream is open: the idle timeout runs.
    Idle,
    /// GOAWAY was sent for idleness: the client has the keep-alive timeout to answer its PING.
    Closing,
}

pin_project! {
    /// One HTTP/2 connection, served by hyper within its limits.
    pub(crate) struct Http2Connection<I> {
        #[pin]
        conn: http2::Connection<TokioIo<FrameGuard<I>>, HyperService, Streams>,
        shared: Arc<Shared>,
        #[pin]
        sleep: Sleep,
        timer: Timer,
        idle_timeout: Duration,
        grace: Duration,
    }
}

impl<I> Http2Connection<I>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    pub(crate) fn new(io: I, service: HyperService, limits: &Limits) -> Self {
        let shared = Shared::new(limits.http2_connection_buffer);
        let io = FrameGuard::new(io, limits.http2_noop_frame_budget, Arc::clone(&shared));
        let conn = builder(limits, Streams(Arc::clone(&shared)))
            .serve_connection(TokioIo::new(io), service);
        Self {
            conn,
            shared,
            sleep: tokio::time::sleep(limits.http2_idle_timeout),
            timer: Timer::Off,
            idle_timeout: limits.http2_idle_timeout,
            grace: limits.http2_keep_alive_timeout,
        }
    }

    /// Sends GOAWAY, lets the open streams finish, then closes.
    pub(crate) fn graceful_shutdown(self: Pin<&mut Self>) {
        self.project().conn.graceful_shutdown();
    }
}

/// hyper's settings for one connection, its streams spawned by `streams`.
fn builder(limits: &Limits, streams: Streams) -> http2::Builder<Streams> {
    let mut http2 = http2::Builder::new(streams);
    let buffer = u32::try_from(limits.buffer_size).unwrap_or(u32::MAX);
    http2
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.http2_max_concurrent_streams)
        // What one stream may queue for a client that does not read (or grants no window), as
        // HTTP/1's buffer bounds a connection's; the SSE streams of a connection share a
        // budget on top (`crate::budget`).
        .max_send_buf_size(limits.buffer_size)
        .max_header_list_size(buffer)
        .keep_alive_interval(limits.http2_keep_alive_interval)
        .keep_alive_timeout(limits.http2_keep_alive_timeout)
        // hyper's defaults, spelled out: the bounds against a flood of resets (CVE-2023-44487,
        // "rapid reset") and of streams the server had to reset itself.
        .max_pending_accept_reset_streams(Some(Limits::HTTP2_MAX_PENDING_RESET_STREAMS))
        .max_local_error_reset_streams(Some(Limits::HTTP2_MAX_LOCAL_ERROR_RESETS));
    http2
}

impl<I> Future for Http2Connection<I>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Output = hyper::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<hyper::Result<()>> {
        let mut this = self.project();
        loop {
            if let Poll::Ready(result) = this.conn.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            // Counted after hyper's poll, which is where streams are spawned; a stream ending
            // on its own task from here on wakes this one.
            let open = this.shared.open_streams(cx);
            match *this.timer {
                // A stream that came in before the GOAWAY is served: hyper closes after it.
                Timer::Closing if open > 0 => return Poll::Pending,
                Timer::Closing => {}
                _ if open > 0 => {
                    *this.timer = Timer::Off;
                    return Poll::Pending;
                }
                Timer::Off => {
                    this.sleep
                        .as_mut()
                        .reset(Instant::now() + *this.idle_timeout);
                    *this.timer = Timer::Idle;
                }
                Timer::Idle => {}
            }
            if this.sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if *this.timer == Timer::Closing {
                tracing::debug!(
                    target: "nestish::connection",
                    "closing an idle HTTP/2 connection: no answer to GOAWAY's PING"
                );
                return Poll::Ready(Ok(()));
            }
            tracing::debug!(
                target: "nestish::connection",
                "HTTP/2 connection idle for {:?}: GOAWAY",
                this.idle_timeout
            );
            this.conn.as_mut().graceful_shutdown();
            *this.timer = Timer::Closing;
            this.sleep.as_mut().reset(Instant::now() + *this.grace);
            // Polled again, to write the GOAWAY.
        }
    }
}

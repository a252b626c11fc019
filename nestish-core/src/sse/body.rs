//! The response body of an SSE route: polls the user's stream and writes each event as it comes,
//! with heartbeats while it is silent; ends cleanly on shutdown or at the maximum lifetime.

use std::convert::Infallible;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http_body::{Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use super::SseConfig;
use super::SseItem;
use super::encode::{encode, encode_data};
use super::hooks::{CloseFn, MapFn, MapOutcome, StreamClosed, run_maps};
use super::signal::SseSetup;
use crate::admission::Ticket;
use crate::budget::SendBudget;
use crate::filter;
use crate::heartbeat::Heartbeat;
use crate::observe::CloseReason;
use crate::panic::message as panic_message;
use crate::shutdown::ShutdownWait;
use crate::state::StreamGuard;
use crate::{BoxError, HttpError};

/// Events already produced by the stream are sent together in one frame, up to these caps, so a
/// fast stream costs one write per batch rather than one per event; a connection never waits for
/// more than the stream has ready, and never holds the others up for longer than one batch.
const MAX_FRAME_EVENTS: u64 = 64;
const MAX_FRAME_BYTES: usize = 16 * 1024;

/// The heartbeat: a comment line and the blank line after it, which clients ignore.
const HEARTBEAT: &[u8] = b":\n\n";

pin_project! {
    /// Streams `S`'s events as an HTTP body. Dropped, with the stream, when the client goes away.
    ///
    /// One allocation holds it all (the user's stream is a field, not a box of its own, and the
    /// heartbeat a place in a wheel the route's streams share): an idle SSE client costs what
    /// its connection costs and little more.
    #[project = SseBodyProj]
    pub(crate) struct SseBody<S> {
        // `None` once the stream has ended or failed: it is dropped as soon as it is finished.
        #[pin]
        stream: Option<S>,
        buf: BytesMut,
        // Its place in the route's heartbeat wheel (unused when the route has no heartbeats).
        heartbeat: Heartbeat,
        // The end of the stream's maximum lifetime, if the application sets one, or of its
        // credentials (with the grace), whichever comes first: one timer for both.
        expires: Option<Pin<Box<Sleep>>>,
        config: Arc<SseConfig>,
        // Who is told of the stream's end, when anyone is: `None` for most streams.
        ends: Option<Box<Ends>>,
        // Its admission (principal, caps, revocation, credentials' end), if it has one: counted
        // out when the body is dropped, before the stream is counted closed (fields drop in
        // order), so an app that sees a stream closed sees its place free.
        ticket: Option<Arc<Ticket>>,
        // Counts the stream as open for as long as the body lives; the way to the app's state.
        open: StreamGuard,
        // Its place in the application's shutdown wake list, with the waker it last registered
        // there: the stream ends on shutdown whoever polls it (an HTTP/2 stream's task, axum's
        // server, a test), and takes the list's lock again only when the waker changes.
        shutdown: ShutdownWait,
        // What the close log line and the metrics report, and the interceptors' close hooks.
        stats: Stats,
    }

    impl<S> PinnedDrop for SseBody<S> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(wheel) = &this.config.heartbeat {
                wheel.remove(this.heartbeat);
            }
            this.open.state().shutdown_wakers.remove(this.shutdown);
            let hooks = this
                .ends
                .as_mut()
                .map(|ends| std::mem::take(&mut ends.hooks))
                .unwrap_or_default();
            this.stats.closed(this.config, this.stream.is_some(), hooks);
        }
    }
}

/// Who is told of a stream's end: its handler's `CloseSignal` (completed as this is dropped,
/// with the body) and its interceptors' close hooks; and its interceptors' maps, which see
/// each event. One pointer in the body for all, since most streams have none: a stream's body
/// stays the size it was without interceptors.
struct Ends {
    _signal: Option<oneshot::Sender<Infallible>>,
    hooks: Vec<CloseFn>,
    maps: Vec<MapFn>,
}

/// How many events a busy stream sends before it tells the app's tally
/// ([`AppHandle::events_sent`](crate::AppHandle::events_sent)).
const TALLY_BATCH: u64 = 64;

/// An SSE stream's figures, reported when it closes.
struct Stats {
    started: Instant,
    events: u64,
    bytes: u64,
    /// How many of `events` the app's tally has been told of: a busy stream tells it every
    /// [`TALLY_BATCH`] events, a stream going quiet at once, a closing one the rest.
    tallied: u64,
    /// Why it ended, once it has; a stream dropped before is ending for its connection's reason.
    reason: Option<CloseReason>,
}

impl Stats {
    fn new(config: &SseConfig) -> Self {
        if let Some(metrics) = &config.metrics {
            metrics.opened();
        }
        Self {
            started: Instant::now(),
            events: 0,
            bytes: 0,
            tallied: 0,
            reason: None,
        }
    }

    /// A frame of `events` events (and heartbeats) in `bytes` bytes goes out; `quiet` if the
    /// stream has nothing more for now or has ended.
    #[inline]
    fn sent(&mut self, config: &SseConfig, events: u64, bytes: usize, quiet: bool) {
        let bytes = bytes as u64;
        if let Some(metrics) = &config.metrics {
            if self.events == 0 && events > 0 {
                metrics.first_event(self.started.elapsed());
            }
            metrics.sent(events, bytes);
        }
        self.events += events;
        self.bytes += bytes;
        // The app's tally is shared by every stream: a flood tells it in batches rather than a
        // shared atomic add per frame (which cost flood-32 4 % of its CPU per event), and a
        // stream that falls quiet or ends tells it at once, so a reader once a second sees every
        // event but a busy stream's last few.
        if quiet || self.events - self.tallied >= TALLY_BATCH {
            self.tally(config);
        }
    }

    /// Tells the app's tally of the events it has not been told of yet.
    fn tally(&mut self, config: &SseConfig) {
        let untold = self.events - self.tallied;
        if untold > 0 {
            config.tally.sent(untold);
            self.tallied = self.events;
        }
    }

    /// The body is dropped; `running` if its stream had not ended. `hooks`, its interceptors'
    /// close hooks, are told once, here.
    fn closed(&mut self, config: &SseConfig, running: bool, hooks: Vec<CloseFn>) {
        self.tally(config);
        let reason = match self.reason {
            Some(reason) if !running => reason,
            _ => crate::observe::drop_reason(),
        };
        if let Some(metrics) = &config.metrics {
            metrics.closed(reason);
        }
        tracing::info!(
            target: "nestish::sse",
            route = config.route,
            events = self.events,
            bytes = self.bytes,
            lived_ms = self.started.elapsed().as_millis() as u64,
            reason = reason.as_str(),
            "stream closed"
        );
        if hooks.is_empty() {
            return;
        }
        let closed = StreamClosed {
            reason,
            events: self.events,
            bytes: self.bytes,
            lifetime: self.started.elapsed(),
        };
        for hook in hooks {
            // A panicking hook is its own bug: the others are told all the same, and the
            // connection's task goes on.
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| hook(&closed))) {
                tracing::error!(
                    route = config.route,
                    panic = panic_message(&*panic),
                    "an interceptor's close hook panicked"
                );
            }
        }
    }
}

/// The reconnection delay a shutdown gives one stream: uniform between zero and `window`, to
/// the millisecond (the unit of `retry:`). Drawn when the shutdown is seen, so an open stream
/// holds no timer and no number for it.
fn drain_retry(window: Duration) -> Duration {
    let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=window))
}

/// Why a stream ends before its own end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The server shuts down.
    Shutdown,
    /// The application's maximum lifetime is over.
    Lifetime,
    /// Its credentials expired (and their grace is over), or were revoked.
    Credentials,
}

/// Where one item went: shared bytes to send as a frame of their own, or into the buffer (the
/// last event of the stream, when it said so), or nowhere (an interceptor's map dropped it; the
/// last event all the same, when it said so).
enum Written {
    Shared(Bytes),
    Buffered,
    Last,
    Dropped,
    DroppedLast,
}

/// What [`SseBodyProj::fill`] took from the stream.
struct Filled {
    /// Whether the stream waits for more (rather than a cap being reached, or its end).
    waiting: bool,
    /// The events it took.
    events: u64,
    /// The one event it took, when that event was shared bytes to send as they are.
    shared: Option<Bytes>,
}

/// Where an event written into `buf` from `start` went once `maps`, if any, saw it.
#[inline]
fn mapped(maps: Option<&mut [MapFn]>, buf: &mut BytesMut, start: usize, last: bool) -> Written {
    let kept = match maps {
        Some(maps) => !matches!(run_maps(maps, buf, start, None), MapOutcome::Dropped),
        None => true,
    };
    match (kept, last) {
        (true, false) => Written::Buffered,
        (true, true) => Written::Last,
        (false, false) => Written::Dropped,
        (false, true) => Written::DroppedLast,
    }
}

impl<S> SseBody<S>
where
    S: Stream + Send + 'static,
    S::Item: SseItem,
{
    pub(crate) fn new(stream: S, setup: SseSetup) -> Self {
        let SseSetup {
            config,
            state,
            close,
            ticket,
            hooks,
        } = setup;
        let mut buf = BytesMut::new();
        // Something goes first, so the headers are on the wire at once and the browser's `open`
        // fires before the first event: the route's `retry`, or a lone line break as NestJS
        // sends. Clients dispatch nothing for either.
        if let Some(retry) = config.retry {
            encode(&super::MessageEvent::default().retry(retry), &mut buf);
        } else {
            buf.extend_from_slice(b"\n");
        }
        let heartbeat = config
            .heartbeat
            .as_ref()
            .map(|wheel| wheel.start())
            .unwrap_or_default();
        let lifetime_end = config
            .max_lifetime
            .map(|lifetime| Instant::now() + lifetime);
        let credentials_end = ticket.as_ref().and_then(|ticket| ticket.ends_at);
        let expires = match (lifetime_end, credentials_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
        .map(|end| Box::pin(tokio::time::sleep_until(end)));
        let stats = Stats::new(&config);
        let (hooks, maps) = hooks
            .map(|hooks| (hooks.close, hooks.maps))
            .unwrap_or_default();
        let ends = (close.is_some() || !hooks.is_empty() || !maps.is_empty()).then(|| {
            Box::new(Ends {
                _signal: close,
                hooks,
                maps,
            })
        });
        Self {
            stream: Some(stream),
            buf,
            heartbeat,
            expires,
            config,
            ends,
            shutdown: ShutdownWait::default(),
            open: state.stream_opened(),
            stats,
            ticket,
        }
    }
}

impl<S> SseBodyProj<'_, S>
where
    S: Stream + Send + 'static,
    S::Item: SseItem,
{
    fn fail(&mut self, error: BoxError) {
        let error = crate::response::AnyError(error);
        let filtered = self
            .config
            .filters
            .as_ref()
            .and_then(|filters| filter::in_stream(filters, &error, self.config.route));
        let error = error.0;
        let message = match (filtered, error.downcast_ref::<HttpError>()) {
            (Some(data), _) => data,
            (None, Some(http)) => http.message().to_owned(),
            (None, None) => {
                tracing::error!(route = self.config.route, %error, "SSE stream failed");
                "Internal server error".to_owned()
            }
        };
        self.buf.extend_from_slice(b"event: error\n");
        encode_data(&message, self.buf);
        self.buf.extend_from_slice(b"\n");
        self.stream.set(None);
        self.stats.reason = Some(CloseReason::Error);
    }

    /// Ends the stream cleanly. On shutdown, after the route's shutdown event if it declares
    /// one, a `retry:` drawn across the drain window: the client's `Last-Event-ID` is the last
    /// event it received whole (what the stream had taken is written, what it had not is left
    /// for the next instance to replay), and it reconnects after that delay.
    fn finish(&mut self, end: End) {
        if end == End::Credentials {
            // As after a drain: the client resumes from its last id once authenticated again,
            // and clients whose credentials ended together come back spread out.
            let retry = drain_retry(self.config.drain_window);
            encode(&super::MessageEvent::default().retry(retry), self.buf);
        }
        let shutting_down = end == End::Shutdown;
        if shutting_down {
            if let Some(text) = self.config.shutdown_event {
                self.buf.extend_from_slice(b"event: shutdown\n");
                encode_data(text, self.buf);
                self.buf.extend_from_slice(b"\n");
            }
            let retry = drain_retry(self.config.drain_window);
            encode(&super::MessageEvent::default().retry(retry), self.buf);
            tracing::debug!(
                target: "nestish::sse",
                route = self.config.route,
                retry_ms = retry.as_millis() as u64,
                "stream drained"
            );
        }
        self.stream.set(None);
        self.stats.reason = Some(match end {
            End::Shutdown => CloseReason::Shutdown,
            End::Lifetime => CloseReason::Lifetime,
            End::Credentials => CloseReason::Credentials,
        });
    }

    /// Moves as many ready events as the caps allow from the stream into `buf`, or takes the
    /// first one whole when it is shared bytes (a hub's event) and `buf` holds nothing.
    fn fill(&mut self, cx: &mut Context<'_>) -> Filled {
        let mut events = 0;
        while let Some(stream) = self.stream.as_mut().as_pin_mut() {
            if events == MAX_FRAME_EVENTS || self.buf.len() >= MAX_FRAME_BYTES {
                break;
            }
            // An event encoded once for many streams goes out as it is, not copied, when it
            // would be alone in its frame; behind others, it is copied to join their frame.
            let alone = self.buf.is_empty();
            // A panicking stream ends its own response, not the connection's task.
            let before = self.buf.len();
            let buf = &mut *self.buf;
            // The interceptors' maps, when the stream has any: they see each event where it is.
            let maps = self
                .ends
                .as_deref_mut()
                .map(|ends| &mut ends.maps[..])
                .filter(|maps| !maps.is_empty());
            let polled = catch_unwind(AssertUnwindSafe(|| {
                stream.poll_next(cx).map(|item| {
                    item.map(|item| match (item.into_shared(), maps) {
                        (Ok(shared), None) if alone => Ok(Written::Shared(shared)),
                        (Ok(shared), Some(maps)) if alone => {
                            Ok(match run_maps(maps, buf, before, Some(shared)) {
                                MapOutcome::Shared(shared) => Written::Shared(shared),
                                MapOutcome::Buffered => Written::Buffered,
                                MapOutcome::Dropped => Written::Dropped,
                            })
                        }
                        (Ok(shared), maps) => {
                            buf.extend_from_slice(&shared);
                            Ok(mapped(maps, buf, before, false))
                        }
                        (Err(item), maps) => item
                            .write_item(buf)
                            .map(|last| mapped(maps, buf, before, last)),
                    })
                })
            }));
            match polled {
                Ok(Poll::Ready(Some(Ok(Written::Shared(shared))))) => {
                    return Filled {
                        waiting: false,
                        events: 1,
                        shared: Some(shared),
                    };
                }
                Ok(Poll::Ready(Some(Ok(Written::Last)))) => {
                    // A terminal event (`#[sse(end)]`): written, then the stream ends as if it
                    // had run out, and the client is told nothing more will come.
                    events += 1;
                    self.stream.set(None);
                    self.stats.reason = Some(CloseReason::Ended);
                }
                // Not sent, and not counted against the frame's caps: the loop goes on to the
                // next event, as the stream would have had it not produced this one.
                Ok(Poll::Ready(Some(Ok(Written::Dropped)))) => {}
                Ok(Poll::Ready(Some(Ok(Written::DroppedLast)))) => {
                    self.stream.set(None);
                    self.stats.reason = Some(CloseReason::Ended);
                }
                Ok(Poll::Ready(Some(Ok(Written::Buffered)))) => {
                    events += 1;
                    // A second ready event means a burst: room for a whole frame at once, so
                    // the buffer does not double its way there with a copy at each step. The
                    // room left after a frame is kept for the next (see `poll_frame`).
                    if events == 2 {
                        self.buf.reserve(MAX_FRAME_BYTES);
                    }
                }
                Ok(Poll::Ready(Some(Err(error)))) => self.fail(error),
                Ok(Poll::Ready(None)) => {
                    self.stream.set(None);
                    self.stats.reason = Some(CloseReason::Ended);
                }
                Ok(Poll::Pending) => {
                    return Filled {
                        waiting: true,
                        events,
                        shared: None,
                    };
                }
                Err(panic) => {
                    // Whatever the panicking item half-wrote must not reach the wire.
                    self.buf.truncate(before);
                    tracing::error!(
                        route = self.config.route,
                        panic = panic_message(&*panic),
                        "SSE stream panicked"
                    );
                    self.fail("the stream panicked".into());
                }
            }
        }
        Filled {
            waiting: false,
            events,
            shared: None,
        }
    }

    /// Whether the stream must end now, and why: the server is shutting down, its credentials
    /// were revoked or have expired, or its lifetime is over; if not, makes sure the task is
    /// woken when any of these happens.
    /// `new_waker`: the task polls with another waker than the one the shutdown wake list has.
    fn must_end(&mut self, cx: &mut Context<'_>, new_waker: bool) -> Option<End> {
        let state = self.open.state();
        if state.is_shutting_down() {
            return Some(End::Shutdown);
        }
        if new_waker {
            // A new task polls the stream: a revocation wakes it (registered before the flag
            // is read, so one in between is not missed).
            if let Some(ticket) = self.ticket.as_deref() {
                ticket.register(cx.waker());
            }
            state.shutdown_wakers.register(self.shutdown, cx.waker());
            // Read again: a shutdown that went through the list before this waker was in it
            // set the flag first.
            if state.is_shutting_down() {
                return Some(End::Shutdown);
            }
        }
        let ticket = self.ticket.as_deref();
        if ticket.is_some_and(Ticket::is_revoked) {
            return Some(End::Credentials);
        }
        let expired = self
            .expires
            .as_mut()
            .is_some_and(|expires| expires.as_mut().poll(cx).is_ready());
        if !expired {
            return None;
        }
        Some(if ticket.is_some_and(Ticket::expired) {
            End::Credentials
        } else {
            End::Lifetime
        })
    }
}

impl<S> http_body::Body for SseBody<S>
where
    S: Stream + Send + 'static,
    S::Item: SseItem,
{
    type Data = Bytes;
    // It never fails (a failing stream ends with an `error` event); `BoxError`, the error of
    // the `Body` it is boxed in, spares that box a layer converting errors on every frame.
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        let new_waker = !this.shutdown.will_wake(cx.waker());
        if this.stream.is_some() {
            if let Some(end) = this.must_end(cx, new_waker) {
                this.finish(end);
            }
        }
        // On an HTTP/2 connection, its streams share one queue: while it is full, nothing more
        // is pulled, and a waiting stream keeps no buffer of its own.
        let budget = SendBudget::current();
        if let Some(budget) = &budget {
            if this.stream.is_some() && budget.poll_room(cx).is_pending() {
                if this.buf.is_empty() {
                    *this.buf = BytesMut::new();
                }
                return Poll::Pending;
            }
        }
        let Filled {
            waiting,
            events,
            shared,
        } = this.fill(cx);
        if let Some(shared) = shared {
            this.heartbeat.wrote();
            let quiet = waiting || this.stream.is_none();
            this.stats.sent(this.config, events, shared.len(), quiet);
            let frame = match &budget {
                Some(budget) => {
                    let size = shared.len();
                    budget.charge(shared, size)
                }
                None => shared,
            };
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        // Over HTTP/2 the response's HEADERS frame goes out at once, and fires the browser's
        // `open` by itself: the opening line break (or `retry`) waits to lead the first event or
        // heartbeat, so that a burst of new streams queues a HEADERS frame each and no DATA.
        let opening = budget.is_some() && this.stats.bytes == 0 && events == 0;
        if (this.buf.is_empty() || opening) && this.stream.is_some() {
            let due = this
                .config
                .heartbeat
                .as_ref()
                .is_some_and(|wheel| wheel.due(this.heartbeat, cx, new_waker));
            if !due {
                // The stream is waiting: the app's tally learns of what it sent.
                this.stats.tally(this.config);
                return Poll::Pending;
            }
            this.buf.extend_from_slice(HEARTBEAT);
        }
        if this.buf.is_empty() {
            return Poll::Ready(None);
        }
        this.heartbeat.wrote();
        if let Some(budget) = &budget {
            // The frame takes the whole buffer, so that what it keeps allocated is what it is
            // charged; the next frame starts a buffer of its own.
            let frame = std::mem::take(this.buf);
            let size = frame.capacity();
            let quiet = waiting || this.stream.is_none();
            this.stats.sent(this.config, events, frame.len(), quiet);
            return Poll::Ready(Some(Ok(Frame::data(budget.charge(frame.freeze(), size)))));
        }
        // A busy stream keeps the buffer's spare room for the next frame; a waiting one hands the
        // whole buffer to this frame, so an idle connection holds no buffer at all.
        let frame = if waiting || this.stream.is_none() {
            std::mem::take(this.buf)
        } else {
            this.buf.split()
        };
        let quiet = waiting || this.stream.is_none();
        this.stats.sent(this.config, events, frame.len(), quiet);
        Poll::Ready(Some(Ok(Frame::data(frame.freeze()))))
    }

    fn is_end_stream(&self) -> bool {
        self.stream.is_none() && self.buf.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use futures::stream;
    use http_body_util::BodyExt;
    use tokio::sync::mpsc;

    use std::pin::pin;

    use super::*;
    use crate::MessageEvent;
    use crate::state::State;

    const SECOND: Duration = Duration::from_secs(1);

    fn config(keep_alive: Option<Duration>) -> SseSetup {
        let state = Arc::new(State::default());
        SseSetup {
            config: Arc::new(SseConfig {
                route: "/test",
                heartbeat: keep_alive.map(|interval| state.heartbeats.wheel(interval)),
                retry: None,
                max_lifetime: None,
                shutdown_event: None,
                drain_window: 5 * SECOND,
                metrics: None,
                tally: Arc::clone(&state.tally),
                admission: Default::default(),
                filters: None,
            }),
            state,
            close: None,
            ticket: None,
            hooks: None,
        }
    }

    async fn next<B: http_body::Body<Data = Bytes> + Unpin>(body: &mut B) -> Option<String>
    where
        B::Error: std::fmt::Debug,
    {
        let frame = body.frame().await?.expect("infallible");
        let data = frame.into_data().expect("a data frame");
        Some(String::from_utf8(data.to_vec()).expect("UTF-8"))
    }

    #[tokio::test]
    async fn on_an_http2_connection_the_opening_line_break_leads_the_first_event_and_is_charged() {
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageEvent>();
        let events = stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut body = pin!(SseBody::new(events, config(None)));
        let connection = Arc::new(SendBudget::new(1 << 20));
        let mut current = Some(Arc::clone(&connection));
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut poll = || {
            SendBudget::polling(&mut current, || {
                http_body::Body::poll_frame(body.as_mut(), &mut cx)
            })
        };
        assert!(poll().is_pending(), "nothing goes out alone");
        tx.send(MessageEvent::new("a")).unwrap();
        let Poll::Ready(Some(Ok(frame))) = poll() else {
            panic!("a frame");
        };
        let data = frame.into_data().expect("data");
        assert_eq!(&data[..], b"\ndata: a\n\n");
        assert!(connection.queued() >= data.len(), "charged while queued");
        drop(data);
        assert_eq!(connection.queued(), 0, "released once dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeat_comes_after_a_full_interval_of_silence() {
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageEvent>();
        let events = stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut body = pin!(SseBody::new(events, config(Some(10 * SECOND))));
        assert_eq!(next(&mut body).await.as_deref(), Some("\n"));

        tokio::time::advance(9 * SECOND).await;
        tx.send(MessageEvent::new("a")).unwrap();
        assert_eq!(next(&mut body).await.as_deref(), Some("data: a\n\n"));

        // The event restarted the wait: the next heartbeat is 10 s after it, not 10 s after
        // the previous one.
        let after_event = Instant::now();
        assert_eq!(next(&mut body).await.as_deref(), Some(":\n\n"));
        assert_eq!(after_event.elapsed(), 10 * SECOND);
        assert_eq!(next(&mut body).await.as_deref(), Some(":\n\n"));
        assert_eq!(after_event.elapsed(), 20 * SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_heartbeat_after_a_write_between_ticks_is_never_early_and_at_most_a_tick_late() {
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageEvent>();
        let events = stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut body = pin!(SseBody::new(events, config(Some(10 * SECOND))));
        assert_eq!(next(&mut body).await.as_deref(), Some("\n"));
        // Half a tick (a tick is a tenth of the interval) past a tick.
        tokio::time::advance(9 * SECOND + SECOND / 2).await;
        tx.send(MessageEvent::new("a")).unwrap();
        assert_eq!(next(&mut body).await.as_deref(), Some("data: a\n\n"));
        let after_event = Instant::now();
        assert_eq!(next(&mut body).await.as_deref(), Some(":\n\n"));
        let waited = after_event.elapsed();
        assert!(
            (10 * SECOND..=11 * SECOND).contains(&waited),
            "{waited:?} after the write"
        );
    }

    /// Counts its wakes; its `Arc`'s count tells who still holds it.
    #[derive(Default)]
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl futures::task::ArcWake for CountingWaker {
        fn wake_by_ref(this: &Arc<Self>) {
            this.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_stream_leaves_nothing_in_the_wheel() {
        let counting = Arc::new(CountingWaker::default());
        let waker = futures::task::waker(Arc::clone(&counting));
        let mut cx = Context::from_waker(&waker);
        let mut body = Box::pin(SseBody::new(
            stream::pending::<MessageEvent>(),
            config(Some(10 * SECOND)),
        ));
        assert!(
            http_body::Body::poll_frame(body.as_mut(), &mut cx).is_ready(),
            "the opening line break"
        );
        assert!(
            http_body::Body::poll_frame(body.as_mut(), &mut cx).is_pending(),
            "silent: registered"
        );
        // Held by the wheel, and by the body and the shutdown wake list.
        assert!(Arc::strong_count(&counting) > 2);
        drop(body);
        // The wheel dropped its waker at once, not at the heartbeat's tick: a closed
        // connection's task is not kept alive.
        assert_eq!(Arc::strong_count(&counting), 2);
        tokio::time::advance(20 * SECOND).await;
        tokio::task::yield_now().await;
        assert_eq!(counting.0.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn no_heartbeat_without_keep_alive() {
        let events = stream::once(async {
            tokio::time::sleep(3600 * SECOND).await;
            MessageEvent::new("hourly")
        });
        let mut body = pin!(SseBody::new(events, config(None)));
        assert_eq!(next(&mut body).await.as_deref(), Some("\n"));
        assert_eq!(next(&mut body).await.as_deref(), Some("data: hourly\n\n"));
        assert_eq!(next(&mut body).await, None);
    }

    #[tokio::test]
    async fn a_hub_event_alone_is_its_own_frame_without_a_copy() {
        use crate::hub::HubEvent;
        let events: Vec<_> = (1..=3)
            .map(|id| HubEvent::published(id, &MessageEvent::new(id.to_string())))
            .collect();
        let (tx, mut rx) = mpsc::unbounded_channel::<Result<HubEvent, HttpError>>();
        let items = stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut body = pin!(SseBody::new(items, config(None)));
        // Behind the opening line break, the first is copied to join its frame.
        tx.send(Ok(events[0].clone())).unwrap();
        assert_eq!(
            next(&mut body).await.as_deref(),
            Some("\nid: 1\ndata: 1\n\n")
        );
        // With nothing before them, each goes out as the very bytes every subscriber shares.
        tx.send(Ok(events[1].clone())).unwrap();
        tx.send(Ok(events[2].clone())).unwrap();
        for event in &events[1..] {
            let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
            assert_eq!(frame, event.encoded());
            assert_eq!(frame.as_ptr(), event.encoded().as_ptr(), "not a copy");
        }
        tx.send(Err(HttpError::forbidden("gone"))).unwrap();
        assert_eq!(
            next(&mut body).await.as_deref(),
            Some("event: error\ndata: gone\n\n")
        );
        assert_eq!(next(&mut body).await, None);
    }

    /// `config` with maps that drop the events whose data is `drop` and upper-case those
    /// whose data is `shout`, keeping the others as they are.
    fn mapping(keep_alive: Option<Duration>) -> SseSetup {
        let mut setup = config(keep_alive);
        let mut hooks = crate::sse::hooks::StreamHooks::default();
        hooks.maps.push(Box::new(|event| event.data() != "drop"));
        hooks.maps.push(Box::new(|event| {
            if event.data() == "shout" {
                event.map_data(str::to_uppercase);
            }
            true
        }));
        setup.hooks = Some(Box::new(hooks));
        setup
    }

    #[tokio::test]
    async fn mapped_hub_events_alone_kept_as_they_are_are_still_shared_frames() {
        use crate::hub::HubEvent;
        let published = |id, data| HubEvent::published(id, &MessageEvent::new(data));
        let kept = published(2, "kept");
        let (tx, mut rx) = mpsc::unbounded_channel::<HubEvent>();
        let items = stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut body = pin!(SseBody::new(items, mapping(None)));
        tx.send(published(1, "first")).unwrap();
        assert_eq!(
            next(&mut body).await.as_deref(),
            Some("\nid: 1\ndata: first\n\n")
        );
        tx.send(published(9, "drop")).unwrap();
        tx.send(kept.clone()).unwrap();
        let frame = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(frame.as_ptr(), kept.encoded().as_ptr(), "not a copy");
        tx.send(published(3, "shout")).unwrap();
        assert_eq!(
            next(&mut body).await.as_deref(),
            Some("id: 3\ndata: SHOUT\n\n")
        );
        drop(tx);
        assert_eq!(next(&mut body).await, None);
    }

    #[tokio::test]
    async fn mapped_events_share_a_frame_and_a_dropped_last_event_still_ends_the_stream() {
        use crate::sse::typed::{EventWriter, SseEvent};
        enum Typed {
            Text(&'static str),
            Last(&'static str),
        }
        impl SseEvent for Typed {
            fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), crate::EventError> {
                match self {
                    Self::Text(text) => out.text(text),
                    Self::Last(text) => out.end_stream().text(text),
                }
                Ok(())
            }
        }
        let items = [
            Typed::Text("a"),
            Typed::Text("drop"),
            Typed::Text("shout"),
            Typed::Last("drop"),
            Typed::Text("never"),
        ];
        let mut body = pin!(SseBody::new(stream::iter(items), mapping(None)));
        assert_eq!(
            next(&mut body).await.as_deref(),
            Some("\ndata: a\n\ndata: SHOUT\n\n")
        );
        assert_eq!(next(&mut body).await, None);
    }

    /// The `retry:` of a frame that holds only that field, in milliseconds.
    fn retry_of(frame: &str) -> u64 {
        frame
            .strip_prefix("retry: ")
            .and_then(|rest| rest.strip_suffix("\n\n"))
            .and_then(|millis| millis.parse().ok())
            .unwrap_or_else(|| panic!("a lone retry field: {frame:?}"))
    }

    #[tokio::test]
    async fn on_shutdown_a_stream_ends_after_what_it_took_with_a_retry_in_the_drain_window() {
        let setup = config(None);
        let state = Arc::clone(&setup.state);
        let (tx, mut rx) = mpsc::unbounded_channel::<MessageEvent>();
        let events = stream::poll_fn(move |cx| rx.poll_recv(cx));
        let mut body = pin!(SseBody::new(events, setup));
        assert_eq!(next(&mut body).await.as_deref(), Some("\n"));
        tx.send(MessageEvent::new("a").id("1").unwrap()).unwrap();
        assert_eq!(next(&mut body).await.as_deref(), Some("id: 1\ndata: a\n\n"));
        state.trigger_shutdown();
        // Not taken before the shutdown: left for the instance the client reconnects to.
        tx.send(MessageEvent::new("b").id("2").unwrap()).unwrap();
        let last = next(&mut body).await.expect("a last frame");
        assert!(retry_of(&last) <= 5_000, "{last:?}");
        assert_eq!(next(&mut body).await, None);
    }

    #[test]
    fn drain_retries_cover_the_window_evenly() {
        // 10,000 draws in 10 buckets: 1,000 expected in each, with a standard deviation of 30;
        // 850..=1150 is five of them either side, which a fair draw misses once in millions.
        let window = Duration::from_millis(999);
        let mut buckets = [0u32; 10];
        for _ in 0..10_000 {
            let retry = drain_retry(window);
            assert!(retry <= window, "{retry:?}");
            buckets[retry.as_millis() as usize / 100] += 1;
        }
        assert!(
            buckets.iter().all(|n| (850..=1150).contains(n)),
            "{buckets:?}"
        );
        assert_eq!(drain_retry(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn ready_events_are_sent_together_up_to_the_cap() {
        let events = stream::iter((0..100).map(|i| MessageEvent::new(i.to_string())));
        let mut body = pin!(SseBody::new(events, config(None)));
        let first = next(&mut body).await.unwrap();
        assert!(first.starts_with("\ndata: 0\n\ndata: 1\n\n"));
        assert_eq!(first.matches("data: ").count() as u64, MAX_FRAME_EVENTS);
        let second = next(&mut body).await.unwrap();
        assert_eq!(
            second.matches("data: ").count() as u64,
            100 - MAX_FRAME_EVENTS
        );
        assert!(second.ends_with("data: 99\n\n"));
        assert_eq!(next(&mut body).await, None);
        assert!(http_body::Body::is_end_stream(&body));
    }
}

//! [`SseRequest`] and [`EventStream`]: an event stream read as a browser's `EventSource` reads
//! it, one event at a time, with a deadline for each.

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{StatusCode, response};
use http_body::Body as _;

use super::client::{Connection, TestClient, TestRequest};
use super::contract::EventCheck;
use super::parse::{Event, Parser, Received};
use crate::BoxError;

// The ways into an event stream, kept here so that the client knows nothing of streams.
impl TestClient {
    /// Opens an event stream: `GET path` with `Accept: text/event-stream`, as `EventSource`
    /// sends it. Await it (or its [`send`](SseRequest::send)) for the [`EventStream`](super::EventStream).
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let mut events = client.sse("/chat/events").last_event_id("41").await;
    /// let next = events.next_event().await;
    /// assert_eq!(next.id.as_deref(), Some("42"));
    /// # }
    /// ```
    pub fn sse(&self, path: &str) -> SseRequest {
        self.get(path).sse()
    }
}

impl TestRequest {
    /// Reads the answer as an event stream, for a stream that is not a plain `GET`: NestJS
    /// v12's POST streams (`#[sse("path", method = "POST")]`). Adds `Accept:
    /// text/event-stream`, as [`TestClient::sse`] does, unless the request has an `Accept`
    /// of its own.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let mut words = client.post("/complete").json(&serde_json::json!({"text": "hi"})).sse().await;
    /// assert_eq!(words.next_event().await.data, "hi");
    /// # }
    /// ```
    pub fn sse(mut self) -> SseRequest {
        if !self.has_header(http::header::ACCEPT) {
            self = self.header(http::header::ACCEPT, "text/event-stream");
        }
        SseRequest::new(self.header(http::header::CACHE_CONTROL, "no-cache"))
    }
}

/// An event stream request being built, from [`TestClient::sse`](super::TestClient::sse).
/// Await it (or call [`send`](Self::send)) for the [`EventStream`].
#[must_use = "an SseRequest is sent only when awaited"]
#[derive(Debug)]
pub struct SseRequest {
    request: TestRequest,
}

impl SseRequest {
    pub(super) fn new(request: TestRequest) -> Self {
        Self { request }
    }

    /// Whether each event is checked against the route's description (see
    /// [`TestRequest::check_contract`]): on unless the app switched it off.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let events = client.sse("/chat/events").check_contract(false).await;
    /// # let _ = events;
    /// # }
    /// ```
    pub fn check_contract(self, check: bool) -> Self {
        Self::new(self.request.check_contract(check))
    }

    /// Sends `Last-Event-ID: id`, as a reconnecting `EventSource` does.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let mut rest = client.sse("/jobs/build/progress").last_event_id("3").await;
    /// assert_eq!(rest.next_event().await.id.as_deref(), Some("4"));
    /// # }
    /// ```
    #[track_caller]
    pub fn last_event_id(self, id: &str) -> Self {
        self.header("last-event-id", id)
    }

    /// Adds a header (see [`TestRequest::header`]).
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let events = client.sse("/feed").header("origin", "https://app.example.com").await;
    /// # let _ = events;
    /// # }
    /// ```
    #[track_caller]
    pub fn header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Debug,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Debug,
    {
        Self::new(self.request.header(name, value))
    }

    /// Adds a cookie (see [`TestRequest::cookie`]): how an `EventSource` authenticates.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let events = client.sse("/notifications").cookie("session", "abc").await;
    /// # let _ = events;
    /// # }
    /// ```
    #[track_caller]
    pub fn cookie(self, name: &str, value: &str) -> Self {
        Self::new(self.request.cookie(name, value))
    }

    /// Appends a query (see [`TestRequest::query`]).
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let events = client.sse("/chat/events").query(&[("after", "0")]).await;
    /// # let _ = events;
    /// # }
    /// ```
    #[track_caller]
    pub fn query<T: serde::Serialize + ?Sized>(self, query: &T) -> Self {
        Self::new(self.request.query(query))
    }

    /// How long to wait for the response head, and then for each next event (see
    /// [`EventStream::set_timeout`]). Default [`DEFAULT_TIMEOUT`](super::DEFAULT_TIMEOUT).
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// # use std::time::Duration;
    /// let events = client.sse("/slow").timeout(Duration::from_secs(60)).await;
    /// # let _ = events;
    /// # }
    /// ```
    pub fn timeout(self, timeout: Duration) -> Self {
        Self::new(self.request.timeout(timeout))
    }

    /// Sends the request and returns once the response head has arrived, whatever its status:
    /// [`EventStream::status`] tells. Use [`TestClient::get`](super::TestClient::get) for an
    /// answer that is not a stream (a 204 or an error) to read its body whole.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or sends no head in time.
    ///
    /// ```
    /// # async fn show(client: &nestish_core::testing::TestClient) {
    /// let events = client.sse("/sse").send().await;
    /// assert_eq!(events.status(), 200);
    /// # }
    /// ```
    pub async fn send(self) -> EventStream {
        let timeout = self.request.timeout_value();
        let what = format!("{:?}", self.request);
        let (method, path, contract) = self.request.contract();
        match tokio::time::timeout(timeout, self.request.open()).await {
            Ok(Ok((head, body, connection))) => EventStream {
                check: contract.stream(&method, &path, &head.headers),
                head,
                body,
                _connection: connection,
                parser: Parser::default(),
                ready: VecDeque::new(),
                seen: Vec::new(),
                timeout,
                ended: false,
            },
            Ok(Err(error)) => panic!("{what}: {error}"),
            Err(_) => panic!("{what}: no response head within {timeout:?}"),
        }
    }
}

impl IntoFuture for SseRequest {
    type Output = EventStream;
    type IntoFuture = Pin<Box<dyn Future<Output = EventStream> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Why an event stream stopped other than by a clean end: the connection broke off (a reset,
/// or a close in the middle of the body). An [`EventStream`] used as a `Stream` yields it.
/// Shown with its causes: hyper's own message ("error reading a body from connection") says
/// nothing of why.
///
/// ```
/// # async fn show(mut events: nestish_core::testing::EventStream) {
/// use futures::StreamExt;
/// while let Some(event) = events.next().await {
///     match event {
///         Ok(event) => println!("{}", event.data),
///         // the event stream broke off: ...: connection reset by peer
///         Err(broken) => panic!("not a clean end: {broken}"),
///     }
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[error("the event stream broke off: {}", with_causes(.0.as_ref()))]
pub struct StreamError(#[source] BoxError);

/// `error` and each of its sources, joined with `: `.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// An open event stream: its head, then what it carries, parsed as the WHATWG standard says a
/// browser parses it. Dropping it closes the connection, as closing a page does.
///
/// [`next_event`](Self::next_event) skips comments (heartbeats);
/// [`next_received`](Self::next_received) returns them too. As a
/// [`Stream`] it yields each event, without a deadline, and ends with the body.
///
/// ```
/// # async fn show(client: &nestish_core::testing::TestClient) {
/// let mut events = client.sse("/sse").await;
/// assert_eq!(events.header("content-type"), Some("text/event-stream"));
/// let first = events.next_event().await;
/// assert_eq!(first.json::<serde_json::Value>().unwrap()["hello"], "world");
/// # }
/// ```
pub struct EventStream {
    head: response::Parts,
    body: hyper::body::Incoming,
    _connection: Connection,
    parser: Parser,
    /// Parsed and not yet returned.
    ready: VecDeque<Received>,
    /// Everything returned so far, for the message of a failed wait.
    seen: Vec<Received>,
    timeout: Duration,
    /// The body has ended cleanly.
    ended: bool,
    /// Each event against the route's description.
    check: EventCheck,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("status", &self.head.status)
            .field("seen", &self.seen)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// The response's status.
    ///
    /// ```
    /// # fn show(events: &nestish_core::testing::EventStream) {
    /// assert_eq!(events.status(), 200);
    /// # }
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The response's headers.
    ///
    /// ```
    /// # fn show(events: &nestish_core::testing::EventStream) {
    /// assert!(events.headers().contains_key("cache-control"));
    /// # }
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The first value of header `name`, if it is there and is text.
    ///
    /// ```
    /// # fn show(events: &nestish_core::testing::EventStream) {
    /// assert_eq!(events.header("x-accel-buffering"), Some("no"));
    /// # }
    /// ```
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.headers.get(name)?.to_str().ok()
    }

    /// Sets how long each next wait may take before the test fails. Under tokio's paused clock
    /// (`#[tokio::test(start_paused = true)]`) it is virtual time, which passes at once while
    /// the runtime is idle: set it above the interval awaited (a 15 s heartbeat needs more
    /// than the 10 s default, and takes no real time).
    ///
    /// ```
    /// # async fn show(events: &mut nestish_core::testing::EventStream) {
    /// # use std::time::Duration;
    /// events.set_timeout(Duration::from_secs(20));
    /// let heartbeat = events.next_comment().await;
    /// assert_eq!(heartbeat, "");
    /// # }
    /// ```
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Everything returned so far, in order.
    ///
    /// ```
    /// # fn show(events: &nestish_core::testing::EventStream) {
    /// assert!(events.seen().is_empty());
    /// # }
    /// ```
    #[must_use]
    pub fn seen(&self) -> &[Received] {
        &self.seen
    }

    /// The next event, skipping comments.
    ///
    /// # Panics
    ///
    /// When none comes within the timeout, or the stream ends or breaks off first: the
    /// message shows everything received so far.
    ///
    /// ```
    /// # async fn show(events: &mut nestish_core::testing::EventStream) {
    /// let event = events.next_event().await;
    /// assert_eq!(event.event, "message");
    /// # }
    /// ```
    pub async fn next_event(&mut self) -> Event {
        loop {
            if let Received::Event(event) = self.expect("an event").await {
                return event;
            }
        }
    }

    /// The next comment, skipping events (a heartbeat is an empty one).
    ///
    /// # Panics
    ///
    /// As [`next_event`](Self::next_event).
    ///
    /// ```
    /// # async fn show(events: &mut nestish_core::testing::EventStream) {
    /// assert_eq!(events.next_comment().await, "");
    /// # }
    /// ```
    pub async fn next_comment(&mut self) -> String {
        loop {
            if let Received::Comment(comment) = self.expect("a comment").await {
                return comment;
            }
        }
    }

    /// The next event or comment.
    ///
    /// # Panics
    ///
    /// As [`next_event`](Self::next_event).
    ///
    /// ```
    /// # async fn show(events: &mut nestish_core::testing::EventStream) {
    /// use nestish_core::testing::Received;
    /// match events.next_received().await {
    ///     Received::Event(event) => println!("event {}", event.data),
    ///     Received::Comment(text) => println!("comment {text:?}"),
    ///     _ => {}
    /// }
    /// # }
    /// ```
    pub async fn next_received(&mut self) -> Received {
        self.expect("an event or a comment").await
    }

    /// Waits for the stream to end cleanly (the server ended the response), returning what
    /// came before the end.
    ///
    /// # Panics
    ///
    /// When it does not end within the timeout, or breaks off instead (a dropped connection
    /// is not a clean end).
    ///
    /// ```
    /// # async fn show(events: &mut nestish_core::testing::EventStream) {
    /// let last = events.end().await;
    /// assert!(last.is_empty(), "nothing after the last event: {last:?}");
    /// # }
    /// ```
    pub async fn end(&mut self) -> Vec<Received> {
        let mut before = Vec::new();
        let timeout = self.timeout;
        let until_end = async {
            loop {
                match poll_fn(|cx| self.poll_received(cx)).await {
                    Some(Ok(received)) => before.push(received),
                    Some(Err(error)) => break Err(error),
                    None => break Ok(()),
                }
            }
        };
        match tokio::time::timeout(timeout, until_end).await {
            Ok(Ok(())) => before,
            Ok(Err(error)) => panic!("{error}, after {}", self.transcript()),
            Err(_) => panic!(
                "the event stream did not end within {timeout:?}; received {}",
                self.transcript()
            ),
        }
    }

    /// Asserts that no event arrives for `quiet`: comments (heartbeats) may come and are kept
    /// in [`seen`](Self::seen), an event fails the test, and so does the stream ending or
    /// breaking off. The wait is on tokio's clock, so under a paused clock
    /// (`#[tokio::test(start_paused = true)]`) a minute of quiet costs no real minute.
    ///
    /// # Panics
    ///
    /// When an event arrives, or the stream ends or breaks off, within `quiet`: the message
    /// shows everything received so far.
    ///
    /// ```
    /// # async fn show(events: &mut nestish_core::testing::EventStream) {
    /// use std::time::Duration;
    /// // Filtered out: another tenant's event must not reach this stream.
    /// events.assert_no_event_for(Duration::from_secs(2)).await;
    /// # }
    /// ```
    pub async fn assert_no_event_for(&mut self, quiet: Duration) {
        let until_event = async {
            loop {
                match poll_fn(|cx| self.poll_received(cx)).await {
                    Some(Ok(Received::Event(event))) => break Ok(event),
                    Some(Ok(_)) => {}
                    Some(Err(error)) => break Err(error.to_string()),
                    None => break Err("the event stream ended".to_owned()),
                }
            }
        };
        match tokio::time::timeout(quiet, until_event).await {
            Err(_) => {}
            Ok(Ok(event)) => panic!(
                "expected no event for {quiet:?}, got {event:?}; received {}",
                self.transcript()
            ),
            Ok(Err(error)) => panic!(
                "expected an open stream with no event for {quiet:?}: {error}; received {}",
                self.transcript()
            ),
        }
    }

    /// Waits for the next item, failing the test with what was received so far.
    async fn expect(&mut self, what: &str) -> Received {
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, poll_fn(|cx| self.poll_received(cx))).await {
            Ok(Some(Ok(received))) => received,
            Ok(Some(Err(error))) => panic!(
                "waiting for {what}: {error}; received {}",
                self.transcript()
            ),
            Ok(None) => panic!(
                "waiting for {what}: the event stream ended; received {}",
                self.transcript()
            ),
            Err(_) => panic!(
                "waiting for {what}: nothing within {timeout:?}; received {}",
                self.transcript()
            ),
        }
    }

    /// What was received so far, for a failure message.
    fn transcript(&self) -> String {
        if self.seen.is_empty() {
            return "nothing".to_owned();
        }
        let mut out = format!("{} item(s):", self.seen.len());
        for received in &self.seen {
            let _ = write!(out, "\n  {received:?}");
        }
        out
    }

    /// The next event or comment; `None` once the body has ended cleanly.
    fn poll_received(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Received, StreamError>>> {
        loop {
            if let Some(received) = self.ready.pop_front() {
                if let Received::Event(event) = &received {
                    self.check.event(event);
                }
                self.seen.push(received.clone());
                return Poll::Ready(Some(Ok(received)));
            }
            if self.ended {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => self.ended = true,
                Poll::Ready(Some(Err(error))) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(StreamError(error.into()))));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.feed(&data);
                    }
                }
            }
        }
    }

    fn feed(&mut self, data: &Bytes) {
        self.parser.feed(data, &mut self.ready);
    }
}

impl Stream for EventStream {
    type Item = Result<Event, StreamError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.poll_received(cx) {
                Poll::Ready(Some(Ok(Received::Comment(_)))) => {}
                Poll::Ready(Some(Ok(Received::Event(event)))) => {
                    return Poll::Ready(Some(Ok(event)));
                }
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

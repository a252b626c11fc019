//! `nestish_core::testing` itself, over a real socket and through its public API only: what the
//! client sends reaches a handler exactly, an event stream's failures say what was received,
//! comments are seen when asked for, overrides win, and a test app settles and shuts down.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};
use http_body::Frame;
use nestish_core::testing::{Received, Test, TestApp};
use nestish_core::{
    Body, Json, MessageEvent, Method, RequestParts, Response, StatusCode, controller, delete, get,
    inject, patch, post, put, sse,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// What a request looked like when it reached the handler (`body` on the routes that take one).
fn echo_of(req: &RequestParts, body: Option<&Bytes>) -> Json<Value> {
    let header = |name: &str| -> Vec<&str> {
        req.headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().expect("visible ASCII"))
            .collect()
    };
    Json(json!({
        "method": req.method.as_str(),
        "uri": req.uri.to_string(),
        "x-note": header("x-note"),
        "cookie": header("cookie"),
        "content-type": header("content-type"),
        "body": body.map(|body| body.to_vec()),
    }))
}

#[derive(Default)]
pub struct EchoController;

#[controller("echo")]
impl EchoController {
    #[get]
    fn get(&self, #[req] req: &RequestParts) -> Json<Value> {
        echo_of(req, None)
    }

    #[post]
    fn post(&self, #[req] req: &RequestParts, #[body] body: Bytes) -> Json<Value> {
        echo_of(req, Some(&body))
    }

    #[put]
    fn put(&self, #[req] req: &RequestParts, #[body] body: Bytes) -> Json<Value> {
        echo_of(req, Some(&body))
    }

    #[patch]
    fn patch(&self, #[req] req: &RequestParts, #[body] body: Bytes) -> Json<Value> {
        echo_of(req, Some(&body))
    }

    #[delete]
    fn delete(&self, #[req] req: &RequestParts) -> Json<Value> {
        echo_of(req, None)
    }

    /// What an event stream request carried, as its one event.
    #[sse("stream", keep_alive = false)]
    fn stream(
        &self,
        #[req] req: &RequestParts,
    ) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("-")
                .to_owned()
        };
        let seen = json!({
            "uri": req.uri.to_string(),
            "accept": header("accept"),
            "cache-control": header("cache-control"),
            "last-event-id": header("last-event-id"),
            "cookie": header("cookie"),
        });
        stream::iter([MessageEvent::new(seen.to_string())]).chain(stream::pending())
    }
}

#[derive(Default)]
pub struct StreamsController;

#[controller("streams")]
impl StreamsController {
    /// One event, then silence.
    #[sse("one-then-silence", keep_alive = false)]
    fn one_then_silence(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("first").id("1").expect("a valid id")])
            .chain(stream::pending())
    }

    /// One event, then the clean end of the response.
    #[sse("one-then-end", keep_alive = false)]
    fn one_then_end(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("only")])
    }

    /// An event with a comment and a retry, heartbeats every second, and an event 3.5 s later.
    #[sse("beating", keep_alive = "1s")]
    fn beating(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let first = MessageEvent::new("one")
            .comment("hello")
            .retry(Duration::from_secs(3));
        stream::iter([first])
            .chain(stream::once(async {
                tokio::time::sleep(Duration::from_millis(3_500)).await;
                MessageEvent::new("two")
            }))
            .chain(stream::pending())
    }

    /// Silence until the app shuts down.
    #[sse("silent", keep_alive = false)]
    fn silent(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }
}

/// Told by a test when `/broken` may fail.
#[derive(Default)]
pub struct Breaker(Notify);

pub struct BrokenController {
    breaker: Arc<Breaker>,
}

#[controller("broken")]
impl BrokenController {
    #[inject]
    fn new(breaker: Arc<Breaker>) -> Self {
        Self { breaker }
    }

    /// An event stream whose body fails once the test says so, after its first event: the
    /// server breaks the connection off without ending the response.
    #[get]
    fn broken(&self) -> Response {
        let breaker = Arc::clone(&self.breaker);
        let first = stream::iter([Ok(Frame::data(Bytes::from_static(b"data: before\n\n")))]);
        let failure = stream::once(async move {
            breaker.0.notified().await;
            Err(std::io::Error::other("the backend went away"))
        });
        let body = http_body_util::StreamBody::new(first.chain(failure));
        let mut response = Response::new(Body::new(body));
        response.headers_mut().insert(
            "content-type",
            "text/event-stream".parse().expect("a valid header value"),
        );
        response
    }
}

/// The greeting a [`GreeterController`] gives: the provider tests replace.
pub struct Greeting(&'static str);

pub struct GreeterController {
    greeting: Arc<Greeting>,
}

#[controller("greet")]
impl GreeterController {
    #[inject]
    fn new(greeting: Arc<Greeting>) -> Self {
        Self { greeting }
    }

    #[get]
    fn greet(&self) -> &'static str {
        self.greeting.0
    }
}

async fn echo_app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(EchoController,)>()
        .start()
        .await
        .expect("the echo app starts")
}

/// The broken stream's app, and what makes it break.
async fn broken_app() -> (TestApp, Arc<Breaker>) {
    let breaker = Arc::new(Breaker::default());
    let app = Test::create_testing_module()
        .controllers::<(BrokenController,)>()
        .provide_arc(Arc::clone(&breaker))
        .start()
        .await
        .expect("the broken app starts");
    (app, breaker)
}

async fn streams_app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(StreamsController,)>()
        .start()
        .await
        .expect("the streams app starts")
}

/// `received` as `(type, data, id)`, failing when it is a comment.
fn event(received: &Received) -> (&str, &str, Option<&str>) {
    match received {
        Received::Event(event) => (&event.event, &event.data, event.id.as_deref()),
        other => panic!("an event, not {other:?}"),
    }
}

#[tokio::test]
async fn headers_cookies_query_and_a_json_body_reach_the_handler_exactly() {
    let app = echo_app().await;
    let response = app
        .post("/echo?x=1")
        .query(&[("q", "a b"), ("page", "2")])
        .header("x-note", "first")
        .header("x-note", "second")
        .cookie("session", "abc")
        .cookie("theme", "dark")
        .json(&json!({"name": "ada", "n": 1}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let echo: Value = response.json();
    assert_eq!(
        echo,
        json!({
            "method": "POST",
            "uri": "/echo?x=1&q=a+b&page=2",
            "x-note": ["first", "second"],
            "cookie": ["session=abc; theme=dark"],
            "content-type": ["application/json"],
            "body": br#"{"n":1,"name":"ada"}"#.to_vec(),
        })
    );
}

#[tokio::test]
async fn each_method_and_body_kind_is_sent_as_asked() {
    let app = echo_app().await;
    let sent = [
        ("GET", app.get("/echo").await),
        ("PUT", app.put("/echo").text("héllo").await),
        ("PATCH", app.patch("/echo").body(&b"\x00\xff"[..]).await),
        ("DELETE", app.delete("/echo").await),
    ];
    let echoes: Vec<(String, Value, Value)> = sent
        .iter()
        .map(|(method, response)| {
            assert_eq!(response.status(), 200, "{method}");
            let echo: Value = response.json();
            (
                echo["method"].as_str().expect("a method").to_owned(),
                echo["content-type"].clone(),
                echo["body"].clone(),
            )
        })
        .collect();
    assert_eq!(
        echoes,
        [
            ("GET".to_owned(), json!([]), Value::Null),
            (
                "PUT".to_owned(),
                json!(["text/plain; charset=utf-8"]),
                json!("héllo".as_bytes())
            ),
            ("PATCH".to_owned(), json!([]), json!([0, 255])),
            ("DELETE".to_owned(), json!([]), Value::Null),
        ]
    );
}

#[tokio::test]
async fn an_event_stream_request_is_sent_as_an_event_source_sends_it() {
    let app = echo_app().await;
    let mut events = app
        .sse("/echo/stream")
        .query(&[("after", "0")])
        .last_event_id("41")
        .cookie("session", "abc")
        .await;
    assert_eq!(events.status(), 200);
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    let seen: Value = events.next_event().await.json().expect("JSON data");
    assert_eq!(
        seen,
        json!({
            "uri": "/echo/stream?after=0",
            "accept": "text/event-stream",
            "cache-control": "no-cache",
            "last-event-id": "41",
            "cookie": "session=abc",
        })
    );
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "waiting for an event: nothing within 1s; received 1 item(s):\n  \
                           Event(Event { event: \"message\", data: \"first\", id: Some(\"1\"), \
                           retry: None })"
)]
async fn next_event_fails_after_its_timeout_with_what_was_received() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/one-then-silence").await;
    events.set_timeout(Duration::from_secs(1));
    let first = events.next_event().await;
    assert_eq!(first.data, "first");
    events.next_event().await;
}

#[tokio::test(start_paused = true)]
async fn a_timeout_takes_no_real_time_under_a_paused_clock() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/one-then-silence").await;
    events.set_timeout(Duration::from_secs(3_600));
    // Virtual time: the hour passes as soon as the runtime has nothing else to do (on a real
    // clock this test would wait an hour).
    let started = tokio::time::Instant::now();
    let waited = tokio::spawn(async move {
        events.next_event().await;
        events.next_event().await;
    })
    .await;
    assert!(waited.is_err_and(|error| error.is_panic()), "it timed out");
    assert_eq!(
        started.elapsed().as_secs(),
        3_600,
        "the timeout counts virtual time"
    );
    drop(app);
}

#[tokio::test]
#[should_panic(expected = "waiting for an event: the event stream ended; received 1 item(s):")]
async fn next_event_on_a_stream_that_ended_reports_the_end() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/one-then-end").await;
    assert_eq!(events.next_event().await.data, "only");
    events.next_event().await;
}

#[tokio::test]
async fn end_returns_what_came_before_a_clean_end() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/one-then-end").await;
    let before = events.end().await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(event(&before[0]), ("message", "only", None));
    // As a `Stream`, an ended stream is `None`.
    assert!(events.next().await.is_none());
}

#[tokio::test]
#[should_panic(expected = "the event stream broke off: error reading a body from connection: ")]
async fn end_on_a_connection_that_breaks_off_is_not_a_clean_end() {
    let (app, breaker) = broken_app().await;
    let mut events = app.sse("/broken").await;
    assert_eq!(events.next_event().await.data, "before");
    breaker.0.notify_one();
    events.end().await;
}

#[tokio::test]
async fn as_a_stream_a_connection_that_breaks_off_is_an_error() {
    let (app, breaker) = broken_app().await;
    let mut events = app.sse("/broken").await;
    let first = events
        .next()
        .await
        .expect("an item")
        .expect("the event before the break");
    assert_eq!(first.data, "before");
    breaker.0.notify_one();
    let broken = events
        .next()
        .await
        .expect("an item")
        .expect_err("the break, not an end");
    assert!(
        broken
            .to_string()
            .starts_with("the event stream broke off: "),
        "{broken}"
    );
}

#[tokio::test(start_paused = true)]
async fn comments_are_seen_when_asked_for_and_skipped_by_next_event() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/beating").await;
    // The event's own comment comes before it, on the wire and here.
    assert_eq!(
        events.next_received().await,
        Received::Comment("hello".to_owned())
    );
    let Received::Event(one) = events.next_received().await else {
        panic!("the first event, after its comment");
    };
    assert_eq!(
        (one.data.as_str(), one.retry),
        ("one", Some(Duration::from_secs(3)))
    );
    // A heartbeat is an empty comment.
    assert_eq!(
        events.next_received().await,
        Received::Comment(String::new())
    );
    assert_eq!(events.next_comment().await, "");
    // The third heartbeat (3 s) is skipped on the way to the event at 3.5 s.
    let two = events.next_event().await;
    assert_eq!(
        (two.data.as_str(), two.retry),
        ("two", Some(Duration::from_secs(3)))
    );
    let seen = events.seen();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert_eq!(seen[4], Received::Comment(String::new()));
}

#[tokio::test(start_paused = true)]
async fn no_event_for_a_while_is_asserted_past_heartbeats_on_a_paused_clock() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/beating").await;
    assert_eq!(events.next_event().await.data, "one");
    // The heartbeats at 1 s and 2 s are not events; the event at 3.5 s is after the quiet.
    let started = tokio::time::Instant::now();
    events
        .assert_no_event_for(Duration::from_millis(2_500))
        .await;
    assert_eq!(
        started.elapsed(),
        Duration::from_millis(2_500),
        "virtual time"
    );
    let heartbeats = events.seen()[2..].to_vec();
    assert_eq!(heartbeats, vec![Received::Comment(String::new()); 2]);
    assert_eq!(events.next_event().await.data, "two");
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "expected no event for 4s, got Event { event: \"message\", \
                           data: \"two\""
)]
async fn an_event_within_the_quiet_fails_the_test_naming_it() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/beating").await;
    assert_eq!(events.next_event().await.data, "one");
    events.assert_no_event_for(Duration::from_secs(4)).await;
}

#[tokio::test]
#[should_panic(expected = "expected an open stream with no event for 1s: the event stream ended")]
async fn a_stream_that_ends_within_the_quiet_fails_the_test() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/one-then-end").await;
    assert_eq!(events.next_event().await.data, "only");
    events.assert_no_event_for(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_request_of_any_method_is_sent_as_asked() {
    let app = echo_app().await;
    let purge = Method::from_bytes(b"PURGE").expect("a method");
    let response = app.request(purge, "/echo").await;
    response.assert_error(StatusCode::METHOD_NOT_ALLOWED, "Cannot PURGE /echo");
    let echo: Value = app.request(Method::PUT, "/echo").text("x").await.json();
    assert_eq!(
        (echo["method"].as_str(), &echo["body"]),
        (Some("PUT"), &json!([120]))
    );
}

#[tokio::test]
async fn override_provider_wins_over_a_provider_given_after_it() {
    let app = Test::create_testing_module()
        .controllers::<(GreeterController,)>()
        .override_provider(Greeting("from the fake"))
        .provide(Greeting("from the app"))
        .start()
        .await
        .expect("the greeter app starts");
    assert_eq!(app.get("/greet").await.text(), "from the fake");
}

#[tokio::test]
async fn a_module_of_an_app_builder_serves_its_provider_until_overridden() {
    let builder = || nestish_core::NestFactory::create().provide(Greeting("from the app"));
    let served = Test::module(builder())
        .controllers::<(GreeterController,)>()
        .start()
        .await
        .expect("the app starts");
    assert_eq!(served.get("/greet").await.text(), "from the app");
    let faked = Test::module(builder())
        .controllers::<(GreeterController,)>()
        .override_provider_arc(Arc::new(Greeting("from the fake")))
        .start()
        .await
        .expect("the app starts");
    assert_eq!(faked.get("/greet").await.text(), "from the fake");
}

#[tokio::test]
async fn settled_returns_once_dropped_streams_are_gone() {
    let app = streams_app().await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(app.sse("/streams/silent").await);
    }
    assert_eq!(app.handle().open_streams(), 3);
    drop(streams);
    app.settled().await;
    assert_eq!(
        (app.handle().open_streams(), app.handle().open_connections()),
        (0, 0)
    );
}

#[tokio::test(start_paused = true)]
#[should_panic(expected = "still open after 10s: 1 stream(s), 1 connection(s)")]
async fn settled_fails_while_a_stream_is_open() {
    let app = streams_app().await;
    let _events = app.sse("/streams/silent").await;
    app.settled().await;
}

#[tokio::test]
async fn a_dropped_test_app_shuts_down_and_open_streams_end_cleanly() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/silent").await;
    drop(app);
    assert!(events.end().await.is_empty());
}

#[tokio::test]
async fn shutdown_returns_the_servers_result_once_it_has_stopped() {
    let app = streams_app().await;
    let mut events = app.sse("/streams/silent").await;
    let handle = app.handle().clone();
    app.shutdown().await.expect("a clean shutdown");
    assert!(events.end().await.is_empty());
    assert_eq!((handle.open_streams(), handle.open_connections()), (0, 0));
}

/// A typed answer, read with `TestResponse::json`.
#[tokio::test]
async fn a_json_answer_reads_as_a_type() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Echo {
        method: String,
        uri: String,
    }
    let app = echo_app().await;
    let echo: Echo = app.delete("/echo?id=7").await.json();
    assert_eq!(
        echo,
        Echo {
            method: "DELETE".to_owned(),
            uri: "/echo?id=7".to_owned()
        }
    );
    let missing = app.get("/nowhere").await;
    missing.assert_error(StatusCode::NOT_FOUND, "Cannot GET /nowhere");
}

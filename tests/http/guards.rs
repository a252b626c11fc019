//! Guards over real sockets: NestJS's order (global → controller → route), a refusal that
//! answers before any argument or body byte is read, no stream for a refused SSE request, a
//! missing guard at build time, and a guard swapped in a test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::{self, Stream};
use nestish_core::header::{HeaderValue, WWW_AUTHENTICATE};
use nestish_core::testing::Test;
use nestish_core::{
    Error, Guard, GuardRequest, HttpError, Json, MessageEvent, NestFactory, StatusCode, controller,
    get, inject, post, sse, use_guards,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What ran, in order: guards and handlers append their names.
#[derive(Default)]
pub struct Trail(Mutex<Vec<&'static str>>);

impl Trail {
    fn push(&self, step: &'static str) {
        self.0.lock().unwrap().push(step);
    }

    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// A guard that notes it ran, and refuses with 403 when the request's `deny` query names it.
macro_rules! noting_guard {
    ($name:ident, $step:literal) => {
        pub struct $name(Arc<Trail>);

        impl Guard for $name {
            async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
                self.0.push($step);
                if request.query("deny").as_deref() == Some($step) {
                    return Err(HttpError::forbidden(concat!("refused by ", $step)));
                }
                Ok(())
            }
        }
    };
}

noting_guard!(GlobalGuard, "global");
noting_guard!(ControllerGuard, "controller");
noting_guard!(RouteGuard, "route");

/// Lets in requests with the cookie `session=ok`; 401 with `WWW-Authenticate` otherwise.
pub struct SessionGuard;

impl Guard for SessionGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.cookie("session") {
            Some("ok") => Ok(()),
            _ => Err(HttpError::unauthorized("log in first")
                .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Cookie"))),
        }
    }
}

pub struct OrderController {
    trail: Arc<Trail>,
}

#[controller("order")]
#[use_guards(ControllerGuard)]
impl OrderController {
    #[inject]
    fn new(trail: Arc<Trail>) -> Self {
        Self { trail }
    }

    #[get]
    #[use_guards(RouteGuard)]
    fn guarded(&self) -> &'static str {
        self.trail.push("handler");
        "served"
    }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Note {
    pub text: String,
}

pub struct PrivateController {
    trail: Arc<Trail>,
}

#[controller("private")]
#[use_guards(SessionGuard)]
impl PrivateController {
    #[inject]
    fn new(trail: Arc<Trail>) -> Self {
        Self { trail }
    }

    #[post("notes")]
    fn note(&self, #[body] note: Json<Note>) -> String {
        self.trail.push("note");
        note.0.text
    }

    #[sse("events")]
    fn events(
        &self,
        #[last_event_id] seen: Option<u32>,
    ) -> impl Stream<Item = MessageEvent> + Send + 'static {
        self.trail.push("events");
        let first = MessageEvent::new(format!("after {seen:?}"));
        futures::StreamExt::chain(stream::iter([first]), stream::pending())
    }
}

fn trail() -> Arc<Trail> {
    Arc::new(Trail::default())
}

/// The order controller, with a global guard and every guard noting into `trail`.
async fn ordered_app(trail: &Arc<Trail>) -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(OrderController,)>()
        .provide_arc(Arc::clone(trail))
        .provide(GlobalGuard(Arc::clone(trail)))
        .provide(ControllerGuard(Arc::clone(trail)))
        .provide(RouteGuard(Arc::clone(trail)))
        .configure(nestish_core::AppBuilder::use_global_guard::<GlobalGuard>)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn guards_run_global_then_controller_then_route_then_the_handler() {
    let trail = trail();
    let app = ordered_app(&trail).await;
    assert_eq!(app.get("/order").await.text(), "served");
    assert_eq!(trail.take(), ["global", "controller", "route", "handler"]);
}

#[tokio::test]
async fn the_first_refusal_answers_and_nothing_after_it_runs() {
    let trail = trail();
    let app = ordered_app(&trail).await;
    app.get("/order?deny=controller")
        .await
        .assert_error(StatusCode::FORBIDDEN, "refused by controller");
    assert_eq!(trail.take(), ["global", "controller"]);
    app.get("/order?deny=route")
        .await
        .assert_error(StatusCode::FORBIDDEN, "refused by route");
    assert_eq!(trail.take(), ["global", "controller", "route"]);
}

async fn private_app(trail: &Arc<Trail>) -> nestish_core::testing::TestApp {
    Test::create_testing_module()
        .controllers::<(PrivateController,)>()
        .provide_arc(Arc::clone(trail))
        .provide(SessionGuard)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refusal_comes_before_any_argument_is_read() {
    let trail = trail();
    let app = private_app(&trail).await;
    // A malformed Last-Event-ID and a body of the wrong type would be 400 and 415: the guard
    // answers first.
    let refused = app
        .sse("/private/events")
        .last_event_id("not-a-number")
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.header("www-authenticate"), Some("Cookie"));
    let refused = app.post("/private/notes").text("not json").await;
    refused.assert_error(StatusCode::UNAUTHORIZED, "log in first");
    assert_eq!(refused.header("www-authenticate"), Some("Cookie"));
    assert!(trail.take().is_empty());

    // With the session, the same arguments are read, and refused for what they are.
    let bad_id = app
        .sse("/private/events")
        .cookie("session", "ok")
        .last_event_id("not-a-number")
        .await;
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    let note = app
        .post("/private/notes")
        .cookie("session", "ok")
        .json(&serde_json::json!({"text": "hi"}))
        .await;
    assert_eq!(note.text(), "hi");
    assert_eq!(trail.take(), ["note"]);
}

#[tokio::test]
async fn a_refused_stream_sends_no_sse_header_and_opens_no_stream() {
    let trail = trail();
    let app = private_app(&trail).await;
    let refused = app.sse("/private/events").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(app.handle().open_streams(), 0);
    drop(refused);
    let head = app
        .client()
        .request(http::Method::HEAD, "/private/events")
        .await;
    assert_eq!(head.status(), StatusCode::UNAUTHORIZED);
    assert_ne!(head.header("content-type"), Some("text/event-stream"));
    assert!(trail.take().is_empty(), "the handler never ran");
    app.settled().await;

    let mut events = app.sse("/private/events").cookie("session", "ok").await;
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    assert_eq!(events.next_event().await.data, "after None");
    assert_eq!(app.handle().open_streams(), 1);
}

/// Reads from `tcp` until the end of a response head and its `Content-Length` body.
async fn read_response(tcp: &mut tokio::net::TcpStream) -> String {
    let mut received = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                return text;
            }
        }
        let read = tcp.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the connection closed mid-response: {text:?}");
        received.extend_from_slice(&chunk[..read]);
    }
}

#[tokio::test]
async fn a_refused_upload_is_answered_after_its_head_and_none_of_its_body_is_read() {
    let trail = trail();
    let app = private_app(&trail).await;
    let mut tcp = tokio::net::TcpStream::connect(app.addr()).await.unwrap();
    let size = 10 * 1024 * 1024;
    let head = format!(
        "POST /private/notes HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
         content-length: {size}\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // Not a byte of the body is sent, and the answer comes anyway.
    let response = tokio::time::timeout(Duration::from_secs(5), read_response(&mut tcp))
        .await
        .expect("the 401 comes without the body");
    assert!(response.starts_with("HTTP/1.1 401 "), "{response}");
    assert!(response.contains("www-authenticate: Cookie"), "{response}");
    // The server does not wait for the body it has not read: it closes the connection.
    let mut rest = [0_u8; 64];
    let after = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut rest))
        .await
        .expect("the server closes the connection");
    assert!(matches!(after, Ok(0) | Err(_)), "{after:?}");
    assert!(trail.take().is_empty());
}

#[tokio::test]
async fn a_guard_that_is_not_provided_fails_the_build_naming_it_and_the_route() {
    let error = NestFactory::create()
        .controllers::<(PrivateController,)>()
        .provide_arc(trail())
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::MissingGuard { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("http::guards::SessionGuard"), "{message}");
    assert!(message.contains("/private/"), "{message}");
    assert!(message.contains("PrivateController::"), "{message}");
}

/// Lets everyone in.
pub struct Open;

impl Guard for Open {
    async fn can_activate(&self, _: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        Ok(())
    }
}

#[tokio::test]
async fn a_test_swaps_a_guard_for_another() {
    let trail = trail();
    let app = Test::create_testing_module()
        .controllers::<(PrivateController,)>()
        .provide_arc(Arc::clone(&trail))
        .provide(SessionGuard)
        .override_guard::<SessionGuard>(Open)
        .start()
        .await
        .unwrap();
    let note = app
        .post("/private/notes")
        .json(&serde_json::json!({"text": "no session needed"}))
        .await;
    assert_eq!(note.text(), "no session needed");
}

//! tower-http layers on nestish's own server: CORS for a real cross-origin `EventSource` and
//! `fetch` in headless Chromium, compression that leaves event streams alone, tracing, and a
//! timeout that bounds a request but not an open stream.

use crate::support;

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use http::{HeaderValue, Method, StatusCode, header};
use nestish_core::testing::{Received, Test, TestApp};
use nestish_core::{AppBuilder, Html, Json, MessageEvent, NestFactory, controller, get, post, sse};
use serde_json::json;
use support::webdriver::Browser;
use tokio::sync::Notify;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Released by the compression test once it has read the first event.
static SECOND_EVENT: Notify = Notify::const_new();
/// Responses the trace layer has seen.
static TRACED: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
pub struct LayersController;

#[controller("layers")]
impl LayersController {
    #[get("page")]
    fn page(&self) -> Html<&'static str> {
        Html("<!doctype html><title>page</title>")
    }

    #[get("json")]
    fn json(&self) -> Json<Vec<String>> {
        Json((0..200).map(|n| format!("item number {n}")).collect())
    }

    /// Event 2 is yielded only once the test has read event 1.
    #[sse("gated", keep_alive = false)]
    fn gated(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("one")])
            .chain(stream::once(async {
                SECOND_EVENT.notified().await;
                MessageEvent::new("two")
            }))
            .chain(stream::pending())
    }

    /// Silent but for heartbeats every 50 ms.
    #[sse("beating", keep_alive = "50ms")]
    fn beating(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[get("hang")]
    async fn hang(&self) -> &'static str {
        std::future::pending::<()>().await;
        "never"
    }

    /// Who the browser says it is: the cookie it sent along.
    #[sse("whoami", keep_alive = false)]
    fn whoami(
        &self,
        #[header("cookie")] cookie: Option<String>,
    ) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let cookie = cookie.unwrap_or_else(|| "none".to_owned());
        stream::iter([
            MessageEvent::new(format!("cookie {cookie}")),
            MessageEvent::new("second"),
        ])
        .chain(stream::pending())
    }

    #[post("echo")]
    fn echo(&self, #[body] body: String) -> String {
        body
    }
}

/// The layers controller alone, on `builder`'s settings (its layers).
async fn app(builder: AppBuilder) -> TestApp {
    Test::module(builder)
        .controllers::<(LayersController,)>()
        .start()
        .await
        .expect("the layers app starts")
}

#[tokio::test]
async fn compression_compresses_json_and_leaves_event_streams_unbuffered() {
    let app = app(NestFactory::create().layer(CompressionLayer::new())).await;

    let response = app
        .get("/layers/json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    let compressed = response.bytes();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .expect("valid gzip");
    let items: Vec<String> = serde_json::from_str(&json).expect("the JSON, decompressed");
    assert_eq!(items.len(), 200);
    assert!(compressed.len() < json.len(), "gzip made it no smaller");

    // Without Accept-Encoding, the JSON is sent as it is.
    let plain = app.get("/layers/json").await;
    assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
    assert_eq!(plain.text(), json);

    // An event stream is neither compressed nor buffered: event 1 arrives while the stream
    // has not yet yielded event 2.
    let mut events = app
        .sse("/layers/gated")
        .header(header::ACCEPT_ENCODING, "gzip")
        .await;
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    assert!(!events.headers().contains_key(header::CONTENT_ENCODING));
    assert_eq!(event(events.next_received().await), message("one"));
    SECOND_EVENT.notify_one();
    assert_eq!(event(events.next_received().await), message("two"));
}

/// `received` as `(type, data, id)`, when it is an event (with no comment before it: the
/// gated stream sends none).
fn event(received: Received) -> (String, String, Option<String>) {
    match received {
        Received::Event(event) => (event.event, event.data, event.id),
        other => panic!("an event, not {other:?}"),
    }
}

/// A plain `data:` event without an id, as `(type, data, id)`.
fn message(data: &str) -> (String, String, Option<String>) {
    ("message".to_owned(), data.to_owned(), None)
}

#[tokio::test]
async fn a_timeout_bounds_a_request_but_not_an_open_stream() {
    let timeout = Duration::from_millis(100);
    let app = app(NestFactory::create().layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        timeout,
    )))
    .await;
    let response = app.get("/layers/hang").await;
    assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);

    // The head came at once; the stream then outlives the timeout many times over: a
    // heartbeat comes after 50 ms of silence, so the tenth is at least 500 ms in.
    let mut events = app.sse("/layers/beating").await;
    assert_eq!(events.status(), 200);
    for _ in 0..10 {
        assert_eq!(
            events.next_received().await,
            Received::Comment(String::new())
        );
    }
    assert_eq!(app.handle().open_streams(), 1);
}

#[tokio::test]
async fn a_trace_layer_sees_every_response() {
    let trace = TraceLayer::new_for_http().on_response(
        |_: &http::Response<_>, _: Duration, _: &tracing::Span| {
            TRACED.fetch_add(1, Ordering::SeqCst);
        },
    );
    let app = app(NestFactory::create().layer(trace)).await;
    let before = TRACED.load(Ordering::SeqCst);
    assert_eq!(app.get("/layers/json").await.status(), 200);
    assert_eq!(app.get("/layers/nowhere").await.status(), 404);
    // An SSE response counts once its head is out, as any other.
    assert_eq!(app.sse("/layers/gated").await.status(), 200);
    assert_eq!(TRACED.load(Ordering::SeqCst) - before, 3);
}

/// Opens an `EventSource` with credentials to `url` from the current page; resolves with the
/// first two messages, or with `error` when the browser refuses the stream.
const OPEN_EVENT_SOURCE: &str = r"
    const [url, done] = arguments;
    document.cookie = 'session=ada; path=/';
    const source = new EventSource(url, { withCredentials: true });
    const got = [];
    source.onmessage = (event) => {
        got.push(event.data);
        if (got.length === 2) { source.close(); done({ got }); }
    };
    source.onerror = () => { source.close(); done({ error: true, got }); };
";

/// A credentialed JSON `POST` to `url` with a custom header: the browser sends a preflight.
const POST_JSON: &str = r"
    const [url, done] = arguments;
    fetch(url, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-client': 'nestish-test' },
        body: JSON.stringify({ name: 'ada' }),
    })
        .then((response) => response.text().then((body) => done({ status: response.status, body })))
        .catch((error) => done({ error: String(error) }));
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_lets_an_allowed_origin_stream_with_credentials_and_no_other() {
    let browser = Browser::launch()
        .await
        .expect("chromium and chromedriver are installed (CI installs them)");
    let page = app(NestFactory::create()).await;
    let other_page = app(NestFactory::create()).await;
    let origin = format!("http://127.0.0.1:{}", page.addr().port());
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::exact(
            HeaderValue::from_str(&origin).expect("an origin"),
        ))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-client"),
        ]);
    let api = app(NestFactory::create().layer(cors)).await;
    let api_url = |path: &str| format!("http://127.0.0.1:{}{path}", api.addr().port());

    browser.goto(&format!("{origin}/layers/page")).await;
    let seen = browser
        .execute_async(OPEN_EVENT_SOURCE, json!([api_url("/layers/whoami")]))
        .await;
    assert_eq!(
        seen,
        json!({ "got": ["cookie session=ada", "second"] }),
        "{seen}"
    );
    let posted = browser
        .execute_async(POST_JSON, json!([api_url("/layers/echo")]))
        .await;
    assert_eq!(
        posted,
        json!({ "status": 200, "body": r#"{"name":"ada"}"# }),
        "{posted}"
    );

    // From an origin the layer does not allow, the browser delivers nothing.
    browser
        .goto(&format!(
            "http://127.0.0.1:{}/layers/page",
            other_page.addr().port()
        ))
        .await;
    let refused = browser
        .execute_async(OPEN_EVENT_SOURCE, json!([api_url("/layers/whoami")]))
        .await;
    assert_eq!(refused, json!({ "error": true, "got": [] }), "{refused}");
}

#[test]
fn a_layer_that_refuses_its_configuration_fails_build_naming_it() {
    // The Fetch standard ignores `*` with credentials; tower-http panics on it when applied.
    let cors = CorsLayer::new()
        .allow_credentials(true)
        .allow_headers(tower_http::cors::Any);
    let error = NestFactory::create()
        .controllers::<(LayersController,)>()
        .layer(TraceLayer::new_for_http())
        .layer(cors)
        .build()
        .expect_err("a CORS layer with credentials and any header is refused");
    let message = error.to_string();
    assert!(
        message.starts_with("layer 2 (tower_http::cors::CorsLayer)"),
        "{message}"
    );
    assert!(
        message.contains("Access-Control-Allow-Credentials"),
        "{message}"
    );
}

//! SSE handlers beyond the plain stream: fallible (an `Err` answers with its status before any
//! stream starts), async with parameters and Last-Event-ID, and POST streams with a body.

mod support;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::{HttpError, Json, MessageEvent, StatusCode, controller, sse};
use support::{Conn, get};

#[derive(Default)]
pub struct OrdersController;

const STEPS: [&str; 4] = ["placed", "paid", "shipped", "delivered"];

#[derive(serde::Deserialize)]
pub struct Prompt {
    text: String,
}

#[controller("orders")]
impl OrdersController {
    /// The order's steps after the last one the client saw, with the step as the event id.
    #[sse(":id/events")]
    async fn events(
        &self,
        #[param("id")] id: u32,
        #[last_event_id] seen: Option<usize>,
    ) -> Result<
        impl Stream<Item = Result<MessageEvent, nestish_core::EventError>> + Send + 'static,
        HttpError,
    > {
        if id == 0 {
            return Err(HttpError::not_found(format!("no order {id}")));
        }
        let next = seen.map_or(0, |step| step + 1);
        if next >= STEPS.len() {
            // Everything was seen: 204 tells the browser to stop reconnecting.
            return Err(HttpError::new(StatusCode::NO_CONTENT, "done"));
        }
        Ok(stream::iter(next..STEPS.len()).map(move |step| {
            MessageEvent::new(format!("{id}:{}", STEPS[step])).id(step.to_string())
        }))
    }

    /// NestJS v12's POST stream: the body in, one event per word out.
    #[sse("complete", method = "POST")]
    fn complete(
        &self,
        #[body] prompt: Json<Prompt>,
    ) -> impl Stream<Item = String> + Send + 'static {
        let words: Vec<String> = prompt
            .0
            .text
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        stream::iter(words)
    }
}

#[tokio::test]
async fn a_fallible_route_streams_when_ok() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/orders/7/events").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        body,
        "\nid: 0\ndata: 7:placed\n\nid: 1\ndata: 7:paid\n\nid: 2\ndata: 7:shipped\n\nid: 3\ndata: 7:delivered\n\n"
    );
}

#[tokio::test]
async fn an_err_answers_with_its_status_and_nests_body_not_a_stream() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/orders/0/events").await;
    assert_eq!(head.status, 404);
    assert_eq!(
        head.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        body,
        r#"{"statusCode":404,"message":"no order 0","error":"Not Found"}"#
    );
}

#[tokio::test]
async fn last_event_id_resumes_and_204_ends_reconnection() {
    let addr = support::start().await;
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/orders/7/events", &["Last-Event-ID: 1"])
        .await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(
        conn.chunked_body().await,
        "\nid: 2\ndata: 7:shipped\n\nid: 3\ndata: 7:delivered\n\n"
    );

    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/orders/7/events", &["Last-Event-ID: 3"])
        .await;
    let head = conn.head().await;
    assert_eq!(head.status, 204);
    assert_eq!(head.header("content-type"), None);

    // A Last-Event-ID that does not parse is a 400 before any stream.
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/orders/7/events", &["Last-Event-ID: three"])
        .await;
    let head = conn.head().await;
    assert_eq!(head.status, 400);
    assert_eq!(
        conn.sized_body(&head).await,
        r#"{"statusCode":400,"message":"header \"last-event-id\" is invalid: invalid digit found in string","error":"Bad Request"}"#
    );
}

#[tokio::test]
async fn a_post_stream_reads_its_body_then_streams() {
    let addr = support::start().await;
    let mut conn = Conn::open(addr).await;
    conn.send_body(
        "POST",
        "/orders/complete",
        &["Content-Type: application/json"],
        r#"{"text":"hello streaming world"}"#,
    )
    .await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(
        conn.chunked_body().await,
        "\ndata: hello\n\ndata: streaming\n\ndata: world\n\n"
    );

    // GET is not the stream's method.
    assert_eq!(get(addr, "/orders/complete").await.0.status, 405);
}

//! SSE handlers beyond the plain stream: fallible (an `Err` answers with its status before any
//! stream starts), async with parameters and Last-Event-ID, and POST streams with a body.

use futures::stream::{self, Stream, StreamExt};
use nestish_core::testing::{Test, TestApp};
use nestish_core::{HttpError, Json, MessageEvent, StatusCode, controller, sse};

#[derive(Default)]
pub struct OrdersController;

const STEPS: [&str; 4] = ["placed", "paid", "shipped", "delivered"];

#[derive(serde::Deserialize, schemars::JsonSchema)]
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

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(OrdersController,)>()
        .start()
        .await
        .expect("the orders app starts")
}

/// Every event of the stream until its clean end, as `(id, data)`.
async fn ids_and_data(mut events: nestish_core::testing::EventStream) -> Vec<(String, String)> {
    assert_eq!(events.status(), 200);
    assert_eq!(events.header("content-type"), Some("text/event-stream"));
    events
        .end()
        .await
        .into_iter()
        .filter_map(|received| match received {
            nestish_core::testing::Received::Event(event) => {
                Some((event.id.unwrap_or_default(), event.data))
            }
            _ => None,
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|&(id, data)| (id.to_owned(), data.to_owned()))
        .collect()
}

#[tokio::test]
async fn a_fallible_route_streams_when_ok() {
    let app = app().await;
    let events = ids_and_data(app.sse("/orders/7/events").await).await;
    assert_eq!(
        events,
        pairs(&[
            ("0", "7:placed"),
            ("1", "7:paid"),
            ("2", "7:shipped"),
            ("3", "7:delivered")
        ])
    );
}

#[tokio::test]
async fn an_err_answers_with_its_status_and_nests_body_not_a_stream() {
    let app = app().await;
    app.get("/orders/0/events")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no order 0");
}

#[tokio::test]
async fn last_event_id_resumes_and_204_ends_reconnection() {
    let app = app().await;
    let rest = app.sse("/orders/7/events").last_event_id("1").await;
    assert_eq!(
        ids_and_data(rest).await,
        pairs(&[("2", "7:shipped"), ("3", "7:delivered")])
    );

    let done = app
        .get("/orders/7/events")
        .header("last-event-id", "3")
        .await;
    assert_eq!(done.status(), 204);
    assert_eq!(done.header("content-type"), None);

    // A Last-Event-ID that does not parse is a 400 before any stream.
    app.get("/orders/7/events")
        .header("last-event-id", "three")
        .await
        .assert_error(
            StatusCode::BAD_REQUEST,
            "header \"last-event-id\" is invalid: invalid digit found in string",
        );
}

#[tokio::test]
async fn a_post_stream_reads_its_body_then_streams() {
    let app = app().await;
    let words = app
        .post("/orders/complete")
        .json(&serde_json::json!({"text": "hello streaming world"}))
        .sse()
        .await;
    assert_eq!(
        ids_and_data(words).await,
        pairs(&[("", "hello"), ("", "streaming"), ("", "world")])
    );

    // GET is not the stream's method.
    assert_eq!(app.get("/orders/complete").await.status(), 405);
}

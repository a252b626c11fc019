//! The testing module's contract check: every answer and event a test reads is validated
//! against its route's description, so a handler whose output drifts from what its types
//! document fails the test that reads it, with the route, the event and the failing place named.

use futures::stream::{self, Stream};
use nestish_core::openapi::schemars::SchemaGenerator;
use nestish_core::openapi::{Content, EventData, EventDoc, ResponseDoc, Status};
use nestish_core::testing::{Test, TestApp, TestClient};
use nestish_core::{
    EventError, EventWriter, IntoResponse, Json, Response, SseEvent, controller, get, sse,
};
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema)]
pub struct Order {
    id: u64,
}

/// An answer that documents an `Order` and writes an id as text: the drift the check catches.
pub struct LyingReceipt;

impl IntoResponse for LyingReceipt {
    fn into_response(self) -> Response {
        Json(serde_json::json!({ "id": "seven" })).into_response()
    }

    fn describe(schemas: &mut SchemaGenerator) -> Vec<ResponseDoc> {
        let order = Content::json(schemas.subschema_for::<Order>());
        vec![ResponseDoc::new(Status::Code(200), "An order", Some(order))]
    }
}

/// Events whose description says `tick` carries a number, and which write text for the
/// second one, and a `tock` the description does not know of.
pub enum LyingTicks {
    Good(u64),
    Bad,
    Unknown,
}

impl SseEvent for LyingTicks {
    fn write_event(self, out: &mut EventWriter<'_>) -> Result<(), EventError> {
        match self {
            Self::Good(n) => out.event("tick")?.json(&n),
            Self::Bad => out.event("tick")?.json("one"),
            Self::Unknown => out.event("tock")?.json(&1),
        }
    }

    fn describe(schemas: &mut SchemaGenerator) -> Vec<EventDoc> {
        let data = EventData::Json(schemas.subschema_for::<u64>());
        vec![EventDoc::new(Some("tick"), data)]
    }
}

#[derive(SseEvent)]
pub enum OrderEvents {
    Placed(Order),
    #[event(end)]
    Closed,
}

#[derive(Default)]
pub struct ContractController;

#[controller("contract")]
impl ContractController {
    #[get("orders/:id")]
    fn order(&self, #[param("id")] id: u64) -> Json<Order> {
        Json(Order { id })
    }

    #[get("receipt")]
    fn receipt(&self) -> LyingReceipt {
        LyingReceipt
    }

    #[sse("orders")]
    fn orders(&self) -> impl Stream<Item = OrderEvents> + Send + 'static {
        stream::iter([OrderEvents::Placed(Order { id: 1 }), OrderEvents::Closed])
    }

    #[sse("ticks")]
    fn ticks(&self) -> impl Stream<Item = LyingTicks> + Send + 'static {
        stream::iter([LyingTicks::Good(1), LyingTicks::Bad])
    }

    #[sse("tocks")]
    fn tocks(&self) -> impl Stream<Item = LyingTicks> + Send + 'static {
        stream::iter([LyingTicks::Good(1), LyingTicks::Unknown])
    }
}

async fn start(check: bool) -> TestApp {
    Test::create_testing_module()
        .controllers::<(ContractController,)>()
        .check_contract(check)
        .start()
        .await
        .expect("the app starts")
}

/// The message the test failed with, when reading `read` failed it.
async fn failure<F, Fut>(client: TestClient, read: F) -> String
where
    F: FnOnce(TestClient) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let failed = tokio::spawn(read(client))
        .await
        .expect_err("the contract check fails the test");
    let panic = failed.into_panic();
    match panic.downcast::<String>() {
        Ok(message) => *message,
        Err(other) => panic!("a panic without a message: {other:?}"),
    }
}

#[tokio::test]
async fn answers_and_events_that_match_their_description_pass() {
    let app = start(true).await;
    let order = app.get("/contract/orders/7").await;
    assert_eq!(
        order.json::<serde_json::Value>(),
        serde_json::json!({ "id": 7 })
    );
    let mut events = app.sse("/contract/orders").await;
    let placed = events.next_event().await;
    assert_eq!(
        (placed.event.as_str(), placed.data.as_str()),
        ("placed", r#"{"id":1}"#)
    );
    assert_eq!(events.next_event().await.event, "closed");
    events.end().await;
}

#[tokio::test]
async fn a_body_that_drifts_from_its_schema_fails_naming_route_path_and_expectation() {
    let app = start(true).await;
    let message = failure(app.client(), |client| async move {
        let _ = client.get("/contract/receipt").await;
    })
    .await;
    for part in [
        "GET /contract/receipt",
        "ContractController_receipt",
        "the 200 answer's body does not match its schema",
        "at /id:",
        r#""seven" is not of type "integer""#,
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
}

#[tokio::test]
async fn an_event_whose_data_drifts_fails_naming_the_event_and_its_index() {
    let app = start(true).await;
    let message = failure(app.client(), |client| async move {
        let mut events = client.sse("/contract/ticks").await;
        assert_eq!(
            events.next_event().await.data,
            "1",
            "the first event matches"
        );
        let _ = events.next_event().await;
    })
    .await;
    for part in [
        "GET /contract/ticks",
        "ContractController_ticks",
        r#"event "tick" (index 1)"#,
        "at /:",
        r#""one" is not of type "integer""#,
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
}

#[tokio::test]
async fn an_event_the_route_does_not_describe_fails() {
    let app = start(true).await;
    let message = failure(app.client(), |client| async move {
        let mut events = client.sse("/contract/tocks").await;
        let _ = events.next_event().await;
        let _ = events.next_event().await;
    })
    .await;
    assert!(
        message.contains(r#"event "tock" (index 1) is not one of the route's events ("tick")"#),
        "{message}"
    );
}

#[tokio::test]
async fn the_check_can_be_switched_off_per_request_and_per_app() {
    let app = start(true).await;
    let receipt = app.get("/contract/receipt").check_contract(false).await;
    assert_eq!(receipt.text(), r#"{"id":"seven"}"#);
    let mut ticks = app.sse("/contract/ticks").check_contract(false).await;
    ticks.next_event().await;
    assert_eq!(ticks.next_event().await.data, r#""one""#);

    let unchecked = start(false).await;
    let receipt = unchecked.get("/contract/receipt").await;
    assert_eq!(receipt.text(), r#"{"id":"seven"}"#);
    let mut tocks = unchecked.sse("/contract/tocks").await;
    tocks.next_event().await;
    assert_eq!(tocks.next_event().await.event, "tock");
}

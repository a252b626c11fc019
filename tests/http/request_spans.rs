//! A request's logs beside tower-http's `TraceLayer`: nestish's request span nests under the
//! layer's, so a request's lines carry both the layer's URI and nestish's route template; and
//! each request gets one access line, nestish's by default (with a start-up note when a
//! `TraceLayer` is applied too), or the layer's alone with `.access_log(false)`.

use crate::support;

use nestish_core::testing::Test;
use nestish_core::{StatusCode, controller, get};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

#[derive(Default)]
pub struct SpannedController;

#[controller("spans")]
impl SpannedController {
    #[get("items/:id")]
    fn item(&self, #[param("id")] id: u32) -> String {
        tracing::info!(id, "handling");
        id.to_string()
    }
}

#[tokio::test]
async fn a_request_span_nests_under_the_trace_layers() {
    let (captured, _default) = support::logs::capture(tracing::Level::DEBUG);
    let app = Test::create_testing_module()
        .controllers::<(SpannedController,)>()
        .configure(|app| app.layer(TraceLayer::new_for_http()))
        .start()
        .await
        .expect("the app starts");
    assert_eq!(app.get("/spans/items/7").await.text(), "7");
    // The handler's own line: inside the layer's `request` span, then nestish's.
    let handling = captured.lines(&["handling"]);
    assert_eq!(handling.len(), 1, "{handling:?}");
    let line = &handling[0];
    let layer = line.find("uri=/spans/items/7").expect("the layer's span");
    let ours = line
        .find("route=\"/spans/items/:id\"")
        .expect("nestish's span");
    assert!(layer < ours, "nestish's span is inside the layer's: {line}");
    assert!(line.contains("peer=127.0.0.1:"), "{line}");
}

#[derive(Default)]
pub struct LoggedController;

#[controller("logged")]
impl LoggedController {
    #[get("ok")]
    fn ok(&self) -> &'static str {
        "ok"
    }
}

#[tokio::test]
async fn each_request_gets_one_access_line_from_nestish_or_from_the_trace_layer() {
    // nestish's line, beside a TraceLayer that logs responses at its default DEBUG.
    let (captured, guard) = support::logs::capture(Level::INFO);
    let app = Test::create_testing_module()
        .controllers::<(LoggedController,)>()
        .configure(|app| app.layer(TraceLayer::new_for_http()))
        .start()
        .await
        .expect("the app starts");
    assert_eq!(app.get("/logged/ok").await.status(), 200);
    app.get("/logged/nowhere")
        .await
        .assert_error(StatusCode::NOT_FOUND, "Cannot GET /logged/nowhere");
    app.shutdown().await.expect("a clean shutdown");
    drop(guard);
    let ok = captured.lines(&["route=\"/logged/ok\""]);
    assert_eq!(ok.len(), 1, "{ok:?}");
    assert!(
        ["INFO", "answered", "status=200"]
            .iter()
            .all(|part| ok[0].contains(part)),
        "{ok:?}"
    );
    let missing = captured.lines(&["route=\"(no route)\""]);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("refused") && missing[0].contains("status=404"));
    let note = captured.lines(&["a TraceLayer is applied", "access_log(false)"]);
    assert_eq!(
        note.len(),
        1,
        "the start-up note says how to keep one line: {note:?}"
    );

    // The layer's line alone, at INFO, when nestish's is turned off: no note then.
    let (captured, guard) = support::logs::capture(Level::INFO);
    let app = Test::create_testing_module()
        .controllers::<(LoggedController,)>()
        .configure(|app| {
            app.layer(
                TraceLayer::new_for_http().on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .access_log(false)
        })
        .start()
        .await
        .expect("the app starts");
    assert_eq!(app.get("/logged/ok").await.status(), 200);
    app.shutdown().await.expect("a clean shutdown");
    drop(guard);
    // The layer's span is at DEBUG, so its INFO line carries no URI: its message tells it.
    let finished = captured.lines(&["finished processing request"]);
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert!(finished[0].contains("status=200"), "{finished:?}");
    assert!(captured.lines(&["nestish::request"]).is_empty());
    assert!(captured.lines(&["a TraceLayer is applied"]).is_empty());
}

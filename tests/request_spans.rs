//! nestish's request span nests under tower-http's `TraceLayer` span when that layer is
//! applied, so a request's lines carry both: the layer's URI and nestish's route template.
//! Alone in its binary: `tracing`'s callsites are the process's.

mod support;

use nestish_core::testing::Test;
use nestish_core::{controller, get};
use tower_http::trace::TraceLayer;

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

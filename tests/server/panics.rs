//! A panicking handler or stream ends its own response (500 before the headers, `event: error`
//! after), is logged, and the server keeps serving.

use crate::support;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::testing::{Received, Test, TestApp};
use nestish_core::{MessageEvent, StatusCode, controller, get, sse};

#[derive(Default)]
pub struct PanicController;

#[controller]
impl PanicController {
    #[get("sync")]
    fn sync(&self) -> &'static str {
        panic!("sync handler bug")
    }

    #[get("async")]
    async fn asynchronous(&self) -> String {
        tokio::task::yield_now().await;
        panic!("async handler bug")
    }

    #[sse("before-stream")]
    fn before_stream(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        panic!("bug while building the stream");
        #[allow(unreachable_code)]
        stream::empty()
    }

    #[sse("mid-stream")]
    fn mid_stream(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter(0..3).map(|n| {
            assert!(n < 1, "bug in the stream at item {n}");
            MessageEvent::new(n.to_string())
        })
    }

    #[get("ok")]
    fn ok(&self) -> &'static str {
        "still serving"
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(PanicController,)>()
        .start()
        .await
        .expect("the panic app starts")
}

// A current-thread runtime: the app's tasks log on this thread, under the subscriber set here.
#[tokio::test]
async fn a_panicking_handler_answers_500_is_logged_and_the_server_keeps_serving() {
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    let app = app().await;
    for path in ["/sync", "/async", "/before-stream"] {
        app.get(path)
            .await
            .assert_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    }
    assert_eq!(app.get("/ok").await.text(), "still serving");
    // Each panic is logged with its route and message, and its 500 as a failed request.
    for (route, message) in [
        ("/sync", "sync handler bug"),
        ("/async", "async handler bug"),
        ("/before-stream", "bug while building the stream"),
    ] {
        let route = format!("route=\"{route}\"");
        let panicked = captured.lines(&[" ERROR ", "route handler panicked", &route, message]);
        assert_eq!(panicked.len(), 1, "{route}: {panicked:#?}");
        let failed = captured.lines(&[" WARN ", "failed", &route, "status=500"]);
        assert_eq!(failed.len(), 1, "{route}: {failed:#?}");
    }
}

#[tokio::test]
async fn a_panicking_stream_ends_with_an_error_event_and_is_logged() {
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    let app = app().await;
    let mut events = app.sse("/mid-stream").await;
    assert_eq!(events.status(), 200);
    // The event before the panic, then the error event, then a clean end: nothing else.
    let received: Vec<_> = events
        .end()
        .await
        .into_iter()
        .map(|received| match received {
            Received::Event(event) => (event.event, event.data, event.id),
            other => panic!("only events, not {other:?}"),
        })
        .collect();
    assert_eq!(
        received,
        [
            ("message".to_owned(), "0".to_owned(), None),
            ("error".to_owned(), "Internal server error".to_owned(), None),
        ]
    );
    assert_eq!(app.get("/ok").await.text(), "still serving");
    let panicked = captured.lines(&[
        " ERROR ",
        "SSE stream panicked",
        "route=\"/mid-stream\"",
        "bug in the stream at item 1",
    ]);
    assert_eq!(panicked.len(), 1, "{panicked:#?}");
}

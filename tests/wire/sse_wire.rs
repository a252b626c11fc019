//! What an `#[sse]` route puts on the wire, byte for byte, over a real socket.

use crate::support;

use std::time::Duration;

use futures::stream::{self, Stream};
use nestish_core::{BoxError, EventError, HttpError, MessageEvent, NestFactory, controller, sse};
use support::{Conn, get};

#[derive(Default)]
pub struct WireController;

#[derive(serde::Serialize)]
struct Tick {
    n: u32,
    label: &'static str,
}

#[controller("/wire/")]
impl WireController {
    #[sse("/awkward/")]
    fn awkward(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([
            MessageEvent::new("crlf\r\nbreak"),
            MessageEvent::new("cr\rbreak"),
            MessageEvent::new("lf\nbreak"),
            MessageEvent::new("  two leading spaces"),
            MessageEvent::new(""),
            MessageEvent::new("héllo wörld 🌍 \u{feff}"),
        ])
    }

    #[sse("fields")]
    fn fields(&self) -> impl Stream<Item = Result<MessageEvent, EventError>> + Send + 'static {
        stream::iter([
            MessageEvent::new("payload")
                .comment("note")
                .retry(Duration::from_millis(2500))
                .id("7")
                .and_then(|e| e.event("update")),
            MessageEvent::json(&Tick { n: 1, label: "one" }),
        ])
    }

    #[sse("texts")]
    async fn texts(&self) -> impl Stream<Item = &'static str> + Send + 'static {
        stream::iter(["a", "b"])
    }

    #[sse("http-error")]
    fn http_error(&self) -> impl Stream<Item = Result<MessageEvent, HttpError>> + Send + 'static {
        stream::iter([
            Ok(MessageEvent::new("before")),
            Err(HttpError::forbidden("token expired")),
            Ok(MessageEvent::new("never sent")),
        ])
    }

    #[sse("other-error")]
    fn other_error(&self) -> impl Stream<Item = Result<String, BoxError>> + Send + 'static {
        stream::iter([Err("database password is hunter2".into())])
    }

    #[sse("bad-id")]
    fn bad_id(&self) -> impl Stream<Item = Result<MessageEvent, EventError>> + Send + 'static {
        stream::iter([MessageEvent::new("x").id("1\ndata: injected")])
    }
}

async fn events(path: &str) -> String {
    let addr = support::start_with(NestFactory::create().controllers::<(WireController,)>()).await;
    let (head, body) = get(addr, path).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    body
}

#[tokio::test]
async fn every_line_break_in_data_is_one_new_data_line() {
    assert_eq!(
        events("/wire/awkward").await,
        "\n\
         data: crlf\ndata: break\n\n\
         data: cr\ndata: break\n\n\
         data: lf\ndata: break\n\n\
         data:   two leading spaces\n\n\
         data: \n\n\
         data: héllo wörld 🌍 \u{feff}\n\n"
    );
}

#[tokio::test]
async fn fields_are_written_in_order_and_objects_as_json() {
    assert_eq!(
        events("/wire/fields").await,
        "\n\
         :note\nevent: update\nid: 7\nretry: 2500\ndata: payload\n\n\
         data: {\"n\":1,\"label\":\"one\"}\n\n"
    );
}

#[tokio::test]
async fn async_methods_and_text_items_work() {
    assert_eq!(events("/wire/texts").await, "\ndata: a\n\ndata: b\n\n");
}

#[tokio::test]
async fn an_http_error_item_ends_the_stream_with_its_message() {
    assert_eq!(
        events("/wire/http-error").await,
        "\ndata: before\n\nevent: error\ndata: token expired\n\n"
    );
}

// A current-thread runtime: the server's tasks log on this thread, under the subscriber set here.
#[tokio::test]
async fn any_other_error_item_is_not_shown_to_the_client_but_goes_to_the_log() {
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    assert_eq!(
        events("/wire/other-error").await,
        "\nevent: error\ndata: Internal server error\n\n"
    );
    let logged = captured.lines(&[
        " ERROR ",
        "SSE stream failed",
        "route=\"/wire/other-error\"",
        "database password is hunter2",
    ]);
    assert_eq!(logged.len(), 1, "{logged:#?}");
}

#[tokio::test]
async fn a_line_break_in_an_id_never_reaches_the_wire() {
    let body = events("/wire/bad-id").await;
    assert_eq!(body, "\nevent: error\ndata: Internal server error\n\n");
    assert!(!body.contains("injected"));
}

#[tokio::test]
async fn head_answers_the_sse_headers_without_starting_the_stream() {
    let addr = support::start_with(NestFactory::create().controllers::<(WireController,)>()).await;
    let mut conn = Conn::open(addr).await;
    conn.send("HEAD", "/wire/awkward", &[]).await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    // The connection is still usable: nothing of a body was written.
    conn.send("GET", "/wire/texts", &[]).await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(conn.chunked_body().await, "\ndata: a\n\ndata: b\n\n");
}

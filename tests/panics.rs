//! A panicking handler or stream ends its own response (500 before the headers, `event: error`
//! after), and the server keeps serving.

mod support;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::{MessageEvent, controller, get, sse};
use support::get;

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

const INTERNAL: &str =
    r#"{"statusCode":500,"message":"Internal server error","error":"Internal Server Error"}"#;

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let addr = support::start().await;
    for path in ["/sync", "/async", "/before-stream"] {
        let (head, body) = get(addr, path).await;
        assert_eq!(head.status, 500, "{path}");
        assert_eq!(body, INTERNAL, "{path}");
    }
    assert_eq!(get(addr, "/ok").await.1, "still serving");
}

#[tokio::test]
async fn a_panicking_stream_ends_with_an_error_event() {
    let addr = support::start().await;
    let (head, body) = get(addr, "/mid-stream").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        body,
        "\ndata: 0\n\nevent: error\ndata: Internal server error\n\n"
    );
    assert_eq!(get(addr, "/ok").await.1, "still serving");
}

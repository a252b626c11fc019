// The design's sample controller: a page and a stream of JSON events.
use futures::{Stream, StreamExt};
use nestish_core::{controller, get, sse, EventError, Html, MessageEvent};
use std::time::Duration;

#[derive(Default)]
pub struct AppController;

#[controller]
impl AppController {
    #[get("/")]
    fn index(&self) -> Html<&'static str> {
        Html("<ul></ul>")
    }

    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = Result<MessageEvent, EventError>> + Send + 'static {
        nestish_core::interval(Duration::from_secs(1))
            .map(|_| MessageEvent::json(&serde_json::json!({ "hello": "world" })))
    }
}

fn main() {
    let _app = nestish_core::NestFactory::create().build().unwrap();
}

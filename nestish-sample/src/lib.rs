//! The NestJS `sample/28-sse` app, written with nestish.
//!
//! `GET /` serves a page that opens `new EventSource('/sse')` and lists every message;
//! `GET /sse` sends `{"hello":"world"}` every second. Run it with `cargo run -p nestish-sample`.

use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{EventError, Html, MessageEvent, controller, get, sse};

/// The sample's only controller, NestJS's `AppController`.
#[derive(Debug, Default)]
pub struct AppController;

#[controller]
impl AppController {
    /// The page: `new EventSource('/sse')`, one list item per message.
    #[get("/")]
    fn index(&self) -> Html<&'static str> {
        Html(include_str!("index.html"))
    }

    /// `{"hello":"world"}` every second, as NestJS's `interval(1000).pipe(map(...))`.
    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = Result<MessageEvent, EventError>> + Send + 'static {
        nestish_core::interval(Duration::from_secs(1))
            .map(|_| MessageEvent::json(&serde_json::json!({ "hello": "world" })))
    }
}

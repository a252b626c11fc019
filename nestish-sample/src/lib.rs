//! The NestJS `sample/28-sse` app, written with nestish, and a second controller with
//! parameters, an injected service and resumable streams.
//!
//! - `GET /` serves a page that opens `new EventSource('/sse')` and lists every message;
//!   `GET /sse` sends `{"hello":"world"}` every second.
//! - `GET /jobs` serves a page that follows a job's progress from
//!   `GET /jobs/:name/progress?every=500` (see [`jobs`]).
//!
//! Run it with `cargo run -p nestish-sample`.

pub mod jobs;

use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{AppBuilder, EventError, Html, MessageEvent, NestFactory, controller, get, sse};

/// The sample application, with its providers: `app().build()?.listen(addr)`.
pub fn app() -> AppBuilder {
    NestFactory::create().provide(jobs::JobBoard::default())
}

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

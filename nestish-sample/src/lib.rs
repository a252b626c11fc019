//! The NestJS `sample/28-sse` app, written with nestish, and a second controller with
//! parameters, an injected service and resumable streams.
//!
//! - `GET /` serves a page that opens `new EventSource('/sse')` and lists every message;
//!   `GET /sse` sends `{"hello":"world"}` every second.
//! - `GET /login` logs in under a name: `POST /login` sets the session cookie that
//!   [`auth::AuthGuard`] asks for on the jobs, chat and notifications routes (see [`auth`]).
//! - `GET /jobs` serves a page that follows a job's progress from
//!   `GET /jobs/:name/progress?every=500` (see [`jobs`]).
//! - `GET /chat` serves a chat on the event hub: `POST /chat/messages` publishes, and
//!   `GET /chat/events` streams, resuming after `Last-Event-ID` (see [`chat`]); a message that
//!   mentions `@name` reaches that user's `GET /notifications/events` (see [`notifications`]).
//!
//! Run it with `cargo run -p nestish-sample`.

pub mod auth;
pub mod chat;
pub mod jobs;
pub mod notifications;
pub mod pages;

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{AppBuilder, Html, Json, NestFactory, controller, get, sse};

/// The sample application, with its providers: `app().build()?.listen(addr)`.
pub fn app() -> AppBuilder {
    let sessions = Arc::new(auth::Sessions::default());
    NestFactory::create()
        .provide(jobs::JobBoard::default())
        .provide(nestish_core::hub::Hub::new())
        .provide_arc(Arc::clone(&sessions))
        .provide(auth::AuthGuard::new(sessions))
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
    fn sse(&self) -> impl Stream<Item = Json<serde_json::Value>> + Send + 'static {
        nestish_core::interval(Duration::from_secs(1))
            .map(|_| Json(serde_json::json!({ "hello": "world" })))
    }
}

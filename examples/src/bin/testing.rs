//! Testing, NestJS's `Test.createTestingModule`: a countdown app, and at the bottom its tests
//! with `nestish_core::testing`. Each test serves the app on a loopback port (a real socket,
//! so what is tested is what ships), swaps a provider for the test's own, and reads the stream
//! event by event, as a browser's `EventSource` parses it.
//!
//! ```sh
//! cargo run -p nestish-examples --bin testing        # curl -N http://127.0.0.1:3000/countdown/3
//! cargo test -p nestish-examples --bin testing       # its tests
//! ```
//!
//! In an app of your own: `nestish-core = { version = "0.1", features = ["testing"] }` under
//! `[dev-dependencies]`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::{EventError, HttpError, MessageEvent, NestFactory, controller, inject, sse};

/// How long between two numbers: a provider, so a test can make it instant.
struct Pace(Duration);

struct CountdownController {
    pace: Arc<Pace>,
}

#[controller("countdown")]
impl CountdownController {
    #[inject]
    fn new(pace: Arc<Pace>) -> Self {
        Self { pace }
    }

    /// `from`, `from - 1`, ... `1`, each with its number as the event id, then the stream ends.
    /// After a reconnection (`Last-Event-ID: n`), it goes on from `n - 1`. (`id` is checked:
    /// one with a line break would be an `Err`, ending the stream with `event: error`.)
    #[sse(":from")]
    fn count(
        &self,
        #[param("from")] from: u32,
        #[last_event_id] seen: Option<u32>,
    ) -> Result<impl Stream<Item = Result<MessageEvent, EventError>> + Send + 'static, HttpError>
    {
        if !(1..=100).contains(&from) {
            return Err(HttpError::not_found(format!("no countdown from {from}")));
        }
        let start = seen.map_or(from, |seen| seen.saturating_sub(1));
        let pace = self.pace.0;
        Ok(stream::iter((1..=start).rev()).then(move |n| async move {
            tokio::time::sleep(pace).await;
            MessageEvent::new(n.to_string()).id(n.to_string())
        }))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let app = NestFactory::create()
        .provide(Pace(Duration::from_secs(1)))
        .build();
    nestish_examples::serve(app, 3000).await
}

#[cfg(test)]
mod tests {
    use nestish_core::testing::{Received, Test, TestApp};

    use super::*;

    /// The app as `main` builds it, with the pace swapped: NestJS's
    /// `overrideProvider(Pace).useValue(...)`.
    async fn app() -> TestApp {
        let app = NestFactory::create().provide(Pace(Duration::from_secs(1)));
        let app = Test::module(app).override_provider(Pace(Duration::ZERO));
        app.start().await.expect("the app starts")
    }

    #[tokio::test]
    async fn counts_down_then_ends() {
        let app = app().await;
        let mut events = app.sse("/countdown/3").await;
        let first = events.next_event().await; // fails after 10 s, showing what came
        assert_eq!((first.data.as_str(), first.id.as_deref()), ("3", Some("3")));
        // `end` waits for the server to end the response cleanly, with what came before.
        let rest: Vec<String> = events
            .end()
            .await
            .into_iter()
            .filter_map(|received| match received {
                Received::Event(event) => Some(event.data),
                _ => None,
            })
            .collect();
        assert_eq!(rest, ["2", "1"]);
    }

    #[tokio::test]
    async fn a_reconnection_resumes_after_the_last_id() {
        let app = app().await;
        let mut events = app.sse("/countdown/5").last_event_id("3").await;
        assert_eq!(events.next_event().await.data, "2");
    }

    #[tokio::test]
    async fn an_unknown_countdown_is_nests_404() {
        let app = app().await;
        // NestJS's exact error body: statusCode, message, error.
        app.get("/countdown/0")
            .await
            .assert_error(nestish_core::StatusCode::NOT_FOUND, "no countdown from 0");
    }
}

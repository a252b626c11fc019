//! The assistant: a fake model's answer as a run ([`nestish_core::run`]), so it survives what
//! kills a plain stream. `POST /assistant/answers` starts an answer and returns its id at once;
//! `GET /assistant/answers/:id/events` streams it from any tab, window or instance (what was
//! missed, then live); `POST /assistant/answers/:id/cancel` stops it. The page, `GET
//! /assistant`, keeps the run's id in its URL (`#run=<id>`): a reload, or the same URL in a
//! second window, reattaches and shows the whole answer so far, then the rest as it comes.
//!
//! With `REDIS_URL`, the runs are on Redis: an instance shutting down gracefully keeps
//! producing its answers until they end (within the shutdown timeout) while their readers,
//! drained, reconnect to another instance and read the rest there. A killed instance's answers
//! stop where they are: the fake model's timer lived in it.

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::run::{RunId, RunStatus, RunStream, Runs};
use nestish_core::{
    Guarded, Html, HttpError, Json, MessageEvent, StatusCode, controller, get, inject, post, sse,
    use_guards,
};

use crate::auth::{AuthGuard, User};

/// The words the fake model says, in turn.
const WORDS: [&str; 12] = [
    "Runs",
    "outlive",
    "their",
    "connection:",
    "reload",
    "the",
    "page,",
    "open",
    "a",
    "second",
    "window,",
    "or",
];

/// The most tokens one answer may ask for.
pub const MAX_TOKENS: usize = 2_000;

/// The fake model's `n`th token (from 1): a word and a space.
#[must_use]
pub fn token(n: usize) -> String {
    format!("{} ", WORDS[(n - 1) % WORDS.len()])
}

/// The whole answer of `tokens` tokens, as a page shows it once done.
///
/// ```
/// assert_eq!(nestish_sample::assistant::answer(2), "Runs outlive ");
/// ```
#[must_use]
pub fn answer(tokens: usize) -> String {
    (1..=tokens).map(token).collect()
}

/// What `POST /assistant/answers` takes: how many tokens, and the milliseconds between them
/// (the model's speed); 40 tokens every 150 ms without them.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
pub struct Ask {
    /// 1 to [`MAX_TOKENS`].
    #[serde(default = "default_tokens")]
    #[schemars(range(min = 1, max = MAX_TOKENS))]
    pub tokens: usize,
    /// 0 to 5,000.
    #[serde(default = "default_every")]
    #[schemars(range(max = 5_000))]
    pub every_ms: u64,
}

fn default_tokens() -> usize {
    40
}

fn default_every() -> u64 {
    150
}

/// The fake model: `tokens` tokens, one every `every`, then an event `done`.
fn model(tokens: usize, every: Duration) -> impl Stream<Item = MessageEvent> + Send + 'static {
    let words = futures::stream::iter(1..=tokens).then(move |n| async move {
        tokio::time::sleep(every).await;
        MessageEvent::new(token(n))
    });
    let done = MessageEvent::new("")
        .event("done")
        .expect("a plain event name");
    words.chain(futures::stream::iter([done]))
}

/// `/assistant`: the page, and the answers of the user who is logged in.
pub struct AssistantController {
    runs: Arc<Runs>,
}

#[controller("assistant")]
impl AssistantController {
    #[inject]
    fn new(runs: Arc<Runs>) -> Self {
        Self { runs }
    }

    /// The page: ask, watch the answer come, stop it.
    #[get]
    fn page(&self) -> Html<&'static str> {
        Html(include_str!("assistant.html"))
    }

    /// Starts an answer; 201 with its id, before the first token.
    #[post("answers")]
    #[use_guards(AuthGuard)]
    async fn ask(
        &self,
        user: Guarded<User>,
        #[body] ask: Json<Ask>,
    ) -> Result<(StatusCode, Json<RunId>), HttpError> {
        let Ask { tokens, every_ms } = ask.0;
        if !(1..=MAX_TOKENS).contains(&tokens) {
            return Err(HttpError::bad_request(format!(
                "tokens must be 1 to {MAX_TOKENS}"
            )));
        }
        if every_ms > 5_000 {
            return Err(HttpError::bad_request("every_ms must be 0 to 5000"));
        }
        let model = model(tokens, Duration::from_millis(every_ms));
        let id = self.runs.start(&user.name, model).await?;
        Ok((StatusCode::CREATED, Json(id)))
    }

    /// The answer after `Last-Event-ID` (the whole of it without), then live, from any
    /// instance; 204 once everything was seen, which stops the page's `EventSource`.
    #[sse("answers/:id/events", retry = "500ms")]
    #[use_guards(AuthGuard)]
    async fn events(
        &self,
        user: Guarded<User>,
        #[param("id")] id: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<RunStream, HttpError> {
        Ok(self.runs.attach(&user.name, &id, seen).await?)
    }

    /// Where the answer stands: `running`, `done`, `cancelled`...
    #[get("answers/:id")]
    #[use_guards(AuthGuard)]
    async fn status(
        &self,
        user: Guarded<User>,
        #[param("id")] id: String,
    ) -> Result<Json<RunStatus>, HttpError> {
        Ok(Json(self.runs.status(&user.name, &id).await?))
    }

    /// Stops the answer, from any instance; 204.
    #[post("answers/:id/cancel")]
    #[use_guards(AuthGuard)]
    async fn cancel(
        &self,
        user: Guarded<User>,
        #[param("id")] id: String,
    ) -> Result<(StatusCode, ()), HttpError> {
        self.runs.cancel(&user.name, &id).await?;
        Ok((StatusCode::NO_CONTENT, ()))
    }
}

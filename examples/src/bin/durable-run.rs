//! An answer that survives a reload: a run. `POST /answers` starts a (fake) model's answer as
//! a run and returns its id at once; `GET /answers/:id/events` streams it, as OpenAI's chat
//! chunks, from any tab: what was missed (after `Last-Event-ID`), then live. Closing the tab
//! does not stop the model; only `POST /answers/:id/cancel` does.
//!
//! ```sh
//! cargo run -p nestish-examples --bin durable-run
//! curl -X POST -H 'content-type: application/json' -d '{"prompt":"a b c d e f"}' \
//!     http://127.0.0.1:3000/answers                          # "3f2a..." (the run's id)
//! curl -N http://127.0.0.1:3000/answers/3f2a.../events       # ctrl-c, run it again: replayed
//! curl -N -H 'last-event-id: 3' http://127.0.0.1:3000/answers/3f2a.../events   # after event 3
//! ```
//!
//! Everyone is one owner here, to stay small: an app takes the owner from its guard (see the
//! `bearer-guard` example), and another owner's id then answers 403. `Runs::redis(url, config)`
//! keeps runs in Redis, so any instance serves them.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, stream};
use nestish_core::run::{RunId, RunStream, Runs};
use nestish_core::{
    HttpError, Json, NestFactory, StatusCode, controller, dialect, inject, post, sse,
};

const OWNER: &str = "everyone";

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Ask {
    prompt: String,
}

struct AnswersController {
    runs: Arc<Runs>,
}

#[controller("answers")]
impl AnswersController {
    #[inject]
    fn new(runs: Arc<Runs>) -> Self {
        Self { runs }
    }

    #[post]
    async fn ask(&self, #[body] ask: Json<Ask>) -> Result<(StatusCode, Json<RunId>), HttpError> {
        // A stand-in for a model: the prompt's words back, one every 200 ms.
        let words: Vec<String> = ask
            .0
            .prompt
            .split_whitespace()
            .map(|w| format!("{w} "))
            .collect();
        let tokens = stream::iter(words).then(|word| async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            word
        });
        // `start` hands the producer to a task of its own, which stores every event whether
        // anyone reads or not. Framed as OpenAI's `chat.completion.chunk`s, ending in
        // `data: [DONE]`: the `openai` client reads it as is.
        let id = self
            .runs
            .start(OWNER, dialect::openai_chat("fake-1", tokens))
            .await?;
        Ok((StatusCode::CREATED, Json(id)))
    }

    // The stored events after `seen`, then live ones, and the stream ends after the run's
    // last; once everything was seen, 204 tells `EventSource` to stop reconnecting.
    #[sse(":id/events", retry = "500ms")]
    async fn events(
        &self,
        #[param("id")] id: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<RunStream, HttpError> {
        Ok(self.runs.attach(OWNER, &id, seen).await?)
    }

    #[post(":id/cancel")]
    async fn cancel(&self, #[param("id")] id: String) -> Result<(StatusCode, ()), HttpError> {
        self.runs.cancel(OWNER, &id).await?;
        Ok((StatusCode::NO_CONTENT, ()))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // `lifecycle::<Runs>()`: a graceful shutdown (SIGTERM in a deploy) waits, within the
    // shutdown timeout, for the answers still being produced, so they end whole. Hooks run
    // from `init`, which `build` would refuse.
    let app = NestFactory::create()
        .provide(Runs::new())
        .lifecycle::<Runs>()
        .init()
        .await;
    nestish_examples::serve(app, 3000).await
}

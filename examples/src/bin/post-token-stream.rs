//! A POST token stream, as an LLM API streams its answer: `POST /complete` with a JSON body
//! answers `text/event-stream`, one typed `token` event per word of the prompt, then `done`.
//!
//! ```sh
//! cargo run -p nestish-examples --bin post-token-stream
//! curl -N -H 'content-type: application/json' -d '{"prompt":"hello there world"}' \
//!     http://127.0.0.1:3000/complete
//! ```
//!
//! A browser's `EventSource` can only GET: read a POST stream with `fetch` and an SSE parser
//! (the TypeScript client nestish writes does so: see the `openapi-ts` example).

use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::{Json, NestFactory, SseEvent, controller, sse};

/// The request body. Malformed JSON or a missing field is a 400 naming the field, before the
/// handler runs and before any SSE header is sent.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Prompt {
    prompt: String,
}

/// What the stream carries: the enum is its contract. Each variant is one event, named in
/// snake_case on the wire (`event: token`), with its field as JSON data.
#[derive(SseEvent)]
enum Completion {
    Token(String),
    /// `end`: the stream closes after this event, so a client knows the answer is whole
    /// rather than cut off.
    #[event(end)]
    Done,
}

#[derive(Default)]
struct CompletionsController;

#[controller]
impl CompletionsController {
    // `method = "POST"`: an SSE route that takes a body (NestJS v12's `@Sse()` with a method).
    #[sse("complete", method = "POST")]
    fn complete(
        &self,
        #[body] body: Json<Prompt>,
    ) -> impl Stream<Item = Completion> + Send + 'static {
        let words: Vec<String> = body
            .0
            .prompt
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        // A stand-in for a model: one token every 100 ms. If the client goes, the stream is
        // dropped at its next await, so a real model call here would be cancelled with it.
        let tokens = stream::iter(words).then(|word| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Completion::Token(word)
        });
        tokens.chain(stream::iter([Completion::Done]))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    nestish_examples::serve(NestFactory::create().build(), 3000).await
}

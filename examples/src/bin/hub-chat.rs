//! A chat on the event hub: `POST /messages` publishes once, every open `GET /events` stream
//! receives it, and a page that reconnects or reloads resumes after the last message it saw
//! (`Last-Event-ID`), losing none and getting none twice. `GET /` is the page.
//!
//! ```sh
//! cargo run -p nestish-examples --bin hub-chat    # open http://127.0.0.1:3000 in two windows
//! curl -N http://127.0.0.1:3000/events
//! curl -H 'content-type: application/json' -d '{"author":"ann","text":"hi"}' \
//!     http://127.0.0.1:3000/messages
//! ```
//!
//! The hub here is in the process; `Hub::redis(url)` makes several instances one chat (see the
//! `redis-fleet` example), with the same controller.

use std::process::ExitCode;
use std::sync::Arc;

use nestish_core::hub::{Hub, TypedSubscription};
use nestish_core::{
    Html, HttpError, Json, NestFactory, SseEvent, StatusCode, Valid, controller, get, inject, post,
    sse,
};

/// What a client posts. `Valid<..>` checks garde's rules before the handler runs: a 400 in
/// NestJS's `ValidationPipe` body, naming each field at fault.
#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
struct NewMessage {
    #[garde(length(chars, min = 1, max = 40))]
    author: String,
    #[garde(length(chars, min = 1, max = 500))]
    text: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct ChatMessage {
    author: String,
    text: String,
}

/// The topic's events. A variant named `Message` is written without an `event:` line, so a
/// browser's `EventSource` hands it to `onmessage`.
#[derive(SseEvent)]
enum ChatEvent {
    Message(ChatMessage),
}

const TOPIC: &str = "chat";

struct ChatController {
    hub: Arc<Hub>,
}

#[controller]
impl ChatController {
    // Constructor injection: the hub given to `NestFactory::create().provide(..)`.
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    #[get("/")]
    fn page(&self) -> Html<&'static str> {
        Html(PAGE)
    }

    #[post("messages")]
    async fn post(
        &self,
        #[body] message: Valid<Json<NewMessage>>,
    ) -> Result<(StatusCode, Json<u64>), HttpError> {
        let Valid(Json(NewMessage { author, text })) = message;
        // Written to SSE bytes once here, whatever the number of subscribers; the id the hub
        // gives is the event's `id:`, which browsers send back as `Last-Event-ID`.
        let id = self
            .hub
            .publish_event(TOPIC, ChatEvent::Message(ChatMessage { author, text }))
            .await
            .map_err(|_| HttpError::internal())?;
        Ok((StatusCode::CREATED, Json(id)))
    }

    // The history after `Last-Event-ID` first, then live messages. `retry` tells the browser
    // to reconnect after half a second rather than its default of about three.
    #[sse("events", retry = "500ms")]
    fn events(&self, #[last_event_id] seen: Option<u64>) -> TypedSubscription<ChatEvent> {
        // The topic is the server's choice here; one taken from the request would go through
        // a `GrantedHub` and a guard that grants it.
        TypedSubscription::new(self.hub.subscribe(TOPIC, seen))
    }
}

const PAGE: &str = r#"<!doctype html><title>chat</title>
<form id=form><input id=author placeholder=name required> <input id=text required> <button>send</button></form>
<ul id=list></ul>
<script>
new EventSource("/events").onmessage = (e) => {
  const { author, text } = JSON.parse(e.data);
  list.append(Object.assign(document.createElement("li"), { textContent: `${author}: ${text}` }));
};
form.onsubmit = async (e) => {
  e.preventDefault();
  await fetch("/messages", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ author: author.value, text: text.value }) });
  text.value = "";
};
</script>"#;

#[tokio::main]
async fn main() -> ExitCode {
    // The hub keeps each topic's recent history (1,000 events by default) for resuming.
    let app = NestFactory::create().provide(Hub::new()).build();
    nestish_examples::serve(app, 3000).await
}

//! AI dialects read by their official clients over a real socket: the `openai` npm client's
//! streaming reader takes `dialect::openai_chat`'s chunks, and the `ai` package's own reader of
//! UI message streams takes `dialect::ui_message_stream` with its header; a run stores the
//! framed events, so the same clients read a run live and replayed, and an attachment in the
//! middle of an answer continues it in the dialect.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::dialect::{self, UI_MESSAGE_STREAM};
use nestish_core::run::{RunId, RunStream, Runs};
use nestish_core::testing::{Received, Test, TestApp};
use nestish_core::{HttpError, Json, MessageEvent, Sse, StatusCode, controller, inject, post, sse};
use support::tools;
use tokio::process::Command;

/// Every run of this app belongs to one user: the owner checks are tests/hubs/runs.rs's business.
const OWNER: &str = "ann";

/// The fake model: `count` tokens (`w1 `, `w2 `...), one every `every` ms.
fn model(count: usize, every: u64) -> impl Stream<Item = String> + Send + 'static {
    futures::stream::iter(1..=count).then(move |n| async move {
        tokio::time::sleep(Duration::from_millis(every)).await;
        format!("w{n} ")
    })
}

fn answer(count: usize) -> String {
    (1..=count).map(|n| format!("w{n} ")).collect()
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Start {
    dialect: String,
    tokens: usize,
    every: u64,
}

pub struct AiController {
    runs: Arc<Runs>,
}

#[controller]
impl AiController {
    #[inject]
    fn new(runs: Arc<Runs>) -> Self {
        Self { runs }
    }

    /// What the `openai` client POSTs to `<baseURL>/chat/completions`: a fresh answer.
    #[sse("v1/chat/completions", method = "POST")]
    fn completions(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        dialect::openai_chat("fake-1", model(12, 0))
    }

    /// A fresh answer in the AI SDK's UI message stream.
    #[sse("ui")]
    fn ui(&self) -> Sse<impl Stream<Item = MessageEvent> + Send + 'static> {
        dialect::ui_message_sse(dialect::ui_message_stream(model(12, 0)))
    }

    /// Starts a run whose events are already in a dialect.
    #[post("runs")]
    async fn start(&self, #[body] start: Json<Start>) -> Result<Json<RunId>, HttpError> {
        let Start {
            dialect,
            tokens,
            every,
        } = start.0;
        let tokens = model(tokens, every);
        let id = match dialect.as_str() {
            "openai" => {
                self.runs
                    .start(OWNER, dialect::openai_chat("fake-1", tokens))
                    .await?
            }
            "ui" => {
                self.runs
                    .start(OWNER, dialect::ui_message_stream(tokens))
                    .await?
            }
            other => return Err(HttpError::bad_request(format!("no dialect {other}"))),
        };
        Ok(Json(id))
    }

    /// A run, attached where the `openai` client POSTs with `baseURL` `/runs/<id>`.
    #[sse("runs/:id/chat/completions", method = "POST")]
    async fn run_completions(
        &self,
        #[param("id")] id: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<RunStream, HttpError> {
        Ok(self.runs.attach(OWNER, &id, seen).await?)
    }

    /// A run in the UI message stream, with its header.
    #[sse("runs/:id/ui")]
    async fn run_ui(
        &self,
        #[param("id")] id: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<Sse<RunStream>, HttpError> {
        Ok(dialect::ui_message_sse(
            self.runs.attach(OWNER, &id, seen).await?,
        ))
    }

    /// The same run by GET, for the test client.
    #[sse("runs/:id/openai")]
    async fn run_openai(
        &self,
        #[param("id")] id: String,
        #[last_event_id] seen: Option<u64>,
    ) -> Result<RunStream, HttpError> {
        Ok(self.runs.attach(OWNER, &id, seen).await?)
    }

    #[post("runs/:id/cancel")]
    async fn cancel(&self, #[param("id")] id: String) -> Result<(StatusCode, ()), HttpError> {
        self.runs.cancel(OWNER, &id).await?;
        Ok((StatusCode::NO_CONTENT, ()))
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(AiController,)>()
        .provide(Runs::new())
        .start()
        .await
        .expect("the AI app starts")
}

async fn start(app: &TestApp, dialect: &str, tokens: usize, every: u64) -> String {
    let answer = app
        .post("/runs")
        .json(&serde_json::json!({ "dialect": dialect, "tokens": tokens, "every": every }))
        .send()
        .await;
    assert_eq!(answer.status(), 200, "{}", answer.text());
    answer.json::<String>()
}

/// What the official client made of the stream at `url`, or `None` without Node.js 22 and the
/// npm clients.
async fn client(mode: &str, url: &str) -> Option<serde_json::Value> {
    let node = tools::npm_program("node")?;
    let output = Command::new(node)
        .arg(tools::clients_dir().join("ai-dialects.mjs"))
        .arg(mode)
        .arg(url)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs");
    assert!(
        output.status.success(),
        "the {mode} client rejected {url}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("the driver prints JSON"))
}

/// The `openai` client's report: one completion, every chunk of the same id and model, the
/// role first, `count` deltas making the answer, and one `stop`.
fn assert_openai(report: &serde_json::Value, count: usize) {
    assert_eq!(report["content"], answer(count), "{report}");
    assert_eq!(report["deltas"], count);
    assert_eq!(report["roles"], serde_json::json!(["assistant"]));
    assert_eq!(report["finishReasons"], serde_json::json!(["stop"]));
    let ids = report["ids"].as_array().expect("ids");
    assert_eq!(ids.len(), count + 2, "the role, the deltas and the finish");
    assert!(ids[0].as_str().expect("id").starts_with("chatcmpl-"));
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one completion: {ids:?}"
    );
    assert!(
        report["models"]
            .as_array()
            .expect("models")
            .iter()
            .all(|m| m == "fake-1")
    );
}

/// The `ai` reader's report: the header, and one assistant message of one text part, done.
fn assert_ui(report: &serde_json::Value, count: usize) {
    assert_eq!(report["header"], "v1", "{report}");
    let message = &report["message"];
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["id"].as_str().map(str::len), Some(24));
    let parts = message["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0]["type"], "text");
    assert_eq!(parts[0]["text"], answer(count));
    assert_eq!(parts[0]["state"], "done");
}

#[tokio::test]
async fn the_openai_client_reads_chat_completion_chunks() {
    let app = app().await;
    let base = format!("http://{}/v1", app.addr());
    let Some(report) = client("openai", &base).await else {
        return;
    };
    assert_openai(&report, 12);
}

#[tokio::test]
async fn the_ai_sdk_reads_the_ui_message_stream() {
    let app = app().await;
    let Some(report) = client("ui", &format!("http://{}/ui", app.addr())).await else {
        return;
    };
    assert_ui(&report, 12);
}

#[tokio::test]
async fn the_official_clients_read_a_run_live_and_replayed() {
    let app = app().await;
    let addr = app.addr();
    // Live: the clients attach while the model is still producing (200 tokens, 5 ms apart).
    let openai = start(&app, "openai", 200, 5).await;
    let ui = start(&app, "ui", 200, 5).await;
    let openai_url = format!("http://{addr}/runs/{openai}");
    let ui_url = format!("http://{addr}/runs/{ui}/ui");
    let (Some(live_openai), Some(live_ui)) =
        tokio::join!(client("openai", &openai_url), client("ui", &ui_url))
    else {
        return;
    };
    assert_openai(&live_openai, 200);
    assert_ui(&live_ui, 200);

    // Replayed: the runs are over (the clients saw their last event); a new client reads the
    // stored events, the same answer, the same completion id and message id.
    let replayed = client("openai", &openai_url).await.expect("node is there");
    assert_openai(&replayed, 200);
    assert_eq!(replayed["ids"], live_openai["ids"]);
    let replayed = client("ui", &ui_url).await.expect("node is there");
    assert_ui(&replayed, 200);
    assert_eq!(replayed["message"]["id"], live_ui["message"]["id"]);
}

/// `(id, data)` of every event until the stream's clean end.
async fn rest(events: &mut nestish_core::testing::EventStream) -> Vec<(String, String)> {
    assert_eq!(events.status(), 200);
    events
        .end()
        .await
        .into_iter()
        .filter_map(|received| match received {
            Received::Event(event) => Some((event.id.unwrap_or_default(), event.data)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn an_attachment_in_the_middle_of_an_answer_continues_it_in_the_dialect() {
    let app = app().await;
    let id = start(&app, "ui", 40, 10).await;
    let url = format!("/runs/{id}/ui");

    // A reader takes the first five parts, then loses its connection mid-answer.
    let mut first = app.sse(&url).send().await;
    assert_eq!(first.header("x-vercel-ai-ui-message-stream"), Some("v1"));
    let mut seen = Vec::new();
    for _ in 0..5 {
        let event = first.next_event().await;
        seen.push((event.id.unwrap_or_default(), event.data));
    }
    drop(first);

    // It comes back with its Last-Event-ID: the rest, from the next part, with the header.
    let mut again = app.sse(&url).last_event_id(&seen[4].0).send().await;
    assert_eq!(
        again.header(UI_MESSAGE_STREAM.0.as_str()),
        Some(UI_MESSAGE_STREAM.1.to_str().expect("ASCII"))
    );
    seen.extend(rest(&mut again).await);

    // Together: the whole answer, each part once, in order, as a reader from the start gets it.
    let mut whole = app.sse(&url).send().await;
    let whole = rest(&mut whole).await;
    assert_eq!(seen, whole);
    let parts: Vec<serde_json::Value> = whole
        .iter()
        .filter(|(_, data)| data != "[DONE]")
        .map(|(_, data)| serde_json::from_str(data).expect("a JSON part"))
        .collect();
    let text: String = parts
        .iter()
        .filter(|part| part["type"] == "text-delta")
        .map(|part| part["delta"].as_str().expect("a delta"))
        .collect();
    assert_eq!(text, answer(40));
    assert_eq!(parts[0]["type"], "start");
    assert_eq!(parts.last().expect("parts")["type"], "finish");
    assert_eq!(whole.last().expect("events").1, "[DONE]");
}

#[tokio::test]
async fn a_cancelled_run_claims_no_finish() {
    let app = app().await;
    let id = start(&app, "openai", 10_000, 20).await;
    let mut events = app.sse(&format!("/runs/{id}/openai")).send().await;
    let role = events.next_event().await;
    let role: serde_json::Value = serde_json::from_str(&role.data).expect("a JSON chunk");
    assert_eq!(role["choices"][0]["delta"]["role"], "assistant");
    events.next_event().await;

    let cancel = app.post(&format!("/runs/{id}/cancel")).send().await;
    assert_eq!(cancel.status(), 204, "{}", cancel.text());

    // The stream ends without a `stop` or a `[DONE]`: a client sees a cut answer, not a whole one.
    for (_, data) in rest(&mut events).await {
        assert_ne!(data, "[DONE]");
        let chunk: serde_json::Value = serde_json::from_str(&data).expect("a JSON chunk");
        assert!(chunk["choices"][0]["finish_reason"].is_null(), "{chunk}");
    }
}

//! The sample's TypeScript client in Chromium: compiled to JavaScript by `tsc`, loaded by a page
//! of the running sample (with `eventsource-parser` from npm through an import map, which the
//! client imports when a forced reconnect goes on over `fetch`), logged in
//! with the session cookie: a chat message comes back on the stream, a job's progress goes over
//! the browser's `EventSource` (which resumes with `Last-Event-ID` and stops on the 204) and
//! resumes after a forced reconnect, an assistant's tokens are read and the answer cancelled.

mod support;

use std::sync::OnceLock;

use nestish_core::{Html, controller, get};
use serde_json::json;
use support::tools;
use support::typescript::{scratch, tsc};
use support::webdriver::{Browser, log_in};

/// The page, made before the sample starts.
static PAGE: OnceLock<String> = OnceLock::new();

/// Serves the page that uses the client, beside the sample's routes.
#[derive(Default)]
pub struct ClientPageController;

#[controller("typescript-client")]
impl ClientPageController {
    #[get]
    fn page(&self) -> Html<String> {
        Html(PAGE.get().cloned().unwrap_or_default())
    }
}

/// What the page runs once the client is loaded: its result in `window.run`.
const PROGRAM: &str = r#"
const api = new ApiClient();
window.run = (async () => {
  const text = `browser hello ${Date.now()}`;
  const posted = await api.chatPost({ body: { text } });
  let chat = null;
  const messages = api.chatEvents({ after: 0 });
  for await (const event of messages) {
    const data = typeof event.data === "string" ? JSON.parse(event.data) : event.data;
    if (data.text === text) {
      chat = { id: event.id, text: data.text };
      break;
    }
  }
  // deploy has 6 steps: 1 to 5 on the first connection, 6 on the browser's own reconnection
  // (Last-Event-ID: 5), then the 204 stops the EventSource.
  const steps = [];
  // The connection hooks, counted: the browser's own reconnections are told too.
  const hooks = { opened: 0, reconnecting: 0 };
  const deploy = api.jobsProgress({ name: "deploy", every: 10 }, {
    onOpen: () => { hooks.opened += 1; },
    onReconnecting: () => { hooks.reconnecting += 1; },
  });
  for await (const event of deploy) steps.push([event.data.step, event.data.resumedAfter]);
  // A reconnect forced after step 2: the next connection resumes after it.
  const forcedSteps = [];
  const build = api.jobsProgress({ name: "deploy", every: 10 });
  for await (const event of build) {
    forcedSteps.push([event.data.step, event.data.resumedAfter]);
    if (event.data.step === 2 && forcedSteps.length === 2) build.reconnect();
  }
  const asked = await api.assistantAsk({ body: { tokens: 500, every_ms: 20 } });
  const tokens = [];
  for await (const event of api.assistantEvents({ id: asked.value })) {
    tokens.push(event.data);
    if (tokens.length === 3) break;
  }
  const cancelled = await api.assistantCancel({ id: asked.value });
  const status = await api.assistantStatus({ id: asked.value });
  return {
    posted: posted.ok, chat, steps, connections: deploy.connections, hooks, forcedSteps,
    tokens, cancelled: cancelled.status, status: status.ok ? status.value : null,
  };
})().catch((error) => ({ error: String(error && error.stack || error) }));
"#;

/// `text` as a `data:` URL of JavaScript.
fn data_url(text: &str) -> String {
    let mut url = String::from("data:text/javascript;charset=utf-8,");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// The sample's client compiled by `tsc --strict` to an ES module; `None` without tsc.
async fn compiled_client() -> Option<String> {
    let tsc_path = tools::npm_program("tsc")?;
    let dir = scratch("browser-tsc");
    let app = nestish_sample::app()
        .expect("the default users")
        .build()
        .expect("the sample builds");
    let client = nestish_core::openapi::typescript(app.api().expect("the document"));
    std::fs::write(dir.join("client.ts"), client).expect("the client is written");
    std::fs::write(dir.join("package.json"), r#"{ "type": "module" }"#).expect("package.json");
    if let Err(report) = tsc(&tsc_path, &dir, &["client.ts"], true).await {
        panic!("tsc --strict on the sample's client:\n{report}");
    }
    let js = std::fs::read_to_string(dir.join("out/client.js")).expect("tsc wrote client.js");
    let _ = std::fs::remove_dir_all(&dir);
    Some(js)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_uses_the_samples_client_against_the_running_sample() {
    let Some(client) = compiled_client().await else {
        return;
    };
    let parser = std::fs::read_to_string(
        tools::clients_dir().join("node_modules/eventsource-parser/dist/index.js"),
    )
    .expect("eventsource-parser is installed");
    let imports = json!({ "imports": { "eventsource-parser": data_url(&parser) } });
    PAGE.set(format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>client</title>\n\
         <script type=\"importmap\">{imports}</script>\n\
         <script type=\"module\">\n{client}\n{PROGRAM}\n</script>\n</head><body></body></html>\n"
    ))
    .expect("the page is made once");
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let addr = support::start_with(nestish_sample::app().expect("the default users")).await;
    log_in(&browser, addr, "ann").await;
    browser
        .goto(&format!("http://{addr}/typescript-client"))
        .await;
    let result = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             (function wait() {
                 if (window.run) window.run.then(done); else setTimeout(wait, 20);
             })();",
            json!([]),
        )
        .await;
    assert!(result.get("error").is_none(), "{result}");
    assert_eq!(result["posted"], true, "{result}");
    assert!(result["chat"]["id"].is_string(), "{result}");
    assert_eq!(
        result["steps"],
        json!([
            [1, null],
            [2, null],
            [3, null],
            [4, null],
            [5, null],
            [6, 5]
        ]),
        "EventSource resumed after step 5 and stopped on the 204: {result}"
    );
    // One EventSource: the browser's own reconnection is not a connection of the client's.
    assert_eq!(result["connections"], 1, "{result}");
    // ...but the page is told of it: two opens, and a connection lost after step 5 and after
    // step 6 (the browser reconnects before it meets the 204).
    assert_eq!(
        result["hooks"],
        json!({ "opened": 2, "reconnecting": 2 }),
        "{result}"
    );
    assert_eq!(
        result["forcedSteps"],
        json!([[1, null], [2, null], [3, 2], [4, 2], [5, 2], [6, 2]]),
        "{result}"
    );
    assert_eq!(
        result["tokens"].as_array().map(Vec::len),
        Some(3),
        "{result}"
    );
    assert_eq!(result["cancelled"], 204, "{result}");
    assert_eq!(result["status"], "cancelled", "{result}");
}

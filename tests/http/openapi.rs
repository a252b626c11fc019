//! The OpenAPI document: every route describes itself through its own types (parameters, body,
//! answers, and an SSE route's events as OpenAPI 3.2's `itemSchema`), the app serves it over a
//! real socket with its 3.1 form and a documentation page, `@redocly/cli lint` (npm) finds no
//! error in it, and headless Chromium renders the page from the app alone.

use crate::support;

use futures::stream::{self, Stream};
use nestish_core::openapi::{OpenApi, SecurityScheme};
use nestish_core::testing::{Test, TestApp};
use nestish_core::{
    Guard, GuardRequest, HttpError, Json, MessageEvent, SseEvent, controller, get, post, sse,
    use_guards,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::webdriver::Browser;

#[derive(Serialize, JsonSchema)]
pub struct Progress {
    seq: u64,
    percent: u8,
}

#[derive(SseEvent)]
#[expect(dead_code, reason = "only the OpenAPI document reads these variants")]
pub enum JobEvents {
    #[event(id = seq)]
    Progress(Progress),
    LogLine(String),
    #[event(rename = "job-done", end)]
    Done,
}

#[derive(Deserialize, JsonSchema)]
pub struct NewJob {
    /// What the job does.
    name: String,
    priority: Option<u8>,
}

#[derive(Serialize, JsonSchema)]
pub struct Job {
    id: u64,
    name: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct Page {
    size: u32,
    after: Option<u64>,
}

/// Lets a request through with the right bearer token.
pub struct TokenGuard;

impl Guard for TokenGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.header("authorization") {
            Some("Bearer s3cret") => Ok(()),
            _ => Err(HttpError::unauthorized("a token is needed")),
        }
    }

    fn security_scheme() -> Option<SecurityScheme> {
        Some(SecurityScheme::bearer("token"))
    }
}

#[derive(Default)]
pub struct JobsController;

#[controller("jobs")]
impl JobsController {
    #[get(":id")]
    fn one(
        &self,
        #[param("id")] id: u64,
        #[header("x-tenant")] tenant: Option<String>,
        #[cookie("session")] session: String,
    ) -> Result<Json<Job>, HttpError> {
        let _ = (tenant, session);
        Ok(Json(Job {
            id,
            name: "backup".to_owned(),
        }))
    }

    #[get]
    fn list(&self, #[query] page: Page) -> Json<Vec<Job>> {
        let _ = (page.size, page.after);
        Json(Vec::new())
    }

    #[post]
    #[use_guards(TokenGuard)]
    async fn create(&self, #[body] job: Json<NewJob>) -> Json<Job> {
        let _ = job.priority;
        Json(Job {
            id: 1,
            name: job.0.name,
        })
    }

    #[sse(":id/events")]
    fn events(
        &self,
        #[param("id")] id: u64,
        #[last_event_id] after: Option<u64>,
    ) -> Result<impl Stream<Item = JobEvents> + Send + 'static, HttpError> {
        let _ = (id, after);
        Ok(stream::iter([JobEvents::Done]))
    }

    #[sse("ticks")]
    fn ticks(
        &self,
        #[query("every")] every: Option<u32>,
    ) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let _ = every;
        stream::iter([MessageEvent::new("tick")])
    }

    /// A stream that takes nothing.
    #[sse("heartbeat")]
    fn heartbeat(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter([MessageEvent::new("beat")])
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(JobsController,)>()
        .provide(TokenGuard)
        .configure(|app| app.openapi(OpenApi::new("Jobs", "1.0.0")))
        .start()
        .await
        .expect("the jobs app starts")
}

async fn document(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json()
}

/// The operation at `path` and `method` of `document`.
fn operation<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    document["paths"][path][method]
        .as_object()
        .map(|_| &document["paths"][path][method])
        .unwrap_or_else(|| panic!("no {method} {path} in {document:#}"))
}

fn parameter<'a>(operation: &'a Value, name: &str) -> &'a Value {
    operation["parameters"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no parameter {name} in {operation:#}"))
}

#[tokio::test]
async fn an_sse_routes_events_are_its_item_schema_one_branch_per_event_name() {
    let app = app().await;
    let document = document(&app, "/openapi.json").await;
    assert_eq!(document["openapi"], "3.2.0");
    let events = operation(&document, "/jobs/{id}/events", "get");
    let stream = &events["responses"]["200"]["content"]["text/event-stream"];
    let item = &stream["itemSchema"];
    // The event object of the specification's SSE section: its fields, `data` required.
    assert_eq!(item["type"], "object");
    assert_eq!(item["required"], json!(["data"]));
    assert_eq!(item["properties"]["retry"]["type"], "integer");
    let branches = item["oneOf"].as_array().expect("one branch per event");
    let names: Vec<&Value> = branches
        .iter()
        .map(|b| &b["properties"]["event"]["const"])
        .collect();
    assert_eq!(
        names,
        [&json!("progress"), &json!("log_line"), &json!("job-done")]
    );
    // JSON data as string-encoded content, its schema the variant's type.
    let progress = &branches[0];
    assert_eq!(progress["required"], json!(["data", "event", "id"]));
    let data = &progress["properties"]["data"];
    assert_eq!(data["contentMediaType"], "application/json");
    assert_eq!(
        data["contentSchema"]["$ref"],
        "#/components/schemas/Progress"
    );
    assert_eq!(
        document["components"]["schemas"]["Progress"]["required"],
        json!(["seq", "percent"])
    );
    assert_eq!(
        branches[1]["properties"]["data"]["contentSchema"]["type"],
        "string"
    );
    assert_eq!(
        branches[2]["properties"]["data"]["contentSchema"]["type"],
        "null"
    );
    assert!(
        branches[2]["description"]
            .as_str()
            .unwrap()
            .contains("ends")
    );
    // What the browser sends on reconnect, as the route reads it; 204 stops an EventSource.
    let last = parameter(events, "Last-Event-ID");
    assert_eq!(last["in"], "header");
    assert_eq!(last["required"], false);
    // The route's type, or blank: what a browser sends after an empty `id:`, read as none.
    assert_eq!(last["schema"]["anyOf"][0]["type"], "integer");
    assert_eq!(last["schema"]["anyOf"][1]["pattern"], r"^[ \t]*$");
    assert!(events["responses"]["204"].is_object());
    assert!(events["responses"]["4XX"].is_object());
}

#[tokio::test]
async fn a_message_event_stream_is_described_as_untyped_text() {
    let app = app().await;
    let document = document(&app, "/openapi.json").await;
    let ticks = operation(&document, "/jobs/ticks", "get");
    let item = &ticks["responses"]["200"]["content"]["text/event-stream"]["itemSchema"];
    assert_eq!(
        item["oneOf"],
        json!([{
            "properties": { "event": { "type": "string" }, "data": { "type": "string" } },
            "required": ["data"],
        }])
    );
    // Every SSE route takes Last-Event-ID, read or not; an optional query parameter.
    assert_eq!(
        parameter(ticks, "Last-Event-ID")["schema"]["type"],
        "string"
    );
    let every = parameter(ticks, "every");
    assert_eq!(
        (every["in"].as_str(), every["required"].as_bool()),
        (Some("query"), Some(false))
    );
    assert_eq!(every["schema"]["type"], "integer");
    // Its query parameter may be refused; the Last-Event-ID a route does not read may not.
    assert!(ticks["responses"]["400"].is_object());
    let heartbeat = operation(&document, "/jobs/heartbeat", "get");
    assert!(heartbeat["responses"]["400"].is_null(), "{heartbeat:#}");
    assert_eq!(parameter(heartbeat, "Last-Event-ID")["in"], "header");
}

#[tokio::test]
async fn parameters_bodies_and_every_error_answer_are_described() {
    let app = app().await;
    let document = document(&app, "/openapi.json").await;
    let one = operation(&document, "/jobs/{id}", "get");
    assert_eq!(one["operationId"], "JobsController_one");
    let id = parameter(one, "id");
    assert_eq!(
        (id["in"].as_str(), id["required"].as_bool()),
        (Some("path"), Some(true))
    );
    let tenant = parameter(one, "x-tenant");
    assert_eq!(
        (tenant["in"].as_str(), tenant["required"].as_bool()),
        (Some("header"), Some(false))
    );
    assert_eq!(tenant["schema"], json!({ "type": "string" }));
    assert_eq!(parameter(one, "session")["in"], "cookie");
    let ok = &one["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(ok["$ref"], "#/components/schemas/Job");
    for status in ["400", "404", "4XX", "5XX"] {
        assert_eq!(
            one["responses"][status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/HttpErrorBody",
            "{status}"
        );
    }
    // `#[query]` of a struct: one parameter per field.
    let list = operation(&document, "/jobs", "get");
    assert_eq!(parameter(list, "size")["required"], true);
    assert_eq!(parameter(list, "after")["required"], false);
    // A JSON body; the guard's 401/403 and security scheme; 413 and 415 for the body.
    let create = operation(&document, "/jobs", "post");
    let body = &create["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(body["$ref"], "#/components/schemas/NewJob");
    let new_job = &document["components"]["schemas"]["NewJob"];
    assert_eq!(new_job["required"], json!(["name"]));
    assert_eq!(
        new_job["properties"]["name"]["description"],
        "What the job does."
    );
    for status in ["200", "400", "401", "403", "413", "415"] {
        assert!(
            create["responses"][status].is_object(),
            "{status} in {create:#}"
        );
    }
    assert_eq!(create["security"], json!([{ "token": [] }]));
    assert_eq!(
        document["components"]["securitySchemes"]["token"],
        json!({ "type": "http", "scheme": "bearer" })
    );
    // Unguarded routes have no 401.
    assert!(one["responses"]["401"].is_null());
    let error = &document["components"]["schemas"]["HttpErrorBody"];
    assert_eq!(error["required"], json!(["statusCode", "message", "error"]));
}

#[tokio::test]
async fn the_31_form_has_the_item_schema_under_schema_and_the_events_in_an_extension() {
    let app = app().await;
    let document = document(&app, "/openapi-3.1.json").await;
    assert_eq!(document["openapi"], "3.1.1");
    let events = operation(&document, "/jobs/{id}/events", "get");
    let stream = &events["responses"]["200"]["content"]["text/event-stream"];
    assert!(stream["itemSchema"].is_null());
    assert_eq!(stream["schema"]["oneOf"].as_array().map(Vec::len), Some(3));
    let listed: Vec<(&str, bool, bool)> = stream["x-events"]
        .as_array()
        .expect("the events")
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["id"].as_bool().unwrap(),
                e["endsStream"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("progress", true, false),
            ("log_line", false, false),
            ("job-done", false, true)
        ]
    );
    // The model served is the model the app exposes, for a generator to walk.
    let app_model = app.get("/openapi.json").await.json::<Value>();
    assert_eq!(
        app_model["paths"].as_object().map(serde_json::Map::len),
        Some(5)
    );
}

#[tokio::test]
async fn redocly_lint_finds_no_error_in_the_document() {
    let Some(redocly) = support::tools::npm_program("redocly") else {
        return;
    };
    let app = app().await;
    let dir = std::env::temp_dir().join(format!("nestish-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    for path in ["/openapi.json", "/openapi-3.1.json"] {
        let file = dir.join(path.trim_start_matches('/'));
        std::fs::write(&file, app.get(path).await.text()).expect("the document is written");
        let output = tokio::process::Command::new(&redocly)
            .arg("lint")
            .arg(&file)
            .arg("--format=stylish")
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .current_dir(&dir)
            .output()
            .await
            .expect("redocly runs");
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "redocly lint {path}:\n{report}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn chromium_renders_the_documentation_page_from_the_app_alone() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let app = app().await;
    browser.goto(&format!("http://{}/docs", app.addr())).await;
    // Swagger UI fetches the document and renders one block per operation: wait for them.
    let rendered = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const deadline = Date.now() + 30000;
             (function poll() {
                 const ops = [...document.querySelectorAll('.opblock-summary-path')]
                     .map(e => e.textContent.replace(/\\u200b/g, ''));
                 if (ops.length >= 6 || Date.now() > deadline) {
                     done({ ops, title: document.querySelector('.title')?.textContent ?? null });
                 } else {
                     setTimeout(poll, 50);
                 }
             })();",
            json!([]),
        )
        .await;
    let mut ops: Vec<String> = rendered["ops"]
        .as_array()
        .expect("the operations")
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    ops.sort();
    assert_eq!(
        ops,
        [
            "/jobs",
            "/jobs",
            "/jobs/heartbeat",
            "/jobs/ticks",
            "/jobs/{id}",
            "/jobs/{id}/events"
        ],
        "{rendered:#}"
    );
    assert!(
        rendered["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Jobs")),
        "{rendered:#}"
    );
}

//! Typed events: an enum with `#[derive(SseEvent)]` is a stream's contract. Each variant is one
//! `event:` name with JSON data, an id taken from the data, and an event that ends the stream;
//! `Result` routes and items work as with `MessageEvent`, and a bad id ends the stream with an
//! error instead of reaching the wire.

use std::fmt;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::openapi::OpenApi;
use nestish_core::testing::{Received, Test, TestApp};
use nestish_core::{HttpError, SseEvent, StatusCode, controller, sse};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize, schemars::JsonSchema)]
pub struct Progress {
    seq: u64,
    percent: u8,
}

#[derive(SseEvent)]
pub enum JobEvents {
    #[event(id = seq)]
    Progress(Progress),
    LogLine(String),
    #[event(rename = "job-done", end)]
    Done,
}

/// An id whose text is the client's choice: it may hold a line break.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Tagged {
    tag: Tag,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Tag(String);

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(SseEvent)]
pub enum TaggedEvents {
    #[event(id = tag)]
    Tagged(Tagged),
}

/// A stream whose plain events go out as the browser's default, `message`.
#[derive(SseEvent)]
pub enum NoteEvents {
    Message(String),
    Pinned(String),
}

#[derive(Default)]
pub struct JobsController;

#[controller("jobs")]
impl JobsController {
    /// Two progress events, a log line, the end, and one more that must never be sent.
    #[sse(":id/events")]
    fn events(
        &self,
        #[param("id")] id: u32,
    ) -> Result<impl Stream<Item = JobEvents> + Send + 'static, HttpError> {
        if id == 0 {
            return Err(HttpError::not_found("no job 0"));
        }
        Ok(stream::iter([
            JobEvents::Progress(Progress {
                seq: 1,
                percent: 50,
            }),
            JobEvents::LogLine("two\nlines".to_owned()),
            JobEvents::Progress(Progress {
                seq: 2,
                percent: 100,
            }),
            JobEvents::Done,
            JobEvents::LogLine("after the end".to_owned()),
        ]))
    }

    /// `Result` items of a typed enum: an `Err` ends the stream with `event: error`.
    #[sse("failing")]
    fn failing(&self) -> impl Stream<Item = Result<JobEvents, HttpError>> + Send + 'static {
        stream::iter([
            Ok(JobEvents::LogLine("first".to_owned())),
            Err(HttpError::new(
                StatusCode::CONFLICT,
                "the job was cancelled",
            )),
        ])
    }

    /// A `message`, a `pinned`, a `message`.
    #[sse("notes")]
    fn notes(&self) -> impl Stream<Item = NoteEvents> + Send + 'static {
        stream::iter([
            NoteEvents::Message("one".to_owned()),
            NoteEvents::Pinned("two".to_owned()),
            NoteEvents::Message("three".to_owned()),
        ])
    }

    /// Ids from the query, line breaks included.
    #[sse("tagged")]
    fn tagged(
        &self,
        #[query("tag")] tag: String,
    ) -> impl Stream<Item = TaggedEvents> + Send + 'static {
        stream::iter(["fine".to_owned(), tag])
            .map(|tag| TaggedEvents::Tagged(Tagged { tag: Tag(tag) }))
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(JobsController,)>()
        .configure(|app| app.openapi(OpenApi::new("Jobs", "1.0.0")))
        .start()
        .await
        .expect("the jobs app starts")
}

/// Each event's name and data, as a client reads them.
fn names_and_data(received: Vec<Received>) -> Vec<(String, String)> {
    received
        .into_iter()
        .filter_map(|r| match r {
            Received::Event(e) => Some((e.event, e.data)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn each_variant_is_one_named_event_with_json_data_and_the_end_closes_the_stream() {
    let app = app().await;
    let response = app.get("/jobs/7/events").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    // Byte for byte: the id from the data, the JSON on one line (its line break escaped), the
    // renamed end event with `null` data, and nothing of what the stream held after it (after
    // the opening line break every stream starts with).
    assert_eq!(
        response.text(),
        "\nevent: progress\nid: 1\ndata: {\"seq\":1,\"percent\":50}\n\n\
         event: log_line\ndata: \"two\\nlines\"\n\n\
         event: progress\nid: 2\ndata: {\"seq\":2,\"percent\":100}\n\n\
         event: job-done\ndata: null\n\n"
    );
}

#[tokio::test]
async fn a_typed_route_answers_its_err_before_any_stream() {
    let app = app().await;
    app.get("/jobs/0/events")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no job 0");
}

#[tokio::test]
async fn an_err_item_ends_a_typed_stream_with_an_error_event() {
    let app = app().await;
    let events = names_and_data(app.sse("/jobs/failing").await.end().await);
    assert_eq!(
        events,
        [
            ("log_line".to_owned(), "\"first\"".to_owned()),
            ("error".to_owned(), "the job was cancelled".to_owned())
        ]
    );
}

#[tokio::test]
async fn an_id_with_a_line_break_never_reaches_the_wire() {
    let app = app().await;
    let response = app
        .get("/jobs/tagged")
        .query(&[("tag", "1\nevent: forged")])
        .await;
    // The good event whole, then the error: no `event:` line of the refused one, no forged field.
    assert_eq!(
        response.text(),
        "\nevent: tagged\nid: fine\ndata: {\"tag\":\"fine\"}\n\n\
         event: error\ndata: Internal server error\n\n"
    );
}

#[tokio::test]
async fn a_variant_named_message_goes_without_an_event_line_and_is_read_as_message() {
    let app = app().await;
    // `message` is what a browser calls an event without `event:`: the line would be bytes for
    // nothing on every event.
    assert_eq!(
        app.get("/jobs/notes").await.text(),
        "\ndata: \"one\"\n\nevent: pinned\ndata: \"two\"\n\ndata: \"three\"\n\n"
    );
    // Read (and checked against the document, as the testing module does by default) as the
    // browser dispatches them.
    let events = names_and_data(app.sse("/jobs/notes").await.end().await);
    assert_eq!(
        events,
        [
            ("message".to_owned(), "\"one\"".to_owned()),
            ("pinned".to_owned(), "\"two\"".to_owned()),
            ("message".to_owned(), "\"three\"".to_owned()),
        ]
    );
    // The document's branch names it `message` without requiring the line; `pinned` requires it.
    let document: Value = app.get("/openapi.json").await.json();
    let item = &document["paths"]["/jobs/notes"]["get"]["responses"]["200"]["content"]["text/event-stream"]
        ["itemSchema"];
    let branches: Vec<(&Value, &Value)> = item["oneOf"]
        .as_array()
        .expect("one branch per event")
        .iter()
        .map(|b| (&b["properties"]["event"]["const"], &b["required"]))
        .collect();
    assert_eq!(
        branches,
        [
            (&json!("message"), &json!(["data"])),
            (&json!("pinned"), &json!(["data", "event"])),
        ]
    );
}

//! The awkward events: each with the exact bytes nestish must write for it and what a client that
//! follows the WHATWG parsing rules dispatches. Sources: the WHATWG "Server-sent events" parsing
//! rules, the web-platform-tests `eventsource/format-*` cases and NestJS's `sse-stream` spec.
//!
//! The same list is checked byte for byte (`tests/wire/sse_golden.rs`), read back by the
//! `eventsource-stream` crate, by Node.js's `EventSource` (`tests/wire/node_eventsource.rs`) and by
//! Chromium (`tests/browser.rs`), all served by [`VectorsController`] at `/vectors`.

use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::{MessageEvent, controller, sse};

/// What a client dispatches for an event: its type, its data and the last event id after it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seen {
    pub r#type: String,
    pub data: String,
    pub last_event_id: String,
}

/// One golden vector.
pub struct Vector {
    /// Where the case comes from and what it checks.
    pub name: &'static str,
    pub event: MessageEvent,
    /// The exact bytes on the wire.
    pub wire: &'static str,
    /// What the client dispatches: `None` for an event without data.
    pub seen: Option<(&'static str, &'static str, &'static str)>,
}

fn event(data: &str) -> MessageEvent {
    MessageEvent::new(data)
}

/// The vectors, in the order they are sent (the last event id carries over from one to the next).
pub fn vectors() -> Vec<Vector> {
    let ok = |result: Result<MessageEvent, nestish_core::EventError>| result.expect("valid field");
    vec![
        Vector {
            name: "plain text (format-field-data)",
            event: event("hello"),
            wire: "data: hello\n\n",
            seen: Some(("message", "hello", "")),
        },
        Vector {
            name: "LF inside data (Nest sse-stream: multi-line data)",
            event: event("line one\nline two"),
            wire: "data: line one\ndata: line two\n\n",
            seen: Some(("message", "line one\nline two", "")),
        },
        Vector {
            name: "CRLF is one line break, not two (axum writes two)",
            event: event("crlf\r\nbreak"),
            wire: "data: crlf\ndata: break\n\n",
            seen: Some(("message", "crlf\nbreak", "")),
        },
        Vector {
            name: "lone CR is a line break (format-newlines: poem truncates here)",
            event: event("cr\rbreak"),
            wire: "data: cr\ndata: break\n\n",
            seen: Some(("message", "cr\nbreak", "")),
        },
        Vector {
            name: "mixed CR, CRLF and LF runs, empty lines kept",
            event: event("a\r\r\nb\n\rc\r\n\r\n"),
            wire: "data: a\ndata: \ndata: b\ndata: \ndata: c\ndata: \ndata: \n\n",
            seen: Some(("message", "a\n\nb\n\nc\n\n", "")),
        },
        Vector {
            name: "leading spaces survive (format-field-data: one space is eaten; Rocket, warp drop it)",
            event: event("  two spaces"),
            wire: "data:   two spaces\n\n",
            seen: Some(("message", "  two spaces", "")),
        },
        Vector {
            name: "empty data still dispatches (axum sends nothing)",
            event: event(""),
            wire: "data: \n\n",
            seen: Some(("message", "", "")),
        },
        Vector {
            name: "trailing line break in data is kept",
            event: event("ends with LF\n"),
            wire: "data: ends with LF\ndata: \n\n",
            seen: Some(("message", "ends with LF\n", "")),
        },
        Vector {
            name: "unicode (format-utf-8)",
            event: event("héllo wörld 🌍 日本語"),
            wire: "data: héllo wörld 🌍 日本語\n\n",
            seen: Some(("message", "héllo wörld 🌍 日本語", "")),
        },
        Vector {
            name: "BOM-looking first character of data is data (format-bom: only the stream's first BOM is dropped)",
            event: event("\u{feff}bom"),
            wire: "data: \u{feff}bom\n\n",
            seen: Some(("message", "\u{feff}bom", "")),
        },
        Vector {
            name: "data that looks like fields is data (no injection)",
            event: event("data: nested\nid: 99\n\nevent: evil"),
            wire: "data: data: nested\ndata: id: 99\ndata: \ndata: event: evil\n\n",
            seen: Some(("message", "data: nested\nid: 99\n\nevent: evil", "")),
        },
        Vector {
            name: "data that starts with a colon is not a comment",
            event: event(":not a comment"),
            wire: "data: :not a comment\n\n",
            seen: Some(("message", ":not a comment", "")),
        },
        Vector {
            name: "object data as JSON (Nest sse-stream: object data)",
            event: MessageEvent::json(&serde_json::json!({ "hello": "world", "n": [1, 2] }))
                .expect("serialisable"),
            wire: "data: {\"hello\":\"world\",\"n\":[1,2]}\n\n",
            seen: Some(("message", "{\"hello\":\"world\",\"n\":[1,2]}", "")),
        },
        Vector {
            name: "all fields, in Nest's order, comment first (Nest sse-stream: all fields)",
            event: ok(event("all fields")
                .comment("a comment")
                .retry(Duration::from_millis(2500))
                .id("1")
                .and_then(|e| e.event("update"))),
            wire: ":a comment\nevent: update\nid: 1\nretry: 2500\ndata: all fields\n\n",
            seen: Some(("update", "all fields", "1")),
        },
        Vector {
            name: "retry: 0 is still written (Nest drops it)",
            event: event("retry zero").retry(Duration::ZERO),
            wire: "retry: 0\ndata: retry zero\n\n",
            seen: Some(("message", "retry zero", "1")),
        },
        Vector {
            name: "explicit id \"0\" is kept (Nest drops it)",
            event: ok(event("id zero").id("0")),
            wire: "id: 0\ndata: id zero\n\n",
            seen: Some(("message", "id zero", "0")),
        },
        Vector {
            name: "the last event id carries over to an event without one (format-field-id)",
            event: event("no id of its own"),
            wire: "data: no id of its own\n\n",
            seen: Some(("message", "no id of its own", "0")),
        },
        Vector {
            name: "comment-only message dispatches nothing (format-comments)",
            event: MessageEvent::default().comment("just a comment"),
            wire: ":just a comment\n\n",
            seen: None,
        },
        Vector {
            name: "multi-line comment with mixed CRLF/CR/LF is one colon line per line",
            event: event("after comments").comment("one\r\ntwo\rthree\nfour"),
            wire: ":one\n:two\n:three\n:four\ndata: after comments\n\n",
            seen: Some(("message", "after comments", "0")),
        },
        Vector {
            name: "an empty id resets the last event id (format-field-id-2)",
            event: ok(event("id reset").id("")),
            wire: "id: \ndata: id reset\n\n",
            seen: Some(("message", "id reset", "")),
        },
        Vector {
            name: "a unicode id and event type",
            event: ok(event("unicode names")
                .id("ïd-🌍")
                .and_then(|e| e.event("ünïcode type"))),
            wire: "event: ünïcode type\nid: ïd-🌍\ndata: unicode names\n\n",
            seen: Some(("ünïcode type", "unicode names", "ïd-🌍")),
        },
        Vector {
            name: "an empty event type means message (format-field-event-empty)",
            event: ok(event("empty type").event("")),
            wire: "event: \ndata: empty type\n\n",
            seen: Some(("message", "empty type", "ïd-🌍")),
        },
        Vector {
            name: "NUL inside data is data",
            event: event("nul\0inside"),
            wire: "data: nul\0inside\n\n",
            seen: Some(("message", "nul\0inside", "ïd-🌍")),
        },
    ]
}

/// The event types a client must listen to, besides `message`.
pub const CUSTOM_TYPES: [&str; 2] = ["update", "ünïcode type"];

/// What a client dispatches for the whole list, in order.
pub fn expected_seen() -> Vec<Seen> {
    vectors()
        .into_iter()
        .filter_map(|v| v.seen)
        .map(|(r#type, data, last_event_id)| Seen {
            r#type: r#type.to_owned(),
            data: data.to_owned(),
            last_event_id: last_event_id.to_owned(),
        })
        .collect()
}

/// Serves every vector at `/vectors`, then stays open (an ended stream would make clients
/// reconnect and receive the list twice).
#[derive(Default)]
pub struct VectorsController;

#[controller]
impl VectorsController {
    #[sse("vectors")]
    fn vectors(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::iter(vectors().into_iter().map(|v| v.event)).chain(stream::pending())
    }
}

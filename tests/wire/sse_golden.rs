//! Golden vectors: `MessageEvent` → exact bytes, and those bytes read back by `eventsource-stream`,
//! a parser we did not write; plus a property test of the round trip over random events.

use crate::support;

use eventsource_stream::Eventsource;
use futures::StreamExt;
use futures::executor::block_on;
use nestish_core::MessageEvent;
use proptest::prelude::*;
use support::vectors::{Seen, expected_seen, vectors};

#[test]
fn every_vector_is_encoded_byte_for_byte() {
    for vector in vectors() {
        assert_eq!(vector.event.to_string(), vector.wire, "{}", vector.name);
    }
}

/// Parses an event stream with `eventsource-stream`, as one chunk per event.
fn parse(chunks: Vec<String>) -> Vec<Seen> {
    let bytes = futures::stream::iter(
        chunks
            .into_iter()
            .map(|chunk| Ok::<_, std::convert::Infallible>(chunk.into_bytes())),
    );
    block_on(bytes.eventsource().collect::<Vec<_>>())
        .into_iter()
        .map(|event| {
            let event = event.expect("eventsource-stream parses our output");
            Seen {
                r#type: event.event,
                data: event.data,
                last_event_id: event.id,
            }
        })
        .collect()
}

#[test]
fn eventsource_stream_reads_back_every_vector() {
    let mut wire = vec!["\n".to_owned()];
    wire.extend(vectors().into_iter().map(|v| v.event.to_string()));
    assert_eq!(parse(wire), expected_seen());
}

/// What a spec-following client dispatches for `events`: every line break in data reads back as
/// LF (the one normalisation the protocol forces), the id persists until changed, an empty event
/// type is `message`, and an event without data dispatches nothing.
fn model(events: &[Generated]) -> Vec<Seen> {
    let mut last_event_id = String::new();
    let mut seen = Vec::new();
    for event in events {
        if let Some(id) = &event.id {
            last_event_id.clone_from(id);
        }
        if let Some(data) = &event.data {
            seen.push(Seen {
                r#type: match event.event.as_deref() {
                    None | Some("") => "message".to_owned(),
                    Some(t) => t.to_owned(),
                },
                data: data.replace("\r\n", "\n").replace('\r', "\n"),
                last_event_id: last_event_id.clone(),
            });
        }
    }
    seen
}

#[derive(Clone, Debug)]
struct Generated {
    data: Option<String>,
    id: Option<String>,
    event: Option<String>,
    retry: Option<u64>,
    comment: Option<String>,
}

impl Generated {
    fn build(&self) -> MessageEvent {
        let mut event = match &self.data {
            Some(data) => MessageEvent::new(data.clone()),
            None => MessageEvent::default(),
        };
        if let Some(id) = &self.id {
            event = event.id(id.clone()).expect("generated ids are valid");
        }
        if let Some(t) = &self.event {
            event = event.event(t.clone()).expect("generated types are valid");
        }
        if let Some(ms) = self.retry {
            event = event.retry(std::time::Duration::from_millis(ms));
        }
        if let Some(comment) = &self.comment {
            event = event.comment(comment.clone());
        }
        event
    }
}

/// Any text, with line breaks of every kind and NUL made frequent.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>().prop_map(String::from),
            1 => Just("\r\n".to_owned()),
            1 => Just("\r".to_owned()),
            1 => Just("\n".to_owned()),
            1 => Just("\0".to_owned()),
            1 => Just(" ".to_owned()),
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// Text without CR, LF (and NUL, for ids): what an id or event type may hold.
fn field(nul_allowed: bool) -> impl Strategy<Value = String> {
    any::<String>().prop_map(move |s| {
        s.chars()
            .filter(|c| *c != '\r' && *c != '\n' && (nul_allowed || *c != '\0'))
            .collect()
    })
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        prop::option::weighted(0.9, text()),
        prop::option::of(field(false)),
        prop::option::of(field(true)),
        prop::option::of(0..100_000u64),
        prop::option::of(text()),
    )
        .prop_map(|(data, id, event, retry, comment)| Generated {
            data,
            id,
            event,
            retry,
            comment,
        })
}

proptest! {
    #[test]
    fn random_events_round_trip_through_eventsource_stream(
        events in prop::collection::vec(generated(), 1..12)
    ) {
        let mut wire = vec!["\n".to_owned()];
        wire.extend(events.iter().map(|e| e.build().to_string()));
        prop_assert_eq!(parse(wire), model(&events));
    }

    #[test]
    fn a_line_break_or_nul_in_an_id_is_always_refused(prefix in field(false), bad in "[\r\n\0]", suffix in field(true)) {
        let id = format!("{prefix}{bad}{suffix}");
        prop_assert!(MessageEvent::new("x").id(id).is_err());
    }

    #[test]
    fn a_line_break_in_an_event_type_is_always_refused(prefix in field(true), bad in "[\r\n]", suffix in field(true)) {
        let event_type = format!("{prefix}{bad}{suffix}");
        prop_assert!(MessageEvent::new("x").event(event_type).is_err());
    }
}

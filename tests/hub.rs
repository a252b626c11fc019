//! The event hub behind the sample's chat, over real sockets: every subscriber gets every
//! message in order, a reconnect with Last-Event-ID gets the rest exactly once, an id older than
//! the history is announced, and a subscriber that stops reading holds nobody up.

mod support;

use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
use nestish_core::testing::{EventStream, Test, TestApp};
use nestish_core::{Guard, GuardRequest, HttpError, StatusCode};
use nestish_sample::auth::{AuthGuard, User};
use serde_json::{Value, json};

/// Lets every request in as one user: these tests are about the hub, not about logging in
/// (`nestish-sample/tests/app.rs` logs in).
pub struct EveryoneIsAnn;

impl Guard for EveryoneIsAnn {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        // Each request a principal of its own, as many sessions would be: the chat caps a
        // principal at three streams, and these tests open more.
        static REQUESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        request.principal(format!("test:{n}"));
        request.insert(User { name: "ann".into() });
        Ok(())
    }
}

async fn chat(builder: nestish_core::AppBuilder) -> TestApp {
    Test::module(builder)
        .override_guard::<AuthGuard>(EveryoneIsAnn)
        .start()
        .await
        .expect("the chat starts")
}

/// Posts a chat message; returns its id.
async fn post(app: &TestApp, text: &str) -> u64 {
    let reply = app
        .post("/chat/messages")
        .json(&json!({ "text": text }))
        .await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    reply.json::<Value>()["id"].as_u64().expect("an id")
}

/// Reads the next `count` messages: their ids and texts.
async fn messages(events: &mut EventStream, count: usize) -> Vec<(u64, String)> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let event = events.next_event().await;
        assert_eq!(event.event, "message");
        let id = event.id.as_deref().and_then(|id| id.parse().ok());
        let text = event.json::<Value>().expect("JSON data")["text"].clone();
        out.push((
            id.expect("a numeric id"),
            text.as_str().unwrap_or_default().to_owned(),
        ));
    }
    out
}

/// `(n, "{prefix}{n}")` for each `n` of `ids`.
fn numbered(ids: std::ops::RangeInclusive<u64>, prefix: &str) -> Vec<(u64, String)> {
    ids.map(|n| (n, format!("{prefix}{n}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_gets_every_message_in_order() {
    const SUBSCRIBERS: usize = 20;
    const MESSAGES: u64 = 30;
    let app = chat(nestish_sample::app().expect("the default users")).await;
    let mut subscribers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        subscribers.push(app.sse("/chat/events").await);
    }
    for n in 1..=MESSAGES {
        assert_eq!(post(&app, &format!("message {n}")).await, n);
    }
    for mut subscriber in subscribers {
        assert_eq!(
            messages(&mut subscriber, MESSAGES as usize).await,
            numbered(1..=MESSAGES, "message ")
        );
    }
}

#[tokio::test]
async fn a_reconnect_with_last_event_id_gets_the_rest_exactly_once() {
    let app = chat(nestish_sample::app().expect("the default users")).await;
    for n in 1..=10 {
        post(&app, &format!("m{n}")).await;
    }
    let mut first = app.sse("/chat/events?after=0").await;
    assert_eq!(messages(&mut first, 4).await, numbered(1..=4, "m"));
    drop(first);
    for n in 11..=13 {
        post(&app, &format!("m{n}")).await;
    }
    // The browser sends the last id it saw; the header wins over the page's ?after=0.
    let mut again = app.sse("/chat/events?after=0").last_event_id("4").await;
    assert_eq!(messages(&mut again, 9).await, numbered(5..=13, "m"));
    // And live after the replay, with nothing repeated in between.
    post(&app, "m14").await;
    assert_eq!(messages(&mut again, 1).await, numbered(14..=14, "m"));
}

#[tokio::test]
async fn an_id_older_than_the_history_is_announced_then_the_oldest_follows() {
    let small = Hub::with_backend(MemoryBackend::new(HubConfig::default().history(3)));
    let app = chat(
        nestish_sample::app()
            .expect("the default users")
            .provide(small),
    )
    .await;
    for n in 1..=6 {
        post(&app, &format!("m{n}")).await;
    }
    let mut events = app.sse("/chat/events").last_event_id("1").await;
    let missed = events.next_event().await;
    assert_eq!(missed.event, "missed");
    assert_eq!(
        missed.json::<Value>().unwrap(),
        json!({ "lastEventId": 1, "resumeFrom": 4 })
    );
    assert_eq!(messages(&mut events, 3).await, numbered(4..=6, "m"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_holds_nobody_up() {
    const MESSAGES: u64 = 1_500;
    let app = chat(nestish_sample::app().expect("the default users")).await;
    // A raw connection that never reads after its head: nothing in the client takes its bytes.
    let mut stalled = support::Conn::open(app.addr()).await;
    stalled.send("GET", "/chat/events", &[]).await;
    assert_eq!(stalled.head().await.status, 200);
    let mut reader = app.sse("/chat/events").await;
    let text = "x".repeat(400);
    let reading = tokio::spawn(async move { messages(&mut reader, MESSAGES as usize).await });
    for n in 1..=MESSAGES {
        assert_eq!(post(&app, &text).await, n);
    }
    let got = reading.await.expect("reader task");
    let expected: Vec<(u64, String)> = (1..=MESSAGES).map(|n| (n, text.clone())).collect();
    assert!(got == expected, "the reading subscriber missed messages");
    drop(stalled);
}

#[tokio::test]
async fn bad_messages_are_refused_before_publishing() {
    let app = chat(nestish_sample::app().expect("the default users")).await;
    let blank = app
        .post("/chat/messages")
        .json(&json!({ "text": "   " }))
        .await;
    assert_eq!(blank.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        blank.json::<Value>()["message"],
        json!(["text: must not be blank"])
    );
    // Nothing was published: the first real message gets id 1.
    assert_eq!(post(&app, "first").await, 1);
}

#[tokio::test]
async fn the_default_history_holds_the_last_thousand_events_of_a_topic() {
    use futures::StreamExt;
    let hub = Hub::new();
    for n in 1..=1_001u64 {
        let id = hub
            .publish("prices", n.to_string())
            .await
            .expect("published");
        assert_eq!(id, n);
    }
    let held = hub.history("prices").await.expect("the history");
    let ids: Vec<u64> = held
        .iter()
        .filter_map(nestish_core::hub::HubEvent::id)
        .collect();
    assert_eq!(ids, (2..=1_001).collect::<Vec<_>>());
    // A client that saw nothing of it is told the first is gone, then gets the thousand held.
    let mut resumed = hub.subscribe("prices", Some(0));
    let notice = resumed.next().await.expect("the missed notice");
    assert_eq!(
        notice.encoded(),
        nestish_core::hub::HubEvent::missed(0, 2).encoded()
    );
    let replayed: Vec<u64> = resumed
        .take(1_000)
        .filter_map(|event| async move { event.id() })
        .collect()
        .await;
    assert_eq!(replayed, ids);
}

#[tokio::test]
async fn the_default_live_buffer_holds_1024_events_for_a_subscriber_that_has_not_read() {
    use futures::{FutureExt, StreamExt};
    let hub = Hub::new();
    for (topic, published) in [("held", 1_024u64), ("overrun", 1_025)] {
        let mut subscriber = hub.subscribe(topic, None);
        assert!(subscriber.next().now_or_never().is_none(), "nothing yet");
        for n in 1..=published {
            hub.publish(topic, n.to_string()).await.expect("published");
        }
        let first = subscriber.next().await.expect("an event");
        if published == 1_024 {
            // All of it from the live buffer: the history (1,000) alone no longer has 1 to 24.
            assert_eq!(first.id(), Some(1));
            let rest: Vec<u64> = subscriber
                .take(1_023)
                .filter_map(|event| async move { event.id() })
                .collect()
                .await;
            assert_eq!(rest, (2..=1_024).collect::<Vec<_>>());
        } else {
            // One more than the buffer: resynchronised from the history, which starts at 26.
            assert_eq!(
                first.encoded(),
                nestish_core::hub::HubEvent::missed(0, 26).encoded()
            );
            let next = subscriber.next().await.expect("the oldest held");
            assert_eq!(next.id(), Some(26));
        }
    }
}

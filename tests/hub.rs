//! The event hub behind the sample's chat, over real sockets: every subscriber gets every
//! message in order, a reconnect with Last-Event-ID gets the rest exactly once, an id older than
//! the history is announced, and a subscriber that stops reading holds nobody up.

mod support;

use std::net::SocketAddr;

use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
use support::Conn;

async fn post_json(addr: SocketAddr, message: serde_json::Value) -> (support::Head, String) {
    let json = ["Content-Type: application/json"];
    support::exchange(addr, "POST", "/chat/messages", &json, &message.to_string()).await
}

/// Posts a chat message; returns its id.
async fn post(addr: SocketAddr, author: &str, text: &str) -> u64 {
    let (head, body) = post_json(addr, serde_json::json!({ "author": author, "text": text })).await;
    assert_eq!(head.status, 201);
    let reply: serde_json::Value = serde_json::from_str(&body).expect("JSON reply");
    reply["id"].as_u64().expect("an id")
}

/// Opens the chat's stream with extra headers and a query; returns the connection after the
/// route's `retry` line.
async fn subscribe(addr: SocketAddr, query: &str, headers: &[&str]) -> Conn {
    let mut conn = Conn::open(addr).await;
    conn.send("GET", &format!("/chat/events{query}"), headers)
        .await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    const RETRY: &str = "retry: 500\n\n";
    assert_eq!(conn.body_bytes(RETRY.len()).await, RETRY);
    conn
}

/// One chat message as the stream carries it.
fn wire(id: u64, author: &str, text: &str) -> String {
    format!("id: {id}\ndata: {{\"author\":\"{author}\",\"text\":\"{text}\"}}\n\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_gets_every_message_in_order() {
    const SUBSCRIBERS: usize = 20;
    const MESSAGES: u64 = 30;
    let addr = support::start_with(nestish_sample::app()).await;
    let mut subscribers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        subscribers.push(subscribe(addr, "", &[]).await);
    }
    for n in 1..=MESSAGES {
        assert_eq!(post(addr, "ann", &format!("message {n}")).await, n);
    }
    let expected: String = (1..=MESSAGES)
        .map(|n| wire(n, "ann", &format!("message {n}")))
        .collect();
    for mut subscriber in subscribers {
        assert_eq!(subscriber.body_bytes(expected.len()).await, expected);
    }
}

#[tokio::test]
async fn a_reconnect_with_last_event_id_gets_the_rest_exactly_once() {
    let addr = support::start_with(nestish_sample::app()).await;
    for n in 1..=10 {
        post(addr, "bob", &format!("m{n}")).await;
    }
    let mut first = subscribe(addr, "?after=0", &[]).await;
    let seen: String = (1..=4).map(|n| wire(n, "bob", &format!("m{n}"))).collect();
    assert_eq!(first.body_bytes(seen.len()).await, seen);
    drop(first);
    for n in 11..=13 {
        post(addr, "bob", &format!("m{n}")).await;
    }
    // The browser sends the last id it saw; the header wins over the page's ?after=0.
    let mut again = subscribe(addr, "?after=0", &["Last-Event-ID: 4"]).await;
    let rest: String = (5..=13).map(|n| wire(n, "bob", &format!("m{n}"))).collect();
    assert_eq!(again.body_bytes(rest.len()).await, rest);
    // And live after the replay, with nothing repeated in between.
    post(addr, "bob", "m14").await;
    let next = wire(14, "bob", "m14");
    assert_eq!(again.body_bytes(next.len()).await, next);
}

#[tokio::test]
async fn an_id_older_than_the_history_is_announced_then_the_oldest_follows() {
    let small = Hub::with_backend(MemoryBackend::new(HubConfig::default().history(3)));
    let addr = support::start_with(nestish_sample::app().provide(small)).await;
    for n in 1..=6 {
        post(addr, "cy", &format!("m{n}")).await;
    }
    let mut conn = subscribe(addr, "", &["Last-Event-ID: 1"]).await;
    let expected = format!(
        "event: missed\ndata: {{\"lastEventId\":1,\"resumeFrom\":4}}\n\n{}",
        (4..=6)
            .map(|n| wire(n, "cy", &format!("m{n}")))
            .collect::<String>()
    );
    assert_eq!(conn.body_bytes(expected.len()).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_holds_nobody_up() {
    const MESSAGES: u64 = 1_500;
    let addr = support::start_with(nestish_sample::app()).await;
    let stalled = subscribe(addr, "", &[]).await; // never read again
    let mut reader = subscribe(addr, "", &[]).await;
    let text = "x".repeat(400);
    let reading = tokio::spawn(async move {
        let expected: String = (1..=MESSAGES)
            .map(|n| wire(n, "dee", &"x".repeat(400)))
            .collect();
        let got = reader.body_bytes(expected.len()).await;
        (got == expected, got.len(), expected.len())
    });
    for n in 1..=MESSAGES {
        assert_eq!(post(addr, "dee", &text).await, n);
    }
    let (same, got, expected) = reading.await.expect("reader task");
    assert!(
        same,
        "the reading subscriber got {got} of {expected} bytes, or other bytes"
    );
    drop(stalled);
}

#[tokio::test]
async fn bad_messages_are_refused_before_publishing() {
    let addr = support::start_with(nestish_sample::app()).await;
    let (head, body) = post_json(addr, serde_json::json!({ "author": "", "text": "hi" })).await;
    assert_eq!(head.status, 400);
    assert_eq!(
        body,
        r#"{"statusCode":400,"message":"author must be 1 to 40 characters","error":"Bad Request"}"#
    );
    // Nothing was published: the first real message gets id 1.
    assert_eq!(post(addr, "eve", "first").await, 1);
}

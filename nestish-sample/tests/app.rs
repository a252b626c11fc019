//! The sample's tests, written the way the README's "Testing" section shows: the app as it
//! ships (`nestish_sample::app()`), on a loopback port, read through `nestish_core::testing`.

use nestish_core::StatusCode;
use nestish_core::testing::{Test, TestApp};
use serde_json::{Value, json};

async fn sample() -> TestApp {
    Test::module(nestish_sample::app())
        .start()
        .await
        .expect("the sample starts")
}

#[tokio::test]
async fn the_page_opens_an_event_source_that_says_hello_world() {
    let app = sample().await;
    let page = app.get("/").await;
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.text().contains("new EventSource('/sse')"));

    let mut events = app.sse("/sse").await;
    for _ in 0..2 {
        let hello: Value = events.next_event().await.json().unwrap();
        assert_eq!(hello, json!({ "hello": "world" }));
    }
}

#[tokio::test]
async fn a_job_resumes_after_the_last_event_id_and_ends_with_204() {
    let app = sample().await;
    let mut progress = app.sse("/jobs/deploy/progress?every=10").await;
    for step in 1..=5 {
        let event = progress.next_event().await;
        assert_eq!(event.id, Some(step.to_string()));
        assert_eq!(event.json::<Value>().unwrap()["step"], step);
    }
    // One connection's share is five steps; the browser reconnects after 500 ms with the
    // last id it saw.
    assert!(progress.end().await.is_empty());
    let mut rest = app
        .sse("/jobs/deploy/progress?every=10")
        .last_event_id("5")
        .await;
    let last = rest.next_event().await;
    assert_eq!(last.retry, Some(std::time::Duration::from_millis(500)));
    assert_eq!(
        last.json::<Value>().unwrap(),
        json!({ "job": "deploy", "of": 6, "resumedAfter": 5, "step": 6 })
    );

    for seen in ["6", "7", "4294967295"] {
        let done = app
            .get("/jobs/deploy/progress")
            .header("last-event-id", seen)
            .await;
        assert_eq!(
            done.status(),
            StatusCode::NO_CONTENT,
            "Last-Event-ID {seen}"
        );
    }
}

#[tokio::test]
async fn unknown_jobs_and_bad_queries_are_refused_before_streaming() {
    let app = sample().await;
    app.get("/jobs/launch/progress")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no job named \"launch\"");
    let bad = app
        .get("/jobs/build/progress")
        .query(&[("every", "soon")])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/jobs/list").await.json::<Vec<String>>(),
        ["build", "deploy", "test"]
    );
}

#[tokio::test]
async fn a_chat_message_reaches_every_open_page_once() {
    let app = sample().await;
    let (mut alice, mut bob) = (app.sse("/chat/events").await, app.sse("/chat/events").await);
    let posted = app
        .post("/chat/messages")
        .json(&json!({ "author": "alice", "text": "hi bob" }))
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let id = posted.json::<Value>()["id"].to_string();
    for page in [&mut alice, &mut bob] {
        let message = page.next_event().await;
        assert_eq!(message.id.as_deref(), Some(id.as_str()));
        assert_eq!(message.json::<Value>().unwrap()["text"], "hi bob");
    }
    // A page that reloads with the last id it saw gets nothing twice: its first event is the
    // next message.
    let mut reloaded = app.sse("/chat/events").last_event_id(&id).await;
    app.post("/chat/messages")
        .json(&json!({ "author": "bob", "text": "hi alice" }))
        .await;
    assert_eq!(
        reloaded.next_event().await.json::<Value>().unwrap()["text"],
        "hi alice"
    );
    app.post("/chat/messages")
        .json(&json!({ "author": "", "text": "who?" }))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "author must be 1 to 40 characters");
}

#[tokio::test]
async fn health_and_metrics_answer_an_operator() {
    let app = sample().await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>()["status"], "ok");
    assert_eq!(app.get("/health/live").await.status(), StatusCode::OK);
    app.get("/jobs/list").await;
    let scraped = app.get("/metrics").await.text();
    assert!(
        scraped
            .lines()
            .any(|line| line.starts_with("nestish_requests_total{")
                && line.contains(r#"route="/jobs/list""#)),
        "{scraped}"
    );
}

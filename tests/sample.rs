//! The sample, end to end over TCP: the 28-sse page, headers and first events byte for byte, and
//! the jobs controller's parameters, injected service, Last-Event-ID resume and 204 end.

mod support;

use support::{Conn, get};

#[tokio::test]
async fn index_page_opens_an_event_source_on_sse() {
    let addr = support::start_with(nestish_sample::app()).await;
    let (head, body) = get(addr, "/").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(body.contains("new EventSource('/sse')"), "{body}");
}

#[tokio::test]
async fn sse_sends_stream_headers_then_hello_world_every_second() {
    let addr = support::start_with(nestish_sample::app()).await;
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/sse", &["Accept: text/event-stream"])
        .await;
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    for (name, value) in [
        ("content-type", "text/event-stream"),
        (
            "cache-control",
            "private, no-cache, no-store, must-revalidate, max-age=0, no-transform",
        ),
        ("x-accel-buffering", "no"),
        ("transfer-encoding", "chunked"),
    ] {
        assert_eq!(head.header(name), Some(value), "header {name}");
    }
    // NestJS's `Pragma`, `Expires` and `Connection: keep-alive` change nothing for an SSE
    // response over HTTP/1.1, and each connection would hold them for its whole life.
    for name in ["pragma", "expires", "connection"] {
        assert_eq!(head.header(name), None, "header {name}");
    }
    // The lone line break arrives before any event, so the browser's `open` fires at once.
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    let event = "data: {\"hello\":\"world\"}\n\n";
    assert_eq!(conn.body_bytes(event.len()).await, event);
    assert_eq!(conn.body_bytes(event.len()).await, event);
}

#[tokio::test]
async fn jobs_progress_resumes_after_the_last_event_id() {
    let addr = support::start_with(nestish_sample::app()).await;
    let (head, body) = get(addr, "/jobs/deploy/progress?every=10").await;
    assert_eq!(head.status, 200);
    // The route's retry first, then five steps (one connection's share), each with its id.
    let step = |n: u32, resumed: &str| {
        format!(
            "id: {n}\ndata: {{\"job\":\"deploy\",\"of\":6,\"resumedAfter\":{resumed},\"step\":{n}}}\n\n"
        )
    };
    let expected: String = (1..=5).map(|n| step(n, "null")).collect();
    assert_eq!(body, format!("retry: 500\n\n{expected}"));

    // The browser reconnects with the last id it saw: the stream resumes after it.
    let mut conn = Conn::open(addr).await;
    conn.send(
        "GET",
        "/jobs/deploy/progress?every=10",
        &["Last-Event-ID: 5"],
    )
    .await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(
        conn.chunked_body().await,
        format!("retry: 500\n\n{}", step(6, "5"))
    );

    // Past the last step: 204, so the browser stops reconnecting.
    let mut conn = Conn::open(addr).await;
    conn.send("GET", "/jobs/deploy/progress", &["Last-Event-ID: 6"])
        .await;
    assert_eq!(conn.head().await.status, 204);

    // A client's id far past the last step, up to the largest a step can be, is the end too,
    // not a wrap back to a step 0 that does not exist; one that is no step at all is a 400.
    for seen in ["7", "4294967295"] {
        let mut conn = Conn::open(addr).await;
        let header = format!("Last-Event-ID: {seen}");
        conn.send("GET", "/jobs/deploy/progress", &[&header]).await;
        assert_eq!(conn.head().await.status, 204, "Last-Event-ID {seen}");
    }
    let mut conn = Conn::open(addr).await;
    conn.send(
        "GET",
        "/jobs/deploy/progress",
        &["Last-Event-ID: 4294967296"],
    )
    .await;
    assert_eq!(conn.head().await.status, 400);
}

#[tokio::test]
async fn jobs_rejects_unknown_jobs_and_bad_queries_before_streaming() {
    let addr = support::start_with(nestish_sample::app()).await;
    let (head, body) = get(addr, "/jobs/launch/progress").await;
    assert_eq!(head.status, 404);
    assert_eq!(
        body,
        r#"{"statusCode":404,"message":"no job named \"launch\"","error":"Not Found"}"#
    );
    let (head, _) = get(addr, "/jobs/build/progress?every=soon").await;
    assert_eq!(head.status, 400);
    let (head, body) = get(addr, "/jobs/list").await;
    assert_eq!(head.status, 200);
    assert_eq!(body, r#"["build","deploy","test"]"#);
    assert!(get(addr, "/jobs").await.1.contains("new EventSource("));
}

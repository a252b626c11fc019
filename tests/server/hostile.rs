//! Hostile and broken requests: each gets a 4xx or a clean close, the server stays up, and no
//! connection or stream is left behind.

use crate::support;

use std::time::Duration;

use futures::Stream;
use futures::stream;
use nestish_core::{MessageEvent, NestFactory, controller, get, post, sse};
use support::{Conn, Running};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Default)]
pub struct TargetController;

#[controller]
impl TargetController {
    #[get("items/:id")]
    fn item(&self, #[param("id")] id: String) -> String {
        id
    }

    #[sse("events", keep_alive = false)]
    fn events(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[get("ok")]
    fn ok(&self) -> &'static str {
        "ok"
    }

    #[post("echo")]
    fn echo(&self, #[body] body: String) -> String {
        body
    }

    #[post("nobody")]
    fn nobody(&self) -> &'static str {
        "no body read"
    }
}

/// Sends raw bytes and returns what the server answers: everything up to its close, or one
/// whole response if it keeps the connection open. A server that does neither within
/// [`support::PATIENCE`] (it hangs on the request) fails the test.
async fn exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let (answer, in_time) = send_and_read(addr, bytes, whole_response).await;
    assert!(
        in_time,
        "the server neither answered nor closed the connection within {:?}; got {answer:?}",
        support::PATIENCE
    );
    answer
}

/// Sends raw bytes the server must refuse and then close the connection on; returns all it
/// answered. A server that keeps the connection open past [`support::PATIENCE`] fails the test.
async fn refused_and_closed(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let (answer, closed) = send_and_read(addr, bytes, |_| false).await;
    assert!(
        closed,
        "the server answered {answer:?} but kept the connection open"
    );
    answer
}

/// Sends raw bytes, then reads until the server closes or `enough` holds for what it sent;
/// returns that, and whether it happened within [`support::PATIENCE`].
async fn send_and_read(
    addr: std::net::SocketAddr,
    bytes: &[u8],
    enough: fn(&[u8]) -> bool,
) -> (String, bool) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    // The server may close before taking everything; that is an answer too.
    let _ = stream.write_all(bytes).await;
    let mut answer = Vec::new();
    let in_time = tokio::time::timeout(support::PATIENCE, async {
        let mut chunk = [0u8; 8192];
        // A reset (the server closing with our bytes unread) ends the answer as a close does.
        while let Ok(read @ 1..) = stream.read(&mut chunk).await {
            answer.extend_from_slice(&chunk[..read]);
            if enough(&answer) {
                break;
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&answer).into_owned(), in_time)
}

/// Whether `answer` holds a whole response: its head and a body of `Content-Length` bytes, or
/// a chunked body up to its last chunk. (Without either, only the close ends the body.)
fn whole_response(answer: &[u8]) -> bool {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
    let body = &answer[end + 4..];
    let value = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    if let Some(len) = value("content-length").and_then(|len| len.parse::<usize>().ok()) {
        return body.len() >= len;
    }
    value("transfer-encoding") == Some("chunked") && body.ends_with(b"0\r\n\r\n")
}

fn status_of(answer: &str) -> Option<u16> {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok())
}

async fn still_serving_and_clean(running: &Running) {
    assert_eq!(support::get(running.addr, "/ok").await.1, "ok");
    support::eventually("no connection is left open", || {
        running.handle.open_connections() == 0
    })
    .await;
    assert_eq!(running.handle.open_streams(), 0);
}

/// This file's controllers alone: the binary links other files' controllers too.
fn factory() -> nestish_core::AppBuilder {
    NestFactory::create().controllers::<(TargetController,)>()
}

#[tokio::test]
async fn garbage_and_malformed_requests_get_a_4xx_or_a_close() {
    let running = support::serve(factory()).await;
    let cases: [(&str, &[u8]); 5] = [
        (
            "garbage bytes",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
        ),
        ("no HTTP version", b"GET /ok\r\n\r\n"),
        (
            "invalid UTF-8 in the path",
            b"GET /items/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        (
            "a space in the path",
            b"GET /it ems HTTP/1.1\r\nHost: x\r\n\r\n",
        ),
        ("a bad header line", b"GET /ok HTTP/1.1\r\nHost x\r\n\r\n"),
    ];
    for (what, bytes) in cases {
        let answer = exchange(running.addr, bytes).await;
        match status_of(&answer) {
            Some(status) => assert!((400..500).contains(&status), "{what}: {answer:?}"),
            None => assert!(answer.is_empty(), "{what}: {answer:?}"),
        }
    }
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn bad_percent_encoding_in_a_parameter_is_a_400_with_nests_body() {
    let running = support::serve(factory()).await;
    for path in ["/items/%zz", "/items/%C3%28", "/items/100%"] {
        let (head, body) = support::get(running.addr, path).await;
        assert_eq!(head.status, 400, "{path}: {body}");
        assert!(
            body.starts_with(r#"{"statusCode":400,"message":"path parameter \"id\""#),
            "{body}"
        );
    }
    assert_eq!(support::get(running.addr, "/items/a%20b").await.1, "a b");
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn oversized_heads_and_too_many_headers_get_431() {
    let running = support::serve(factory().buffer_size(16 * 1024).max_headers(20)).await;
    let big = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    // Refused, and the connection closed.
    assert_eq!(
        status_of(&refused_and_closed(running.addr, big.as_bytes()).await),
        Some(431)
    );
    let many: String = (0..40).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET /ok HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    assert_eq!(
        status_of(&refused_and_closed(running.addr, many.as_bytes()).await),
        Some(431)
    );
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn a_slow_header_sender_is_cut_off() {
    let running = support::serve(factory().header_read_timeout(Duration::from_millis(300))).await;
    let mut stream = TcpStream::connect(running.addr).await.expect("connects");
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("partial head");
    // Never finish the head: the server closes the connection after the header read timeout.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(support::PATIENCE, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was not closed");
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn a_connection_that_never_sends_a_request_is_cut_off() {
    let running = support::serve(factory().header_read_timeout(Duration::from_millis(300))).await;
    let mut silent = TcpStream::connect(running.addr).await.expect("connects");
    // An idle keep-alive connection too: one request, then nothing.
    let mut idle = TcpStream::connect(running.addr).await.expect("connects");
    idle.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    for stream in [&mut silent, &mut idle] {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(support::PATIENCE, stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "the connection was not closed");
    }
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn half_closed_clients_leave_nothing_behind() {
    let running = support::serve(factory()).await;
    for path in ["/events", "/ok"] {
        let mut stream = TcpStream::connect(running.addr).await.expect("connects");
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("request");
        stream.shutdown().await.expect("half close");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(support::PATIENCE, stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "{path}: the server did not close");
    }
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn connections_past_the_cap_get_503() {
    let running = support::serve(factory().max_connections(2)).await;
    let first = Conn::open(running.addr).await;
    let second = Conn::open(running.addr).await;
    support::eventually("two connections are open", || {
        running.handle.open_connections() == 2
    })
    .await;
    // Answered, then closed.
    let answer = refused_and_closed(running.addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status_of(&answer), Some(503), "{answer:?}");
    assert!(answer.ends_with(
        r#"{"statusCode":503,"message":"the server is at its connection limit","error":"Service Unavailable"}"#
    ));
    drop((first, second));
    // The cap frees up once the server has seen both close.
    support::eventually("the open connections close", || {
        running.handle.open_connections() == 0
    })
    .await;
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn an_sse_stream_ends_cleanly_at_its_maximum_lifetime() {
    let running =
        support::serve(factory().sse_max_lifetime(Some(Duration::from_millis(300)))).await;
    let mut conn = Conn::open(running.addr).await;
    conn.send("GET", "/events", &[]).await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(conn.chunked_body().await, "\n");
    drop(conn);
    still_serving_and_clean(&running).await;
}

/// Sends `head`, then `body` one byte every `every` (until the server stops taking them), and
/// returns all the server answered until it closed the connection.
async fn slow_body(addr: std::net::SocketAddr, head: &str, body: &[u8], every: Duration) -> String {
    let stream = TcpStream::connect(addr).await.expect("connects");
    let (mut read, mut write) = stream.into_split();
    write.write_all(head.as_bytes()).await.expect("head sent");
    let body = body.to_vec();
    let trickle = tokio::spawn(async move {
        for byte in body {
            if write.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
        // Then nothing more: the body is never finished.
        std::future::pending::<()>().await;
    });
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(support::PATIENCE, read.read_to_end(&mut answer)).await;
    trickle.abort();
    assert!(
        closed.is_ok(),
        "the connection was not closed; got {answer:?}"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_slow_stopped_or_empty_body_is_answered_408_and_closed() {
    let running = support::serve(
        factory().body_timeouts(Duration::from_millis(600), Duration::from_millis(300)),
    )
    .await;
    let sized = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n";
    let chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    let cases: [(&str, &str, &[u8], Duration); 3] = [
        // A byte every 100 ms never leaves the body idle for 300 ms: the whole-body limit ends it.
        ("a trickle", sized, &[b'a'; 200], Duration::from_millis(100)),
        (
            "one byte, then nothing",
            sized,
            b"a",
            Duration::from_millis(1),
        ),
        (
            "a chunked body with no chunk",
            chunked,
            b"",
            Duration::from_millis(1),
        ),
    ];
    for (what, head, body, every) in cases {
        let answer = slow_body(running.addr, head, body, every).await;
        assert_eq!(status_of(&answer), Some(408), "{what}: {answer:?}");
        assert!(answer.contains(r#""statusCode":408"#), "{what}: {answer:?}");
    }
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn slow_bodies_at_the_connection_cap_free_it_at_the_body_timeout() {
    let running = support::serve(
        factory()
            .max_connections(3)
            .body_timeouts(Duration::from_millis(500), Duration::from_millis(500)),
    )
    .await;
    let head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n";
    let slow: Vec<_> = (0..3)
        .map(|_| {
            tokio::spawn(slow_body(
                running.addr,
                head,
                b"a",
                Duration::from_millis(1),
            ))
        })
        .collect();
    support::eventually("the slow clients hold every connection", || {
        running.handle.open_connections() == 3
    })
    .await;
    let refused = exchange(running.addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(status_of(&refused), Some(503), "{refused:?}");
    for client in slow {
        let answer = client.await.expect("the client task did not panic");
        assert_eq!(status_of(&answer), Some(408), "{answer:?}");
    }
    // Their connections are closed: new clients are served again.
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn a_body_no_route_reads_does_not_hold_the_connection() {
    let running = support::serve(factory()).await;
    let head = "POST /nobody HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n";
    let answer = slow_body(running.addr, head, b"a", Duration::from_millis(1)).await;
    assert_eq!(status_of(&answer), Some(200), "{answer:?}");
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn a_missing_repeated_or_invalid_host_is_a_400_with_nests_body() {
    let running = support::serve(factory()).await;
    let cases: [(&str, &[u8]); 4] = [
        ("no Host", b"GET /ok HTTP/1.1\r\n\r\n"),
        (
            "two Hosts",
            b"GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ),
        ("an empty Host", b"GET /ok HTTP/1.1\r\nHost:\r\n\r\n"),
        (
            "an invalid Host",
            b"GET /ok HTTP/1.1\r\nHost: a b:x\r\n\r\n",
        ),
    ];
    for (what, bytes) in cases {
        // Refused before routing, and the connection closed.
        let answer = refused_and_closed(running.addr, bytes).await;
        assert_eq!(status_of(&answer), Some(400), "{what}: {answer:?}");
        assert!(answer.contains(r#""statusCode":400"#), "{what}: {answer:?}");
        assert!(answer.contains("Host"), "{what}: {answer:?}");
    }
    // HTTP/1.0 needs no Host.
    let answer = exchange(running.addr, b"GET /ok HTTP/1.0\r\n\r\n").await;
    assert_eq!(status_of(&answer), Some(200), "{answer:?}");
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn a_transfer_coding_other_than_chunked_is_501_and_chunked_twice_400() {
    let running = support::serve(factory()).await;
    let gzip = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
                 5\r\nhello\r\n0\r\n\r\n";
    // Each refused before routing, and the connection closed.
    let answer = refused_and_closed(running.addr, gzip).await;
    assert_eq!(status_of(&answer), Some(501), "{answer:?}");
    assert!(
        answer.contains("\\\"gzip\\\" is not implemented"),
        "{answer:?}"
    );
    let twice = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n\
                  5\r\nhello\r\n0\r\n\r\n";
    let answer = refused_and_closed(running.addr, twice).await;
    assert_eq!(status_of(&answer), Some(400), "{answer:?}");
    still_serving_and_clean(&running).await;
}

#[tokio::test]
async fn the_head_limit_is_the_same_in_one_write_or_in_pieces() {
    // The default buffer: 64 KiB.
    let running = support::serve(factory()).await;
    let head = |size: usize, close: bool| {
        let connection = if close { "close" } else { "keep-alive" };
        let start = format!("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\nX-Big: ");
        let filler = size - start.len() - 4;
        format!("{start}{}\r\n\r\n", "a".repeat(filler))
    };
    for (size, expected) in [(100_000, 431), (64 * 1024 + 1, 431), (60 * 1024, 200)] {
        // In one write, after a first large request on the same connection has grown hyper's
        // read buffer: a read may then take the whole head at once.
        let mut conn = Conn::open(running.addr).await;
        conn.stream_bytes(head(60 * 1024, false).as_bytes()).await;
        let first = conn.head().await;
        assert_eq!(first.status, 200);
        assert_eq!(conn.sized_body(&first).await, "ok");
        let mut stream = conn.stream;
        let _ = stream.write_all(head(size, true).as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(support::PATIENCE, stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(
            status_of(&answer),
            Some(expected),
            "{size} bytes in one write"
        );

        // In 1 KiB pieces, each flushed.
        let mut stream = TcpStream::connect(running.addr).await.expect("connects");
        for piece in head(size, true).as_bytes().chunks(1024) {
            if stream.write_all(piece).await.is_err() {
                break;
            }
            stream.flush().await.expect("flushed");
        }
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(support::PATIENCE, stream.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(
            status_of(&answer),
            Some(expected),
            "{size} bytes in 1 KiB pieces"
        );
    }
    still_serving_and_clean(&running).await;
}

// A current-thread runtime: the server's tasks run on this thread, under the subscriber set here.
#[tokio::test]
async fn a_thousand_refusals_are_logged_once_a_second_with_a_count() {
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    let running = support::serve(factory().max_connections(1)).await;
    let held = Conn::open(running.addr).await;
    support::eventually("the one connection is open", || {
        running.handle.open_connections() == 1
    })
    .await;
    for _ in 0..1_000 {
        let answer = exchange(running.addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(status_of(&answer), Some(503), "{answer:?}");
    }
    let lines = captured.lines(&["connection limit"]);
    // Unthrottled, there would be a line per refusal; a line covers each second's refusals.
    assert!(!lines.is_empty(), "no refusal was logged");
    assert!(
        lines.len() <= 30,
        "{} lines for 1,000 refusals",
        lines.len()
    );
    assert!(lines[0].contains("refused 1 connection(s)"), "{}", lines[0]);
    let counted: usize = lines
        .iter()
        .filter_map(|line| line.split("count=").nth(1))
        .filter_map(|count| count.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    // Each line counts the refusals since the one before; those after the last line are
    // counted by the next.
    assert!((1..=1_000).contains(&counted), "{counted}");
    drop(held);
    still_serving_and_clean(&running).await;
}

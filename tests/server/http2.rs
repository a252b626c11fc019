//! HTTP/2 (h2c, prior knowledge) on the same port as HTTP/1.1, with every guarantee the server
//! gives over HTTP/1.1: the wire byte for byte, heartbeats, a reset stream dropped at once,
//! bounded buffering for a stalled reader, graceful shutdown with GOAWAY, and the counts.

use crate::support;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::{Limits, MessageEvent, NestFactory, controller, get, post, sse};
use support::h2c::{self, next_data, read_until};
use support::vectors::{VectorsController, vectors};

/// Items pulled from `/h2/flood`, and `/h2/watched` streams dropped.
static PULLED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

const EVENT_DATA_LEN: usize = 1024;

/// An endless, always-ready stream that counts what is pulled from it.
struct Flood;

impl Stream for Flood {
    type Item = MessageEvent;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<MessageEvent>> {
        PULLED.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Some(MessageEvent::new("x".repeat(EVENT_DATA_LEN))))
    }
}

/// Counts its drop: the user's stream going away.
struct DropGuard;

impl Drop for DropGuard {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
pub struct Http2Controller;

#[controller("h2")]
impl Http2Controller {
    #[get("plain")]
    fn plain(&self) -> &'static str {
        "plain over h2"
    }

    #[post("echo")]
    fn echo(&self, #[body] body: String) -> String {
        body
    }

    #[sse("flood")]
    fn flood(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        Flood
    }

    #[sse("watched", keep_alive = false)]
    fn watched(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        let guard = DropGuard;
        stream::iter([MessageEvent::new("first")])
            .chain(stream::pending())
            .map(move |event| {
                let _ = &guard;
                event
            })
    }

    #[sse("beating", keep_alive = "50ms")]
    fn beating(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[sse("announced", keep_alive = false, shutdown_event = "server restarting")]
    fn announced(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }
}

/// This file's controllers alone: the binary links other files' controllers too.
fn factory() -> nestish_core::AppBuilder {
    NestFactory::create().controllers::<(Http2Controller, VectorsController)>()
}

#[tokio::test]
async fn plain_and_sse_routes_answer_over_h2c_on_the_http1_port() {
    let running = support::serve(factory()).await;
    let mut client = h2c::connect(running.addr).await;
    let (head, mut body) = client.get("/h2/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.version, http::Version::HTTP_2);
    assert_eq!(read_until(&mut body, "h2").await, "plain over h2");
    assert_eq!(next_data(&mut body).await, None);

    let (head, _body) = client.get("/h2/watched").await;
    assert_eq!(head.headers["content-type"], "text/event-stream");
    // HTTP/2 forbids connection-specific headers (RFC 9113 §8.2.2).
    assert!(!head.headers.contains_key("connection"));

    // The same port still speaks HTTP/1.1.
    let (http1, text) = support::get(running.addr, "/h2/plain").await;
    assert_eq!(http1.status, 200);
    assert_eq!(text, "plain over h2");
}

#[tokio::test]
async fn every_golden_vector_arrives_byte_for_byte_in_data_frames() {
    let running = support::serve(factory()).await;
    let mut client = h2c::connect(running.addr).await;
    let (head, mut body) = client.get("/vectors").await;
    assert_eq!(head.status, 200);
    let mut expected = String::from("\n");
    for vector in vectors() {
        expected.push_str(vector.wire);
    }
    let received = read_until(&mut body, vectors().last().expect("vectors").wire).await;
    assert_eq!(received, expected);
}

#[tokio::test]
async fn heartbeats_keep_a_silent_stream_alive() {
    let running = support::serve(factory()).await;
    let mut client = h2c::connect(running.addr).await;
    let (_, mut body) = client.get("/h2/beating").await;
    // Over HTTP/2 the opening line break leads the first frame of data: here a heartbeat.
    assert_eq!(next_data(&mut body).await.as_deref(), Some(&b"\n:\n\n"[..]));
    for _ in 0..2 {
        assert_eq!(next_data(&mut body).await.as_deref(), Some(&b":\n\n"[..]));
    }
}

#[tokio::test]
async fn a_reset_stream_drops_the_users_stream_and_keeps_the_connection() {
    let running = support::serve(factory()).await;
    let dropped_before = DROPPED.load(Ordering::SeqCst);
    let mut client = h2c::connect(running.addr).await;
    let (_, mut body) = client.get("/h2/watched").await;
    assert_eq!(
        read_until(&mut body, "data: first\n\n").await,
        "\ndata: first\n\n"
    );
    assert_eq!(running.handle.open_streams(), 1);

    // Dropping the receiving half sends RST_STREAM(CANCEL).
    drop(body);
    support::eventually("the reset stream is dropped", || {
        DROPPED.load(Ordering::SeqCst) > dropped_before
    })
    .await;
    support::eventually("the stream is no longer counted", || {
        running.handle.open_streams() == 0
    })
    .await;
    // The connection lives on and serves the next stream.
    assert_eq!(running.handle.open_connections(), 1);
    let (head, mut body) = client.get("/h2/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "h2").await, "plain over h2");
}

#[tokio::test]
async fn a_stalled_stream_is_pulled_only_to_its_bound_and_others_go_on() {
    const BUFFER: usize = 64 * 1024;
    const WINDOW: u32 = 16 * 1024;
    let running = support::serve(
        factory()
            .buffer_size(BUFFER)
            .stall_timeout(Duration::from_secs(60)),
    )
    .await;
    let mut builder = h2::client::Builder::new();
    builder.initial_window_size(WINDOW);
    let mut client = h2c::connect_with(running.addr, &builder).await;
    let before = PULLED.load(Ordering::SeqCst);
    // Read no DATA of this stream: its window is never given back.
    let (head, stalled) = client.get("/h2/flood").await;
    assert_eq!(head.status, 200);

    let last = support::settled("the stalled stream stops being pulled", || {
        PULLED.load(Ordering::SeqCst)
    })
    .await;
    let pulled = last - before;
    let event_len = "data: \n\n".len() + EVENT_DATA_LEN;
    // The client's window, the stream's send buffer (buffer_size), and one batch being written
    // (up to 16 KiB and the event that crossed it), twice for the frame hyper holds.
    let bound = WINDOW as usize + BUFFER + 2 * (16 * 1024 + event_len);
    eprintln!(
        "a stalled HTTP/2 stream made the server pull {pulled} events ({} bytes; bound {bound})",
        pulled * event_len
    );
    assert!(pulled > 0, "the stream was never pulled");
    assert!(
        pulled * event_len <= bound,
        "pulled {} bytes for a stream that reads nothing; bound {bound}",
        pulled * event_len
    );
    // Flow control is per stream: the connection serves another one meanwhile.
    let (head, mut body) = client.get("/h2/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "h2").await, "plain over h2");
    drop(stalled);
}

#[tokio::test]
async fn shutdown_sends_goaway_ends_every_stream_cleanly_and_serve_returns() {
    let running = support::serve(factory()).await;
    let mut client = h2c::connect(running.addr).await;
    let mut bodies = Vec::new();
    for _ in 0..3 {
        // The response head is the stream opened: over HTTP/2 nothing of the body goes out
        // before its first event (here the shutdown's).
        let (_, body) = client.get("/h2/announced").await;
        bodies.push(body);
    }
    // Three streams, one connection: both counts are right over HTTP/2.
    assert_eq!(running.handle.open_streams(), 3);
    assert_eq!(running.handle.open_connections(), 1);

    running.handle.shutdown();
    for mut body in bodies {
        support::assert_drained(
            &read_until(&mut body, "\n\n").await,
            "\nevent: shutdown\ndata: server restarting\n\n",
        );
        // END_STREAM, not a reset: the stream ended cleanly.
        assert_eq!(next_data(&mut body).await, None);
    }
    // GOAWAY(NO_ERROR), then the close: the client's connection ends without an error.
    let closed = tokio::time::timeout(support::PATIENCE, client.conn)
        .await
        .expect("the server closes the connection")
        .expect("the client task did not panic");
    assert!(closed.is_ok(), "{closed:?}");
    running.served_cleanly().await;
}

#[tokio::test]
async fn the_concurrent_stream_limit_is_advertised_and_kept() {
    let running = support::serve(factory().http2_max_concurrent_streams(2)).await;
    let mut client = h2c::connect(running.addr).await;
    let (_, first) = client.get("/h2/watched").await;
    let (_, second) = client.get("/h2/watched").await;
    // The server's SETTINGS arrived with the first response: the client now knows the limit.
    assert_eq!(client.send.current_max_send_streams(), 2);
    assert_eq!(running.handle.open_streams(), 2);
    // A third waits for a free slot: it is sent once one stream ends.
    let third = tokio::spawn(async move { client.get("/h2/plain").await.0.status });
    drop(first);
    let status = tokio::time::timeout(support::PATIENCE, third)
        .await
        .expect("the third stream gets its turn")
        .expect("the client task did not panic");
    assert_eq!(status, 200);
    drop(second);

    // A client that does not wait: its third stream is refused, and the connection goes on.
    let (mut raw, settings) = h2c::Raw::connect(running.addr).await;
    // SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    assert_eq!(settings.setting(0x3), Some(2), "{settings:?}");
    raw.send(
        &[
            h2c::get_request(1, "/h2/watched"),
            h2c::get_request(3, "/h2/watched"),
        ]
        .concat(),
    )
    .await;
    raw.until(h2c::kind::HEADERS, 1).await;
    raw.until(h2c::kind::HEADERS, 3).await;
    raw.send(&h2c::get_request(5, "/h2/plain")).await;
    let refused = raw.until(h2c::kind::RST_STREAM, 5).await;
    assert_eq!(
        refused.error_code(),
        h2c::code::REFUSED_STREAM,
        "{refused:?}"
    );
    raw.send(&h2c::frame(h2c::kind::PING, 0, 0, b"stillup!"))
        .await;
    let pong = raw.until(h2c::kind::PING, 0).await;
    assert_eq!((pong.flags, &pong.payload[..]), (0x1, &b"stillup!"[..]));
}

#[tokio::test]
async fn a_client_refused_past_the_local_error_reset_limit_gets_goaway() {
    let running = support::serve(factory().http2_max_concurrent_streams(1)).await;
    let (mut raw, _) = h2c::Raw::connect(running.addr).await;
    raw.send(&h2c::get_request(1, "/h2/watched")).await;
    raw.until(h2c::kind::HEADERS, 1).await;
    // Each stream past the limit is one the server must reset (REFUSED_STREAM) for the client's
    // error; past its bound of those, the server closes the connection.
    let limit = Limits::HTTP2_MAX_LOCAL_ERROR_RESETS;
    let past: Vec<u8> = (1..=limit as u32 + 100)
        .flat_map(|i| h2c::get_request(2 * i + 1, "/h2/plain"))
        .collect();
    let _ = tokio::io::AsyncWriteExt::write_all(raw.stream(), &past).await;
    let mut refused = 0;
    let goaway = loop {
        let frame = raw
            .next_frame()
            .await
            .unwrap_or_else(|| panic!("closed without GOAWAY after {refused} refusals"));
        match frame.kind {
            h2c::kind::RST_STREAM => {
                assert_eq!(frame.error_code(), h2c::code::REFUSED_STREAM, "{frame:?}");
                refused += 1;
            }
            h2c::kind::GOAWAY => break frame,
            _ => {}
        }
    };
    assert_eq!(refused, limit);
    closed_calmly(raw, &goaway, &running).await;
}

/// Checks that `goaway` says `ENHANCE_YOUR_CALM`, then that the server closes `raw`'s
/// connection and no longer counts it.
async fn closed_calmly(mut raw: h2c::Raw, goaway: &h2c::Frame, running: &support::Running) {
    assert_eq!(
        goaway.error_code(),
        h2c::code::ENHANCE_YOUR_CALM,
        "{goaway:?}"
    );
    while raw.next_frame().await.is_some() {}
    support::eventually("the connection is closed", || {
        running.handle.open_connections() == 0
    })
    .await;
}

#[tokio::test]
async fn streams_reset_as_fast_as_they_open_get_goaway() {
    let running = support::serve(factory()).await;
    let (mut raw, _) = h2c::Raw::connect(running.addr).await;
    // "Rapid reset": each stream opened and cancelled at once, a thousand in one write, so the
    // server reads them before it has answered any.
    let flood: Vec<u8> = (0..1_000u32)
        .flat_map(|i| {
            let id = 2 * i + 1;
            [
                h2c::get_request(id, "/h2/watched"),
                h2c::rst_stream(id, h2c::code::CANCEL),
            ]
            .concat()
        })
        .collect();
    // The server may close before it has read all of it.
    let _ = tokio::io::AsyncWriteExt::write_all(raw.stream(), &flood).await;
    let goaway = raw.until(h2c::kind::GOAWAY, 0).await;
    closed_calmly(raw, &goaway, &running).await;
    support::eventually("no stream is left open", || {
        running.handle.open_streams() == 0
    })
    .await;
    let mut client = h2c::connect(running.addr).await;
    let (head, mut body) = client.get("/h2/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "h2").await, "plain over h2");
}

#[tokio::test]
async fn a_header_list_over_the_buffer_is_refused_and_the_connection_goes_on() {
    let running = support::serve(factory().buffer_size(16 * 1024)).await;
    let mut client = h2c::connect(running.addr).await;
    let huge = "x".repeat(20 * 1024);
    let request = http::Request::get("http://localhost/h2/plain")
        .header("x-huge", huge.as_str())
        .body(())
        .expect("a valid request");
    let mut send = client.send.clone().ready().await.expect("ready");
    let (response, _) = send.send_request(request, true).expect("sent");
    let answer = tokio::time::timeout(support::PATIENCE, response)
        .await
        .expect("an answer in time")
        .expect("an answer, not a reset");
    // As over HTTP/1.1: 431.
    assert_eq!(answer.status(), 431);
    let (head, mut body) = client.get("/h2/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "h2").await, "plain over h2");
}

#[tokio::test]
async fn a_stopped_request_body_is_answered_408_as_over_http1() {
    let running = support::serve(
        factory().body_timeouts(Duration::from_millis(500), Duration::from_millis(200)),
    )
    .await;
    let mut client = h2c::connect(running.addr).await;
    let request = http::Request::post("http://localhost/h2/echo")
        .header("content-length", "200")
        .body(())
        .expect("a valid request");
    let mut send = client.send.clone().ready().await.expect("ready");
    let (response, mut body) = send.send_request(request, false).expect("sent");
    // One byte of the 200 announced, then nothing.
    body.send_data(bytes::Bytes::from_static(b"a"), false)
        .expect("a DATA frame");
    let response = tokio::time::timeout(support::PATIENCE, response)
        .await
        .expect("an answer in time")
        .expect("an answer, not a reset");
    assert_eq!(response.status(), 408);
    // The connection serves the next request.
    let (head, mut body) = client.get("/h2/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "h2").await, "plain over h2");
}

//! The bounds an HTTP/2 connection keeps beyond hyper's own, h2c and over TLS: closed after
//! the idle timeout when no stream is open (a client that sent only its preface, or only its
//! TLS handshake, included), PINGed while its streams are quiet and closed when it does not
//! answer, and sent GOAWAY (`ENHANCE_YOUR_CALM`) when it floods frames that do no work. Each
//! test sets short limits and waits for the close the limit makes, never for a time.

use crate::support;

use std::time::Duration;

use futures::{Stream, stream};
use nestish_core::{MessageEvent, NestFactory, controller, get, sse};
use support::h2c::code::ENHANCE_YOUR_CALM;
use support::h2c::kind::{GOAWAY, PING, PRIORITY, WINDOW_UPDATE};
use support::h2c::{self, frame, next_data, read_until};
use support::tls::{Certificate, H2_FIRST};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A limit short enough that a test waits little for it.
const SHORT: Duration = Duration::from_millis(200);

#[derive(Default)]
pub struct LimitsController;

#[controller("limits")]
impl LimitsController {
    #[get("plain")]
    fn plain(&self) -> &'static str {
        "plain"
    }

    #[sse("quiet", keep_alive = false)]
    fn quiet(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[sse("ticks", keep_alive = false)]
    fn ticks(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::repeat_with(|| MessageEvent::new("x".repeat(1000)))
    }
}

/// Idle and keep-alive limits `SHORT`, the rest as given.
fn short_idle() -> nestish_core::AppBuilder {
    factory()
        .http2_idle_timeout(SHORT)
        .http2_keep_alive(None, SHORT)
}

/// Waits until the server counts no open connection.
async fn released(running: &support::Running) {
    support::eventually("the connection is released", || {
        running.handle.open_connections() == 0
    })
    .await;
}

/// This file's controllers alone: the binary links other files' controllers too.
fn factory() -> nestish_core::AppBuilder {
    NestFactory::create().controllers::<(LimitsController,)>()
}

#[tokio::test]
async fn an_h2c_client_that_sends_only_its_preface_is_sent_goaway_and_closed() {
    let running = support::serve(short_idle()).await;
    let mut tcp = TcpStream::connect(running.addr).await.unwrap();
    tcp.write_all(h2c::PREFACE).await.unwrap();
    let frames = h2c::until_closed(&mut tcp).await;
    assert!(
        frames
            .iter()
            .any(|f| f.kind == GOAWAY && f.error_code() == 0),
        "a graceful GOAWAY before the close: {frames:?}"
    );
    released(&running).await;
}

#[tokio::test]
async fn a_tls_client_that_only_shakes_hands_for_h2_is_closed() {
    let cert = Certificate::generate();
    let running = support::tls::serve(short_idle(), &cert).await;
    let mut tls = cert.connect(running.addr, H2_FIRST).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    // The server's SETTINGS, then the end: nothing else is asked of a client that never sent
    // its preface.
    let mut rest = Vec::new();
    // Its end, with or without close_notify: either way the connection is closed.
    let _ = tokio::time::timeout(support::PATIENCE, tls.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection");
    released(&running).await;
}

#[tokio::test]
async fn a_connection_is_closed_once_its_last_stream_has_ended_and_kept_while_one_is_open() {
    let running = support::serve(short_idle()).await;
    // A connection with a stream open from before the idle client below connected.
    let mut busy = h2c::connect(running.addr).await;
    let (_, quiet) = busy.get("/limits/quiet").await;

    let mut idle = h2c::connect(running.addr).await;
    let (head, mut body) = idle.get("/limits/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "plain").await, "plain");
    drop(body);
    // GOAWAY, then the close once the h2 client has answered its PING: a clean end.
    tokio::time::timeout(support::PATIENCE, idle.conn)
        .await
        .expect("the idle connection is closed")
        .expect("its task did not panic")
        .expect("closed gracefully, by GOAWAY");

    // The idle timeout has run out since `busy` opened its stream, yet `busy` still serves.
    assert!(!busy.conn.is_finished());
    let (head, mut body) = busy.get("/limits/plain").await;
    assert_eq!(head.status, 200);
    assert_eq!(read_until(&mut body, "plain").await, "plain");
    drop((quiet, body));
    tokio::time::timeout(support::PATIENCE, busy.conn)
        .await
        .expect("closed once its streams have ended")
        .expect("its task did not panic")
        .expect("closed gracefully, by GOAWAY");
}

#[tokio::test]
async fn a_client_that_does_not_answer_pings_is_closed_though_its_stream_is_open() {
    let running = support::serve(
        factory()
            .http2_idle_timeout(Duration::from_secs(600))
            .http2_keep_alive(Some(SHORT), SHORT),
    )
    .await;
    let mut tcp = TcpStream::connect(running.addr).await.unwrap();
    let mut hello = h2c::opening();
    hello.extend(h2c::get_request(1, "/limits/quiet"));
    tcp.write_all(&hello).await.unwrap();
    // The client reads what comes, and answers nothing: not even the PINGs.
    let frames = h2c::until_closed(&mut tcp).await;
    assert!(
        frames.iter().any(|f| f.kind == PING && f.flags == 0),
        "the server PINGed the quiet client: {frames:?}"
    );
    support::eventually("its stream and connection are released", || {
        running.handle.open_streams() == 0 && running.handle.open_connections() == 0
    })
    .await;
}

/// Frames that do no work: PRIORITY on streams never opened, WINDOW_UPDATE on a closed stream,
/// frames of a type HTTP/2 does not define.
fn noop_frames(count: usize) -> Vec<u8> {
    let mut flood = Vec::new();
    for i in 0..count {
        let stream = 3 + 2 * u32::try_from(i).unwrap();
        flood.extend(match i % 3 {
            0 => frame(PRIORITY, 0, stream, &[0, 0, 0, 0, 16]),
            1 => frame(WINDOW_UPDATE, 0, 1, &1u32.to_be_bytes()),
            _ => frame(0xfa, 0, 0, &[]),
        });
    }
    flood
}

#[tokio::test]
async fn a_flood_of_frames_that_do_no_work_is_answered_with_goaway() {
    const BUDGET: u32 = 100;
    let running = support::serve(factory().http2_noop_frame_budget(BUDGET)).await;
    let mut tcp = TcpStream::connect(running.addr).await.unwrap();
    let mut hello = h2c::opening();
    hello.extend(h2c::get_request(1, "/limits/plain"));
    tcp.write_all(&hello).await.unwrap();
    // The request's answer first, so that stream 1 is closed.
    let mut seen = Vec::new();
    while !seen.ends_with(b"plain") {
        let mut byte = [0; 1];
        tcp.read_exact(&mut byte).await.expect("the answer to GET");
        seen.push(byte[0]);
    }
    tcp.write_all(&noop_frames(2 * BUDGET as usize))
        .await
        .unwrap();
    let frames = h2c::until_closed(&mut tcp).await;
    let goaway = frames
        .iter()
        .find(|f| f.kind == GOAWAY)
        .unwrap_or_else(|| panic!("a GOAWAY: {frames:?}"));
    assert_eq!(goaway.error_code(), ENHANCE_YOUR_CALM);
    assert_eq!(
        &goaway.payload[..4],
        &1u32.to_be_bytes(),
        "the last stream is 1"
    );
    released(&running).await;
}

#[tokio::test]
async fn a_client_that_reads_and_asks_a_lot_never_runs_out_of_its_frame_budget() {
    // The smallest budget there is; the h2 client, as a browser, sends SETTINGS,
    // WINDOW_UPDATEs and PING answers as the server's frames call for them.
    let running = support::serve(factory().http2_noop_frame_budget(100)).await;
    let mut builder = h2::client::Builder::new();
    // A small window: a WINDOW_UPDATE for every few frames the client reads.
    builder.initial_window_size(4096);
    let mut client = h2c::connect_with(running.addr, &builder).await;
    for _ in 0..300 {
        let (head, mut body) = client.get("/limits/plain").await;
        assert_eq!(head.status, 200);
        assert_eq!(read_until(&mut body, "plain").await, "plain");
    }
    let (_, mut ticks) = client.get("/limits/ticks").await;
    let mut read = 0;
    while read < 4 << 20 {
        read += next_data(&mut ticks)
            .await
            .expect("the stream goes on")
            .len();
    }
    assert!(!client.conn.is_finished(), "the connection is still open");
}

#[test]
fn http2_limits_that_cannot_work_are_refused_at_start_up_by_name() {
    let refusal = |builder: nestish_core::AppBuilder| {
        builder
            .build()
            .expect_err("the limit is refused")
            .to_string()
    };
    assert_eq!(
        refusal(factory().http2_idle_timeout(Duration::ZERO)),
        "invalid configuration: http2_idle_timeout must be longer than zero"
    );
    assert!(
        refusal(factory().http2_keep_alive(Some(Duration::ZERO), SHORT))
            .contains("http2_keep_alive_interval and http2_keep_alive_timeout")
    );
    assert_eq!(
        refusal(factory().http2_connection_buffer(1024)),
        "invalid configuration: http2_connection_buffer must be at least 16 KiB (16384 bytes)"
    );
    assert_eq!(
        refusal(factory().http2_noop_frame_budget(10)),
        "invalid configuration: http2_noop_frame_budget must be at least 100"
    );
}

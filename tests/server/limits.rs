//! Every default of the guide's limits table (`guide/14-limits-and-reliability.md`),
//! read from the chapter itself and checked against `Limits::default()` (so a changed default
//! and a stale row cannot both pass), and, where the wire shows it, on the wire of an app built
//! with no setter: the body limit (413 one byte past 1 MiB), the header count (431 at the
//! 101st), HTTP/2's stream limit in the server's SETTINGS, `SO_SNDBUF` on an accepted socket,
//! the listen backlog the kernel keeps, and each timeout acting at its default under a paused
//! clock (tokio's: time moves only when every task waits, so 30 s take no real time).

use crate::support;

use std::time::Duration;

use futures::Stream;
use nestish_core::run::RunsConfig;
use nestish_core::{
    AppBuilder, Bytes, Limits, MessageEvent, NestFactory, controller, get, post, sse,
};
use support::{Conn, h2c};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

#[derive(Default)]
pub struct LimitsController;

#[controller("limits")]
impl LimitsController {
    #[get("ok")]
    fn ok(&self) -> &'static str {
        "ok"
    }

    /// The length of the body it read.
    #[post("body")]
    fn body(&self, #[body] body: Bytes) -> String {
        body.len().to_string()
    }

    /// Never answers.
    #[get("hang")]
    async fn hang(&self) -> &'static str {
        std::future::pending().await
    }

    /// 1 KiB events, as fast as the socket takes them.
    #[sse("flood", keep_alive = false)]
    fn flood(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        futures::stream::repeat_with(|| MessageEvent::new("x".repeat(1024)))
    }
}

/// The rows of the guide's limits table: `(limit, default, setter)` cells.
fn readme_rows() -> Vec<[String; 3]> {
    let chapter = include_str!("../../guide/14-limits-and-reliability.md");
    let section = chapter
        .split("# Reliability, and every limit with its default")
        .nth(1)
        .expect("the guide's limits chapter");
    section
        .lines()
        .skip_while(|line| !line.starts_with("| limit |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|row| {
            let cells: Vec<String> = row
                .split(" | ")
                .map(std::borrow::ToOwned::to_owned)
                .collect();
            assert!(cells.len() >= 3, "a row of the limits table: {row}");
            [
                cells[0].trim_start_matches("| ").to_owned(),
                cells[1].clone(),
                cells[2].clone(),
            ]
        })
        .collect()
}

/// A figure of the guide's table: a size in bytes, a duration, or a plain count.
#[derive(Debug, PartialEq)]
enum Figure {
    Bytes(usize),
    Time(Duration),
    Count(usize),
}

/// Every figure a default cell states, in order: `64 KiB (at least 8 KiB)` is two, `none` none.
fn figures(cell: &str) -> Vec<Figure> {
    let words: Vec<&str> = cell
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|word| !word.is_empty())
        .collect();
    let mut figures = Vec::new();
    for (at, word) in words.iter().enumerate() {
        let Ok(n) = word.replace(',', "").parse::<usize>() else {
            continue;
        };
        let unit = words
            .get(at + 1)
            .map(|unit| unit.trim_end_matches([',', ')']));
        figures.push(match unit {
            Some("MiB") => Figure::Bytes(n << 20),
            Some("KiB") => Figure::Bytes(n << 10),
            Some("s") => Figure::Time(Duration::from_secs(n as u64)),
            Some("ms") => Figure::Time(Duration::from_millis(n as u64)),
            _ => Figure::Count(n),
        });
    }
    figures
}

/// This file's controllers alone: the binary links other files' controllers too.
fn factory() -> nestish_core::AppBuilder {
    NestFactory::create().controllers::<(LimitsController,)>()
}

#[test]
fn the_readme_states_every_default_that_limits_default_has() {
    use Figure::{Bytes, Count, Time};
    let limits = Limits::default();
    let rows = readme_rows();
    assert!(rows.len() >= 17, "the limits table was not read: {rows:?}");
    for [limit, default, setter] in &rows {
        let stated = figures(default);
        // Each row is found by its setter; a row with a setter this test does not know fails,
        // so a new limit gets its check here.
        let expected = if setter.contains(".body_limit(") {
            vec![Bytes(limits.body_limit)]
        } else if setter.contains(".body_timeouts(") {
            vec![
                Time(limits.body_read_timeout),
                Time(limits.body_idle_timeout),
            ]
        } else if setter.contains(".buffer_size(") && limit.starts_with("connection buffer") {
            // The floor: `a_setting_that_cannot_work_fails_build_naming_it` below.
            vec![Bytes(limits.buffer_size), Bytes(8 * 1024)]
        } else if setter.contains(".buffer_size(") {
            // HTTP/2's per-stream queue and header list are the connection buffer.
            vec![Bytes(limits.buffer_size)]
        } else if setter.contains(".max_headers(") {
            vec![Count(limits.max_headers)]
        } else if setter.contains(".header_read_timeout(") {
            vec![Time(limits.header_read_timeout)]
        } else if setter.contains(".tls_handshake_timeout(") {
            vec![Time(limits.tls_handshake_timeout)]
        } else if setter.contains(".stall_timeout(") {
            vec![Time(limits.stall_timeout)]
        } else if setter.contains(".max_connections(") {
            vec![Count(limits.max_connections)]
        } else if setter.contains(".send_buffer(") {
            vec![Bytes(limits.send_buffer.expect("a send buffer by default"))]
        } else if setter.contains(".backlog(") {
            vec![Count(limits.backlog as usize)]
        } else if setter.contains(".sse_max_lifetime(") {
            assert_eq!(default, "none", "{limit}");
            assert_eq!(limits.sse_max_lifetime, None);
            vec![]
        } else if setter.contains(".credential_grace(") {
            vec![Time(limits.credential_grace)]
        } else if setter.contains(".max_streams_per_principal(") {
            assert_eq!(default, "none", "{limit}");
            assert_eq!(limits.max_streams_per_principal, None);
            vec![]
        } else if setter.contains(".max_streams_per_address(") {
            assert_eq!(default, "none", "{limit}");
            assert_eq!(limits.max_streams_per_address, None);
            vec![]
        } else if setter.contains(".new_streams_per_address(") {
            assert_eq!(default, "none", "{limit}");
            assert_eq!(limits.new_streams_per_address, None);
            vec![]
        } else if setter.contains(".sse_keep_alive(") {
            vec![Time(AppBuilder::DEFAULT_SSE_KEEP_ALIVE)]
        } else if setter.contains(".shutdown_timeout(") {
            vec![Time(limits.shutdown_timeout)]
        } else if setter.contains(".handle_signals(") {
            // On unless turned off: `tests/signals.rs` sends a real SIGTERM to a default app.
            assert_eq!(default, "on", "{limit}");
            vec![]
        } else if setter.contains(".http2_max_concurrent_streams(") {
            vec![Count(limits.http2_max_concurrent_streams as usize)]
        } else if setter.contains("HTTP2_MAX_PENDING_RESET_STREAMS") {
            vec![
                Count(Limits::HTTP2_MAX_PENDING_RESET_STREAMS),
                Count(Limits::HTTP2_MAX_LOCAL_ERROR_RESETS),
            ]
        } else if setter.contains(".drain_window(") {
            vec![Time(limits.drain_window)]
        } else if setter.contains(".http2_connection_buffer(") {
            // The floor: `tests/server/http2_limits.rs` has start-up refuse a smaller one.
            vec![Bytes(limits.http2_connection_buffer), Bytes(16 * 1024)]
        } else if setter.contains(".http2_idle_timeout(") {
            vec![Time(limits.http2_idle_timeout)]
        } else if setter.contains(".http2_keep_alive(") {
            vec![
                Time(
                    limits
                        .http2_keep_alive_interval
                        .expect("PINGs on by default"),
                ),
                Time(limits.http2_keep_alive_timeout),
            ]
        } else if setter.contains(".http2_noop_frame_budget(") {
            vec![Count(limits.http2_noop_frame_budget as usize), Count(100)]
        } else if setter.contains("RunsConfig") && setter.contains(".max_events(") {
            vec![Count(RunsConfig::default().max_events)]
        } else if setter.contains("RunsConfig") && setter.contains(".max_bytes(") {
            vec![Bytes(RunsConfig::default().max_bytes)]
        } else if setter.contains("RunsConfig") && setter.contains(".retention(") {
            vec![Time(RunsConfig::default().retention)]
        } else if setter.contains("RunsConfig") && setter.contains(".max_running(") {
            vec![Count(RunsConfig::default().max_running)]
        } else {
            panic!("a limit this test does not check: {limit} ({setter})");
        };
        assert_eq!(stated, expected, "the guide's default for {limit:?}");
    }
}

#[tokio::test]
async fn a_body_of_one_mib_is_read_and_one_byte_more_is_413() {
    let running = support::serve(factory()).await;
    for (len, status) in [(1 << 20, 200), ((1 << 20) + 1, 413)] {
        let mut conn = Conn::open(running.addr).await;
        conn.send_body("POST", "/limits/body", &[], &"a".repeat(len))
            .await;
        let head = conn.head().await;
        let body = conn.sized_body(&head).await;
        assert_eq!(head.status, status, "{len} bytes: {body}");
        if status == 200 {
            assert_eq!(body, len.to_string());
        } else {
            assert!(body.contains(r#""statusCode":413"#), "{body}");
        }
    }
}

#[tokio::test]
async fn a_hundred_header_fields_are_read_and_the_101st_is_431() {
    let running = support::serve(factory()).await;
    // `Host` is one of them.
    for (fields, status) in [(100, 200), (101, 431)] {
        let others: Vec<String> = (1..fields).map(|i| format!("X-H{i}: v")).collect();
        let others: Vec<&str> = others.iter().map(String::as_str).collect();
        let mut conn = Conn::open(running.addr).await;
        conn.send("GET", "/limits/ok", &others).await;
        assert_eq!(conn.head().await.status, status, "{fields} header fields");
    }
}

#[tokio::test]
async fn http2_advertises_200_concurrent_streams() {
    let running = support::serve(factory()).await;
    let (_raw, settings) = h2c::Raw::connect(running.addr).await;
    // SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    assert_eq!(settings.setting(0x3), Some(200), "{settings:?}");
}

#[tokio::test]
async fn an_accepted_connection_has_a_send_buffer_of_128_kib() {
    let running = support::serve(factory()).await;
    let client = tokio::net::TcpStream::connect(running.addr)
        .await
        .expect("connects");
    let server_end = support::kernel::server_end(&client).await;
    assert_eq!(
        support::kernel::send_buffer_of(server_end),
        support::kernel::reported_send_buffer(128 * 1024)
    );
}

#[test]
fn a_setting_that_cannot_work_fails_build_naming_it() {
    let zero = Duration::ZERO;
    let cases: [(AppBuilder, &str); 10] = [
        (
            factory().buffer_size(8 * 1024 - 1),
            "buffer_size must be at least 8 KiB",
        ),
        (
            factory().sse_keep_alive(Some(zero)),
            "sse_keep_alive must be longer than zero",
        ),
        (
            factory().stall_timeout(zero),
            "stall_timeout must be longer than zero",
        ),
        (
            factory().header_read_timeout(zero),
            "header_read_timeout must be longer than zero",
        ),
        (
            factory().tls_handshake_timeout(zero),
            "tls_handshake_timeout must be longer than zero",
        ),
        (
            factory().body_timeouts(zero, Duration::from_secs(1)),
            "body_read_timeout and body_idle_timeout",
        ),
        (
            factory().body_timeouts(Duration::from_secs(1), zero),
            "body_read_timeout and body_idle_timeout",
        ),
        (
            factory().max_connections(0),
            "max_connections must be at least 1",
        ),
        (
            factory().http2_max_concurrent_streams(0),
            "http2_max_concurrent_streams must be at least 1",
        ),
        (
            factory().sse_max_lifetime(Some(zero)),
            "sse_max_lifetime must be longer than zero",
        ),
    ];
    for (builder, names) in cases {
        let error = builder.build().expect_err(names);
        assert!(error.to_string().contains(names), "{names}: {error}");
    }
    // The floor itself is a buffer that works: an 8 KiB connection buffer serves.
    assert!(factory().buffer_size(8 * 1024).build().is_ok());
}

#[tokio::test]
async fn the_listener_has_a_backlog_of_1024() {
    let running = support::serve(factory()).await;
    assert_eq!(
        support::kernel::listen_backlog(running.addr),
        1_024.min(support::kernel::somaxconn())
    );
    // And the setter reaches the socket.
    let running = support::serve(factory().backlog(7)).await;
    assert_eq!(support::kernel::listen_backlog(running.addr), 7);
}

/// The (paused) time from `since` until the server closes `stream`, reading and dropping what
/// it sends meanwhile; fails after two minutes of it.
async fn closed_after(stream: &mut TcpStream, since: Instant) -> Duration {
    let mut sink = [0; 4096];
    let until_closed = async { while let Ok(1..) = stream.read(&mut sink).await {} };
    tokio::time::timeout(Duration::from_secs(120), until_closed)
        .await
        .expect("the server closes the connection");
    since.elapsed()
}

/// Asserts that `elapsed` is `limit`, to the paused clock's step: the timer fired at its time,
/// not before, and not at another limit's.
fn at(elapsed: Duration, limit: Duration, what: &str) {
    assert!(
        limit <= elapsed && elapsed < limit + Duration::from_secs(1),
        "{what}: after {elapsed:?}, not {limit:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_connection_is_closed_at_30_s() {
    let running = support::serve(factory()).await;
    let since = Instant::now();
    let mut silent = TcpStream::connect(running.addr).await.expect("connects");
    at(
        closed_after(&mut silent, since).await,
        Duration::from_secs(30),
        "header read timeout",
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_body_is_answered_408_at_10_s_and_a_trickle_at_30_s() {
    let running = support::serve(factory()).await;
    let head = "POST /limits/body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";

    let mut stopped = TcpStream::connect(running.addr).await.expect("connects");
    let since = Instant::now();
    stopped
        .write_all(format!("{head}a").as_bytes())
        .await
        .expect("sent");
    at(
        closed_after(&mut stopped, since).await,
        Duration::from_secs(10),
        "body idle timeout",
    );

    // A byte every 5 s never leaves the body idle for 10 s: the whole-body limit ends it.
    let trickle = TcpStream::connect(running.addr).await.expect("connects");
    let (mut read, mut write) = trickle.into_split();
    let since = Instant::now();
    write.write_all(head.as_bytes()).await.expect("sent");
    let trickling = tokio::spawn(async move {
        while write.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });
    let mut answer = String::new();
    let _ = read.read_to_string(&mut answer).await;
    at(
        since.elapsed(),
        Duration::from_secs(30),
        "body read timeout",
    );
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    trickling.abort();
}

#[tokio::test(start_paused = true)]
async fn a_client_that_takes_no_byte_is_cut_off_at_30_s() {
    let running = support::serve(factory().send_buffer(Some(8 * 1024))).await;
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stream = socket.connect(running.addr).await.expect("connects");
    let since = Instant::now();
    stream
        .write_all(b"GET /limits/flood HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sent");
    support::eventually("the stream opens", || running.handle.open_streams() == 1).await;
    // Read nothing; watch the server's count in steps of the paused clock.
    while running.handle.open_connections() > 0 {
        assert!(since.elapsed() < Duration::from_secs(120), "never cut off");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    at(since.elapsed(), Duration::from_secs(30), "stall timeout");
}

#[tokio::test(start_paused = true)]
async fn a_graceful_shutdown_closes_what_is_left_at_10_s_and_says_so() {
    // A current-thread runtime: the server logs on this thread, under the subscriber set here.
    let (captured, _default) = support::logs::capture(tracing::Level::INFO);
    let running = support::serve(factory()).await;
    let mut hung = TcpStream::connect(running.addr).await.expect("connects");
    hung.write_all(b"GET /limits/hang HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("sent");
    support::eventually("the request is in", || {
        running.handle.open_connections() == 1
    })
    .await;
    let since = Instant::now();
    running.handle.shutdown();
    at(
        closed_after(&mut hung, since).await,
        Duration::from_secs(10),
        "shutdown deadline",
    );
    let warned = captured.lines(&[
        " WARN ",
        "closing the connections still open after the shutdown timeout",
        "open=1",
    ]);
    assert_eq!(warned.len(), 1, "{warned:#?}");
}

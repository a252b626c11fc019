//! A client that stops reading: the server pulls its stream only as fast as the socket drains,
//! holds a bounded amount for it, and drops it after the stall timeout.

use crate::support;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use nestish_core::testing::{Test, TestApp};
use nestish_core::{AppBuilder, MessageEvent, NestFactory, controller, sse};
use support::Conn;

/// Items pulled from `/flood` (the bound test's route alone, as tests run in parallel), and
/// `/stall` streams dropped.
static PULLED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);
static UNCOUNTED: AtomicUsize = AtomicUsize::new(0);

const EVENT_DATA_LEN: usize = 1024;

/// An endless stream that is always ready, counting what is pulled from it and its drop.
struct Flood {
    pulled: &'static AtomicUsize,
    dropped: &'static AtomicUsize,
}

impl Stream for Flood {
    type Item = MessageEvent;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<MessageEvent>> {
        self.pulled.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(Some(MessageEvent::new("x".repeat(EVENT_DATA_LEN))))
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
pub struct FloodController;

#[controller]
impl FloodController {
    #[sse("flood")]
    fn flood(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        Flood {
            pulled: &PULLED,
            dropped: &UNCOUNTED,
        }
    }

    #[sse("stall")]
    fn stall(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        Flood {
            pulled: &UNCOUNTED,
            dropped: &DROPPED,
        }
    }
}

/// The flood controller alone, on `builder`'s settings. Its clients are written by hand: a
/// client library reads what arrives, and these must not.
async fn app(builder: AppBuilder) -> TestApp {
    Test::module(builder)
        .controllers::<(FloodController,)>()
        .start()
        .await
        .expect("the flood app starts")
}

#[tokio::test]
async fn a_client_that_reads_nothing_stops_the_stream_at_a_bound() {
    const BUFFER: usize = 64 * 1024;
    const SEND_BUFFER: usize = 64 * 1024;
    const CLIENT_RCVBUF: usize = 64 * 1024;
    let app = app(NestFactory::create()
        .buffer_size(BUFFER)
        .send_buffer(Some(SEND_BUFFER))
        .stall_timeout(Duration::from_secs(60)))
    .await;
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .set_recv_buffer_size(CLIENT_RCVBUF as u32)
        .expect("SO_RCVBUF");
    let mut stream = socket.connect(app.addr()).await.expect("connects");
    // What the kernel holds for this connection, with the server's configured send buffer.
    let kernel = support::kernel::buffers(&stream, SEND_BUFFER).await;
    tokio::io::AsyncWriteExt::write_all(&mut stream, b"GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request sent");

    // Wait until the count stops moving: the server has filled every buffer and stopped pulling.
    let before = PULLED.load(Ordering::SeqCst);
    let last = support::settled("the stream stops being pulled", || {
        PULLED.load(Ordering::SeqCst)
    })
    .await;
    let pulled = last - before;
    let event_len = "data: \n\n".len() + EVENT_DATA_LEN;
    // Our share (the connection buffer, and a frame being encoded with the event that crossed
    // its 16 KiB, twice for the one hyper holds) plus the kernel's.
    let bound = BUFFER + 2 * (16 * 1024 + event_len) + kernel;
    eprintln!(
        "a client reading nothing made the server pull {pulled} events ({} bytes; bound {bound})",
        pulled * event_len
    );
    assert!(pulled > 0, "the stream was never pulled");
    assert!(
        pulled * event_len <= bound,
        "pulled {pulled} events ({} bytes) for a client that reads nothing; bound {bound}",
        pulled * event_len
    );
    assert_eq!(app.handle().open_streams(), 1);
    drop(stream);
}

#[tokio::test]
async fn a_stalled_client_is_disconnected_after_the_stall_timeout() {
    let app = app(NestFactory::create().stall_timeout(Duration::from_millis(500))).await;
    let dropped_before = DROPPED.load(Ordering::SeqCst);
    let mut conn = Conn::open(app.addr()).await;
    conn.send("GET", "/stall", &[]).await;
    // Read nothing: the server's writes block, and after the stall timeout it gives up.
    support::eventually("the stalled stream is dropped", || {
        DROPPED.load(Ordering::SeqCst) > dropped_before
    })
    .await;
    // With the client still there: the server closed the connection itself.
    app.settled().await;
    drop(conn);
}

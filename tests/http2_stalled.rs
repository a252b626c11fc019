//! 200 SSE streams on one HTTP/2 connection whose client reads nothing: what the server holds
//! for them stays under the connection's bound (`Limits::http2_connection_buffer` and each
//! stream's own state), and when the stall timeout closes them, each says `stall_timeout` in
//! the log and the metrics, as on HTTP/1.1.
//!
//! The only test of its binary: it counts the process's heap with its own global allocator,
//! and reads the process's `metrics` recorder and log.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::{Stream, stream};
use nestish_core::{MessageEvent, NestFactory, controller, sse};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The heap's live bytes, and the most they reached since [`Heap::mark`].
struct Heap;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Heap {
    /// Starts a measurement: the live bytes now, from which the peak is counted.
    fn mark() -> usize {
        let live = LIVE.load(Ordering::SeqCst);
        PEAK.store(live, Ordering::SeqCst);
        live
    }

    fn grew(by: usize) {
        let live = LIVE.fetch_add(by, Ordering::SeqCst) + by;
        PEAK.fetch_max(live, Ordering::SeqCst);
    }
}

// SAFETY: every call goes to the system allocator as is; only sizes are counted.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
            Self::grew(new_size);
        }
        new
    }
}

#[global_allocator]
static HEAP: Heap = Heap;

const STREAMS: usize = 200;
/// What the guide (`guide/14-limits-and-reliability.md`) states 200 stalled streams of one connection hold, at most.
const BOUND: usize = 1024 * 1024;

#[derive(Default)]
pub struct StalledController;

#[controller("stalled")]
impl StalledController {
    /// 1 KB events, always ready.
    #[sse("flood", keep_alive = false)]
    fn flood(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::repeat_with(|| MessageEvent::new("x".repeat(1000)))
    }
}

/// A socket whose reads never complete once `reading` is off: a client that stops reading,
/// with nothing of what the server sends reaching its memory.
struct Deaf {
    tcp: TcpStream,
    reading: Arc<AtomicBool>,
}

impl AsyncRead for Deaf {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if !self.reading.load(Ordering::SeqCst) {
            return Poll::Pending;
        }
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Deaf {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn two_hundred_stalled_streams_hold_the_connection_bound_and_close_as_stall_timeouts() {
    let (captured, _logs) = support::logs::capture(tracing::Level::INFO);
    let running = support::serve(
        NestFactory::create()
            .metrics_route("/metrics")
            .stall_timeout(Duration::from_millis(500))
            .http2_connection_buffer(256 * 1024),
    )
    .await;
    // A client that grants windows far larger than any buffer, so that HTTP/2's flow control
    // holds nothing back, and reads nothing at all.
    let reading = Arc::new(AtomicBool::new(false));
    let deaf = Deaf {
        tcp: TcpStream::connect(running.addr).await.unwrap(),
        reading: Arc::clone(&reading),
    };
    let (send, conn) = h2::client::Builder::new()
        .initial_window_size(1 << 30)
        .initial_connection_window_size(1 << 30)
        .handshake::<_, bytes::Bytes>(deaf)
        .await
        .expect("HTTP/2 handshake");
    let client = tokio::spawn(conn);

    let before = Heap::mark();
    let mut responses = Vec::new();
    for _ in 0..STREAMS {
        let request = http::Request::get("http://localhost/stalled/flood")
            .body(())
            .unwrap();
        let mut send = send.clone();
        responses.push(send.send_request(request, true).expect("sent").0);
    }
    support::eventually("every stream opens", || {
        running.handle.open_streams() == STREAMS
    })
    .await;
    support::eventually("the stall timeout closes them all", || {
        running.handle.open_streams() == 0 && running.handle.open_connections() == 0
    })
    .await;
    let peak = PEAK.load(Ordering::SeqCst) - before;
    eprintln!("{STREAMS} stalled HTTP/2 streams: the heap grew by at most {peak} bytes");
    assert!(
        peak <= BOUND,
        "{STREAMS} stalled streams held {peak} bytes; the bound is {BOUND}"
    );
    drop((responses, send));
    client.abort();

    let stalls = captured.lines(&["stream closed", "reason=\"stall_timeout\""]);
    let closes = captured.lines(&["stream closed"]);
    assert_eq!(
        stalls.len(),
        STREAMS,
        "{} closes, the first: {:?}",
        closes.len(),
        closes.first()
    );
    let (_, metrics) = support::get(running.addr, "/metrics").await;
    let series = format!(
        "nestish_sse_closes_total{{route=\"/stalled/flood\",reason=\"stall_timeout\"}} {STREAMS}"
    );
    assert!(
        metrics.lines().any(|line| line == series),
        "{series} in\n{metrics}"
    );
}

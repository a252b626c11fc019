//! Clients that open a full-history replay and never read: each costs the server a bounded heap
//! (not a copy of the history) and the host a bounded kernel send buffer (`SO_SNDBUF`), so a
//! crowd of them cannot exhaust the kernel's TCP memory. A binary of its own: it counts every
//! allocation of the process, and reads the host's socket memory.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use nestish_core::hub::{Hub, HubEvent};
use nestish_core::{MessageEvent, NestFactory, controller, inject, sse};
use tokio::io::AsyncWriteExt;

#[path = "support/heap.rs"]
mod heap;

#[global_allocator]
static ALLOCATOR: heap::Counting = heap::Counting;

const TOPIC: &str = "replayed";

pub struct ReplayController {
    hub: Arc<Hub>,
}

#[controller]
impl ReplayController {
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    /// The whole history, then live: what `/chat/events?after=0` does.
    #[sse("replay", keep_alive = false)]
    fn replay(&self) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe(TOPIC, Some(0))
    }
}

/// The kernel's memory for TCP, in bytes (`/proc/net/sockstat` counts it in pages).
fn tcp_memory() -> usize {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").expect("/proc/net/sockstat");
    let pages: usize = sockstat
        .lines()
        .find_map(|line| line.strip_prefix("TCP: "))
        .and_then(|fields| {
            let fields: Vec<_> = fields.split_whitespace().collect();
            fields
                .windows(2)
                .find(|pair| pair[0] == "mem")
                .and_then(|pair| pair[1].parse().ok())
        })
        .expect("a TCP mem figure");
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_replays_cost_a_bounded_heap_and_send_buffer_each() {
    const CLIENTS: usize = 200;
    const EVENTS: usize = 1_000;
    const EVENT_LEN: usize = 1024;
    const BUFFER: usize = 64 * 1024;
    const SEND_BUFFER: usize = 64 * 1024;
    const CLIENT_RCVBUF: u32 = 4096;
    // The documented bound on what one stalled subscriber holds in the server's heap: the
    // connection buffer, a frame being filled, a replay batch and the connection's own state.
    const HEAP_BOUND: usize = BUFFER + 2 * 16 * 1024 + 16 * 1024;

    let hub = Arc::new(Hub::new());
    for i in 0..EVENTS {
        let data = format!("{i:04}{}", "x".repeat(EVENT_LEN - 4));
        hub.publish(TOPIC, MessageEvent::new(data))
            .await
            .expect("published");
    }
    let running = support::serve(
        NestFactory::create()
            .provide_arc(hub)
            .buffer_size(BUFFER)
            .send_buffer(Some(SEND_BUFFER))
            .stall_timeout(Duration::from_secs(120)),
    )
    .await;

    let heap_before = heap::live();
    let kernel_before = tcp_memory();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .set_recv_buffer_size(CLIENT_RCVBUF)
            .expect("SO_RCVBUF");
        let mut stream = socket.connect(running.addr).await.expect("connects");
        stream
            .write_all(b"GET /replay HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("request sent");
        clients.push(stream);
    }
    support::eventually("every replay is open", || {
        running.handle.open_streams() == CLIENTS
    })
    .await;
    // Wait until the kernel's figure stops moving: every server has filled its buffers.
    let last = support::settled("the replays stop being written", tcp_memory).await;
    let heap = heap::grown_since(heap_before);
    let kernel = last.saturating_sub(kernel_before);
    let (heap_each, kernel_each) = (heap / CLIENTS, kernel / CLIENTS);
    // Linux doubles SO_SNDBUF and SO_RCVBUF for its bookkeeping; the client's receive buffer
    // is in the same figure.
    let kernel_bound = 2 * SEND_BUFFER + 2 * CLIENT_RCVBUF as usize + 4096;
    eprintln!(
        "{CLIENTS} stalled replays of {} KiB: {heap_each} bytes of heap (bound {HEAP_BOUND}) and \
         {kernel_each} bytes of kernel TCP memory (bound {kernel_bound}) each",
        EVENTS * EVENT_LEN / 1024
    );
    assert!(
        heap_each <= HEAP_BOUND,
        "{heap_each} bytes of heap per subscriber"
    );
    assert!(
        kernel_each <= kernel_bound,
        "{kernel_each} bytes of kernel memory per subscriber"
    );
    drop(clients);
}

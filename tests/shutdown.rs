//! Graceful shutdown: open streams end cleanly (with a route's shutdown event), in-flight plain
//! requests finish, new connections are refused, and `serve` returns within the deadline,
//! closing what is still open past it.

mod support;

use std::time::Duration;

use futures::Stream;
use futures::stream;
use nestish_core::{MessageEvent, NestFactory, controller, get, sse};
use support::Conn;
use tokio::io::AsyncReadExt;

#[derive(Default)]
pub struct ShutdownController;

#[controller]
impl ShutdownController {
    /// A source that never yields.
    #[sse("silent", keep_alive = false)]
    fn silent(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[sse("announced", keep_alive = false, shutdown_event = "server restarting")]
    fn announced(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[get("slow")]
    async fn slow(&self) -> &'static str {
        tokio::time::sleep(Duration::from_millis(300)).await;
        "finished"
    }

    #[get("hang")]
    async fn hang(&self) -> &'static str {
        std::future::pending::<()>().await;
        "never"
    }
}

async fn open_stream(addr: std::net::SocketAddr, path: &str) -> Conn {
    let mut conn = Conn::open(addr).await;
    conn.send("GET", path, &[]).await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(conn.chunk().await.as_deref(), Some(&b"\n"[..]));
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_silent_streams_end_cleanly_and_serve_returns() {
    let running = support::serve(NestFactory::create()).await;
    let mut clients = Vec::new();
    for _ in 0..500 {
        clients.push(open_stream(running.addr, "/silent").await);
    }
    assert_eq!(running.handle.open_streams(), 500);

    running.handle.shutdown();
    for mut conn in clients {
        // The last chunk: the body ended cleanly, not a dropped connection.
        assert_eq!(conn.chunk().await, None);
    }
    let served = tokio::time::timeout(support::PATIENCE, running.task)
        .await
        .expect("serve returns within the shutdown timeout")
        .expect("the serve task did not panic");
    assert!(served.is_ok(), "{served:?}");
    assert_eq!(running.handle.open_streams(), 0);
    assert_eq!(running.handle.open_connections(), 0);
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(running.addr).await.is_err());
}

#[tokio::test]
async fn a_route_can_send_a_last_event_on_shutdown() {
    let running = support::serve(NestFactory::create()).await;
    let mut conn = open_stream(running.addr, "/announced").await;
    running.handle.shutdown();
    assert_eq!(
        conn.chunked_body().await,
        "event: shutdown\ndata: server restarting\n\n"
    );
}

#[tokio::test]
async fn in_flight_requests_finish_during_shutdown() {
    let running = support::serve(NestFactory::create()).await;
    let mut conn = Conn::open(running.addr).await;
    conn.send("GET", "/slow", &[]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    running.handle.shutdown();
    let head = conn.head().await;
    assert_eq!(head.status, 200);
    assert_eq!(conn.sized_body(&head).await, "finished");
    tokio::time::timeout(support::PATIENCE, running.task)
        .await
        .expect("serve returns")
        .expect("no panic")
        .expect("no error");
}

#[tokio::test]
async fn connections_still_open_after_the_deadline_are_closed() {
    let running =
        support::serve(NestFactory::create().shutdown_timeout(Duration::from_millis(300))).await;
    let mut conn = Conn::open(running.addr).await;
    conn.send("GET", "/hang", &[]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = tokio::time::Instant::now();
    running.handle.shutdown();
    tokio::time::timeout(support::PATIENCE, running.task)
        .await
        .expect("serve returns past the deadline")
        .expect("no panic")
        .expect("no error");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it waited for the deadline"
    );
    // The hanging connection was closed: the client reads the end of the stream.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(support::PATIENCE, conn.stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection is closed, not left open");
    assert_eq!(running.handle.open_connections(), 0);
}

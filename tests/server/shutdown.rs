//! Graceful shutdown: open streams end cleanly (with a route's shutdown event), in-flight plain
//! requests finish, new connections are refused, and `serve` returns within the deadline,
//! closing what is still open past it.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::stream;
use nestish_core::testing::{Test, TestApp};
use nestish_core::{MessageEvent, controller, get, inject, sse};
use support::Conn;
use tokio::io::AsyncReadExt;
use tokio::sync::{Notify, Semaphore};

/// Told by the plain routes when a request has reached them, so a test shuts down with the
/// request in flight, not after a guess of how long it takes to arrive.
#[derive(Default)]
pub struct Arrivals(Notify);

/// Held by the test until it lets `/slow` finish.
pub struct Gate(Semaphore);

pub struct ShutdownController {
    arrivals: Arc<Arrivals>,
    gate: Arc<Gate>,
}

#[controller]
impl ShutdownController {
    #[inject]
    fn new(arrivals: Arc<Arrivals>, gate: Arc<Gate>) -> Self {
        Self { arrivals, gate }
    }

    /// A source that never yields.
    #[sse("silent", keep_alive = false)]
    fn silent(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    #[sse("announced", keep_alive = false, shutdown_event = "server restarting")]
    fn announced(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        stream::pending()
    }

    /// Finishes once the test opens the gate.
    #[get("slow")]
    async fn slow(&self) -> &'static str {
        self.arrivals.0.notify_one();
        let _permit = self.gate.0.acquire().await;
        "finished"
    }

    #[get("hang")]
    async fn hang(&self) -> &'static str {
        self.arrivals.0.notify_one();
        std::future::pending::<()>().await;
        "never"
    }
}

struct Fixture {
    app: TestApp,
    arrivals: Arc<Arrivals>,
    gate: Arc<Gate>,
}

async fn start(shutdown_timeout: Duration) -> Fixture {
    let arrivals = Arc::new(Arrivals::default());
    let gate = Arc::new(Gate(Semaphore::new(0)));
    let app = Test::create_testing_module()
        .controllers::<(ShutdownController,)>()
        .provide_arc(Arc::clone(&arrivals))
        .provide_arc(Arc::clone(&gate))
        .configure(|app| app.shutdown_timeout(shutdown_timeout))
        .start()
        .await
        .expect("the app starts");
    Fixture {
        app,
        arrivals,
        gate,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_silent_streams_end_cleanly_and_serve_returns() {
    let Fixture { app, .. } = start(Duration::from_secs(10)).await;
    let mut clients = Vec::new();
    for _ in 0..500 {
        clients.push(app.sse("/silent").await);
    }
    assert_eq!(app.handle().open_streams(), 500);

    let (addr, handle) = (app.addr(), app.handle().clone());
    let shutdown = tokio::spawn(app.shutdown());
    for mut events in clients {
        // The body ended cleanly, with nothing after the opening line break: not a dropped
        // connection.
        assert!(events.end().await.is_empty());
    }
    let served = shutdown.await.expect("the shutdown did not panic");
    assert!(served.is_ok(), "{served:?}");
    assert_eq!(handle.open_streams(), 0);
    assert_eq!(handle.open_connections(), 0);
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn a_route_can_send_a_last_event_on_shutdown() {
    let Fixture { app, .. } = start(Duration::from_secs(10)).await;
    let mut events = app.sse("/announced").await;
    app.handle().shutdown();
    let last = events.next_event().await;
    assert_eq!(
        (last.event.as_str(), last.data.as_str()),
        ("shutdown", "server restarting")
    );
    assert!(events.end().await.is_empty());
}

#[tokio::test]
async fn in_flight_requests_finish_during_shutdown() {
    let fixture = start(Duration::from_secs(10)).await;
    let arrived = fixture.arrivals.0.notified();
    let request = tokio::spawn(fixture.app.get("/slow").send());
    arrived.await;
    fixture.app.handle().shutdown();
    // Still waiting for the in-flight request: let it finish.
    fixture.gate.0.add_permits(1);
    let response = request.await.expect("the request task did not panic");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "finished");
    fixture.app.shutdown().await.expect("no error");
}

#[tokio::test]
async fn connections_still_open_after_the_deadline_are_closed() {
    let fixture = start(Duration::from_millis(300)).await;
    let mut conn = Conn::open(fixture.app.addr()).await;
    let arrived = fixture.arrivals.0.notified();
    conn.send("GET", "/hang", &[]).await;
    arrived.await;
    let started = tokio::time::Instant::now();
    let handle = fixture.app.handle().clone();
    fixture.app.shutdown().await.expect("no error");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it waited for the deadline"
    );
    // The hanging connection was closed: the client reads the end of the stream.
    let mut rest = Vec::new();
    let read = tokio::time::timeout(support::PATIENCE, conn.stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection is closed, not left open");
    assert_eq!(handle.open_connections(), 0);
}

//! Disconnect churn: thousands of clients that read one event and vanish, by closing or by
//! reset; every stream is dropped and the open-stream count returns to zero. And the close
//! signal a handler can take with `#[signal]`.

use crate::support;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::stream::{self, StreamExt};
use nestish_core::testing::{Test, TestApp, TestClient};
use nestish_core::{CloseSignal, MessageEvent, controller, sse};
use support::Conn;
use tokio::net::TcpStream;

static DROPPED: AtomicUsize = AtomicUsize::new(0);
static SIGNALLED: AtomicUsize = AtomicUsize::new(0);

/// One event, then silence forever; counts its drop.
struct OneThenIdle(bool);

impl Stream for OneThenIdle {
    type Item = MessageEvent;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<MessageEvent>> {
        if std::mem::replace(&mut self.0, false) {
            Poll::Ready(Some(MessageEvent::new("hello")))
        } else {
            Poll::Pending
        }
    }
}

impl Drop for OneThenIdle {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
pub struct ChurnController;

#[controller]
impl ChurnController {
    #[sse("one")]
    fn one(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        OneThenIdle(true)
    }

    /// A producer task outside the stream, stopped by the close signal.
    #[sse("signalled")]
    fn signalled(
        &self,
        #[signal] closed: CloseSignal,
    ) -> impl Stream<Item = MessageEvent> + Send + 'static {
        tokio::spawn(async move {
            closed.await;
            SIGNALLED.fetch_add(1, Ordering::SeqCst);
        });
        stream::iter([MessageEvent::new("hi")]).chain(stream::pending())
    }
}

async fn app() -> TestApp {
    Test::create_testing_module()
        .controllers::<(ChurnController,)>()
        .start()
        .await
        .expect("the churn app starts")
}

/// An event as `(type, data, id)`: a plain `data:` one, without an id.
fn message(data: &str) -> (String, String, Option<String>) {
    ("message".to_owned(), data.to_owned(), None)
}

/// Opens `/one`, reads its first event, then goes away: by closing, as a closed page does, or
/// by reset, written by hand as no client library does it.
async fn connect_read_vanish(client: TestClient, reset: bool) {
    if !reset {
        let mut events = client.sse("/one").await;
        assert_eq!(events.status(), 200);
        let first = events.next_event().await;
        assert_eq!((first.event, first.data, first.id), message("hello"));
        return;
    }
    let mut conn = Conn::open(client.addr()).await;
    conn.send("GET", "/one", &[]).await;
    assert_eq!(conn.head().await.status, 200);
    assert_eq!(
        conn.body_bytes("\ndata: hello\n\n".len()).await,
        "\ndata: hello\n\n"
    );
    // SO_LINGER 0: close() sends RST instead of FIN.
    let stream: &TcpStream = &conn.stream;
    socket2::SockRef::from(stream)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_clients_come_and_go_and_every_stream_is_dropped() {
    const CLIENTS: usize = 2_000;
    const AT_ONCE: usize = 200;
    let app = app().await;
    let dropped_before = DROPPED.load(Ordering::SeqCst);
    for batch in 0..CLIENTS / AT_ONCE {
        let clients: Vec<_> = (0..AT_ONCE)
            .map(|i| {
                let reset = (batch * AT_ONCE + i) % 2 == 1;
                tokio::spawn(connect_read_vanish(app.client(), reset))
            })
            .collect();
        for client in clients {
            client.await.expect("client task");
        }
    }
    support::eventually("every stream is dropped", || {
        DROPPED.load(Ordering::SeqCst) - dropped_before == CLIENTS
    })
    .await;
    app.settled().await;
}

#[tokio::test]
async fn the_close_signal_fires_when_the_client_goes_away() {
    let app = app().await;
    let before = SIGNALLED.load(Ordering::SeqCst);
    let mut events = app.sse("/signalled").await;
    assert_eq!(events.status(), 200);
    let first = events.next_event().await;
    assert_eq!((first.event, first.data, first.id), message("hi"));
    assert_eq!(
        SIGNALLED.load(Ordering::SeqCst),
        before,
        "not before the client leaves"
    );
    drop(events);
    support::eventually("the producer task sees the close signal", || {
        SIGNALLED.load(Ordering::SeqCst) > before
    })
    .await;
}

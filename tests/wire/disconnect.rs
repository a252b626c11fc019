//! A client that goes away: its stream is dropped at once, even one that never yields again.

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use nestish_core::testing::Test;
use nestish_core::{MessageEvent, controller, sse};
use tokio::sync::oneshot;

/// Senders that tell the test when each stream is dropped, one per open stream.
static DROPS: Mutex<Vec<oneshot::Sender<()>>> = Mutex::new(Vec::new());

/// A stream that never yields and reports its drop.
struct Idle(Option<oneshot::Sender<()>>);

impl Stream for Idle {
    type Item = MessageEvent;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<MessageEvent>> {
        Poll::Pending
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        if let Some(dropped) = self.0.take() {
            let _ = dropped.send(());
        }
    }
}

#[derive(Default)]
pub struct IdleController;

#[controller]
impl IdleController {
    #[sse("idle")]
    fn idle(&self) -> impl Stream<Item = MessageEvent> + Send + 'static {
        Idle(DROPS.lock().expect("not poisoned").pop())
    }
}

#[tokio::test]
async fn an_idle_stream_is_dropped_when_its_client_closes() {
    let app = Test::create_testing_module()
        .controllers::<(IdleController,)>()
        .start()
        .await
        .expect("the app starts");
    let (dropped_tx, dropped) = oneshot::channel();
    DROPS.lock().expect("not poisoned").push(dropped_tx);

    let events = app.sse("/idle").await;
    assert_eq!(events.status(), 200);
    drop(events);

    tokio::time::timeout(Duration::from_secs(1), dropped)
        .await
        .expect("the stream is dropped within a second of the client closing")
        .expect("the stream reports its drop");
    app.settled().await;
}

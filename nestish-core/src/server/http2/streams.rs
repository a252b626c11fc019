//! [`Streams`]: the executor hyper spawns an HTTP/2 connection's streams with, one per
//! connection, so that the connection knows how many streams it has open (its idle timeout
//! counts from the last one's end), and its streams learn why they end and share its budget.
//!
//! hyper runs each HTTP/2 stream on a task of its own, so a stream's body is dropped on that
//! task, after the connection has gone: the thread-local close reason the connection sets while
//! it drops what it served (which is how an HTTP/1.1 stream learns it) never reaches it. The
//! reason goes through the connection's [`Shared`] instead.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use pin_project_lite::pin_project;

use crate::budget::SendBudget;
use crate::observe::{CloseReason, dropping_for};

/// What an HTTP/2 connection shares with its streams' tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    open: AtomicUsize,
    /// The connection's task, woken when its last stream ends.
    idle: AtomicWaker,
    /// Set when the stall guard gave up on the client.
    stalled: AtomicBool,
    budget: Arc<SendBudget>,
}

impl Shared {
    pub(crate) fn new(budget: usize) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicUsize::new(0),
            idle: AtomicWaker::new(),
            stalled: AtomicBool::new(false),
            budget: Arc::new(SendBudget::new(budget)),
        })
    }

    /// Streams whose task is running, once `cx`'s task is set to be woken when the last ends.
    pub(crate) fn open_streams(&self, cx: &Context<'_>) -> usize {
        self.idle.register(cx.waker());
        self.open.load(Ordering::Acquire)
    }

    /// The client took no byte for the stall timeout: the streams end for that reason.
    pub(crate) fn stalled(&self) {
        self.stalled.store(true, Ordering::Release);
    }

    fn reason(&self) -> Option<CloseReason> {
        self.stalled
            .load(Ordering::Acquire)
            .then_some(CloseReason::StallTimeout)
    }
}

/// Spawns one connection's stream tasks on tokio, counted.
#[derive(Clone)]
pub(crate) struct Streams(pub(crate) Arc<Shared>);

impl<F> hyper::rt::Executor<F> for Streams
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.open.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(Counted {
            fut: Some(fut),
            budget: Some(Arc::clone(&self.0.budget)),
            shared: Arc::clone(&self.0),
        });
    }
}

pin_project! {
    /// A stream's task, counted while it lives.
    struct Counted<F> {
        // `None` once finished: dropped at once, with the connection's reason.
        #[pin]
        fut: Option<F>,
        // The connection's budget, made the current one while the stream is polled.
        budget: Option<Arc<SendBudget>>,
        shared: Arc<Shared>,
    }

    impl<F> PinnedDrop for Counted<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            finish(this.fut.as_mut(), this.shared);
            if this.shared.open.fetch_sub(1, Ordering::AcqRel) == 1 {
                this.shared.idle.wake();
            }
        }
    }
}

/// Drops the stream's future, and with it its body, telling the body why.
fn finish<F>(mut fut: Pin<&mut Option<F>>, shared: &Shared) {
    if fut.is_none() {
        return;
    }
    match shared.reason() {
        Some(reason) => dropping_for(reason, || fut.set(None)),
        None => fut.set(None),
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let Some(fut) = this.fut.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let polled = match this.shared.reason() {
            // The connection is gone: whatever the stream drops while it learns so, it drops
            // for the connection's reason.
            Some(reason) => {
                let mut polled = Poll::Pending;
                dropping_for(reason, || {
                    polled = SendBudget::polling(this.budget, || fut.poll(cx));
                });
                polled
            }
            None => SendBudget::polling(this.budget, || fut.poll(cx)),
        };
        match polled {
            Poll::Ready(_) => {
                finish(this.fut, this.shared);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

//! [`SendBudget`]: what the SSE streams of one HTTP/2 connection may have queued, together, for
//! a client that does not read.
//!
//! HTTP/1.1 bounds a connection's queue with hyper's buffer and the kernel's send buffer: one
//! stream, one queue. An HTTP/2 connection carries up to 200 streams, and h2 bounds each
//! stream's queue on its own (and lets through whatever the client's flow-control windows
//! allow, which the client chooses), so a client that opens 200 streams and reads nothing would
//! hold 200 queues. The budget is one bound for them all: each frame an SSE body hands to hyper
//! is charged to its connection's budget until h2 drops it (written to the socket, or its
//! stream reset), and a body whose connection is over budget is not polled for more.
//!
//! The connection's task makes its budget the current one (a thread local) while it polls one of
//! its streams (see `server::http2`); a body served anywhere else (HTTP/1.1, another server, a
//! test) finds none and is bounded by that server.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

/// The budget of one HTTP/2 connection's SSE streams.
#[derive(Debug)]
pub(crate) struct SendBudget {
    limit: usize,
    queued: AtomicUsize,
    /// The streams waiting for room, each once.
    waiting: Mutex<Vec<Waker>>,
}

thread_local! {
    /// The budget of the connection whose stream is being polled on this thread.
    static CURRENT: Cell<Option<Arc<SendBudget>>> = const { Cell::new(None) };
    /// Whether `CURRENT` holds a budget. Read first: a value without a destructor costs one load
    /// to reach, where `CURRENT` costs its destructor's bookkeeping, and an HTTP/1.1 body, which
    /// never has a budget, asks at every poll.
    static SET: Cell<bool> = const { Cell::new(false) };
}

impl SendBudget {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            queued: AtomicUsize::new(0),
            waiting: Mutex::new(Vec::new()),
        }
    }

    /// Runs `poll` with `budget` as the current one; `budget` is handed back after.
    pub(crate) fn polling<R>(budget: &mut Option<Arc<Self>>, poll: impl FnOnce() -> R) -> R {
        let outer_set = SET.replace(budget.is_some());
        let outer = CURRENT.replace(budget.take());
        let result = poll();
        *budget = CURRENT.replace(outer);
        SET.set(outer_set);
        result
    }

    /// The budget of the connection being served on this thread, if it has one.
    ///
    /// Inlined, so an HTTP/1.1 body's question (three times per event) is one load and a
    /// branch, not a call.
    #[inline]
    pub(crate) fn current() -> Option<Arc<Self>> {
        if !SET.get() {
            return None;
        }
        Self::current_set()
    }

    /// The budget in `CURRENT`, which `SET` says holds one.
    fn current_set() -> Option<Arc<Self>> {
        let current = CURRENT.take();
        let found = current.clone();
        CURRENT.set(current);
        found
    }

    /// Bytes queued now.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Ready while the queue is under the limit; otherwise `cx` is woken once it is.
    pub(crate) fn poll_room(&self, cx: &Context<'_>) -> Poll<()> {
        if self.queued.load(Ordering::Acquire) < self.limit {
            return Poll::Ready(());
        }
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        // Again under the lock: a release in between found no waker to wake.
        if self.queued.load(Ordering::Acquire) < self.limit {
            return Poll::Ready(());
        }
        if !waiting.iter().any(|w| w.will_wake(cx.waker())) {
            waiting.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// `frame`, charged `size` bytes (what it keeps allocated) until it is dropped.
    pub(crate) fn charge(self: &Arc<Self>, frame: Bytes, size: usize) -> Bytes {
        self.queued.fetch_add(size, Ordering::AcqRel);
        Bytes::from_owner(Charged {
            frame,
            size,
            budget: Arc::clone(self),
        })
    }

    fn release(&self, size: usize) {
        let before = self.queued.fetch_sub(size, Ordering::AcqRel);
        if before >= self.limit && before - size < self.limit {
            let woken =
                std::mem::take(&mut *self.waiting.lock().unwrap_or_else(PoisonError::into_inner));
            woken.into_iter().for_each(Waker::wake);
        }
    }
}

/// A frame on its way to the client, charged to its connection's budget.
struct Charged {
    frame: Bytes,
    size: usize,
    budget: Arc<SendBudget>,
}

impl AsRef<[u8]> for Charged {
    fn as_ref(&self) -> &[u8] {
        &self.frame
    }
}

impl Drop for Charged {
    fn drop(&mut self) {
        self.budget.release(self.size);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::task::Wake;

    use super::*;

    struct Flag(AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_stream_waits_while_the_queue_is_full_and_is_woken_when_it_drains() {
        let budget = Arc::new(SendBudget::new(100));
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(Arc::clone(&flag));
        let cx = Context::from_waker(&waker);
        assert!(budget.poll_room(&cx).is_ready());
        let first = budget.charge(Bytes::from_static(b"abc"), 60);
        let second = budget.charge(Bytes::from_static(b"def"), 60);
        assert_eq!(&first[..], b"abc");
        assert_eq!(budget.queued(), 120);
        assert!(budget.poll_room(&cx).is_pending());
        drop(first);
        assert!(flag.0.load(Ordering::SeqCst), "woken when under the limit");
        assert!(budget.poll_room(&cx).is_ready());
        drop(second);
        assert_eq!(budget.queued(), 0);
    }
}

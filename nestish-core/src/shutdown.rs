//! Shutdown wake-ups without a waiter per stream: one list of wakers per application, where
//! each open SSE stream keeps the waker of the task that polls it, all woken once when the
//! shutdown starts.
//!
//! A tokio `Notify` waiter in every SSE body cost each stream 64 bytes (the waiter, its list
//! links and its bookkeeping), beside the 16 of the waker the body keeps to see when it changes.
//! Here a stream holds that waker and its key (24 bytes), and the list one waker slot of 16
//! bytes (and an 8-byte free-list entry once it is gone): the list grows to the most streams the
//! application has held open at once, and its slots are reused as streams come and go.
//!
//! A stream takes the list's lock when it opens with a task, and again only when another task
//! polls it; a shutdown takes it once. A stream that reads the shutdown flag unset, registers,
//! then reads it again, cannot miss the wake-up: either its waker was in the list when the
//! shutdown went through it, or the flag was set before it took the lock.

use std::sync::Mutex;
use std::task::Waker;

use crate::heartbeat::lock;

/// The wakers of an application's open SSE streams.
#[derive(Debug, Default)]
pub(crate) struct ShutdownWakers {
    inner: Mutex<Slots>,
}

#[derive(Debug, Default)]
struct Slots {
    /// Per key: the waker of the stream that holds it, once it has been polled.
    wakers: Vec<Option<Waker>>,
    /// Keys whose stream is gone, to reuse.
    free: Vec<usize>,
}

/// A stream's place in the list: the waker it registered, and its key.
#[derive(Debug)]
pub(crate) struct ShutdownWait {
    /// The waker last registered, to tell without the lock whether the task has changed.
    registered: Option<Waker>,
    /// Its slot, once it has one; `NO_KEY` before.
    key: usize,
}

const NO_KEY: usize = usize::MAX;

impl Default for ShutdownWait {
    fn default() -> Self {
        Self {
            registered: None,
            key: NO_KEY,
        }
    }
}

impl ShutdownWait {
    /// Whether `waker` is the one registered, so registering it again would change nothing.
    pub(crate) fn will_wake(&self, waker: &Waker) -> bool {
        self.registered.as_ref().is_some_and(|w| w.will_wake(waker))
    }
}

impl ShutdownWakers {
    /// Makes `waker` the one the shutdown wakes for the stream at `wait`.
    ///
    /// Read the shutdown flag after this: a shutdown that went through the list before the
    /// waker was in it set the flag first.
    pub(crate) fn register(&self, wait: &mut ShutdownWait, waker: &Waker) {
        if wait.will_wake(waker) {
            return;
        }
        let mut guard = lock(&self.inner);
        let slots = &mut *guard;
        if wait.key == NO_KEY {
            wait.key = slots.free.pop().unwrap_or_else(|| {
                slots.wakers.push(None);
                slots.wakers.len() - 1
            });
        }
        slots.wakers[wait.key] = Some(waker.clone());
        drop(guard);
        wait.registered = Some(waker.clone());
    }

    /// The stream is gone: its slot is freed, its waker dropped.
    pub(crate) fn remove(&self, wait: &ShutdownWait) {
        if wait.key == NO_KEY {
            return;
        }
        let mut slots = lock(&self.inner);
        slots.wakers[wait.key] = None;
        slots.free.push(wait.key);
    }

    /// The shutdown has started: wakes every stream's task, once. A stream polled after this
    /// sees the flag set before it would register again.
    pub(crate) fn wake_all(&self) {
        let wakers: Vec<Waker> = lock(&self.inner)
            .wakers
            .iter_mut()
            .filter_map(Option::take)
            .collect();
        // Woken outside the lock: a waker may run code of its own.
        for waker in wakers {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Counts its wakes; its `Arc`'s count tells who still holds it.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl futures::task::ArcWake for CountingWaker {
        fn wake_by_ref(this: &Arc<Self>) {
            this.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn the_shutdown_wakes_each_stream_by_its_latest_waker_once() {
        let wakers = ShutdownWakers::default();
        let (first, second) = (
            Arc::new(CountingWaker::default()),
            Arc::new(CountingWaker::default()),
        );
        let mut wait = ShutdownWait::default();
        wakers.register(&mut wait, &futures::task::waker(Arc::clone(&first)));
        // Polled by another task since: only that one is woken.
        wakers.register(&mut wait, &futures::task::waker(Arc::clone(&second)));
        wakers.wake_all();
        wakers.wake_all();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_gone_stream_leaves_its_slot_for_the_next_and_no_waker() {
        let wakers = ShutdownWakers::default();
        let counting = Arc::new(CountingWaker::default());
        let waker = futures::task::waker(Arc::clone(&counting));
        let mut gone = ShutdownWait::default();
        wakers.register(&mut gone, &waker);
        wakers.remove(&gone);
        drop(gone);
        // Only `counting` and `waker` hold it: the list let go of its clone.
        assert_eq!(Arc::strong_count(&counting), 2);
        let mut next = ShutdownWait::default();
        wakers.register(&mut next, &waker);
        assert_eq!(next.key, 0, "the freed slot is reused");
        assert_eq!(lock(&wakers.inner).wakers.len(), 1);
    }
}

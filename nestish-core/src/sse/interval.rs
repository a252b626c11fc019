//! [`interval`]: RxJS's `interval()` as a stream, for periodic events.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::{Instant, MissedTickBehavior};

/// A stream that yields `0, 1, 2, …`, one number every `period`, the first after one `period`
/// (as RxJS's `interval` does). A late tick is not made up for: after a stall the next comes one
/// `period` later, never a burst.
///
/// Must be polled inside a tokio runtime.
///
/// # Panics
///
/// If `period` is zero, as [`tokio::time::interval`] does.
///
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ticks: Vec<u64> = nestish_core::interval(Duration::from_millis(1)).take(3).collect().await;
/// assert_eq!(ticks, [0, 1, 2]);
/// # }
/// ```
pub fn interval(period: Duration) -> Interval {
    let mut inner = tokio::time::interval_at(Instant::now() + period, period);
    inner.set_missed_tick_behavior(MissedTickBehavior::Delay);
    Interval { inner, count: 0 }
}

/// The stream returned by [`interval`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Interval {
    inner: tokio::time::Interval,
    count: u64,
}

impl Stream for Interval {
    type Item = u64;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        let this = &mut *self;
        this.inner.poll_tick(cx).map(|_| {
            let n = this.count;
            this.count += 1;
            Some(n)
        })
    }
}

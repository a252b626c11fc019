//! The task that drives a run's producer: it pulls the producer, publishes each event on the
//! run's event topic, and stops at the producer's end, at a cancel published from any instance,
//! or at the run's size bounds, then publishes how it ended.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_core::Stream;
use futures_util::StreamExt;

use super::record::Record;
use super::{Inner, RunStatus, Topics};
use crate::MessageEvent;
use crate::hub::Subscription;

/// Counts a running producer while it lives, so that [`RunsConfig::max_running`] holds.
///
/// [`RunsConfig::max_running`]: super::RunsConfig::max_running
pub(super) struct Running(pub(super) Arc<Inner>);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Drives `producer` to its end; `control` is the run's control topic, from after its
/// `Opened` record.
pub(super) async fn drive<S, T>(
    running: Running,
    topics: Topics,
    producer: S,
    control: Subscription,
) where
    S: Stream<Item = T> + Send + 'static,
    T: Into<MessageEvent>,
{
    let inner = &running.0;
    // Boxed, not pinned on this task's stack, so that dropping it below really drops it.
    let mut producer = Box::pin(producer);
    let mut control = control;
    let mut last = None;
    let (mut events, mut bytes) = (0_usize, 0_usize);
    let status = loop {
        tokio::select! {
            // A cancel wins over an event that is ready at the same time.
            biased;
            record = control.next() => match record.as_ref().and_then(Record::from_event) {
                Some(Record::Cancel) => break RunStatus::Cancelled,
                Some(_) => {}
                // The hub ended the subscription: nothing can cancel the run any more, so
                // stop it rather than let it run unbounded by anyone.
                None if record.is_none() => break RunStatus::Failed,
                None => {}
            },
            item = producer.next() => {
                let Some(item) = item else { break RunStatus::Done };
                let event: MessageEvent = item.into();
                events += 1;
                bytes += event.data.as_ref().map_or(0, String::len);
                if events > inner.config.max_events || bytes > inner.config.max_bytes {
                    break RunStatus::TooLarge;
                }
                match inner.hub.publish(&topics.events, event).await {
                    Ok(id) => last = Some(id),
                    Err(error) => {
                        tracing::error!(%error, "run: an event could not be stored; the run stops");
                        break RunStatus::Failed;
                    }
                }
            }
        }
    };
    // Dropping the producer is what stops it (its model call, its timer), before the end is
    // told: whoever sees `Ended` may rely on it.
    drop(producer);
    let ended = Record::Ended { status, last };
    if let Err(error) = inner.hub.publish(&topics.control, ended.to_event()).await {
        tracing::error!(%error, "run: its end could not be stored");
    }
    tracing::debug!(?status, "run ended");
}

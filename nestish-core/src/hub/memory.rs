//! [`MemoryBackend`]: the in-process hub, the default.
//!
//! One mutex guards every topic's id counter, history and live channel, so that a subscriber
//! takes its replay and joins the live channel at one instant: what it replays and what it then
//! receives neither overlap nor leave a gap. Publishing does little under the lock (encode once,
//! push, hand to the broadcast channel), and a slow subscriber never holds it.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::backend::{BoxFuture, HubBackend, Subscription};
use super::{HubConfig, HubError, HubEvent};
use crate::MessageEvent;

type Topics = Mutex<HashMap<String, Topic>>;

/// The in-process [`HubBackend`]: bounded history and live delivery per topic, in memory.
///
/// ```
/// use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
///
/// let hub = Hub::with_backend(MemoryBackend::new(HubConfig::default().history(100)));
/// # let _ = hub;
/// ```
#[derive(Debug)]
pub struct MemoryBackend {
    topics: Arc<Topics>,
    config: HubConfig,
}

#[derive(Debug)]
struct Topic {
    next_id: u64,
    history: VecDeque<HubEvent>,
    live: broadcast::Sender<HubEvent>,
}

impl Topic {
    fn new(config: HubConfig) -> Self {
        Self {
            next_id: 1,
            history: VecDeque::new(),
            live: broadcast::channel(config.buffer).0,
        }
    }

    /// The id of the oldest event held (the next one's when none is).
    fn oldest(&self) -> u64 {
        self.history
            .front()
            .and_then(HubEvent::id)
            .unwrap_or(self.next_id)
    }

    /// Moves up to `limit` events after id `cursor` from the history to `out`, after a `missed`
    /// notice if some of them are gone (or `cursor` is an id this topic never gave: a client of
    /// an earlier run of the server); the last id taken, if the history holds more after it.
    fn take_after(&self, cursor: u64, limit: usize, out: &mut VecDeque<HubEvent>) -> Option<u64> {
        let oldest = self.oldest();
        let mut cursor = cursor;
        if cursor.saturating_add(1) < oldest || cursor >= self.next_id {
            out.push_back(HubEvent::missed(cursor, oldest));
            cursor = oldest - 1;
        }
        let skip = usize::try_from(cursor + 1 - oldest).unwrap_or(usize::MAX);
        let mut last = None;
        for event in self.history.iter().skip(skip).take(limit) {
            last = event.id();
            out.push_back(event.clone());
        }
        last.filter(|_| self.history.len() > skip.saturating_add(limit))
    }
}

/// Events copied from the history per look at it: a subscriber replaying a long history holds
/// this many at a time, not the whole history (and locks the topic once per batch).
const REPLAY_BATCH: usize = 64;

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new(HubConfig::default())
    }
}

impl MemoryBackend {
    /// A backend with `config`'s bounds.
    ///
    /// ```
    /// let backend = nestish_core::hub::MemoryBackend::new(Default::default());
    /// # let _ = backend;
    /// ```
    #[must_use]
    pub fn new(config: HubConfig) -> Self {
        Self {
            topics: Arc::default(),
            config,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Topic>> {
        lock(&self.topics)
    }
}

/// The topics, even if a panic elsewhere poisoned the lock: every update keeps them consistent.
fn lock(topics: &Topics) -> MutexGuard<'_, HashMap<String, Topic>> {
    topics
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HubBackend for MemoryBackend {
    fn publish(&self, topic: &str, event: MessageEvent) -> BoxFuture<Result<u64, HubError>> {
        let config = self.config;
        let mut topics = self.lock();
        let state = topics
            .entry(topic.to_owned())
            .or_insert_with(|| Topic::new(config));
        let id = state.next_id;
        state.next_id += 1;
        let published = HubEvent::published(id, &event);
        if state.history.len() == config.history {
            state.history.pop_front();
        }
        if config.history > 0 {
            state.history.push_back(published.clone());
        }
        // No subscriber is not an error: the event is in the history for those to come.
        let _ = state.live.send(published);
        drop(topics);
        Box::pin(std::future::ready(Ok(id)))
    }

    fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
        let config = self.config;
        let mut topics = self.lock();
        let state = topics
            .entry(topic.to_owned())
            .or_insert_with(|| Topic::new(config));
        // The first batch of the replay is taken at the instant the live channel is joined;
        // the rest, batch by batch as the subscriber reads, by id, so nothing is missed or
        // delivered twice.
        let mut replay = VecDeque::new();
        let (cursor, seen) = match last_event_id {
            Some(seen) => (
                state.take_after(seen, REPLAY_BATCH, &mut replay),
                seen.min(state.next_id - 1),
            ),
            None => (None, state.next_id - 1),
        };
        let live = live(state.live.subscribe());
        drop(topics);
        Box::pin(MemorySubscription {
            place: Place {
                topic: topic.to_owned(),
                topics: Arc::downgrade(&self.topics),
                replay,
                cursor,
                seen,
            },
            live,
        })
    }

    fn history(&self, topic: &str) -> BoxFuture<Result<Vec<HubEvent>, HubError>> {
        let history = self
            .lock()
            .get(topic)
            .map(|state| state.history.iter().cloned().collect())
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(history)))
    }
}

/// The live channel as a stream: each event, or that the subscriber lagged (and by how many).
///
/// The receive future lives inline in the stream, made anew per event in place: tokio-stream's
/// `BroadcastStream` keeps it in a reusable box behind a `dyn` call, which cost every delivery
/// of a fan-out about a tenth more instructions.
fn live(
    receiver: broadcast::Receiver<HubEvent>,
) -> impl Stream<Item = Result<HubEvent, RecvError>> + Send + 'static {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        match receiver.recv().await {
            Err(RecvError::Closed) => None,
            received => Some((received, receiver)),
        }
    })
}

pin_project! {
    /// A subscriber's stream: the replay first, then the live channel, filtered by id so
    /// nothing arrives twice; resynchronised from the history when it lags.
    struct MemorySubscription<L> {
        // Declared first, so dropped first: while `live` still counts as a receiver of the topic
        // (see `Place::drop`).
        place: Place,
        // The live channel: [`live`]'s stream.
        #[pin]
        live: L,
    }
}

/// Where a subscriber is in its topic.
struct Place {
    topic: String,
    topics: Weak<Topics>,
    /// The batch of the replay being delivered.
    replay: VecDeque<HubEvent>,
    /// While the history holds more to replay: the last id taken from it.
    cursor: Option<u64>,
    /// The last id delivered (or skipped as already seen).
    seen: u64,
}

impl Place {
    /// The subscriber fell more than the live buffer behind: what it missed comes from the
    /// history (with a `missed` notice for what the history no longer holds either).
    fn resync(&mut self) {
        crate::observe::resynced(&self.topic);
        self.cursor = Some(self.seen);
    }

    /// Takes the next batch of the replay from the history; the replay is over when it has
    /// nothing more.
    fn refill(&mut self, cursor: u64) {
        self.cursor = None;
        let Some(topics) = self.topics.upgrade() else {
            return;
        };
        if let Some(state) = lock(&topics).get(&self.topic) {
            self.cursor = state.take_after(cursor, REPLAY_BATCH, &mut self.replay);
        }
    }
}

impl<L> Stream for MemorySubscription<L>
where
    L: Stream<Item = Result<HubEvent, RecvError>>,
{
    type Item = HubEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<HubEvent>> {
        let this = self.project();
        let (place, mut live) = (this.place, this.live);
        loop {
            if let Some(event) = place.replay.pop_front() {
                match event.id() {
                    Some(id) => place.seen = place.seen.max(id),
                    // The one event without an id is a `missed` notice.
                    None => crate::observe::missed(&place.topic),
                }
                return Poll::Ready(Some(event));
            }
            if let Some(cursor) = place.cursor {
                place.refill(cursor);
                continue;
            }
            match live.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(event))) => match event.id() {
                    Some(id) if id > place.seen => {
                        place.seen = id;
                        return Poll::Ready(Some(event));
                    }
                    _ => continue,
                },
                Poll::Ready(Some(Err(RecvError::Lagged(_)))) => place.resync(),
                // `live` ends instead of yielding `Closed`.
                Poll::Ready(Some(Err(RecvError::Closed)) | None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl Drop for Place {
    /// A topic nobody listens to and nothing was published on is forgotten, so subscribing to
    /// made-up topic names costs nothing once the clients are gone.
    fn drop(&mut self) {
        let Some(topics) = self.topics.upgrade() else {
            return;
        };
        let mut topics = lock(&topics);
        let forget = topics.get(&self.topic).is_some_and(|state| {
            state.history.is_empty() && state.next_id == 1 && state.live.receiver_count() <= 1
        });
        if forget {
            topics.remove(&self.topic);
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn backend(history: usize, buffer: usize) -> MemoryBackend {
        MemoryBackend::new(HubConfig::default().history(history).buffer(buffer))
    }

    async fn publish(backend: &MemoryBackend, topic: &str, n: u64) {
        for i in 0..n {
            backend
                .publish(topic, MessageEvent::new(i.to_string()))
                .await
                .unwrap();
        }
    }

    fn ids(events: &[HubEvent]) -> Vec<Option<u64>> {
        events.iter().map(HubEvent::id).collect()
    }

    #[tokio::test]
    async fn replay_then_live_without_gap_or_duplicate() {
        let backend = backend(100, 100);
        publish(&backend, "t", 5).await;
        let mut sub = backend.subscribe("t", Some(2));
        publish(&backend, "t", 2).await;
        let got: Vec<_> = (&mut sub).take(5).collect().await;
        assert_eq!(ids(&got), [Some(3), Some(4), Some(5), Some(6), Some(7)]);
    }

    #[tokio::test]
    async fn subscribers_joining_during_a_flood_see_every_later_id_once() {
        const TOTAL: u64 = 2_000;
        let backend = Arc::new(backend(10_000, 64));
        let publisher = {
            let backend = Arc::clone(&backend);
            tokio::spawn(async move {
                for i in 0..TOTAL {
                    backend
                        .publish("t", MessageEvent::new(i.to_string()))
                        .await
                        .unwrap();
                    if i % 50 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let mut subscribers = Vec::new();
        for _ in 0..8 {
            tokio::task::yield_now().await;
            // Resume from an id already given: the last one, or one further back.
            let latest = backend.lock().get("t").map_or(0, |t| t.next_id - 1);
            for after in [latest, latest / 2] {
                let sub = backend.subscribe("t", Some(after));
                let wanted = usize::try_from(TOTAL - after).unwrap();
                subscribers.push((after, tokio::spawn(sub.take(wanted).collect::<Vec<_>>())));
            }
        }
        publisher.await.unwrap();
        for (after, sub) in subscribers {
            let got = ids(&sub.await.unwrap());
            let expected: Vec<_> = (after + 1..=TOTAL).map(Some).collect();
            let first_difference = got.iter().zip(&expected).position(|(a, b)| a != b);
            assert!(
                got.len() == expected.len() && first_difference.is_none(),
                "subscriber after {after}: {} events, first difference at {first_difference:?}",
                got.len()
            );
        }
    }

    #[tokio::test]
    async fn an_id_older_than_the_history_gets_a_missed_notice_then_the_oldest() {
        let backend = backend(3, 16);
        publish(&backend, "t", 10).await;
        let got: Vec<_> = backend.subscribe("t", Some(2)).take(4).collect().await;
        assert_eq!(ids(&got), [None, Some(8), Some(9), Some(10)]);
        assert_eq!(
            got[0].encoded(),
            b"event: missed\ndata: {\"lastEventId\":2,\"resumeFrom\":8}\n\n"
        );
        // An id this topic never gave (the server restarted): the same notice, then all it has.
        let got: Vec<_> = backend.subscribe("t", Some(99)).take(4).collect().await;
        assert_eq!(ids(&got), [None, Some(8), Some(9), Some(10)]);
    }

    #[tokio::test]
    async fn a_long_replay_comes_batch_by_batch_in_order_then_live() {
        let backend = backend(1_000, 16);
        publish(&backend, "t", 300).await;
        let mut sub = backend.subscribe("t", Some(0));
        // Published after the first batch was taken, before the rest: still once, in order.
        publish(&backend, "t", 5).await;
        let got: Vec<_> = (&mut sub).take(305).collect().await;
        assert_eq!(ids(&got), (1..=305).map(Some).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn history_evicted_during_a_replay_is_a_missed_notice() {
        let backend = backend(100, 1_000);
        publish(&backend, "t", 100).await;
        let mut sub = backend.subscribe("t", Some(0));
        let first: Vec<_> = (&mut sub).take(REPLAY_BATCH).collect().await;
        assert_eq!(ids(&first), (1..=64).map(Some).collect::<Vec<_>>());
        // Ids 65 to 150 leave the history before the subscriber asks for them.
        publish(&backend, "t", 150).await;
        let rest: Vec<_> = (&mut sub).take(101).collect().await;
        assert_eq!(
            rest[0].encoded(),
            b"event: missed\ndata: {\"lastEventId\":64,\"resumeFrom\":151}\n\n"
        );
        assert_eq!(ids(&rest[1..]), (151..=250).map(Some).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_resynchronised_from_the_history() {
        let backend = backend(1_000, 4);
        let mut sub = backend.subscribe("t", None);
        publish(&backend, "t", 100).await; // far past the live buffer of 4
        let got: Vec<_> = (&mut sub).take(100).collect().await;
        assert_eq!(ids(&got), (1..=100).map(Some).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_subscriber_behind_the_history_too_is_told_and_continues() {
        let backend = backend(10, 4);
        let mut sub = backend.subscribe("t", None);
        publish(&backend, "t", 100).await;
        let got: Vec<_> = (&mut sub).take(11).collect().await;
        assert_eq!(got[0].id(), None, "a missed notice first");
        assert_eq!(ids(&got[1..]), (91..=100).map(Some).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn topics_only_subscribed_to_are_forgotten_when_their_subscribers_leave() {
        let backend = backend(10, 4);
        drop(backend.subscribe("made-up", Some(5)));
        assert!(backend.lock().is_empty());
        publish(&backend, "real", 1).await;
        drop(backend.subscribe("real", None));
        assert!(
            backend.lock().contains_key("real"),
            "a topic with history is kept"
        );
    }
}

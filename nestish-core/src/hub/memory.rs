//! [`MemoryBackend`]: the in-process hub, the default.
//!
//! One mutex guards every topic's id counter, history and live channel, so that a subscriber
//! takes its replay and joins the live channel at one instant: what it replays and what it then
//! receives neither overlap nor leave a gap. Publishing does little under the lock (encode once,
//! push, hand to the broadcast channel), and a slow subscriber never holds it.
//!
//! The hub's memory follows its subscribers: a topic's live channel is made for its first
//! subscriber and dropped with its last, and a topic nobody subscribes to holds only its history
//! until it is removed (see [`MemoryBackend`]).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::mem::size_of;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::backend::{BoxFuture, HubBackend, Subscription};
use super::presence::{
    self, JOIN_EVENT, LEAVE_EVENT, Members, Presence, PresenceMode, SubscribeAs,
};
use super::{HubConfig, HubError, HubEvent};
use crate::MessageEvent;

type Shared = Mutex<Topics>;

/// The in-process [`HubBackend`]: bounded history and live delivery per topic, in memory, and
/// bounded topics and bytes for the whole hub.
///
/// # Bounds
///
/// - A topic's live buffer ([`HubConfig::buffer`] slots) exists while it has subscribers; a
///   topic with none holds its name and history only, and one with no history either (nothing
///   published, or `history(0)`) is removed at once (when its last subscriber leaves, or after
///   its publication).
/// - A topic with no subscriber is removed [`HubConfig::idle_expiry`] after its last
///   publication or its last subscriber (at the hub's next publication or subscription).
/// - At most [`HubConfig::max_topics`] topics and [`HubConfig::max_bytes`] of memory by the
///   hub's accounting (see [`HubUsage`]). A publication that would pass either first removes
///   the topics without a subscriber, least recently active first, and then, for bytes, the
///   oldest events of its own topic; if that is not enough (every other topic has subscribers),
///   it is refused with [`HubError::Full`]. A subscription to a new topic
///   removes an idle topic too when the hub is at `max_topics`, but is never refused: topics
///   with subscribers are bounded by the subscriptions (the server's connections and streams).
/// - Presence ([`HubConfig::presence`]): one entry per topic and principal with a subscription
///   there, made by its first subscription and freed with its last (not counted in `bytes`: the
///   subscriptions bound it); at most [`HubConfig::presence_limit`] of them listed per topic.
///
/// Removal was chosen over refusal because refusing would let whoever fills the hub with topics
/// nobody reads (a new topic per name mentioned in a chat, say) stop every publication of the
/// app, while removing the topic idle the longest costs only a replay nobody is waiting for.
/// The guarantees hold across removals: a topic made anew after a removal starts its ids above
/// every id a removed topic gave (before any removal, at 1), so a `Last-Event-ID` from before
/// is answered with the `missed` notice, never with a replay of unrelated events.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::hub::HubError> {
/// use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
///
/// let backend = MemoryBackend::new(HubConfig::default().history(100).max_topics(2));
/// let hub = Hub::with_backend(backend.clone());
/// for topic in ["a", "b", "c"] {
///     hub.publish(topic, "x").await?;
/// }
/// assert_eq!(backend.usage().topics, 2, "`a`, idle the longest, was removed");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct MemoryBackend {
    topics: Arc<Shared>,
    config: HubConfig,
}

/// What an in-process hub holds now ([`MemoryBackend::usage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubUsage {
    /// Topics held.
    pub topics: usize,
    /// Of those, topics with no subscriber.
    pub idle: usize,
    /// Memory held by the topics, by the hub's accounting: per topic its name, its place in the
    /// hub's tables and its history (per event its bytes, at least 64, and their bookkeeping).
    /// Live buffers of topics with subscribers are not counted.
    pub bytes: usize,
    /// Idle topics removed to stay within the bounds since the hub was made (not those that
    /// expired).
    pub evicted: u64,
}

/// Every topic, and what the bounds need to know of them.
#[derive(Debug)]
struct Topics {
    by_name: HashMap<Arc<str>, Topic>,
    /// The topics without a subscriber, least recently active first (by activity stamp).
    idle: BTreeMap<u64, Arc<str>>,
    /// The next activity stamp.
    clock: u64,
    /// The sum of the topics' accounted bytes.
    bytes: usize,
    /// The highest id a removed topic gave: a topic made anew starts above it.
    floor: u64,
    /// Topics removed at the bounds.
    evicted: u64,
    /// Who is subscribed to the topics whose presence is kept.
    members: Members,
}

#[derive(Debug)]
struct Topic {
    next_id: u64,
    history: VecDeque<HubEvent>,
    /// The subscribers' channel, while there are subscribers.
    live: Option<broadcast::Sender<HubEvent>>,
    /// The activity stamp: its key in [`Topics::idle`] while it has no subscriber.
    stamp: u64,
    /// Its last activity (publication, or its last subscriber leaving).
    active_at: Instant,
    /// Its accounted bytes besides its events' (see [`Topic::cost`]).
    base_bytes: usize,
    /// Its events' accounted bytes.
    event_bytes: usize,
}

/// A topic's cost besides its name and events: its entry in the map (with the hash table's
/// slack, up to half empty) and in the idle index.
const TOPIC_COST: usize = 2 * size_of::<(Arc<str>, Topic)>() + 2 * size_of::<(u64, Arc<str>)>();

/// An event's cost besides its bytes: the shared buffer's header and the allocator's rounding.
const EVENT_COST: usize = 64;

/// An event's accounted bytes.
fn event_cost(event: &HubEvent) -> usize {
    event.encoded().len().max(64) + EVENT_COST
}

impl Topic {
    fn new(first_id: u64, name: &str, now: Instant) -> Self {
        Self {
            next_id: first_id,
            history: VecDeque::new(),
            live: None,
            stamp: 0,
            active_at: now,
            // The name twice: the map's key and the `Arc`'s header.
            base_bytes: TOPIC_COST + name.len() + 16,
            event_bytes: 0,
        }
    }

    /// Its accounted bytes: fixed costs, the history's slots, its events.
    fn cost(&self) -> usize {
        self.base_bytes + self.history.capacity() * size_of::<HubEvent>() + self.event_bytes
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
    /// an earlier run of the server, or of the topic before it was removed); the last id taken,
    /// if the history holds more after it.
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

    /// Drops its oldest event; the bytes freed.
    fn pop_oldest(&mut self) -> usize {
        let before = self.cost();
        if let Some(event) = self.history.pop_front() {
            self.event_bytes -= event_cost(&event);
        }
        before - self.cost()
    }
}

impl Topics {
    fn new(config: &HubConfig) -> Self {
        Self {
            by_name: HashMap::new(),
            idle: BTreeMap::new(),
            clock: 0,
            bytes: 0,
            floor: 0,
            evicted: 0,
            members: Members::new(config.presence_limit),
        }
    }

    /// Sends the announcement `kind` of `principal` to `topic`'s subscribers (those that asked
    /// for it take it): in the same hold of the lock as the change it announces, so
    /// announcements come in the order of the changes, and of the topic's events.
    fn announce(&self, topic: &str, kind: &'static str, principal: &str) {
        if let Some(live) = self
            .by_name
            .get(topic)
            .and_then(|state| state.live.as_ref())
        {
            // No receiver left is not an error: the last subscriber is leaving.
            let _ = live.send(presence::announcement(kind, principal));
        }
    }

    /// Stamps `name`'s activity now and files it among the idle topics (it has no subscriber).
    fn file_idle(&mut self, name: &Arc<str>, now: Instant) {
        let stamp = self.clock;
        self.clock += 1;
        if let Some(topic) = self.by_name.get_mut(name) {
            self.idle.remove(&topic.stamp);
            topic.stamp = stamp;
            topic.active_at = now;
            self.idle.insert(stamp, Arc::clone(name));
        }
    }

    /// Removes `name`, remembering the ids it gave.
    fn remove(&mut self, name: &str) {
        if let Some(topic) = self.by_name.remove(name) {
            if topic.live.is_none() {
                self.idle.remove(&topic.stamp);
            }
            self.bytes -= topic.cost();
            self.floor = self.floor.max(topic.next_id - 1);
        }
    }

    /// Removes the idle topics whose expiry has passed.
    fn expire(&mut self, now: Instant, config: &HubConfig) {
        while let Some(entry) = self.idle.first_entry() {
            let active_at = self.by_name.get(entry.get()).map(|topic| topic.active_at);
            match active_at {
                Some(at) if now.saturating_duration_since(at) < config.idle_expiry => return,
                Some(_) => {
                    let name = Arc::clone(entry.get());
                    self.remove(&name);
                }
                None => {
                    entry.remove();
                }
            }
        }
    }

    /// Removes the idle topic active the least recently, except `keep`; false if there is none.
    fn evict_one(&mut self, keep: Option<&str>) -> bool {
        let oldest = self
            .idle
            .values()
            .take(2)
            .find(|name| Some(&***name) != keep)
            .map(Arc::clone);
        let Some(name) = oldest else {
            return false;
        };
        self.remove(&name);
        self.evicted += 1;
        crate::observe::evicted(1);
        true
    }

    /// The key of topic `name`, if the hub holds it.
    fn key(&self, name: &str) -> Option<Arc<str>> {
        self.by_name
            .get_key_value(name)
            .map(|(key, _)| Arc::clone(key))
    }

    /// Removes idle topics while the hub is at its topic bound; false if it still is.
    fn room_for_a_topic(&mut self, config: &HubConfig) -> bool {
        while self.by_name.len() >= config.max_topics {
            if !self.evict_one(None) {
                return false;
            }
        }
        true
    }

    /// Makes topic `name` (which the hub does not hold), idle, its ids above every removed
    /// topic's.
    fn make(&mut self, name: &str, now: Instant) -> Arc<str> {
        let key: Arc<str> = Arc::from(name);
        let topic = Topic::new(self.floor + 1, name, now);
        self.bytes += topic.cost();
        self.by_name.insert(Arc::clone(&key), topic);
        self.file_idle(&key, now);
        key
    }

    fn full(&self) -> HubError {
        HubError::Full {
            topics: self.by_name.len(),
            bytes: self.bytes,
        }
    }

    /// Makes room for `incoming` more bytes on `name`: idle topics go first, least recently
    /// active first, then `name`'s own oldest events.
    fn make_room(
        &mut self,
        name: &str,
        incoming: usize,
        config: &HubConfig,
    ) -> Result<(), HubError> {
        while self.bytes + incoming > config.max_bytes {
            if self.evict_one(Some(name)) {
                continue;
            }
            let freed = match self.by_name.get_mut(name) {
                Some(topic) if !topic.history.is_empty() => topic.pop_oldest(),
                _ => return Err(self.full()),
            };
            self.bytes -= freed;
        }
        Ok(())
    }

    fn publish(
        &mut self,
        name: &str,
        event: &MessageEvent,
        config: &HubConfig,
    ) -> Result<u64, HubError> {
        let now = Instant::now();
        self.expire(now, config);
        let (key, new) = match self.key(name) {
            Some(key) => (key, false),
            None if self.room_for_a_topic(config) => (self.make(name, now), true),
            None => return Err(self.full()),
        };
        let result = self.append(&key, event, config);
        if result.is_err() && new {
            // Refused: leave nothing of the topic it would have made.
            self.remove(&key);
            return result;
        }
        let topic = &self.by_name[&key];
        if topic.live.is_none() {
            if topic.history.is_empty() {
                // `history(0)`: nobody to deliver to and nothing to keep.
                self.remove(&key);
            } else {
                self.file_idle(&key, now);
            }
        }
        result
    }

    /// Gives `event` the next id of `key` (which exists), keeps it within the bounds and hands
    /// it to the subscribers.
    fn append(
        &mut self,
        key: &Arc<str>,
        event: &MessageEvent,
        config: &HubConfig,
    ) -> Result<u64, HubError> {
        let topic = self.by_name.get_mut(&**key).expect("the topic exists");
        let id = topic.next_id;
        let published = HubEvent::published(id, event);
        if config.history > 0 {
            if topic.history.len() >= config.history {
                let freed = topic.pop_oldest();
                self.bytes -= freed;
            }
            let topic = &self.by_name[key];
            // The event, and the slots the history takes if it must grow (at most as many as
            // it has, at least four).
            let cost = event_cost(&published);
            let (len, capacity) = (topic.history.len(), topic.history.capacity());
            let slots = if len == capacity {
                capacity.max(4) * size_of::<HubEvent>()
            } else {
                0
            };
            self.make_room(key, cost + slots, config)?;
            let topic = self
                .by_name
                .get_mut(&**key)
                .expect("room is made without it");
            let before = topic.cost();
            if topic.history.capacity() == 0 {
                // Most topics hold a few events: no room for four before they come.
                topic.history.reserve_exact(1);
            }
            topic.history.push_back(published.clone());
            topic.event_bytes += cost;
            let after = topic.cost();
            self.bytes = self.bytes + after - before;
        }
        let topic = self.by_name.get_mut(&**key).expect("the topic exists");
        topic.next_id += 1;
        if let Some(live) = &topic.live {
            // No receiver left is not an error: the last subscriber is leaving.
            let _ = live.send(published);
        }
        Ok(id)
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
    /// A backend with `config`'s bounds. Its clones share its topics: keep one to read
    /// [`usage`](Self::usage) while a [`Hub`](super::Hub) uses another.
    ///
    /// ```
    /// let backend = nestish_core::hub::MemoryBackend::new(Default::default());
    /// # let _ = backend;
    /// ```
    #[must_use]
    pub fn new(config: HubConfig) -> Self {
        Self {
            topics: Arc::new(Mutex::new(Topics::new(&config))),
            config,
        }
    }

    /// What the hub holds now: topics, idle topics, accounted bytes, evictions.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), nestish_core::hub::HubError> {
    /// use nestish_core::hub::{Hub, MemoryBackend};
    ///
    /// let backend = MemoryBackend::default();
    /// Hub::with_backend(backend.clone()).publish("news", "hello").await?;
    /// let usage = backend.usage();
    /// assert_eq!((usage.topics, usage.idle), (1, 1));
    /// assert!(usage.bytes > 0);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn usage(&self) -> HubUsage {
        let topics = self.lock();
        HubUsage {
            topics: topics.by_name.len(),
            idle: topics.idle.len(),
            bytes: topics.bytes,
            evicted: topics.evicted,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Topics> {
        lock(&self.topics)
    }
}

/// The topics, even if a panic elsewhere poisoned the lock: every update keeps them consistent.
fn lock(topics: &Shared) -> MutexGuard<'_, Topics> {
    topics
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HubBackend for MemoryBackend {
    fn publish(&self, topic: &str, event: MessageEvent) -> BoxFuture<Result<u64, HubError>> {
        let published = self.lock().publish(topic, &event, &self.config);
        Box::pin(std::future::ready(published))
    }

    fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
        self.subscribe_for(topic, last_event_id, SubscribeAs::anonymous())
    }

    fn subscribe_as(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
        who: SubscribeAs,
    ) -> Subscription {
        self.subscribe_for(topic, last_event_id, who)
    }

    fn presence(&self, topic: &str) -> BoxFuture<Result<Presence, HubError>> {
        let presence = if (self.config.presence)(topic).kept() {
            Ok(self.lock().members.presence(topic))
        } else {
            Err(HubError::PresenceOff {
                topic: topic.to_owned(),
            })
        };
        Box::pin(std::future::ready(presence))
    }

    fn history(&self, topic: &str) -> BoxFuture<Result<Vec<HubEvent>, HubError>> {
        let history = self
            .lock()
            .by_name
            .get(topic)
            .map(|state| state.history.iter().cloned().collect())
            .unwrap_or_default();
        Box::pin(std::future::ready(Ok(history)))
    }

    fn topic_class(&self, topic: &str) -> &'static str {
        (self.config.classify)(topic)
    }
}

impl MemoryBackend {
    /// A subscription to `topic`, after `last_event_id`, for `who`: its principal a member of
    /// the topic's presence while it lives, if that is kept.
    fn subscribe_for(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
        who: SubscribeAs,
    ) -> Subscription {
        let config = self.config;
        let mut topics = self.lock();
        let now = Instant::now();
        topics.expire(now, &config);
        let key = topics.key(topic).unwrap_or_else(|| {
            // Past the topic bound if every topic has a subscriber: those are bounded by the
            // subscriptions.
            topics.room_for_a_topic(&config);
            topics.make(topic, now)
        });
        let state = topics.by_name.get_mut(&key).expect("the topic exists");
        let live = match &state.live {
            Some(live) => live.subscribe(),
            None => {
                // Its first subscriber: its live buffer is made, and it is no longer idle.
                let (sender, receiver) = broadcast::channel(config.buffer);
                state.live = Some(sender);
                let stamp = state.stamp;
                topics.idle.remove(&stamp);
                receiver
            }
        };
        let state = &topics.by_name[&key];
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
        // A member once it receives the topic's events, so its own arrival is among them.
        let mode = (config.presence)(topic);
        let announced = mode == PresenceMode::Announced;
        let (principal, presence_events) = who.into_parts();
        let member = principal.filter(|_| mode.kept()).map(|principal| {
            if let Some(joined) = topics.members.join(&key, &principal)
                && announced
            {
                topics.announce(&key, JOIN_EVENT, &joined);
            }
            Box::new(Member {
                principal,
                announced,
            })
        });
        drop(topics);
        Box::pin(MemorySubscription {
            place: Place {
                topic: key,
                class: (config.classify)(topic),
                topics: Arc::downgrade(&self.topics),
                replay,
                cursor,
                seen,
                member,
                presence_events: presence_events && announced,
            },
            live: live_stream(live),
        })
    }
}

/// The live channel as a stream: each event, or that the subscriber lagged (and by how many).
///
/// The receive future lives inline in the stream, made anew per event in place: tokio-stream's
/// `BroadcastStream` keeps it in a reusable box behind a `dyn` call, which cost every delivery
/// of a fan-out about a tenth more instructions.
fn live_stream(
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
        // The live channel: [`live_stream`]'s stream.
        #[pin]
        live: L,
    }
}

/// Where a subscriber is in its topic.
struct Place {
    topic: Arc<str>,
    /// The topic's class, for the metrics.
    class: &'static str,
    topics: Weak<Shared>,
    /// The batch of the replay being delivered.
    replay: VecDeque<HubEvent>,
    /// While the history holds more to replay: the last id taken from it.
    cursor: Option<u64>,
    /// The last id delivered (or skipped as already seen).
    seen: u64,
    /// The principal this subscription makes a member of the topic's presence (boxed: most
    /// subscriptions have none).
    member: Option<Box<Member>>,
    /// Whether it takes the topic's presence events (the live events without an id).
    presence_events: bool,
}

/// A subscription's principal, as a member of its topic's presence.
struct Member {
    principal: Arc<str>,
    /// Whether arrivals and departures are announced to the topic's subscribers.
    announced: bool,
}

impl Place {
    /// The subscriber fell more than the live buffer behind: what it missed comes from the
    /// history (with a `missed` notice for what the history no longer holds either).
    fn resync(&mut self) {
        crate::observe::resynced(self.class);
        self.cursor = Some(self.seen);
    }

    /// Takes the next batch of the replay from the history; the replay is over when it has
    /// nothing more.
    fn refill(&mut self, cursor: u64) {
        self.cursor = None;
        let Some(topics) = self.topics.upgrade() else {
            return;
        };
        if let Some(state) = lock(&topics).by_name.get(&self.topic) {
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
                    None => crate::observe::missed(place.class),
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
                    Some(_) => continue,
                    // A presence announcement: the one live event without an id.
                    None if place.presence_events => return Poll::Ready(Some(event)),
                    None => continue,
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
    /// The last subscriber of a topic frees its live buffer; a topic that holds no history then
    /// (nothing was published, or `history(0)`) is forgotten at once, so subscribing to made-up
    /// topic names costs nothing once the clients are gone, and one that holds some waits among
    /// the idle topics for its expiry.
    fn drop(&mut self) {
        let Some(topics) = self.topics.upgrade() else {
            return;
        };
        let mut topics = lock(&topics);
        if let Some(member) = self.member.take() {
            let change = topics.members.leave(&self.topic, &member.principal);
            if member.announced {
                if let Some(left) = change.left {
                    topics.announce(&self.topic, LEAVE_EVENT, &left);
                }
                if let Some(listed) = change.listed {
                    topics.announce(&self.topic, JOIN_EVENT, &listed);
                }
            }
        }
        let Some(state) = topics.by_name.get_mut(&self.topic) else {
            return;
        };
        // This subscriber's receiver is dropped after this (field order), so it still counts.
        if state
            .live
            .as_ref()
            .is_some_and(|live| live.receiver_count() > 1)
        {
            return;
        }
        state.live = None;
        if state.history.is_empty() {
            topics.remove(&self.topic);
        } else {
            topics.file_idle(&self.topic, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
            let latest = backend.lock().by_name.get("t").map_or(0, |t| t.next_id - 1);
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
        assert_eq!(backend.usage().topics, 0);
        assert_eq!(backend.usage().bytes, 0, "nothing is left of it");
        publish(&backend, "real", 1).await;
        drop(backend.subscribe("real", None));
        assert!(
            backend.lock().by_name.contains_key("real"),
            "a topic with history is kept"
        );
    }

    #[tokio::test]
    async fn a_live_buffer_exists_only_while_a_topic_has_subscribers() {
        let backend = backend(10, 1_024);
        publish(&backend, "t", 3).await;
        assert!(backend.lock().by_name["t"].live.is_none(), "nobody listens");
        let first = backend.subscribe("t", None);
        let second = backend.subscribe("t", None);
        assert!(backend.lock().by_name["t"].live.is_some());
        assert_eq!(backend.usage().idle, 0);
        drop(first);
        assert!(
            backend.lock().by_name["t"].live.is_some(),
            "one still listens"
        );
        drop(second);
        assert!(backend.lock().by_name["t"].live.is_none());
        assert_eq!(backend.usage().idle, 1);
    }

    #[tokio::test]
    async fn at_the_topic_bound_the_topic_idle_the_longest_goes() {
        let backend = MemoryBackend::new(HubConfig::default().history(10).max_topics(3));
        publish(&backend, "a", 1).await;
        publish(&backend, "b", 1).await;
        let listening = backend.subscribe("c", None);
        publish(&backend, "c", 1).await;
        publish(&backend, "a", 1).await; // `a` is now more recent than `b`
        publish(&backend, "d", 1).await;
        let held = |name: &str| backend.lock().by_name.contains_key(name);
        assert!(!held("b") && held("a") && held("c") && held("d"));
        publish(&backend, "e", 1).await;
        assert!(!held("a"), "then `a`; `c` has a subscriber");
        assert!(held("c"));
        let usage = backend.usage();
        assert_eq!((usage.topics, usage.evicted), (3, 2));
        drop(listening);
    }

    #[tokio::test]
    async fn a_topic_made_anew_never_replays_to_an_id_of_its_removed_self() {
        let backend = MemoryBackend::new(HubConfig::default().history(10).max_topics(1));
        publish(&backend, "a", 5).await; // ids 1 to 5
        publish(&backend, "b", 1).await; // `a` goes; `b` gets id 6
        publish(&backend, "a", 3).await; // `b` goes; `a` anew
        let ids_of_a: Vec<_> = ids(&backend.history("a").await.unwrap());
        assert_eq!(
            ids_of_a,
            [Some(7), Some(8), Some(9)],
            "above every id given"
        );
        // A client that had seen 3 of the old `a`: told, then the new events, not 4 and 5.
        let got: Vec<_> = backend.subscribe("a", Some(3)).take(4).collect().await;
        assert_eq!(ids(&got), [None, Some(7), Some(8), Some(9)]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_topic_is_removed_after_its_expiry() {
        let backend = MemoryBackend::new(
            HubConfig::default()
                .history(10)
                .idle_expiry(Duration::from_secs(60)),
        );
        publish(&backend, "old", 2).await;
        let listening = backend.subscribe("watched", None);
        publish(&backend, "watched", 1).await;
        tokio::time::advance(Duration::from_secs(30)).await;
        publish(&backend, "recent", 1).await;
        tokio::time::advance(Duration::from_secs(31)).await;
        publish(&backend, "new", 1).await; // the hub looks at its idle topics
        let held = |name: &str| backend.lock().by_name.contains_key(name);
        assert!(!held("old"), "idle for 61 s");
        assert!(held("recent") && held("new"));
        assert!(held("watched"), "a topic with a subscriber never expires");
        drop(listening);
        tokio::time::advance(Duration::from_secs(61)).await;
        publish(&backend, "new", 1).await;
        assert!(!held("watched") && !held("recent"), "idle for 61 s since");
        assert_eq!(backend.usage().evicted, 0, "expired, not evicted");
    }

    #[tokio::test]
    async fn at_the_byte_bound_idle_topics_go_then_the_topics_own_oldest_events() {
        let backend = MemoryBackend::new(HubConfig::default().history(1_000).max_bytes(64 << 10));
        publish(&backend, "idle", 50).await;
        let listening = backend.subscribe("busy", None);
        let big = "x".repeat(1_000);
        for _ in 0..200 {
            backend
                .publish("busy", MessageEvent::new(big.clone()))
                .await
                .expect("room is made: the idle topic, then busy's own oldest events");
        }
        let usage = backend.usage();
        assert!(usage.bytes <= 64 << 10, "{usage:?}");
        assert!(!backend.lock().by_name.contains_key("idle"));
        let held = backend.history("busy").await.unwrap();
        assert!(held.len() < 64, "{} events of 1 KB in 64 KiB", held.len());
        assert_eq!(held.last().and_then(HubEvent::id), Some(200));
        drop(listening);
    }

    #[tokio::test]
    async fn a_publication_with_no_room_and_nothing_idle_is_refused() {
        let backend = MemoryBackend::new(HubConfig::default().history(10).max_topics(2));
        let a = backend.subscribe("a", None);
        let b = backend.subscribe("b", None);
        let refused = backend.publish("c", MessageEvent::new("x")).await;
        assert!(
            matches!(refused, Err(HubError::Full { topics: 2, .. })),
            "{refused:?}"
        );
        assert!(!backend.lock().by_name.contains_key("c"));
        assert_eq!(
            backend.publish("a", MessageEvent::new("x")).await.unwrap(),
            1
        );
        // A subscription is never refused: past the bound, as many as the subscribers.
        let c = backend.subscribe("c", None);
        assert_eq!(backend.usage().topics, 3);
        drop((a, b, c));
    }

    #[tokio::test]
    async fn without_history_a_topic_nobody_subscribes_to_is_not_kept() {
        let backend = backend(0, 4);
        publish(&backend, "t", 3).await;
        assert_eq!(backend.usage().topics, 0);
        let mut sub = backend.subscribe("t", None);
        assert_eq!(
            backend.publish("t", MessageEvent::new("x")).await.unwrap(),
            4
        );
        assert_eq!(sub.next().await.and_then(|event| event.id()), Some(4));
    }

    #[tokio::test]
    async fn the_accounting_returns_to_nothing_when_every_topic_is_gone() {
        let backend = MemoryBackend::new(
            HubConfig::default()
                .history(5)
                .max_topics(100)
                .idle_expiry(Duration::ZERO),
        );
        for n in 0..1_000 {
            publish(&backend, &format!("topic-{n}"), n % 9).await;
        }
        let usage = backend.usage();
        assert!(usage.topics <= 100 && usage.bytes > 0, "{usage:?}");
        let sub = backend.subscribe("last", None);
        drop(sub);
        let usage = backend.usage();
        assert_eq!(
            (usage.topics, usage.idle, usage.bytes),
            (0, 0, 0),
            "{usage:?}"
        );
        assert!(backend.lock().idle.is_empty());
    }
}

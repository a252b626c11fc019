//! Which topics an instance listens to: those it has subscribers for, and for a short grace
//! those it had, so that a page reload does not unsubscribe and subscribe again.
//!
//! Each topic has its own channel, so an instance reads from Redis only the events of the topics
//! it serves. The alternative, a fixed set of partition channels each carrying many topics, costs
//! Redis fewer subscriptions (a few dozen per instance whatever the topics) and no `SUBSCRIBE`
//! per new topic, but an instance reads every event of every partition it serves one topic of:
//! with per-user topics spread over a fleet, nearly everything, as with one channel. Channels per
//! topic cost Redis a dictionary entry per (channel, instance) and one `SUBSCRIBE`/`UNSUBSCRIBE`
//! per topic that comes and goes (batched, and damped by the grace); the reading then follows the
//! subscribers exactly.
//!
//! A subscriber joins its topic at once (its local broadcast), and reads from Redis only after the
//! instance listens to the topic's channel: an event published after that read is announced
//! after it and reaches the subscriber, so the no-gap, no-duplicate rule holds from the first
//! subscriber on. A publication from this instance on a topic it is about to listen to waits for
//! the listening first (at most [`LISTEN_WAIT`]), so a subscriber made before it sees it.
//!
//! One task per hub sends the `SUBSCRIBE`s and `UNSUBSCRIBE`s, in the order the topics came and
//! went, batched by partition (a sharded subscription names channels of one slot).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

use super::{Live, LocalTopic, Shared};

/// How long a publication from this instance waits for the instance to listen to its topic,
/// when a subscriber has just arrived there; past it (Redis is away), it goes ahead.
const LISTEN_WAIT: Duration = Duration::from_secs(1);

/// How long the task waits before listening again after Redis refused or was away.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// The most channels named in one `SUBSCRIBE`.
const BATCH: usize = 1_000;

/// The topics this instance serves, or served a moment ago, and what the interest task has to do.
#[derive(Default)]
pub(crate) struct Local {
    /// Where the reader hands each topic's events.
    pub(super) topics: HashMap<String, LocalTopic>,
    /// Topics whose last subscriber left: when to stop listening, and the stamp of that leave.
    leaving: VecDeque<(Instant, u64, String)>,
    /// Topics held with no subscriber (each has a current entry in `leaving`).
    lingering: usize,
    /// The next leave's stamp.
    stamp: u64,
    /// Topics to listen to, in the order their first subscriber came.
    to_listen: Vec<String>,
}

/// What a new subscriber of a topic gets.
pub(super) struct Joined {
    pub(super) live: broadcast::Receiver<Live>,
    /// The epoch and id of the last event this instance handed out on the topic, if any.
    pub(super) last: Option<(u64, u64)>,
    /// True once the instance listens to the topic.
    pub(super) listening: watch::Receiver<bool>,
}

/// Makes `topic` a topic this instance serves (listening to it if it did not) and joins its
/// local broadcast.
pub(super) fn join(shared: &Shared, topic: &str) -> Joined {
    let mut local = shared.local();
    let local = &mut *local;
    let entry = local.topics.entry(topic.to_owned()).or_insert_with(|| {
        local.to_listen.push(topic.to_owned());
        shared.wake.notify_one();
        LocalTopic {
            live: broadcast::channel(shared.config.buffer).0,
            last: None,
            listening: watch::channel(false).0,
            idle: None,
        }
    });
    if entry.idle.take().is_some() {
        local.lingering -= 1;
    }
    Joined {
        live: entry.live.subscribe(),
        last: entry.last,
        listening: entry.listening.subscribe(),
    }
}

/// A subscriber of `topic` leaves; the last one (its receiver still counted) starts the grace
/// after which the instance stops listening.
pub(super) fn leave(shared: &Shared, topic: &str) {
    let mut local = shared.local();
    let local = &mut *local;
    let Some(entry) = local.topics.get_mut(topic) else {
        return;
    };
    if entry.live.receiver_count() > 1 || entry.idle.is_some() {
        return;
    }
    let stamp = local.stamp;
    local.stamp += 1;
    entry.idle = Some(stamp);
    local.lingering += 1;
    local
        .leaving
        .push_back((Instant::now() + shared.linger, stamp, topic.to_owned()));
    shared.wake.notify_one();
}

/// Waits until the instance listens to `topic` if a subscriber has just made it listen, for at
/// most [`LISTEN_WAIT`]: a publication from here then reaches that subscriber.
pub(super) async fn settled(shared: &Shared, topic: &str) {
    let pending = shared
        .local()
        .topics
        .get(topic)
        .map(|entry| entry.listening.subscribe())
        .filter(|listening| !*listening.borrow());
    if let Some(mut listening) = pending {
        let _ = tokio::time::timeout(LISTEN_WAIT, listening.wait_for(|yes| *yes)).await;
    }
}

/// The channels of every topic held, in groups that share a partition: to listen again after a
/// reconnection.
pub(super) fn every_channel(shared: &Shared) -> Vec<Vec<String>> {
    let topics: Vec<String> = shared.local().topics.keys().cloned().collect();
    channels_by_partition(shared, topics)
}

/// The channels of `topics`, grouped by partition, in batches of at most [`BATCH`].
fn channels_by_partition(shared: &Shared, topics: Vec<String>) -> Vec<Vec<String>> {
    let mut groups: HashMap<u32, Vec<Vec<String>>> = HashMap::new();
    for topic in topics {
        let batches = groups.entry(shared.keys.partition(&topic)).or_default();
        match batches.last_mut() {
            Some(batch) if batch.len() < BATCH => batch.push(shared.keys.channel(&topic)),
            _ => batches.push(vec![shared.keys.channel(&topic)]),
        }
    }
    groups.into_values().flatten().collect()
}

impl Local {
    /// Takes the topics to listen to, and removes those to stop listening to: past their grace,
    /// or the oldest lingering ones while more than `cap` linger. Also when the next grace ends.
    fn due(&mut self, now: Instant, cap: usize) -> (Vec<String>, Vec<String>, Option<Instant>) {
        let listen = std::mem::take(&mut self.to_listen);
        let mut unlisten = Vec::new();
        while let Some((deadline, _, _)) = self.leaving.front() {
            if *deadline > now && self.lingering <= cap {
                break;
            }
            let Some((_, stamp, topic)) = self.leaving.pop_front() else {
                break;
            };
            // A topic subscribed to again since has another stamp, or none.
            if self
                .topics
                .get(&topic)
                .is_some_and(|entry| entry.idle == Some(stamp))
            {
                self.topics.remove(&topic);
                self.lingering -= 1;
                unlisten.push(topic);
            }
        }
        (listen, unlisten, self.leaving.front().map(|(at, _, _)| *at))
    }
}

/// Starts the interest task of the hub `shared`; it ends with the hub.
pub(super) fn spawn(shared: Weak<Shared>, wake: Arc<Notify>) {
    tokio::spawn(run(shared, wake));
}

async fn run(weak: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let Some(shared) = weak.upgrade() else {
            return;
        };
        // Lingering topics are bounded by the hub's topic bound; topics with subscribers by the
        // subscriptions (the server's connections and streams).
        let (listen, unlisten, next) = shared.local().due(Instant::now(), shared.config.max_topics);
        let failed = !listen.is_empty() && !listen_to(&shared, listen).await;
        for channels in channels_by_partition(&shared, unlisten) {
            if let Err(error) = shared.conn.clone().unlisten(&channels).await {
                // Its announcements are dropped, as those of any topic nobody serves here.
                tracing::debug!(%error, "hub: could not stop listening to {} topics", channels.len());
            }
        }
        drop(shared);
        let retry = async {
            if failed {
                tokio::time::sleep(RETRY_AFTER).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let grace = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wake.notified() => {}
            () = retry => {}
            () = grace => {}
        }
    }
}

/// Listens to `topics` and tells their subscribers; false if some could not be (they are queued
/// again, unless nobody serves them any more).
async fn listen_to(shared: &Shared, topics: Vec<String>) -> bool {
    let mut failed = Vec::new();
    let mut groups: HashMap<u32, Vec<String>> = HashMap::new();
    for topic in topics {
        groups
            .entry(shared.keys.partition(&topic))
            .or_default()
            .push(topic);
    }
    for topics in groups.into_values() {
        for batch in topics.chunks(BATCH) {
            let channels: Vec<String> = batch.iter().map(|t| shared.keys.channel(t)).collect();
            match shared.conn.clone().listen(&channels).await {
                Ok(()) => {
                    let local = shared.local();
                    for topic in batch {
                        if let Some(entry) = local.topics.get(topic) {
                            entry.listening.send_replace(true);
                        }
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "hub: could not listen to {} topics; retrying", batch.len());
                    failed.extend_from_slice(batch);
                }
            }
        }
    }
    if failed.is_empty() {
        return true;
    }
    let mut local = shared.local();
    let local = &mut *local;
    failed.retain(|topic| local.topics.contains_key(topic));
    local.to_listen.splice(0..0, failed);
    false
}

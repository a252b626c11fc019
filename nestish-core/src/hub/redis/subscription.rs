//! A subscriber on a Redis hub: joins its topic's local broadcast at once, reads what it asked
//! for from the stream, then takes live events in id order, going back to the stream for any gap
//! (a lost announcement, a lag, a reconnection, an epoch change).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::interest::{self, Joined};
use super::presence;
use super::scripts::{self, Synced};
use super::{Live, Shared};
use crate::hub::backend::Subscription;
use crate::hub::{HubEvent, PresenceMode, SubscribeAs};

/// Events read from the stream per look at it.
const REPLAY_BATCH: usize = 128;

/// How long a subscriber waits before reading again after Redis failed it, unless the reader
/// signals the connection is back first.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// A subscription to `topic` on the hub `shared`, resuming after `last_event_id`, for `who`
/// (its principal a member of the topic's presence while it lives, if that is kept).
pub(super) fn subscribe(
    shared: &Arc<Shared>,
    topic: &str,
    last_event_id: Option<u64>,
    who: SubscribeAs,
) -> Subscription {
    let (principal, presence_events) = who.into_parts();
    // Joined before anything is read from Redis, which waits until the instance listens to the
    // topic: an event published after that read is announced after it, and so reaches this
    // receiver.
    let Joined {
        live,
        last,
        listening,
    } = interest::join(shared, topic);
    // New events only: those after the last one this instance handed out (all later ones reach
    // this receiver, so nothing is read from Redis), or, if it has handed out none of this topic
    // yet, from the first it will.
    let (read, (base, seen)) = match (last_event_id, last) {
        (Some(id), _) => (Read::Start(Some(id)), (0, 0)),
        (None, Some(last)) => (Read::Nothing, last),
        (None, None) => (Read::FirstLive { skipped: 0 }, (0, 0)),
    };
    let state = Subscriber {
        listening: Some(listening),
        membership: Membership {
            shared: Arc::clone(shared),
            topic: topic.to_owned(),
            principal: principal.filter(|principal| presence::join(shared, topic, principal)),
        },
        live,
        pending: VecDeque::new(),
        read,
        seen,
        base,
        class: (shared.config.classify)(topic),
        presence_events: presence_events
            && (shared.config.presence)(topic) == PresenceMode::Announced,
    };
    Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            let event = state.next().await?;
            Some((event, state))
        },
    ))
}

/// What the subscriber has to read from the stream before it takes live events again.
enum Read {
    /// Its first read: after this id, or (`None`) only the topic's epoch and last id.
    Start(Option<u64>),
    /// Nothing yet: it subscribed for new events before this instance handed out any of the
    /// topic, so it starts at the first live one (or, if `skipped` went by before it looked,
    /// reads them from the stream).
    FirstLive {
        /// How many the broadcast dropped before this subscriber read one.
        skipped: u64,
    },
    /// After the last id it has seen.
    From,
    /// Nothing: it is live.
    Nothing,
}

struct Subscriber {
    /// Until the instance listens to the topic: nothing is read before.
    listening: Option<watch::Receiver<bool>>,
    membership: Membership,
    live: broadcast::Receiver<Live>,
    /// Events read from the stream, not yet delivered.
    pending: VecDeque<HubEvent>,
    read: Read,
    /// The last id delivered, or that there was when it subscribed without an id.
    seen: u64,
    /// The epoch `seen` belongs to.
    base: u64,
    /// The topic's class, for the metrics.
    class: &'static str,
    /// Whether it takes the topic's presence announcements.
    presence_events: bool,
}

impl Subscriber {
    /// The next event; `None` when the hub is gone.
    async fn next(&mut self) -> Option<HubEvent> {
        if let Some(mut listening) = self.listening.take() {
            // An error: the hub is gone.
            listening.wait_for(|yes| *yes).await.ok()?;
        }
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            let cursor = match self.read {
                Read::Start(cursor) => cursor,
                Read::From => Some(self.seen),
                Read::FirstLive { skipped } => match self.live.recv().await {
                    Ok(Live::Event { base, event }) if skipped == 0 => {
                        self.base = base;
                        self.seen = event.id().unwrap_or(0);
                        self.read = Read::Nothing;
                        return Some(event);
                    }
                    Ok(Live::Event { event, .. }) => {
                        let first = event.id().unwrap_or(0).saturating_sub(skipped + 1);
                        self.read = Read::Start(Some(first));
                        continue;
                    }
                    Ok(Live::Announcement(event)) => {
                        if self.presence_events {
                            return Some(event);
                        }
                        continue;
                    }
                    // Reconnected before any announcement: what came meanwhile is unknown here.
                    Ok(Live::Resync) => {
                        self.read = Read::Start(None);
                        continue;
                    }
                    Err(RecvError::Lagged(more)) => {
                        self.read = Read::FirstLive {
                            skipped: skipped + more,
                        };
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                },
                Read::Nothing => match self.live.recv().await {
                    Ok(live) => {
                        if let Some(event) = self.in_order(live) {
                            return Some(event);
                        }
                        continue;
                    }
                    Err(RecvError::Lagged(_)) => {
                        crate::observe::resynced(self.class);
                        self.read = Read::From;
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            let shared = &self.membership.shared;
            match scripts::sync(shared, &self.membership.topic, cursor, REPLAY_BATCH).await {
                Ok(synced) => self.take(cursor, synced),
                Err(error) => {
                    tracing::debug!(%error, topic = %self.membership.topic, "hub: read failed; waiting");
                    self.wait_for_redis().await?;
                }
            }
        }
    }

    /// A live event if it is the next one; otherwise `None`, and after a gap, an epoch change or
    /// a reconnection the subscriber reads from the stream (an event it has is just dropped).
    fn in_order(&mut self, live: Live) -> Option<HubEvent> {
        match live {
            Live::Event { base, event } => {
                let id = event.id().unwrap_or(0);
                if base == self.base && id <= self.seen {
                    return None; // already delivered from the stream
                }
                if base == self.base && id == self.seen + 1 {
                    self.seen = id;
                    return Some(event);
                }
            }
            // Not an event of the topic: the place in it stays.
            Live::Announcement(event) => return self.presence_events.then_some(event),
            Live::Resync => {}
        }
        self.read = Read::From;
        None
    }

    /// What a read from the stream brought: the events after `cursor`, after a `missed` notice
    /// when some of them are gone (or `cursor` is no id of the topic's current epoch).
    fn take(&mut self, cursor: Option<u64>, synced: Synced) {
        let Synced {
            base,
            last,
            events,
            full,
        } = synced;
        let reading = std::mem::replace(&mut self.base, base);
        let Some(cursor) = cursor else {
            self.seen = last;
            self.read = Read::Nothing;
            return;
        };
        if reading == base && cursor > last {
            // This subscriber had an id of this very epoch that Redis no longer has given: the
            // newest events were lost (a master failed before its replica had them), and their
            // ids will be given again to new events. Told, it continues with those.
            crate::observe::missed(self.class);
            self.pending.push_back(HubEvent::missed(cursor, last + 1));
            self.seen = last;
            self.read = Read::Nothing;
            return;
        }
        // 0 asks for the epoch's whole history; an id of another epoch, or one never given, is
        // answered from the epoch's start, after the notice.
        let foreign = cursor != 0 && (cursor < base || cursor > last);
        let after = if cursor == 0 || foreign { base } else { cursor };
        let oldest = events.first().and_then(HubEvent::id).unwrap_or(last + 1);
        if foreign || (after < last && oldest != after + 1) {
            crate::observe::missed(self.class);
            self.pending.push_back(HubEvent::missed(cursor, oldest));
        }
        self.seen = events
            .last()
            .and_then(HubEvent::id)
            .unwrap_or(last.max(after));
        self.pending.extend(events);
        self.read = if full { Read::From } else { Read::Nothing };
    }

    /// Waits until Redis may be back: the reader's signal that the connection is, or a while.
    /// `None` when the hub is gone.
    async fn wait_for_redis(&mut self) -> Option<()> {
        tokio::select! {
            received = self.live.recv() => match received {
                Err(RecvError::Closed) => None,
                // Whatever came is read again from the stream.
                _ => Some(()),
            },
            () = tokio::time::sleep(RETRY_AFTER) => Some(()),
        }
    }
}

/// A subscriber's hold on its topic's local broadcast: the last one to go starts the grace after
/// which the instance stops listening to the topic.
struct Membership {
    shared: Arc<Shared>,
    topic: String,
    /// The principal it makes a member of the topic's presence, if that is kept.
    principal: Option<Arc<str>>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        if let Some(principal) = &self.principal {
            presence::leave(&self.shared, &self.topic, principal);
        }
        // This subscriber's receiver is dropped after this guard (field order), so it still
        // counts there.
        interest::leave(&self.shared, &self.topic);
    }
}

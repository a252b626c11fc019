//! The hub on Redis Streams (feature `redis`): several instances of an app behind a load
//! balancer act as one hub. Chosen at start-up with [`Hub::redis`]; controllers do not change.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nestish_core::hub::HubError> {
//! use nestish_core::hub::Hub;
//!
//! let hub = Hub::redis("redis://127.0.0.1:6379").history(5_000).connect().await?;
//! let app = nestish_core::NestFactory::create().provide(hub);
//! # let _ = app;
//! # Ok(()) }
//! ```

mod conn;
mod interest;
mod presence;
mod reader;
mod revoke;
mod scripts;
mod subscription;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::{IntoConnectionInfo, ProtocolVersion};
use tokio::sync::{Notify, broadcast, watch};

use self::conn::Conn;
use self::interest::Local;
use self::scripts::Keys;
use super::backend::{BoxFuture, HubBackend, Subscription};
use super::revoke::Listeners;
use super::{Hub, HubConfig, HubError, HubEvent, Presence, PresenceMode, SubscribeAs};
use crate::MessageEvent;

/// What a local topic's broadcast channel carries to its subscribers.
#[derive(Clone, Debug)]
enum Live {
    /// An event as announced, with the epoch it belongs to.
    Event {
        /// The topic's epoch when the event was published.
        base: u64,
        /// The event.
        event: HubEvent,
    },
    /// The connection was lost and is back: announcements may have been missed.
    Resync,
    /// A presence announcement (without an id), for the subscribers that asked for them.
    Announcement(HubEvent),
}

/// The builder of a hub on Redis Streams: [`Hub::redis`], its bounds, then [`RedisHub::connect`].
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), nestish_core::hub::HubError> {
/// use std::time::Duration;
/// use nestish_core::hub::PresenceMode;
///
/// let hub = nestish_core::hub::Hub::redis("redis://127.0.0.1:6379")
///     .history(10_000)
///     .idle_expiry(Duration::from_secs(3_600))
///     .max_topics(50_000)
///     .classify(|topic| if topic.starts_with("user/") { "user" } else { "room" })
///     .key_prefix("chat-app:")
///     .presence(|topic| if topic.starts_with("room/") { PresenceMode::Announced } else { PresenceMode::Off })
///     .presence_expiry(Duration::from_secs(10))
///     .connect()
///     .await?;
/// # let _ = hub;
/// # Ok(()) }
/// ```
///
/// # How it works
///
/// Per topic, Redis holds two keys: `<prefix>{<partition>}<topic>:meta`, a hash with the topic's
/// epoch (`base`) and its last id (`last`), and `<prefix>{<partition>}<topic>:events`, a stream
/// whose entry ids are the event ids (`<id>-0`) and whose entries hold the event's bytes without
/// its id ([`HubEvent::stored`]), encoded once by the publisher. One more key per partition,
/// `<prefix>{<partition>}topics`, a sorted set, indexes its topics by their last publication.
/// Every key expires. The partition (see [`partitions`](Self::partitions); one on a single
/// server) is a hash tag: on a Redis Cluster every name of a topic, and its partition's index,
/// sit on one slot, so each script touches one slot.
///
/// - **Bounds.** A topic's keys expire [`idle_expiry`](Self::idle_expiry) after its last
///   publication, and Redis holds at most [`max_topics`](Self::max_topics) topics (per partition
///   `max_topics / partitions`, rounded up): the publication (or first read) of a new topic past
///   it deletes the keys of the topic of its partition published the least recently, in the same
///   script. Redis cannot tell whether a topic has subscribers on some instance, so that topic
///   goes whoever listens: its subscribers see what they see after an expiry (the `missed` notice
///   with its next event, a new epoch). So Redis holds at most `2 × max_topics + partitions`
///   keys, each topic a history of about [`history`](Self::history) events (a stream's first
///   node takes about 4 KB of Redis memory however small its events); bound Redis's bytes with
///   its own `maxmemory`.
///
/// - **Ids.** A Lua script takes the next id (`HINCRBY last`), appends the event (`XADD ...
///   MAXLEN ~ history`), refreshes the keys' expiry and announces the event on the topic's
///   channel (`PUBLISH`, or `SPUBLISH` on a cluster: sharded Pub/Sub stays on the slot's shard
///   where a `PUBLISH` would be broadcast to every node), atomically: ids are strictly increasing
///   across every instance, one by one, and are the SSE ids.
/// - **Fan-out stays local, and reading follows the subscribers.** Each instance holds one Redis
///   connection (multiplexed, RESP3; on a cluster one per node), which also carries the Pub/Sub
///   messages. An instance listens to a topic's channel while it has subscribers for it, and
///   [`linger`](Self::linger) after the last one left; it reads each event of those topics from
///   Redis once and hands it to its local subscribers through an in-process broadcast channel,
///   and reads nothing of the topics it does not serve. The topics it lingers on are at most
///   `max_topics`; those with subscribers are bounded by the subscriptions.
/// - **New events only** (`subscribe(topic, None)`): those after the last event of the topic
///   this instance handed out when the subscription was made, or from the next one it hands out
///   once it listens to the topic; nothing is read from Redis. A publication from the same
///   instance waits for that listening, so it always reaches the subscription; one from another
///   instance in the instant before the listening may not (instances learn of events a moment
///   after Redis has them).
/// - **Resume.** A subscription with a `Last-Event-ID` reads what came after it with `XRANGE`
///   (in batches) while already listening, and drops by id what it has seen, so replay and live
///   meet with no gap and no duplicate. A live event whose id is not the next one (a lost
///   announcement) sends it back to `XRANGE` for the gap.
/// - **Epochs, for data loss.** A topic's ids start above its `base`, the Redis clock
///   (`TIME`, in microseconds) when the topic's keys were created. If Redis loses them (restarted
///   without persistence, `FLUSHALL`, an idle topic expired), the next base is the clock then:
///   above every id given before, as long as the old epoch averaged under one publication per
///   microsecond (beyond a single Redis's reach) and the Redis clock did not go back. So an id
///   from before the loss is below the new base, and gets the `missed` notice, never a replay of
///   unrelated events. (A consequence: on Redis, ids do not start at 1, and the notice also comes
///   after a loss even when the client had in fact seen everything: nobody can tell any more.)
/// - **Failover (cluster).** A planned failover moves the slot: the old master unsubscribes the
///   hub (`SUNSUBSCRIBE`), which listens again on the new master and has the topic's subscribers
///   re-read from their last id. An unplanned one (a master dies) may lose the last events the
///   replica had not received yet (Redis replicates asynchronously); their ids are then given
///   again, and a subscriber that had them gets the `missed` notice and continues with the new
///   events (`tests/hubs/hub_redis_cluster.rs`).
/// - **Faults.** Redis unreachable: `publish` fails (the sample answers 503), open streams stay
///   open (their heartbeats go on), and a new subscription waits. Once the connection is back
///   (the connection manager reconnects and re-subscribes by itself), every subscriber re-reads
///   from its last id what was published meanwhile, within the history.
/// - **Presence** ([`presence`](Self::presence)). Per topic, a sorted set of entries
///   `<instance>\n<principal>` scored by their expiry and a hash counting each principal's
///   entries (`...<topic>:presence`, `...<topic>:members`, with the topic's hash tag): an instance
///   writes an entry when a principal's first stream on the topic opens there and removes it
///   when the last closes, one script per change, and refreshes its entries three times per
///   [`presence_expiry`](Self::presence_expiry). The first entry of a principal is its arrival,
///   the last its departure, announced by the same script (`join`, `leave`, on the topic's
///   channel, without an id) if the topic's mode says so. Entries of an instance that died
///   expire, and the next script on the topic (a heartbeat, a read) removes them and announces
///   those departures. Redis holds at most [`presence_limit`](Self::presence_limit) + 1 entries
///   per topic per instance, each while a stream holds it.
/// - **Slow subscribers.** One that falls more than [`HubConfig::buffer`] events behind the local
///   broadcast channel is resynchronised from the stream, as with the in-process hub.
#[derive(Clone)]
#[must_use = "a RedisHub does nothing until `.connect().await`"]
pub struct RedisHub {
    /// The server's URL, or the cluster's seed nodes' (comma-separated).
    url: String,
    cluster: bool,
    config: HubConfig,
    prefix: String,
    linger: Duration,
    partitions: Option<u32>,
    presence_expiry: Duration,
}

impl std::fmt::Debug for RedisHub {
    /// Without the URL's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHub")
            .field("url", &redacted_list(&self.url))
            .field("cluster", &self.cluster)
            .field("config", &self.config)
            .field("prefix", &self.prefix)
            .field("linger", &self.linger)
            .field("partitions", &self.partitions)
            .field("presence_expiry", &self.presence_expiry)
            .finish()
    }
}

impl RedisHub {
    pub(super) fn new(url: String) -> Self {
        Self {
            url,
            cluster: false,
            config: HubConfig::default(),
            prefix: "nestish:hub:".to_owned(),
            linger: DEFAULT_LINGER,
            partitions: None,
            presence_expiry: presence::DEFAULT_EXPIRY,
        }
    }

    pub(super) fn cluster(seeds: String) -> Self {
        Self {
            cluster: true,
            ..Self::new(seeds)
        }
    }

    /// How long the instance keeps listening to a topic after its last local subscriber left, so
    /// that a page reload (the same client back an instant later) costs Redis no `UNSUBSCRIBE`
    /// and `SUBSCRIBE`, and the new stream starts live at once. Default 5 s.
    pub fn linger(mut self, grace: Duration) -> Self {
        self.linger = grace;
        self
    }

    /// Into how many partitions the topics are spread: a topic's keys and channel carry its
    /// partition's hash tag (`{7}`), so they sit on one slot of a cluster, and the topic bound
    /// ([`max_topics`](Self::max_topics)) is kept per partition, `max_topics / partitions`
    /// rounded up each. Default 1 on a single server (the bound is exact), 64 on a cluster (the
    /// topics spread over the masters; more partitions than masters keeps them even). Every
    /// instance on one Redis must use the same number.
    pub fn partitions(mut self, partitions: u32) -> Self {
        self.partitions = Some(partitions.max(1));
        self
    }

    /// How many recent events a topic keeps in Redis for replay, at least (`XADD ... MAXLEN ~`:
    /// Redis trims whole nodes, so it may keep up to about a hundred more). Default 1,000.
    pub fn history(mut self, events: usize) -> Self {
        self.config = self.config.history(events);
        self
    }

    /// How far a live subscriber may fall behind the instance's broadcast before it is
    /// resynchronised from the stream (at least 1). Default 1,024.
    pub fn buffer(mut self, events: usize) -> Self {
        self.config = self.config.buffer(events);
        self
    }

    /// How long a topic's keys live after its last publication (rounded up to whole seconds, at
    /// least one); a client resuming after that gets the `missed` notice, and so do the streams
    /// still open on the topic when its next event comes (its ids start a new epoch, and
    /// nothing tells what they may have missed). Default one day.
    pub fn idle_expiry(mut self, idle: Duration) -> Self {
        self.config = self.config.idle_expiry(idle);
        self
    }

    /// The most topics Redis holds for this hub (at least 1); a new topic past it deletes the
    /// topic published the least recently (see "Bounds" above). Default 100,000.
    pub fn max_topics(mut self, topics: usize) -> Self {
        self.config = self.config.max_topics(topics);
        self
    }

    /// The class of each topic in the metrics (see [`HubConfig::classify`]). Default `"all"`.
    pub fn classify(mut self, classify: fn(&str) -> &'static str) -> Self {
        self.config = self.config.classify(classify);
        self
    }

    /// Whether each topic's presence is kept, and announced (see [`HubConfig::presence`]).
    /// Default: off for every topic. Every instance on one Redis must say the same.
    pub fn presence(mut self, mode: fn(&str) -> PresenceMode) -> Self {
        self.config = self.config.presence(mode);
        self
    }

    /// The most principals this instance lists per topic (see [`HubConfig::presence_limit`]):
    /// Redis holds at most this many entries per topic per instance. Default 1,000.
    pub fn presence_limit(mut self, principals: usize) -> Self {
        self.config = self.config.presence_limit(principals);
        self
    }

    /// How long this instance's presence entries outlive it: it refreshes them three times per
    /// expiry, so a live instance's members stay listed, and those of an instance that died
    /// without closing its streams (`SIGKILL`, a lost machine, a partition from Redis) are
    /// listed no longer than this after it last wrote (their departures announced at the next
    /// heartbeat of an instance with members on the topic, or the next read of its presence).
    /// Default 15 s; at least 3 ms.
    pub fn presence_expiry(mut self, expiry: Duration) -> Self {
        self.presence_expiry = expiry;
        self
    }

    /// The prefix of every key and of the channel the hub uses in Redis, so that several apps can
    /// share one Redis. Default `nestish:hub:`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Connects to Redis and returns the hub.
    ///
    /// # Errors
    ///
    /// [`HubError::Connect`], naming the URL (without its password), when the URL is not a Redis
    /// URL or Redis cannot be reached now. Once connected, a Redis that goes away costs no error
    /// here: the hub reconnects by itself.
    pub async fn connect(self) -> Result<Hub, HubError> {
        let (pushes, received) = tokio::sync::mpsc::unbounded_channel();
        let (conn, client) = if self.cluster {
            self.connect_cluster(pushes).await?
        } else {
            self.connect_single(pushes).await?
        };
        let revoked_channel = format!("{}revoked", self.prefix);
        // After the hub's own connection: revocations have a connection of their own.
        let revocations = Arc::<Listeners>::default();
        let (hub_alive, hub_gone) = tokio::sync::oneshot::channel();
        revoke::listen(
            client,
            revoked_channel.clone(),
            Arc::downgrade(&revocations),
            hub_gone,
        )
        .await
        .map_err(self.connect_error())?;
        let partitions =
            self.partitions
                .unwrap_or(if self.cluster { CLUSTER_PARTITIONS } else { 1 });
        let wake = Arc::new(Notify::new());
        let tracker = presence::Tracker::new(self.config.presence_limit, self.presence_expiry);
        let presence_wake = Arc::clone(&tracker.wake);
        let shared = Arc::new(Shared {
            conn,
            keys: Keys::new(self.prefix, partitions),
            config: self.config,
            ttl_seconds: (self.config.idle_expiry.as_secs()
                + u64::from(self.config.idle_expiry.subsec_nanos() > 0))
            .max(1),
            linger: self.linger,
            local: Mutex::default(),
            wake: Arc::clone(&wake),
            received: AtomicU64::new(0),
            presence: tracker,
        });
        reader::spawn(Arc::downgrade(&shared), received);
        interest::spawn(Arc::downgrade(&shared), wake);
        presence::spawn(
            Arc::downgrade(&shared),
            presence_wake,
            shared.presence.expiry(),
        );
        let backend = RedisBackend {
            shared,
            revoked_channel,
            _alive: hub_alive,
        };
        Ok(Hub::with_listeners(backend, revocations))
    }

    fn connect_error(&self) -> impl Fn(redis::RedisError) -> HubError + '_ {
        |source| HubError::Connect {
            url: redacted_list(&self.url),
            source: Box::new(source),
        }
    }

    /// One multiplexed connection to a single server, reconnecting by itself; and a client of
    /// that server, for the revocations' connection.
    async fn connect_single(
        &self,
        pushes: tokio::sync::mpsc::UnboundedSender<redis::PushInfo>,
    ) -> Result<(Conn, redis::Client), HubError> {
        let fail = self.connect_error();
        let info = self.url.as_str().into_connection_info().map_err(&fail)?;
        // RESP3 lets the one multiplexed connection carry Pub/Sub messages beside commands.
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings)).map_err(&fail)?;
        let manager_config = ConnectionManagerConfig::new()
            .set_push_sender(pushes)
            .set_automatic_resubscription()
            // Fail fast while Redis is away (a publication answers at once) and let the reader
            // task's pings drive the reconnection instead of long back-offs.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500))
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(5)));
        let mut conn = ConnectionManager::new_with_config(client.clone(), manager_config)
            .await
            .map_err(&fail)?;
        // Reached now, or named now: the manager would otherwise only retry in the background.
        redis::cmd("PING")
            .exec_async(&mut conn)
            .await
            .map_err(&fail)?;
        Ok((Conn::Single(conn), client))
    }

    /// A cluster connection from the seed nodes: one connection per node, following the slots
    /// (and their moves at a failover), RESP3 so that sharded Pub/Sub messages come on them;
    /// and a client of the first seed, for the revocations' connection (a classic `PUBLISH`
    /// reaches every node of a cluster).
    async fn connect_cluster(
        &self,
        pushes: tokio::sync::mpsc::UnboundedSender<redis::PushInfo>,
    ) -> Result<(Conn, redis::Client), HubError> {
        let fail = self.connect_error();
        let seeds: Vec<&str> = self
            .url
            .split(',')
            .map(str::trim)
            .filter(|seed| !seed.is_empty())
            .collect();
        let first = seeds.first().copied().unwrap_or_default();
        let client = ClusterClientBuilder::new(seeds)
            .use_protocol(ProtocolVersion::RESP3)
            .push_sender(pushes)
            .retries(4)
            .min_retry_wait(50)
            .max_retry_wait(500)
            .connection_timeout(Duration::from_secs(1))
            .response_timeout(Duration::from_secs(5))
            .build()
            .map_err(&fail)?;
        let conn = client.get_async_connection().await.map_err(&fail)?;
        let first = redis::Client::open(first).map_err(&fail)?;
        Ok((Conn::Cluster(conn), first))
    }
}

/// The default grace before an instance stops listening to a topic nobody serves there any more.
const DEFAULT_LINGER: Duration = Duration::from_secs(5);

/// The default number of partitions on a cluster.
const CLUSTER_PARTITIONS: u32 = 64;

/// `urls` (comma-separated) without the passwords they may hold, for error messages.
fn redacted_list(urls: &str) -> String {
    urls.split(',').map(redacted).collect::<Vec<_>>().join(",")
}

/// `url` without the password it may hold, for error messages.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// What the backend, the reader and interest tasks and the subscriptions of one hub share.
pub(crate) struct Shared {
    conn: Conn,
    keys: Keys,
    config: HubConfig,
    ttl_seconds: u64,
    /// How long a topic is listened to after its last local subscriber left.
    linger: Duration,
    /// The topics this instance serves: where the reader hands their events.
    local: Mutex<Local>,
    /// Wakes the interest task: a topic to listen to, or one left.
    wake: Arc<Notify>,
    /// Announcements the reader has read from Redis ([`Hub::announcements_received`]).
    received: AtomicU64,
    /// The members of this instance's subscriptions, and what it wrote of them.
    presence: presence::Tracker,
}

/// A topic this instance serves, or served until a moment ago.
struct LocalTopic {
    /// Its subscribers' channel.
    live: broadcast::Sender<Live>,
    /// The epoch and id of the last event handed to them, if any yet.
    last: Option<(u64, u64)>,
    /// True once the instance listens to the topic's channel.
    listening: watch::Sender<bool>,
    /// While nobody subscribes: the stamp of its leave (see [`interest`]).
    idle: Option<u64>,
}

impl Shared {
    /// The local topics, even if a panic elsewhere poisoned the lock: every update keeps them
    /// consistent.
    fn local(&self) -> MutexGuard<'_, Local> {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Shared {
    /// Lets the interest task see that the hub is gone.
    fn drop(&mut self) {
        self.wake.notify_one();
        self.presence.wake.notify_one();
    }
}

/// The [`HubBackend`] on Redis Streams, made by [`RedisHub::connect`].
struct RedisBackend {
    shared: Arc<Shared>,
    /// Where revocations are published (see `revoke`).
    revoked_channel: String,
    /// Dropped with the backend: the revocations' listener task ends.
    _alive: tokio::sync::oneshot::Sender<()>,
}

impl HubBackend for RedisBackend {
    fn announcements_received(&self) -> Option<u64> {
        Some(self.shared.received.load(Ordering::Relaxed))
    }

    fn publish(&self, topic: &str, event: MessageEvent) -> BoxFuture<Result<u64, HubError>> {
        let shared = Arc::clone(&self.shared);
        let topic = topic.to_owned();
        Box::pin(async move {
            let stored = HubEvent::stored(&event);
            interest::settled(&shared, &topic).await;
            scripts::publish(&shared, &topic, &stored)
                .await
                .map_err(|error| HubError::Backend(Box::new(error)))
        })
    }

    fn subscribe(&self, topic: &str, last_event_id: Option<u64>) -> Subscription {
        subscription::subscribe(&self.shared, topic, last_event_id, SubscribeAs::anonymous())
    }

    fn subscribe_as(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
        who: SubscribeAs,
    ) -> Subscription {
        subscription::subscribe(&self.shared, topic, last_event_id, who)
    }

    fn presence(&self, topic: &str) -> BoxFuture<Result<Presence, HubError>> {
        let shared = Arc::clone(&self.shared);
        let topic = topic.to_owned();
        Box::pin(async move { presence::presence(&shared, &topic).await })
    }

    fn history(&self, topic: &str) -> BoxFuture<Result<Vec<HubEvent>, HubError>> {
        let shared = Arc::clone(&self.shared);
        let topic = topic.to_owned();
        Box::pin(async move {
            scripts::history(&shared, &topic)
                .await
                .map_err(|error| HubError::Backend(Box::new(error)))
        })
    }

    fn topic_class(&self, topic: &str) -> &'static str {
        (self.shared.config.classify)(topic)
    }

    fn revoke(&self, key: &str) -> Option<BoxFuture<Result<(), HubError>>> {
        let conn = self.shared.conn.clone();
        let (channel, key) = (self.revoked_channel.clone(), key.to_owned());
        Some(Box::pin(async move {
            revoke::publish(conn, &channel, &key)
                .await
                .map_err(|error| HubError::Backend(Box::new(error)))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_password_never_reaches_an_error_message() {
        assert_eq!(
            redacted("redis://app:s3cret@cache:6379/0"),
            "redis://app:***@cache:6379/0"
        );
        assert_eq!(redacted("redis://:s3cret@cache"), "redis://:***@cache");
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        let hub = super::RedisHub::new("redis://:s3cret@cache".to_owned());
        assert!(!format!("{hub:?}").contains("s3cret"));
    }
}

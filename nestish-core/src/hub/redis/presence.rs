//! Presence on Redis: each instance writes the principals it lists per topic as entries of the
//! topic's sorted set (`<instance>\n<principal>`, scored by an expiry), refreshed by a heartbeat,
//! and a hash counts each principal's entries, so the first entry of a principal anywhere is its
//! arrival and its last its departure.
//!
//! The trade-off: entries expire instead of being removed by their instance, so an instance that
//! dies (`SIGKILL`, a lost machine) leaves no member behind for longer than
//! [`RedisHub::presence_expiry`](super::RedisHub::presence_expiry), at the cost of one script
//! per topic with members per heartbeat ([`HEARTBEATS_PER_EXPIRY`] per expiry). Expired entries
//! are removed, and their departures announced, by the next script that touches the topic: a
//! heartbeat of any instance with members there, or any instance's read of its presence.
//!
//! Writes follow changes, not subscriptions: one task per hub compares what it lists with what
//! it last wrote, per topic whose list changed, and writes the difference (a page reload within
//! the task's turn, or with another tab open, writes nothing). Every script touches one topic's
//! keys, which share its hash tag, and announces on its channel: one slot of a cluster.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use redis::{RedisResult, Script};
use tokio::sync::Notify;

use super::Shared;
use super::scripts::{both, pick};
use crate::hub::HubError;
use crate::hub::presence::{
    JOIN_EVENT, LEAVE_EVENT, Members, Presence, PresenceMode, announcement, json,
};

/// How many heartbeats an instance sends per expiry: two may be lost (or late) before its entries
/// expire.
pub(super) const HEARTBEATS_PER_EXPIRY: u32 = 3;

/// How long the task waits before writing again after Redis failed.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// The default expiry of an instance's entries.
pub(super) const DEFAULT_EXPIRY: Duration = Duration::from_secs(15);

/// What one hub's presence holds in this process.
pub(crate) struct Tracker {
    /// This instance's name in the entries: random, per connection.
    instance: String,
    /// How long an entry lives after its instance last wrote it.
    expiry: Duration,
    inner: Mutex<Inner>,
    /// Wakes the task: a list changed, or the hub is gone.
    pub(super) wake: Arc<Notify>,
    /// The join and leave announcements' bytes around the principal.
    templates: Templates,
}

struct Inner {
    members: Members,
    /// Topics whose list changed since the task last wrote it.
    dirty: HashSet<Arc<str>>,
}

impl Tracker {
    pub(super) fn new(limit: usize, expiry: Duration) -> Self {
        Self {
            instance: instance_name(),
            expiry: expiry.max(Duration::from_millis(HEARTBEATS_PER_EXPIRY.into())),
            inner: Mutex::new(Inner {
                members: Members::new(limit),
                dirty: HashSet::new(),
            }),
            wake: Arc::new(Notify::new()),
            templates: Templates::new(),
        }
    }

    /// How long an entry lives after its instance last wrote it.
    pub(super) fn expiry(&self) -> Duration {
        self.expiry
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A name for this instance that no other has: a random number from the standard library's
/// hasher keys (seeded by the operating system), the process id and the time.
fn instance_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    format!("{:016x}", hasher.finish())
}

/// A subscription of `principal` to `topic` opens: a member, if the topic's presence is kept;
/// whether it is.
pub(super) fn join(shared: &Shared, topic: &str, principal: &Arc<str>) -> bool {
    if !(shared.config.presence)(topic).kept() {
        return false;
    }
    let tracker = &shared.presence;
    let mut inner = tracker.lock();
    let changed = !inner.members.holds(topic, principal);
    inner.members.join(topic, principal);
    if changed {
        inner.dirty.insert(Arc::from(topic));
        tracker.wake.notify_one();
    }
    true
}

/// A subscription of `principal` to `topic` (a member) closes.
pub(super) fn leave(shared: &Shared, topic: &str, principal: &str) {
    let tracker = &shared.presence;
    let mut inner = tracker.lock();
    inner.members.leave(topic, principal);
    if !inner.members.holds(topic, principal) {
        inner.dirty.insert(Arc::from(topic));
        tracker.wake.notify_one();
    }
}

/// Who is subscribed to `topic` on every instance.
pub(super) async fn presence(shared: &Shared, topic: &str) -> Result<Presence, HubError> {
    let mode = (shared.config.presence)(topic);
    if !mode.kept() {
        return Err(HubError::PresenceOff {
            topic: topic.to_owned(),
        });
    }
    let entries = write(shared, topic, mode, &[], &[], true)
        .await
        .map_err(|error| HubError::Backend(Box::new(error)))?;
    let mut principals = Vec::with_capacity(entries.len());
    let mut truncated = false;
    for entry in entries {
        let Some(cut) = memchr::memchr(b'\n', &entry) else {
            continue;
        };
        let principal = &entry[cut + 1..];
        if principal.is_empty() {
            truncated = true;
        } else if let Ok(principal) = serde_json::from_slice::<String>(principal) {
            principals.push(principal);
        }
    }
    Ok(Presence::from_unsorted(principals, truncated))
}

/// Starts the presence task of the hub `shared`; it ends with the hub.
pub(super) fn spawn(shared: Weak<Shared>, wake: Arc<Notify>, expiry: Duration) {
    tokio::spawn(run(shared, wake, expiry));
}

/// What this instance last wrote, per topic: the principals (as JSON), and `""` when it held
/// more than it listed.
type Written = HashMap<Arc<str>, HashSet<Arc<str>>>;

async fn run(weak: Weak<Shared>, wake: Arc<Notify>, expiry: Duration) {
    let mut written = Written::new();
    let mut beat = tokio::time::interval(expiry / HEARTBEATS_PER_EXPIRY);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await;
    let mut failed = false;
    loop {
        let retry = async {
            if failed {
                tokio::time::sleep(RETRY_AFTER).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let heartbeat = tokio::select! {
            () = wake.notified() => false,
            () = retry => false,
            _ = beat.tick() => true,
        };
        let Some(shared) = weak.upgrade() else {
            return;
        };
        if heartbeat {
            refresh(&shared, &written).await;
        }
        failed = !write_changes(&shared, &mut written).await;
    }
}

/// Writes the lists that changed; false if some could not be (they are left to write again).
async fn write_changes(shared: &Shared, written: &mut Written) -> bool {
    let dirty: Vec<Arc<str>> = shared.presence.lock().dirty.drain().collect();
    let mut ok = true;
    for topic in dirty {
        let now: HashSet<Arc<str>> = {
            let inner = shared.presence.lock();
            let (listed, truncated) = inner.members.listed(&topic);
            let mut now: HashSet<Arc<str>> = listed.iter().map(|p| Arc::from(json(p))).collect();
            if truncated {
                now.insert(Arc::from(""));
            }
            now
        };
        let before = written.get(&topic);
        let joined: Vec<&str> = now
            .iter()
            .filter(|p| before.is_none_or(|before| !before.contains(*p)))
            .map(|p| &**p)
            .collect();
        let left: Vec<&str> = before
            .map(|before| before.difference(&now).map(|p| &**p).collect())
            .unwrap_or_default();
        if joined.is_empty() && left.is_empty() {
            continue;
        }
        let mode = (shared.config.presence)(&topic);
        if !joined.is_empty() {
            // The instance listens to the topic before its subscriber's arrival is announced
            // there, so that subscriber hears of its own arrival as the others do.
            super::interest::settled(shared, &topic).await;
        }
        match write(shared, &topic, mode, &joined, &left, false).await {
            Ok(_) => {
                if now.is_empty() {
                    written.remove(&topic);
                } else {
                    written.insert(topic, now);
                }
            }
            Err(error) => {
                tracing::debug!(%error, %topic, "hub: presence could not be written; retrying");
                shared.presence.lock().dirty.insert(topic);
                ok = false;
            }
        }
    }
    ok
}

/// Writes every entry of this instance again, with a new expiry (and again, if another instance
/// removed it as expired meanwhile: this one was cut off from Redis for longer than the expiry).
async fn refresh(shared: &Shared, written: &Written) {
    for (topic, principals) in written {
        let principals: Vec<&str> = principals.iter().map(|p| &**p).collect();
        let mode = (shared.config.presence)(topic);
        if let Err(error) = write(shared, topic, mode, &principals, &[], false).await {
            tracing::debug!(%error, %topic, "hub: presence could not be refreshed");
        }
    }
}

/// The join and leave announcements as they go on the wire, less the principal:
/// `<head><principal as JSON><tail>` is the announcement, which the script builds for the
/// departures it finds expired as for the others.
struct Templates {
    join: Bytes,
    leave: Bytes,
    tail: Bytes,
}

impl Templates {
    fn new() -> Self {
        // A principal whose JSON is found nowhere else in the announcement: where it goes.
        const MARK: &str = "\u{1}";
        let split = |kind: &'static str| {
            let event = announcement(kind, MARK);
            let wire = Bytes::copy_from_slice(event.encoded());
            let mark = json(MARK);
            let at = memchr::memmem::find(&wire, mark.as_bytes()).unwrap_or(wire.len());
            let rest = (at + mark.len()).min(wire.len());
            (wire.slice(..at), wire.slice(rest..))
        };
        let (join, tail) = split(JOIN_EVENT);
        let (leave, _) = split(LEAVE_EVENT);
        Self { join, leave, tail }
    }
}

/// KEYS: presence, members. ARGV: the instance, the expiry (ms), `1` to announce, the join head,
/// the leave head, the tail, `1` to return the entries, the topic's channel, the topic, the
/// announcing command (`PUBLISH`, or `SPUBLISH` on a cluster), how many principals are present,
/// those principals, and the principals gone. Removes the expired entries (each principal whose
/// last entry goes has left), writes the present principals' entries with a new expiry (each
/// whose first entry it is has joined), removes the gone ones' (each whose last entry it is has
/// left); announces those arrivals and departures on the topic's channel if asked, as
/// `0 0 <topic length>\n<topic><event>` (id 0: no event of the topic).
static WRITE: LazyLock<[Script; 2]> = LazyLock::new(|| {
    both(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function announce(head, principal)
  if ARGV[3] == '1' then
    redis.call(ARGV[10], ARGV[8], '0 0 ' .. string.len(ARGV[9]) .. '\n' .. ARGV[9] .. head .. principal .. ARGV[6])
  end
end
local function gone(principal)
  if principal == '' then return end
  if redis.call('HINCRBY', KEYS[2], principal, -1) <= 0 then
    redis.call('HDEL', KEYS[2], principal)
    announce(ARGV[5], principal)
  end
end
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  redis.call('ZREM', KEYS[1], entry)
  local cut = string.find(entry, '\n', 1, true)
  if cut then gone(string.sub(entry, cut + 1)) end
end
local own = ARGV[1] .. '\n'
local present = tonumber(ARGV[11])
local expires = now + tonumber(ARGV[2])
for i = 12, 11 + present do
  if redis.call('ZADD', KEYS[1], expires, own .. ARGV[i]) == 1 and ARGV[i] ~= '' then
    if redis.call('HINCRBY', KEYS[2], ARGV[i], 1) == 1 then announce(ARGV[4], ARGV[i]) end
  end
end
for i = 12 + present, #ARGV do
  if redis.call('ZREM', KEYS[1], own .. ARGV[i]) == 1 then gone(ARGV[i]) end
end
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
if ARGV[7] == '1' then return redis.call('ZRANGE', KEYS[1], 0, -1) end
return {}",
    )
});

/// Runs [`WRITE`] on `topic` for this instance: `present` principals (as JSON) written, `gone`
/// ones removed; the topic's entries if `read`.
async fn write(
    shared: &Shared,
    topic: &str,
    mode: PresenceMode,
    present: &[&str],
    gone: &[&str],
    read: bool,
) -> RedisResult<Vec<Vec<u8>>> {
    let keys = &shared.keys;
    let tracker = &shared.presence;
    let templates = &tracker.templates;
    let expiry_ms = u64::try_from(tracker.expiry.as_millis()).unwrap_or(u64::MAX);
    let mut invocation = pick(shared, &WRITE).prepare_invoke();
    invocation
        .key(keys.presence(topic))
        .key(keys.members(topic))
        .arg(&tracker.instance)
        .arg(expiry_ms)
        .arg(if mode == PresenceMode::Announced {
            "1"
        } else {
            ""
        })
        .arg(&templates.join[..])
        .arg(&templates.leave[..])
        .arg(&templates.tail[..])
        .arg(if read { "1" } else { "" })
        .arg(keys.channel(topic))
        .arg(topic)
        .arg(shared.conn.announce_command())
        .arg(present.len());
    for principal in present.iter().chain(gone) {
        invocation.arg(*principal);
    }
    invocation.invoke_async(&mut shared.conn.clone()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::redis::scripts::decode_announcement;

    #[test]
    fn an_announcement_spliced_by_the_script_is_the_one_sent_in_process() {
        let templates = Templates::new();
        for (kind, head) in [
            (JOIN_EVENT, &templates.join),
            (LEAVE_EVENT, &templates.leave),
        ] {
            let principal = "user:\"ann\"\n";
            // As the script announces it on the channel of topic `room`.
            let mut message = b"0 0 4\nroom".to_vec();
            message.extend_from_slice(head);
            message.extend_from_slice(json(principal).as_bytes());
            message.extend_from_slice(&templates.tail);
            let announced = decode_announcement(&message).expect("an announcement");
            assert_eq!(announced.topic, "room");
            assert_eq!(announced.event, announcement(kind, principal));
        }
    }

    #[test]
    fn instances_are_named_apart() {
        assert_ne!(instance_name(), instance_name());
    }
}

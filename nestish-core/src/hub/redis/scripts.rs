//! What the hub keeps in Redis and the scripts that change it atomically: the keys of a topic,
//! publication (next id, append, expiry, announcement), and a subscriber's read (epoch, last id
//! and the events after a cursor, in one consistent look).

use std::sync::LazyLock;

use redis::{RedisResult, Script};

use super::Shared;
use crate::hub::HubEvent;

/// Names in Redis: every key and channel starts with the configured prefix, and every name of a
/// topic carries its partition's hash tag (`{3}`), so that the scripts, which touch a topic's keys
/// and its partition's index and announce on its channel, stay on one slot of a Redis Cluster.
pub(super) struct Keys {
    pub(super) prefix: String,
    partitions: u32,
}

impl Keys {
    pub(super) fn new(prefix: String, partitions: u32) -> Self {
        Self {
            prefix,
            partitions: partitions.max(1),
        }
    }

    /// The partition of `topic`: FNV-1a of its bytes, modulo the partitions, the same on every
    /// instance and every version.
    pub(super) fn partition(&self, topic: &str) -> u32 {
        let hash = topic.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        u32::try_from(hash % u64::from(self.partitions)).unwrap_or(0)
    }

    /// `<prefix>{<partition>}`: what every name of `topic` starts with.
    fn tagged(&self, topic: &str) -> String {
        format!("{}{{{}}}", self.prefix, self.partition(topic))
    }

    /// The sorted set of the topics of `topic`'s partition, scored by their last publication (µs
    /// of the Redis clock): the least recently published goes first at the bound. (No topic's
    /// key can be named so: theirs end in `:meta` or `:events`.)
    fn index(&self, topic: &str) -> String {
        format!("{}topics", self.tagged(topic))
    }

    /// The hash of a topic's epoch (`base`) and last id (`last`).
    pub(super) fn meta(&self, topic: &str) -> String {
        format!("{}{topic}:meta", self.tagged(topic))
    }

    /// The stream of a topic's events, entry `<id>-0` holding field `e`: the stored event.
    pub(super) fn events(&self, topic: &str) -> String {
        format!("{}{topic}:events", self.tagged(topic))
    }

    /// The sorted set of a topic's presence entries, `<instance>\n<principal as JSON>`, each
    /// scored by its expiry (ms of the Redis clock); an entry `<instance>\n` says that instance
    /// holds more principals than it lists.
    pub(super) fn presence(&self, topic: &str) -> String {
        format!("{}{topic}:presence", self.tagged(topic))
    }

    /// The hash of a topic's present principals (as JSON), each with its number of entries
    /// (instances holding it): the first entry of a principal is its arrival, its last its
    /// departure.
    pub(super) fn members(&self, topic: &str) -> String {
        format!("{}{topic}:members", self.tagged(topic))
    }

    /// The Pub/Sub channel a topic's publications are announced on: an instance listens to it
    /// while it serves the topic.
    pub(super) fn channel(&self, topic: &str) -> String {
        format!("{}{topic}:published", self.tagged(topic))
    }

    /// The topic whose channel is `channel`, if it is one of this hub's.
    pub(super) fn topic_of<'a>(&self, channel: &'a str) -> Option<&'a str> {
        let tagged = channel
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix('{')?;
        let (partition, rest) = tagged.split_once('}')?;
        partition.parse::<u32>().ok()?;
        rest.strip_suffix(":published")
    }

    /// The most topics a partition's index holds: `max` over the partitions, rounded up.
    fn per_partition(&self, max: usize) -> usize {
        max.div_ceil(self.partitions as usize).max(1)
    }
}

/// Creates the topic's epoch if it has none (and says so in `created`). The base is Redis's
/// clock in microseconds, so ids of a topic created anew (its keys lost) are above the ids it
/// gave before (see the module docs). `string.format('%d')` because Lua prints large numbers in
/// exponent form.
const ENSURE_EPOCH: &str = r"
local base = redis.call('HGET', KEYS[1], 'base')
local created = false
if not base then
  local now = redis.call('TIME')
  base = string.format('%d', tonumber(now[1]) * 1000000 + tonumber(now[2]))
  redis.call('HSET', KEYS[1], 'base', base, 'last', base)
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  created = true
end
";

/// `index(topic, max, prefix)`: files `topic` in its partition's index (KEYS[3]) as published
/// now, after dropping the entries of expired topics and, if `topic` is new there and the index
/// holds `max` topics, deleting the keys of the least recently published ones (of the same
/// partition: `prefix` is the partition's tagged prefix, so they are on the same slot); the index
/// expires with its newest topic. ARGV[1] is the ttl.
const INDEX: &str = r"
local function index(topic, max, prefix)
  local now = redis.call('TIME')
  local us = tonumber(now[1]) * 1000000 + tonumber(now[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', string.format('(%d', us - tonumber(ARGV[1]) * 1000000))
  if not redis.call('ZSCORE', KEYS[3], topic) then
    local over = redis.call('ZCARD', KEYS[3]) + 1 - tonumber(max)
    if over > 0 then
      local gone = redis.call('ZPOPMIN', KEYS[3], over)
      for i = 1, #gone, 2 do
        redis.call('DEL', prefix .. gone[i] .. ':meta', prefix .. gone[i] .. ':events')
      end
    end
  end
  redis.call('ZADD', KEYS[3], string.format('%d', us), topic)
  redis.call('EXPIRE', KEYS[3], ARGV[1])
end
";

/// KEYS: meta, events, index. ARGV: ttl, stored event, history, channel, topic, max topics of
/// the partition, tagged prefix, the announcing command (`PUBLISH`, or `SPUBLISH` on a
/// cluster). Returns `{id, base}`; announces `<id> <base> <topic length>\n<topic><stored event>`.
static PUBLISH: LazyLock<[Script; 2]> = LazyLock::new(|| {
    both(&format!(
        "{INDEX}
index(ARGV[5], ARGV[6], ARGV[7])
{ENSURE_EPOCH}
local id = string.format('%d', redis.call('HINCRBY', KEYS[1], 'last', 1))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], id .. '-0', 'e', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call(ARGV[8], ARGV[4], id .. ' ' .. base .. ' ' .. string.len(ARGV[5]) .. '\\n' .. ARGV[5] .. ARGV[2])
return {{id, base}}"
    ))
});

/// KEYS: meta, events, index. ARGV: ttl, cursor (empty: none), count, topic, max topics of the
/// partition, tagged prefix.
/// Returns `{base, last, entries}`: the entries after the cursor, or after the base when the
/// cursor is not an id of this epoch (0, older, or never given); none without a cursor. A topic
/// it creates is indexed, as a publication's.
static SYNC: LazyLock<[Script; 2]> = LazyLock::new(|| {
    both(&format!(
        "{INDEX}
{ENSURE_EPOCH}
if created then index(ARGV[4], ARGV[5], ARGV[6]) end
local last = redis.call('HGET', KEYS[1], 'last')
if ARGV[2] == '' then return {{base, last, {{}}}} end
local from = ARGV[2]
local cursor = tonumber(from)
if cursor < tonumber(base) or cursor > tonumber(last) then from = base end
return {{base, last, redis.call('XRANGE', KEYS[2], '(' .. from .. '-0', '+', 'COUNT', ARGV[3])}}"
    ))
});

/// A script for a single server, and the same declared as writing (`#!lua`, Redis 7) for a
/// cluster: every node connection of a cluster client may read from replicas (`READONLY`), and a
/// master demoted by a failover would run a script without flags until its first write fails
/// (`READONLY` error, and the client keeps its slot map), where one declared as writing is
/// answered `MOVED`, so the client follows the new master.
pub(super) fn both(body: &str) -> [Script; 2] {
    [Script::new(body), Script::new(&format!("#!lua\n{body}"))]
}

/// The variant of `script` for the hub's connection.
pub(super) fn pick<'a>(shared: &Shared, script: &'a [Script; 2]) -> &'a Script {
    &script[usize::from(shared.conn.is_cluster())]
}

/// A stream entry as Redis returns it: `[id, [field, value, ...]]`.
type Entry = (String, Vec<Vec<u8>>);

/// Publishes `stored` (from [`HubEvent::stored`]) on `topic`; returns its id.
pub(super) async fn publish(shared: &Shared, topic: &str, stored: &[u8]) -> RedisResult<u64> {
    let keys = &shared.keys;
    let (id, _base): (u64, u64) = pick(shared, &PUBLISH)
        .key(keys.meta(topic))
        .key(keys.events(topic))
        .key(keys.index(topic))
        .arg(shared.ttl_seconds)
        .arg(stored)
        .arg(shared.config.history)
        .arg(keys.channel(topic))
        .arg(topic)
        .arg(keys.per_partition(shared.config.max_topics))
        .arg(keys.tagged(topic))
        .arg(shared.conn.announce_command())
        .invoke_async(&mut shared.conn.clone())
        .await?;
    Ok(id)
}

/// One consistent look at a topic.
pub(super) struct Synced {
    /// The epoch: the topic's ids are above it.
    pub(super) base: u64,
    /// The last id given (the base if none yet).
    pub(super) last: u64,
    /// Up to `count` events after the cursor (see [`sync`]), in id order.
    pub(super) events: Vec<HubEvent>,
    /// Whether `count` were asked for and returned: the stream may hold more.
    pub(super) full: bool,
}

/// The topic's epoch, last id and, with a cursor, up to `count` events after it (after the
/// epoch's start when the cursor is no id of this epoch).
pub(super) async fn sync(
    shared: &Shared,
    topic: &str,
    cursor: Option<u64>,
    count: usize,
) -> RedisResult<Synced> {
    let keys = &shared.keys;
    let (base, last, entries): (u64, u64, Vec<Entry>) = pick(shared, &SYNC)
        .key(keys.meta(topic))
        .key(keys.events(topic))
        .key(keys.index(topic))
        .arg(shared.ttl_seconds)
        .arg(cursor.map(|cursor| cursor.to_string()).unwrap_or_default())
        .arg(count)
        .arg(topic)
        .arg(keys.per_partition(shared.config.max_topics))
        .arg(keys.tagged(topic))
        .invoke_async(&mut shared.conn.clone())
        .await?;
    let full = entries.len() >= count && cursor.is_some();
    Ok(Synced {
        base,
        last,
        events: entries.into_iter().filter_map(decode_entry).collect(),
        full,
    })
}

/// The events a topic's stream holds, oldest first.
pub(super) async fn history(shared: &Shared, topic: &str) -> RedisResult<Vec<HubEvent>> {
    let mut conn = shared.conn.clone();
    let entries: Vec<Entry> = redis::cmd("XRANGE")
        .arg(shared.keys.events(topic))
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await?;
    Ok(entries.into_iter().filter_map(decode_entry).collect())
}

/// A stream entry `[<id>-0, [e, stored]]` as an event; `None` (logged) for anything else, which
/// only a foreign writer to the hub's keys can have put there.
fn decode_entry((id, fields): Entry) -> Option<HubEvent> {
    let event = id
        .strip_suffix("-0")
        .and_then(|id| id.parse().ok())
        .zip(fields.get(1))
        .and_then(|(id, stored)| HubEvent::from_stored(id, stored));
    if event.is_none() {
        tracing::warn!(entry = %id, "hub: skipped a stream entry that is not a stored event");
    }
    event
}

/// An announcement as the publish script writes it.
pub(super) struct Announced<'a> {
    pub(super) topic: &'a str,
    pub(super) base: u64,
    pub(super) event: HubEvent,
}

/// Reads `<id> <base> <topic length>\n<topic><stored event>` (or `0 0 <topic length>\n<topic>
/// <event without id>`, a presence announcement); `None` for anything else.
pub(super) fn decode_announcement(message: &[u8]) -> Option<Announced<'_>> {
    let newline = memchr::memchr(b'\n', message)?;
    let head = std::str::from_utf8(&message[..newline]).ok()?;
    let mut numbers = head.split(' ').map(str::parse::<u64>);
    let (id, base, topic_len) = (
        numbers.next()?.ok()?,
        numbers.next()?.ok()?,
        usize::try_from(numbers.next()?.ok()?).ok()?,
    );
    let rest = &message[newline + 1..];
    let topic = std::str::from_utf8(rest.get(..topic_len)?).ok()?;
    // Id 0, which no event has (ids start above the Redis clock): a presence announcement, sent
    // as it goes on the wire, without an id.
    let event = match id {
        0 => HubEvent::unnumbered_wire(&rest[topic_len..])?,
        id => HubEvent::from_stored(id, &rest[topic_len..])?,
    };
    Some(Announced { topic, base, event })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageEvent;

    #[test]
    fn an_announcement_reads_back_as_written_by_the_script() {
        let stored = HubEvent::stored(&MessageEvent::new("hi"));
        let mut message = b"1700000000000002 1700000000000000 9\nroom:a b\n".to_vec();
        message.extend_from_slice(&stored);
        let announced = decode_announcement(&message).expect("an announcement");
        assert_eq!(announced.topic, "room:a b\n");
        assert_eq!(announced.base, 1_700_000_000_000_000);
        assert_eq!(
            announced.event,
            HubEvent::published(1_700_000_000_000_002, &MessageEvent::new("hi"))
        );
        assert!(decode_announcement(b"1 2 30\nshort").is_none());
        assert!(decode_announcement(b"garbage").is_none());
    }

    #[test]
    fn a_channel_names_its_topic_back() {
        let keys = Keys::new("app:".to_owned(), 64);
        let channel = keys.channel("room:{a}:published");
        assert!(channel.starts_with(&format!("app:{{{}}}", keys.partition("room:{a}:published"))));
        assert_eq!(keys.topic_of(&channel), Some("room:{a}:published"));
        assert_eq!(keys.topic_of("other:{1}x:published"), None);
    }
}

//! The hub on Redis Streams, against a real `redis-server` per test, with two instances of the
//! sample's chat (two apps on two ports, one Redis) spoken to over real sockets: a message
//! published on one reaches subscribers on both, a client moved from one to the other resumes
//! exactly once, concurrent publications from both arrive in one order, and a trimmed history,
//! lost data or a Redis restart are answered as documented; and in Chromium, a chat page on each
//! instance, one of them moved from A to B by a load balancer.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use nestish_core::hub::Hub;
use nestish_sample::auth::{Sessions, Users};
use support::Conn;
use support::balancer::Balancer;
use support::redis::Redis;
use support::webdriver::Browser;

/// The sessions every instance of these tests shares, as instances behind one load balancer
/// share `SESSION_SECRET`.
static SESSIONS: LazyLock<Arc<Sessions>> =
    LazyLock::new(|| Arc::new(Sessions::with_secret(b"hub_redis tests")));

/// The users of every instance: the sample's default ones, hashed once for all the tests.
static USERS: LazyLock<Arc<Users>> = LazyLock::new(|| {
    Arc::new(Users::parse(nestish_sample::config::DEFAULT_USERS).expect("the default users"))
});

/// The `Cookie` header of a client logged in as `ann`.
static ANN: LazyLock<String> = LazyLock::new(|| {
    let token = SESSIONS.open("ann").expect("random bytes");
    format!("Cookie: session={token}")
});

/// One instance of the chat on `redis`: the running server and its hub.
async fn instance(redis: &Redis, history: usize) -> (support::Running, Hub) {
    let hub = Hub::redis(redis.url())
        .history(history)
        .connect()
        .await
        .expect("the hub connects to redis-server");
    let builder = nestish_sample::app_with(Arc::clone(&USERS), Arc::clone(&SESSIONS))
        .provide(hub.clone())
        .sse_keep_alive(Some(Duration::from_millis(200)));
    (support::serve(builder).await, hub)
}

/// A `redis-server` and two instances of the chat on it (`None`: skipped, no `redis-server`).
struct Pair {
    redis: Redis,
    a: SocketAddr,
    b: SocketAddr,
    hub_a: Hub,
    hub_b: Hub,
    /// Instance A's server, to stop it.
    server_a: support::Running,
}

async fn two_instances(history: usize) -> Option<Pair> {
    let redis = Redis::start().await?;
    let (server_a, hub_a) = instance(&redis, history).await;
    let (server_b, hub_b) = instance(&redis, history).await;
    Some(Pair {
        redis,
        a: server_a.addr,
        b: server_b.addr,
        hub_a,
        hub_b,
        server_a,
    })
}

impl Pair {
    /// A client of new messages on each instance.
    async fn live_streams(&self) -> [Stream; 2] {
        [
            Stream::open(self.a, "", &[]).await,
            Stream::open(self.b, "", &[]).await,
        ]
    }
}

/// Posts a chat message; the answer's status and body.
async fn try_post(addr: SocketAddr, text: &str) -> (u16, String) {
    let json = ["Content-Type: application/json", ANN.as_str()];
    let message = serde_json::json!({ "author": "ann", "text": text }).to_string();
    let mut conn = Conn::open(addr).await;
    conn.send_body("POST", "/chat/messages", &json, &message)
        .await;
    let head = conn.head().await;
    let body = conn.sized_body(&head).await;
    (head.status, body)
}

/// Posts a chat message; its id.
async fn post(addr: SocketAddr, text: &str) -> u64 {
    let (status, body) = try_post(addr, text).await;
    assert_eq!(status, 201, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).expect("JSON reply");
    reply["id"].as_u64().expect("an id")
}

/// Posts a chat message as soon as the instance's Redis connection is back (it answers 503
/// until then); its id.
async fn post_once_back(addr: SocketAddr, text: &str) -> u64 {
    let deadline = tokio::time::Instant::now() + support::PATIENCE;
    loop {
        let (status, body) = try_post(addr, text).await;
        match status {
            201 => {
                let reply: serde_json::Value = serde_json::from_str(&body).expect("JSON reply");
                return reply["id"].as_u64().expect("an id");
            }
            503 if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            _ => panic!("the instance never published again: {status} {body}"),
        }
    }
}

/// Posts `<prefix><n>` for each `n` of `numbers`, one after the other; their ids.
async fn post_each(
    addr: SocketAddr,
    prefix: &str,
    numbers: std::ops::RangeInclusive<usize>,
) -> Vec<u64> {
    let mut ids = Vec::new();
    for n in numbers {
        ids.push(post(addr, &format!("{prefix}{n}")).await);
    }
    ids
}

/// One event as a client reads it.
#[derive(Debug, PartialEq, Eq)]
struct Event {
    id: Option<u64>,
    kind: Option<String>,
    data: String,
}

impl Event {
    /// A chat message with this id and text.
    fn chat(id: u64, text: &str) -> Self {
        Self {
            id: Some(id),
            kind: None,
            data: format!(r#"{{"author":"ann","text":"{text}"}}"#),
        }
    }

    /// The `missed` notice.
    fn missed(last_event_id: u64, resume_from: u64) -> Self {
        Self {
            id: None,
            kind: Some("missed".to_owned()),
            data: format!(r#"{{"lastEventId":{last_event_id},"resumeFrom":{resume_from}}}"#),
        }
    }
}

/// A client of the chat's stream: its events, one at a time, heartbeats counted apart.
struct Stream {
    conn: Conn,
    buf: String,
    heartbeats: usize,
}

impl Stream {
    /// Opens `/chat/events` with extra header lines and a query.
    async fn open(addr: SocketAddr, query: &str, headers: &[&str]) -> Self {
        let mut conn = Conn::open(addr).await;
        let headers: Vec<&str> = headers.iter().copied().chain([ANN.as_str()]).collect();
        conn.send("GET", &format!("/chat/events{query}"), &headers)
            .await;
        assert_eq!(conn.head().await.status, 200);
        Self {
            conn,
            buf: String::new(),
            heartbeats: 0,
        }
    }

    /// The next event (heartbeats and the `retry` line are counted or skipped).
    async fn next(&mut self) -> Event {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = Event {
                    id: None,
                    kind: None,
                    data: String::new(),
                };
                let mut dispatch = false;
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.parse().expect("a numeric id"));
                    } else if let Some(kind) = line.strip_prefix("event: ") {
                        event.kind = Some(kind.to_owned());
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        event.data.push_str(data);
                        dispatch = true;
                    }
                }
                if block == ":\n\n" {
                    self.heartbeats += 1;
                }
                if dispatch {
                    return event;
                }
            }
            let chunk = self.conn.chunk().await.expect("the stream stays open");
            self.buf
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8 events"));
        }
    }

    /// The next `n` events.
    async fn take(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.next().await);
        }
        events
    }

    /// Reads until `n` more heartbeats came: the stream is open and its server alive.
    async fn heartbeats(&mut self, n: usize) {
        let wanted = self.heartbeats + n;
        while self.heartbeats < wanted {
            let chunk = self.conn.chunk().await.expect("the stream stays open");
            let chunk = std::str::from_utf8(&chunk).expect("UTF-8 events");
            self.heartbeats += chunk.matches(":\n\n").count();
            assert!(
                !chunk.contains("data:"),
                "no event while Redis is away: {chunk:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_published_on_one_instance_reaches_subscribers_on_both() {
    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let mut streams = Vec::new();
    for addr in [a, a, b, b] {
        streams.push(Stream::open(addr, "", &[]).await);
    }
    let mut expected = Vec::new();
    for n in 0..10 {
        let (addr, text) = if n % 2 == 0 { (a, "on A") } else { (b, "on B") };
        let id = post(addr, &format!("{text} {n}")).await;
        expected.push(Event::chat(id, &format!("{text} {n}")));
    }
    let ids: Vec<u64> = expected.iter().filter_map(|event| event.id).collect();
    assert!(
        ids.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "one id sequence across both instances: {ids:?}"
    );
    for stream in &mut streams {
        assert_eq!(stream.take(10).await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_an_id_gets_only_what_comes_after_it_opened() {
    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    // The first stream on A: A has handed out nothing of the topic yet.
    let mut first = Stream::open(a, "", &[]).await;
    let second_id = post(b, "second").await;
    assert_eq!(first.next().await, Event::chat(second_id, "second"));
    // The next one: A knows the last event it handed out, and starts after it.
    let mut later = Stream::open(a, "", &[]).await;
    let third_id = post(b, "third").await;
    assert_eq!(first.next().await, Event::chat(third_id, "third"));
    assert_eq!(later.next().await, Event::chat(third_id, "third"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_moved_from_a_to_b_gets_the_rest_exactly_once() {
    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let mut ids = post_each(a, "m", 1..=10).await;
    let mut on_a = Stream::open(a, "?after=0", &[]).await;
    let seen = on_a.take(4).await;
    assert_eq!(seen.last(), Some(&Event::chat(ids[3], "m4")));
    drop(on_a);
    ids.extend(post_each(b, "m", 11..=13).await);
    // The load balancer sends the reconnect to B, with the last id the browser saw.
    let last_seen = format!("Last-Event-ID: {}", ids[3]);
    let mut on_b = Stream::open(b, "?after=0", &[&last_seen]).await;
    let rest: Vec<Event> = (5..=13)
        .map(|n| Event::chat(ids[n - 1], &format!("m{n}")))
        .collect();
    assert_eq!(on_b.take(9).await, rest);
    // Then live, with nothing repeated in between.
    let id = post(a, "m14").await;
    assert_eq!(on_b.next().await, Event::chat(id, "m14"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publications_from_both_instances_arrive_in_one_order_without_gaps() {
    const EACH: usize = 2_500;
    let Some(pair) = two_instances(10_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let (hub_a, hub_b) = (pair.hub_a.clone(), pair.hub_b.clone());
    let mut streams = Vec::new();
    for addr in [a, b, a, b] {
        streams.push(Stream::open(addr, "", &[]).await);
    }
    let publishers = [("a", hub_a), ("b", hub_b)].map(|(name, hub)| {
        tokio::spawn(async move {
            // Many publications in flight at once, as from many request handlers.
            futures::future::join_all((0..EACH).map(|n| {
                let hub = hub.clone();
                async move {
                    hub.publish(nestish_sample::chat::TOPIC, format!("{name}{n}"))
                        .await
                        .expect("published")
                }
            }))
            .await
        })
    });
    let mut published = Vec::new();
    for publisher in publishers {
        published.extend(publisher.await.expect("publisher task"));
    }
    published.sort_unstable();
    let first = published[0];
    let expected_ids: Vec<u64> = (first..first + 2 * EACH as u64).collect();
    assert_eq!(published, expected_ids, "every publication got its own id");
    let mut orders = Vec::new();
    for stream in &mut streams {
        let events = stream.take(2 * EACH).await;
        let ids: Vec<u64> = events
            .iter()
            .map(|event| event.id.expect("an id"))
            .collect();
        assert_eq!(ids, expected_ids, "every id once, in order, no gap");
        orders.push(
            events
                .into_iter()
                .map(|event| event.data)
                .collect::<Vec<_>>(),
        );
    }
    assert!(
        orders.windows(2).all(|pair| pair[0] == pair[1]),
        "every subscriber saw the same order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_older_than_the_trimmed_history_gets_the_missed_notice() {
    let Some(pair) = two_instances(10).await else {
        return;
    };
    let hub = &pair.hub_a;
    let mut ids = Vec::new();
    for n in 0..1_000 {
        ids.push(
            hub.publish(nestish_sample::chat::TOPIC, format!("m{n}"))
                .await
                .expect("published"),
        );
    }
    let held = hub
        .history(nestish_sample::chat::TOPIC)
        .await
        .expect("the history");
    let oldest = held[0].id().expect("an id");
    assert!(
        held.len() < 1_000 && oldest > ids[1],
        "Redis trimmed the stream to about 10 (it holds {})",
        held.len()
    );
    // Resumed on the other instance.
    let mut stream = Stream::open(pair.b, "", &[&format!("Last-Event-ID: {}", ids[0])]).await;
    assert_eq!(stream.next().await, Event::missed(ids[0], oldest));
    let rest = stream.take(held.len()).await;
    let rest_ids: Vec<u64> = rest.iter().filter_map(|event| event.id).collect();
    assert_eq!(rest_ids, (oldest..=ids[999]).collect::<Vec<_>>());
    assert_eq!(rest.last().map(|event| event.data.as_str()), Some("m999"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_lost_its_data_an_old_id_gets_the_missed_notice_never_a_replay() {
    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let before = post_each(a, "before ", 1..=5).await;
    let mut open = Stream::open(b, "?after=0", &[]).await;
    assert_eq!(
        open.take(5).await.last(),
        Some(&Event::chat(before[4], "before 5"))
    );
    assert_eq!(pair.redis.command(&["FLUSHALL"]).await, "+OK");
    // Enough publications after the loss to pass the old ids, had ids restarted.
    let after = post_each(a, "after ", 1..=8).await;
    assert!(
        after[0] > before[4],
        "ids after the loss are above those before"
    );
    let new_epoch: Vec<Event> = (1..=8)
        .map(|n| Event::chat(after[n - 1], &format!("after {n}")))
        .collect();
    // The stream that stayed open: told, then the new events.
    assert_eq!(open.next().await, Event::missed(before[4], after[0]));
    assert_eq!(open.take(8).await, new_epoch);
    // A client coming back with an id from before the loss: the same.
    let last_seen = format!("Last-Event-ID: {}", before[2]);
    let mut again = Stream::open(b, "", &[&last_seen]).await;
    assert_eq!(again.next().await, Event::missed(before[2], after[0]));
    assert_eq!(again.take(8).await, new_epoch);
}

/// The milliseconds `key` has left to live (`PTTL`): -1 for a key without expiry, -2 for none.
async fn pttl(redis: &Redis, key: &str) -> i64 {
    let answer = redis.command(&["PTTL", key]).await;
    answer
        .strip_prefix(':')
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("PTTL {key}: {answer}"))
}

#[tokio::test]
async fn a_topic_idle_past_its_expiry_leaves_no_key_and_a_resume_gets_missed() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let hub = Hub::redis(redis.url())
        .idle_expiry(Duration::from_secs(1))
        .connect()
        .await
        .expect("the hub connects to redis-server");
    // The default, for comparison: a day.
    let lasting = Hub::redis(redis.url())
        .key_prefix("lasting:")
        .connect()
        .await
        .expect("the hub connects to redis-server");
    lasting.publish("kept", "x").await.expect("published");
    for key in ["lasting:{0}kept:meta", "lasting:{0}kept:events"] {
        let left = pttl(&redis, key).await;
        assert!(
            (86_340_000..=86_400_000).contains(&left),
            "{key} lives a day after its last publication: {left} ms"
        );
    }

    hub.publish("idle", "one").await.expect("published");
    let last = hub.publish("idle", "two").await.expect("published");
    let keys = ["nestish:hub:{0}idle:meta", "nestish:hub:{0}idle:events"];
    for key in keys {
        let left = pttl(&redis, key).await;
        assert!(
            (1..=1_000).contains(&left),
            "{key} expires a second after its last publication: {left} ms"
        );
    }
    // Once idle for the expiry, the topic is gone from Redis.
    let deadline = tokio::time::Instant::now() + support::PATIENCE;
    while redis.command(&["EXISTS", keys[0], keys[1]]).await != ":0" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle topic's keys never expired"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        redis.command(&["EXISTS", "lasting:{0}kept:meta"]).await,
        ":1"
    );

    // A client resuming from before the expiry is told it missed events, never replayed others.
    let next = hub.publish("idle", "three").await.expect("published");
    assert!(
        next > last,
        "ids go on above the expired ones: {last}, then {next}"
    );
    let mut resumed = hub.subscribe("idle", Some(last));
    let notice = tokio::time::timeout(support::PATIENCE, futures::StreamExt::next(&mut resumed))
        .await
        .expect("a notice in time")
        .expect("the subscription is open");
    assert_eq!(
        String::from_utf8_lossy(notice.encoded()),
        String::from_utf8_lossy(nestish_core::hub::HubEvent::missed(last, next).encoded())
    );
    let event = tokio::time::timeout(support::PATIENCE, futures::StreamExt::next(&mut resumed))
        .await
        .expect("an event in time")
        .expect("the subscription is open");
    assert_eq!(event.id(), Some(next));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_stream_streams_stay_open_and_continue_without_loss() {
    let Some(mut pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let mut streams = pair.live_streams().await;
    let mut expected = Vec::new();
    for n in 1..=3 {
        expected.push(Event::chat(
            post(a, &format!("m{n}")).await,
            &format!("m{n}"),
        ));
    }
    for stream in &mut streams {
        assert_eq!(stream.take(3).await, expected);
    }
    pair.redis.stop_saving().await;
    // Redis is away: publishing is refused as NestJS would, and the streams stay open.
    let (status, body) = try_post(b, "lost").await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        r#"{"statusCode":503,"message":"the chat cannot take messages right now","error":"Service Unavailable"}"#
    );
    for stream in &mut streams {
        stream.heartbeats(2).await;
    }
    pair.redis.restart().await;
    // Each instance publishes again once its connection is back.
    for (n, addr) in [(4, b), (5, a), (6, b)] {
        let text = format!("m{n}");
        expected.push(Event::chat(post_once_back(addr, &text).await, &text));
    }
    // Once each, in order, and nothing from before again.
    for stream in &mut streams {
        assert_eq!(stream.take(3).await, expected[3..]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_redis_catches_up_on_what_others_published_meanwhile() {
    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let mut on_a = Stream::open(a, "", &[]).await;
    let before = post(b, "before").await;
    assert_eq!(on_a.next().await, Event::chat(before, "before"));
    // A's connection is cut, and A cannot connect again: Redis takes no new client (this
    // session, already in, is how the test lets it back later). B, still connected, goes on.
    let mut admin = pair.redis.session().await;
    let clients = admin.command(&["CLIENT", "LIST"]).await;
    let first_subscriber = clients
        .lines()
        .filter(|client| client.contains(" sub=1 "))
        .filter_map(|client| {
            client
                .strip_prefix("id=")?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .min()
        .expect("the instances' connections");
    assert_eq!(
        admin.command(&["CONFIG", "SET", "maxclients", "1"]).await,
        "+OK"
    );
    let a_connection = first_subscriber.to_string();
    assert_eq!(
        admin
            .command(&["CLIENT", "KILL", "ID", &a_connection])
            .await,
        ":1"
    );
    assert_eq!(try_post(a, "refused").await.0, 503, "A is cut off");
    let meanwhile = post_each(b, "meanwhile ", 1..=3).await;
    on_a.heartbeats(1).await;
    // A is let back: its stream gets what B published meanwhile, once, then live again.
    assert_eq!(
        admin
            .command(&["CONFIG", "SET", "maxclients", "10000"])
            .await,
        "+OK"
    );
    let after = post_once_back(a, "after").await;
    let mut expected: Vec<Event> = (1..=3)
        .map(|n| Event::chat(meanwhile[n - 1], &format!("meanwhile {n}")))
        .collect();
    expected.push(Event::chat(after, "after"));
    assert_eq!(on_a.take(4).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_topics_with_subscribers_share_one_redis_connection_per_instance_for_their_events()
 {
    use futures::StreamExt;

    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let topics: Vec<String> = (0..1_000).map(|n| format!("room-{n}")).collect();
    // Half resume from the start of their topic (a read from Redis each), half take new events.
    let mut subscriptions: Vec<_> = topics
        .iter()
        .enumerate()
        .map(|(n, topic)| pair.hub_a.subscribe(topic, (n % 2 == 0).then_some(0)))
        .collect();
    for (topic, subscription) in topics.iter().zip(&mut subscriptions) {
        pair.hub_b
            .publish(topic, topic.clone())
            .await
            .expect("published");
        let event = tokio::time::timeout(support::PATIENCE, subscription.next())
            .await
            .expect("the event arrives in time")
            .expect("an event");
        let wire = String::from_utf8_lossy(event.encoded()).into_owned();
        assert!(wire.ends_with(&format!("data: {topic}\n\n")), "{wire}");
    }
    let clients = pair.redis.command(&["CLIENT", "LIST"]).await;
    // Every client but the one asking: per instance, the hub's connection and the one that
    // hears revocations.
    let hubs = clients.lines().count() - 1;
    assert_eq!(hubs, 4, "two connections per instance: {clients}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_empty_streams_continue_after_the_missed_notice() {
    let Some(mut pair) = two_instances(1_000).await else {
        return;
    };
    let (a, b) = (pair.a, pair.b);
    let mut streams = pair.live_streams().await;
    let last = post(a, "before").await;
    for stream in &mut streams {
        assert_eq!(stream.next().await, Event::chat(last, "before"));
    }
    pair.redis.kill().await;
    for stream in &mut streams {
        stream.heartbeats(1).await;
    }
    pair.redis.restart().await;
    let id = post_once_back(b, "after").await;
    for stream in &mut streams {
        assert_eq!(stream.next().await, Event::missed(last, id));
        assert_eq!(stream.next().await, Event::chat(id, "after"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_fell_behind_is_resynchronised_from_the_stream() {
    use futures::StreamExt;

    let Some(redis) = Redis::start().await else {
        return;
    };
    let hub = Hub::redis(redis.url())
        .buffer(4)
        .connect()
        .await
        .expect("the hub connects");
    let mut slow = hub.subscribe("ticks", None);
    let mut ids = Vec::new();
    for n in 0..500 {
        ids.push(
            hub.publish("ticks", n.to_string())
                .await
                .expect("published"),
        );
    }
    // Far more than its buffer of 4 went by unread: it still gets every one, in order.
    let got: Vec<_> = tokio::time::timeout(
        support::PATIENCE,
        (&mut slow).take(500).map(|event| event.id()).collect(),
    )
    .await
    .expect("every event arrives in time");
    assert_eq!(got, ids.into_iter().map(Some).collect::<Vec<_>>());
}

/// The field `name` of `INFO <section>`, as a number.
async fn info(redis: &Redis, section: &str, name: &str) -> u64 {
    let info = redis.command(&["INFO", section]).await;
    info.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO {section}: {info}"))
}

/// The attack of a topic per name, on Redis: a million publications on a million distinct
/// topics nobody reads. Redis ends with at most `max_topics` topics (two keys each, and the
/// index), every key expiring, in a bounded memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_topics_nobody_reads_leave_redis_within_its_bounds() {
    use futures::StreamExt;

    const TOPICS: usize = 1_000_000;
    const MAX_TOPICS: usize = 10_000;
    /// Redis's memory per topic held: a stream's first node (about 4 KB however small its
    /// events), the meta hash, the index entry, with room to spare.
    const PER_TOPIC: u64 = 8 * 1024;
    let Some(redis) = Redis::start().await else {
        return;
    };
    let idle = Duration::from_secs(3_600);
    let hub = Hub::redis(redis.url())
        .max_topics(MAX_TOPICS)
        .idle_expiry(idle)
        .connect()
        .await
        .expect("the hub connects");
    let memory_before = info(&redis, "memory", "used_memory").await;
    let key_bound = (2 * MAX_TOPICS + 1).to_string();
    let topic = |n: usize| format!("notifications/user-{n}");
    for batch in (0..TOPICS).step_by(100_000) {
        // Many in flight on the hub's one connection: the client pipelines them.
        futures::stream::iter(batch..batch + 100_000)
            .for_each_concurrent(512, |n| {
                let hub = hub.clone();
                async move {
                    hub.publish(&topic(n), r#"{"from":"mallory"}"#)
                        .await
                        .expect("published");
                }
            })
            .await;
        // Checked as it goes: a hub without bounds fails here, long before Redis is full.
        let keys = redis.command(&["DBSIZE"]).await;
        let keys: usize = keys.trim_start_matches(':').parse().expect("a count");
        assert!(
            keys <= 2 * MAX_TOPICS + 1,
            "after {} topics Redis holds {keys} keys, past {key_bound}",
            batch + 100_000
        );
    }
    let memory = info(&redis, "memory", "used_memory").await;
    // Every key expires, within the idle expiry.
    let keyspace = redis.command(&["INFO", "keyspace"]).await;
    let db0 = keyspace
        .lines()
        .find_map(|line| line.strip_prefix("db0:"))
        .expect("db0 in INFO keyspace");
    let field = |name: &str| {
        db0.split(',')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .and_then(|value| value.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no {name} in {db0}"))
    };
    println!(
        "{TOPICS} topics published on Redis: {db0}; used_memory {:.1} MiB -> {:.1} MiB",
        memory_before as f64 / 1_048_576.0,
        memory as f64 / 1_048_576.0,
    );
    assert!(
        memory.saturating_sub(memory_before) <= MAX_TOPICS as u64 * PER_TOPIC,
        "Redis grew by {} bytes",
        memory.saturating_sub(memory_before)
    );
    assert_eq!(field("keys"), 2 * MAX_TOPICS + 1, "{db0}");
    assert_eq!(
        field("expires"),
        field("keys"),
        "a key without expiry: {db0}"
    );
    for key in [
        "nestish:hub:{0}topics".to_owned(),
        format!("nestish:hub:{{0}}{}:events", topic(TOPICS - 1)),
    ] {
        let ttl: u64 = redis.command(&["TTL", &key]).await[1..]
            .parse()
            .expect("a TTL");
        assert!(ttl > 0 && ttl <= idle.as_secs(), "{key}: TTL {ttl}");
    }
    // The topics published the least recently went first; the newest keep their event.
    assert!(hub.history(&topic(0)).await.expect("read").is_empty());
    assert_eq!(
        hub.history(&topic(TOPICS - 1)).await.expect("read").len(),
        1
    );
}

/// A read of a topic nobody published on makes its keys too (its epoch): those count toward
/// `max_topics` as a publication's do.
#[tokio::test]
async fn reads_of_made_up_topics_count_toward_max_topics() {
    use futures::StreamExt;

    let Some(redis) = Redis::start().await else {
        return;
    };
    let hub = Hub::redis(redis.url())
        .max_topics(10)
        .connect()
        .await
        .expect("the hub connects");
    for n in 0..50 {
        // An id this topic never gave: the first read answers with the missed notice.
        let mut made_up = hub.subscribe(&format!("made-up-{n}"), Some(5));
        let notice = tokio::time::timeout(support::PATIENCE, made_up.next())
            .await
            .expect("the notice arrives in time")
            .expect("a notice");
        assert_eq!(notice.id(), None, "the missed notice");
    }
    let keys = redis.command(&["DBSIZE"]).await;
    assert_eq!(keys, ":11", "ten topics' epochs and the index");
}

#[tokio::test]
async fn a_redis_that_cannot_be_reached_at_start_up_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("redis://app:s3cret@127.0.0.1:{port}");
    let error = Hub::redis(&url)
        .connect()
        .await
        .expect_err("nothing listens there");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "the hub could not connect to redis://app:***@127.0.0.1:{port}: "
        )),
        "{message}"
    );
    let error = Hub::redis("http://127.0.0.1")
        .connect()
        .await
        .expect_err("not a Redis URL");
    assert!(error.to_string().contains("http://127.0.0.1"), "{error}");
}

/// Waits (on the page's own mutations, not by polling) until the chat page shows at least
/// `count` messages; returns their texts and whether a `missed` notice was shown.
async fn chat_page_shows(browser: &Browser, count: usize) -> (Vec<String>, bool) {
    let script = "const [count, done] = [arguments[0], arguments[arguments.length - 1]];
        const list = document.getElementById('messages');
        const check = () => {
          const shown = [...list.querySelectorAll('li.chat-message')].map(li => li.textContent);
          if (shown.length < count) return false;
          observer.disconnect();
          done([shown, list.querySelector('li.missed') !== null]);
          return true;
        };
        const observer = new MutationObserver(check);
        if (!check()) observer.observe(list, { childList: true });";
    let found = browser
        .execute_async(script, serde_json::json!([count]))
        .await;
    serde_json::from_value(found.clone())
        .unwrap_or_else(|_| panic!("the page did not show {count} messages: {found}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_pages_on_both_instances_see_every_message_once_even_a_page_moved_to_b() {
    let (Some(on_a), Some(on_b)) = (Browser::launch().await, Browser::launch().await) else {
        return;
    };
    let Some(pair) = two_instances(1_000).await else {
        return;
    };
    let balancer = Balancer::start(pair.a, pair.b).await;
    // Logged in on A (through the balancer), the first page is known on B too.
    support::webdriver::log_in(&on_a, balancer.addr, "ann").await;
    support::webdriver::log_in(&on_b, pair.b, "bob").await;
    on_a.goto(&format!("http://{}/chat", balancer.addr)).await;
    on_b.goto(&format!("http://{}/chat", pair.b)).await;
    let send = "const done = arguments[arguments.length - 1];\
                send(arguments[0]).then(done, (e) => done(String(e)));";
    let mut expected = Vec::new();
    for n in 1..=6 {
        let (page, author) = if n % 2 == 0 {
            (&on_b, "bob")
        } else {
            (&on_a, "ann")
        };
        let status = page
            .execute_async(send, serde_json::json!([format!("hello {n}")]))
            .await;
        assert_eq!(status, 201);
        expected.push(format!("{author}: hello {n}"));
    }
    for page in [&on_a, &on_b] {
        assert_eq!(chat_page_shows(page, 6).await, (expected.clone(), false));
    }
    // A goes away: the first page's EventSource reconnects, through the balancer, to B, with
    // the last id it has, while B's page goes on talking.
    balancer.move_to_b();
    pair.server_a.handle.shutdown();
    for n in 7..=9 {
        let status = on_b
            .execute_async(send, serde_json::json!([format!("hello {n}")]))
            .await;
        assert_eq!(status, 201);
        expected.push(format!("bob: hello {n}"));
    }
    let status = on_a
        .execute_async(send, serde_json::json!(["from B now"]))
        .await;
    assert_eq!(status, 201);
    expected.push("ann: from B now".to_owned());
    // Nothing lost and, since the last message comes after the others, nothing repeated.
    for page in [&on_a, &on_b] {
        assert_eq!(chat_page_shows(page, 10).await, (expected.clone(), false));
    }
}

/// The topic channels some instance listens to now (`PUBSUB CHANNELS`, without the channel of
/// revocations, which every instance listens to on a connection of its own).
async fn channels_listened(redis: &Redis) -> u64 {
    let count = redis
        .command(&["PUBSUB", "CHANNELS", "nestish:hub:{*}*:published"])
        .await;
    count
        .strip_prefix('*')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("an array's length: {count}"))
}

/// Waits until `channels_listened` is `want`.
async fn until_channels_listened(redis: &Redis, want: u64) {
    let reached = tokio::time::timeout(support::PATIENCE, async {
        while channels_listened(redis).await != want {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let now = channels_listened(redis).await;
    assert!(reached.is_ok(), "{now} channels listened to, not {want}");
}

/// How many times Redis ran `command` (`cmdstat_<command>:calls=N` of `INFO commandstats`).
async fn calls(redis: &Redis, command: &str) -> u64 {
    let info = redis.command(&["INFO", "commandstats"]).await;
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn an_instance_listens_only_to_the_topics_it_serves_and_leaves_them_after_a_grace() {
    use futures::StreamExt;

    let Some(redis) = Redis::start().await else {
        return;
    };
    let connect = || {
        Hub::redis(redis.url())
            .linger(Duration::from_millis(200))
            .connect()
    };
    let (a, b) = (connect().await.expect("A"), connect().await.expect("B"));
    assert_eq!(channels_listened(&redis).await, 0, "nobody serves anything");
    let mut watched = a.subscribe("watched", None);
    until_channels_listened(&redis, 1).await;
    b.publish("elsewhere", "x").await.expect("published");
    let id = b.publish("watched", "y").await.expect("published");
    let event = tokio::time::timeout(support::PATIENCE, watched.next())
        .await
        .expect("in time")
        .expect("an event");
    assert_eq!(event.id(), Some(id));
    // A listens to its one topic; B, which serves nobody, to nothing. Redis sends a connection
    // its messages in order, so had A read "elsewhere" it would have come before "watched".
    assert_eq!(channels_listened(&redis).await, 1);
    assert_eq!(
        a.announcements_received(),
        Some(1),
        "A read only its topic's event"
    );
    assert_eq!(b.announcements_received(), Some(0), "B read nothing");
    drop(watched);
    until_channels_listened(&redis, 0).await;
}

#[tokio::test]
async fn a_reload_within_the_grace_keeps_the_topic_listened_and_loses_nothing() {
    use futures::StreamExt;

    let Some(redis) = Redis::start().await else {
        return;
    };
    let hub = Hub::redis(redis.url())
        .linger(Duration::from_secs(60))
        .connect()
        .await
        .expect("the hub connects");
    // The revocations' connection subscribes once when the hub connects.
    let at_start = calls(&redis, "subscribe").await;
    let mut page = hub.subscribe("room", Some(0));
    let first = hub.publish("room", "1").await.expect("published");
    assert_eq!(page.next().await.and_then(|e| e.id()), Some(first));
    drop(page);
    let second = hub.publish("room", "2").await.expect("published");
    // The page reloads with the last id it had: it gets what came meanwhile, once, then live.
    let mut reloaded = hub.subscribe("room", Some(first));
    let third = hub.publish("room", "3").await.expect("published");
    let got: Vec<_> = tokio::time::timeout(
        support::PATIENCE,
        (&mut reloaded).take(2).map(|event| event.id()).collect(),
    )
    .await
    .expect("in time");
    assert_eq!(got, [Some(second), Some(third)]);
    assert_eq!(
        calls(&redis, "subscribe").await - at_start,
        1,
        "subscribed once"
    );
    assert_eq!(calls(&redis, "unsubscribe").await, 0);
}

#[tokio::test]
async fn topics_left_linger_at_most_max_topics_whatever_the_clients_asked_for() {
    use futures::StreamExt;

    let Some(redis) = Redis::start().await else {
        return;
    };
    let hub = Hub::redis(redis.url())
        .max_topics(2)
        .linger(Duration::from_secs(600))
        .connect()
        .await
        .expect("the hub connects");
    for n in 0..6 {
        let topic = format!("made-up-{n}");
        let mut subscription = hub.subscribe(&topic, Some(0));
        let id = hub.publish(&topic, "x").await.expect("published");
        let event = tokio::time::timeout(support::PATIENCE, subscription.next())
            .await
            .expect("in time");
        assert_eq!(event.and_then(|e| e.id()), Some(id));
    }
    // Far within the grace, only `max_topics` of the six topics nobody serves stay listened to.
    until_channels_listened(&redis, 2).await;
}

//! Presence on the hub, through the sample's chat over real sockets: who has a chat stream open,
//! in process and on a real `redis-server` (two instances, one Redis) or a real Redis Cluster
//! (three masters, three replicas), each user once however many tabs they have, with `join` and
//! `leave` events that arrive once each to the streams that ask for them; a topic's entries
//! bounded per instance, and gone with its streams. (An instance killed with `SIGKILL`, whose
//! users leave within the expiry: `nestish-sample/tests/two_processes.rs`.)

mod support;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use nestish_core::hub::{
    Hub, HubConfig, HubError, MemoryBackend, PresenceMode, RedisHub, SubscribeAs,
};
use nestish_core::testing::{EventStream, Test, TestApp};
use nestish_sample::auth::{Sessions, Users};
use nestish_sample::chat;
use serde_json::{Value, json};
use support::redis::Redis;
use support::redis_cluster::Cluster;
use support::webdriver::Browser;

/// The sessions every instance shares, as instances behind one load balancer share
/// `SESSION_SECRET`.
static SESSIONS: LazyLock<Arc<Sessions>> =
    LazyLock::new(|| Arc::new(Sessions::with_secret(b"hub_presence tests")));

/// The sample's default users, `ann` and `bob`, hashed once for all the tests.
static USERS: LazyLock<Arc<Users>> = LazyLock::new(|| {
    Arc::new(Users::parse(nestish_sample::config::DEFAULT_USERS).expect("the default users"))
});

/// A session token of `user`.
fn session(user: &str) -> String {
    SESSIONS.open(user).expect("random bytes")
}

/// The sample's chat on `hub`, served on a loopback port.
async fn chat(hub: Hub) -> TestApp {
    let builder = nestish_sample::app_with(Arc::clone(&USERS), Arc::clone(&SESSIONS)).provide(hub);
    Test::module(builder)
        .start()
        .await
        .expect("the chat starts")
}

/// A chat stream of `user` on `app`; with the `join` and `leave` events if `presence`.
async fn open(app: &TestApp, user: &str, presence: bool) -> EventStream {
    let path = if presence {
        "/chat/events?presence=true"
    } else {
        "/chat/events"
    };
    let events = app.sse(path).cookie("session", &session(user)).await;
    assert_eq!(events.status(), 200);
    events
}

/// `GET /chat/online` on `app`, as `ann`.
async fn online(app: &TestApp) -> Value {
    let answer = app
        .get("/chat/online")
        .cookie("session", &session("ann"))
        .await;
    assert_eq!(answer.status(), 200);
    answer.json()
}

/// Polls `GET /chat/online` on `app` until it lists exactly `users`; panics after the test's
/// patience.
async fn until_online(app: &TestApp, users: &[&str]) {
    let deadline = tokio::time::Instant::now() + support::PATIENCE;
    loop {
        let now = online(app).await;
        if now["online"] == json!(users) {
            assert_eq!(now["count"], json!(users.len()));
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never online: {users:?}; last {now}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next event of `events`, which must be the announcement `kind` of `user`.
async fn announced(events: &mut EventStream, kind: &str, user: &str) {
    let event = events.next_event().await;
    assert_eq!(
        (event.event.as_str(), event.json::<Value>().unwrap()),
        (kind, json!({ "principal": format!("user:{user}") })),
        "after {:?}",
        events.seen()
    );
}

/// Posts `text` to the chat on `app` as `bob`, then reads `events` up to it: the next event must
/// be that message (so nothing was announced in between).
async fn next_is_message(app: &TestApp, events: &mut EventStream, text: &str) {
    let posted = app
        .post("/chat/messages")
        .cookie("session", &session("bob"))
        .json(&json!({ "text": text }))
        .await;
    assert_eq!(posted.status(), 201);
    let event = events.next_event().await;
    assert_eq!(event.event, "message", "after {:?}", events.seen());
    assert_eq!(event.json::<Value>().unwrap()["text"], text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_a_user_with_two_tabs_is_online_once_and_announced_once_each_way() {
    let hub = Hub::with_backend(MemoryBackend::new(
        HubConfig::default().presence(chat::presence_mode),
    ));
    let app = chat(hub.clone()).await;
    let mut watcher = open(&app, "bob", true).await;
    announced(&mut watcher, "join", "bob").await;
    let first_tab = open(&app, "ann", false).await;
    announced(&mut watcher, "join", "ann").await;
    let second_tab = open(&app, "ann", false).await;
    assert_eq!(
        online(&app).await,
        json!({ "count": 2, "online": ["ann", "bob"], "truncated": false })
    );
    // A subscription without a principal (a watcher nobody logged in as) is nobody.
    let anonymous = hub.subscribe_as(chat::TOPIC, None, SubscribeAs::anonymous());
    assert_eq!(hub.presence(chat::TOPIC).await.unwrap().count(), 2);
    drop(first_tab);
    until_online(&app, &["ann", "bob"]).await;
    drop(second_tab);
    // The server sees the second tab go when its connection closes.
    announced(&mut watcher, "leave", "ann").await;
    until_online(&app, &["bob"]).await;
    // Nothing else was announced: not the second tab's arrival, nor the first one's departure.
    next_is_message(&app, &mut watcher, "after ann left").await;
    drop(anonymous);
    // A stream that did not ask for the announcements never sees one.
    let mut plain = open(&app, "ann", false).await;
    next_is_message(&app, &mut plain, "plain").await;
    // A topic whose presence is not kept says so.
    assert!(matches!(
        hub.presence("notifications:ann").await,
        Err(HubError::PresenceOff { .. })
    ));
}

/// The page's `Online:` line (`<count> <names>`), once it reads `wanted` (the test's patience
/// at most); what it last read.
async fn page_online(browser: &Browser, wanted: &str) -> String {
    let deadline = tokio::time::Instant::now() + support::PATIENCE;
    loop {
        let found = browser
            .execute(
                "return document.getElementById('online-count').textContent + ' ' \
                 + document.getElementById('online').textContent;",
                json!([]),
            )
            .await;
        let text = found.as_str().unwrap_or_default().to_owned();
        if text == wanted || tokio::time::Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_in_chromium_shows_who_is_online_as_users_come_and_go() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let hub = Hub::with_backend(MemoryBackend::new(
        HubConfig::default().presence(chat::presence_mode),
    ));
    let app = chat(hub).await;
    support::webdriver::log_in(&browser, app.addr(), "ann").await;
    browser.goto(&format!("http://{}/chat", app.addr())).await;
    assert_eq!(page_online(&browser, "1 ann").await, "1 ann");
    // Bob opens the chat elsewhere: the page hears of it and reads who is online again.
    let bob = open(&app, "bob", false).await;
    assert_eq!(page_online(&browser, "2 ann, bob").await, "2 ann, bob");
    drop(bob);
    assert_eq!(page_online(&browser, "1 ann").await, "1 ann");
}

/// Where a Redis test runs: one server or a cluster, and how to count the entries it holds for
/// the chat's presence.
enum Topology {
    Single(Redis),
    Cluster(Cluster),
}

impl Topology {
    /// A hub builder on it, keeping the chat's presence with a short expiry.
    fn hub(&self) -> RedisHub {
        let builder = match self {
            Self::Single(redis) => Hub::redis(redis.url()),
            Self::Cluster(cluster) => Hub::redis_cluster(cluster.seeds()),
        };
        builder
            .presence(chat::presence_mode)
            .presence_expiry(Duration::from_secs(2))
    }

    /// The entries of the chat's presence in Redis (one per user per instance).
    async fn entries(&self) -> usize {
        let answer = match self {
            // One partition on a single server: its hash tag is `{0}`.
            Self::Single(redis) => {
                redis
                    .command(&["ZCARD", "nestish:hub:{0}chat:presence"])
                    .await
            }
            Self::Cluster(cluster) => {
                // 64 partitions on a cluster; a topic's is FNV-1a of its name, modulo them.
                let hash = chat::TOPIC
                    .bytes()
                    .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
                    });
                let key = format!("nestish:hub:{{{}}}chat:presence", hash % 64);
                // The slot's master answers; the others redirect (`-MOVED`).
                let mut answer = String::new();
                for master in cluster.masters().await {
                    let reply = cluster.command(master, &["ZCARD", &key]).await;
                    if reply.starts_with(':') {
                        answer = reply;
                    }
                }
                answer
            }
        };
        answer
            .trim_start_matches(':')
            .parse()
            .unwrap_or_else(|_| panic!("ZCARD answers a number: {answer}"))
    }

    /// Polls until Redis holds `count` entries of the chat's presence.
    async fn until_entries(&self, count: usize) {
        let deadline = tokio::time::Instant::now() + support::PATIENCE;
        loop {
            let now = self.entries().await;
            if now == count {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {count} entries; {now}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Two instances of the chat on `topology`: each sees the other's users, a user with a tab on
/// each is online once, and a watcher on one hears each arrival and departure once.
async fn two_instances_share_presence(topology: Topology) {
    let hub_a = topology.hub().connect().await.expect("A connects");
    let hub_b = topology.hub().connect().await.expect("B connects");
    let (a, b) = (chat(hub_a.clone()).await, chat(hub_b).await);

    let mut watcher = open(&b, "bob", true).await;
    announced(&mut watcher, "join", "bob").await;
    let on_a = open(&a, "ann", false).await;
    announced(&mut watcher, "join", "ann").await;
    until_online(&a, &["ann", "bob"]).await;
    until_online(&b, &["ann", "bob"]).await;
    let presence = hub_a.presence(chat::TOPIC).await.expect("read from Redis");
    assert_eq!(presence.principals, ["user:ann", "user:bob"]);

    // A second tab on the other instance: one more entry, no second arrival.
    let on_b = open(&b, "ann", false).await;
    topology.until_entries(3).await;
    drop(on_a);
    topology.until_entries(2).await;
    until_online(&b, &["ann", "bob"]).await;
    // The last tab goes: one departure, and nothing announced before it.
    drop(on_b);
    announced(&mut watcher, "leave", "ann").await;
    topology.until_entries(1).await;
    until_online(&a, &["bob"]).await;
    next_is_message(&a, &mut watcher, "after ann left").await;

    // The watcher goes too: nothing of the chat's presence is left in Redis.
    drop(watcher);
    topology.until_entries(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_redis_see_each_others_users_and_announce_each_change_once() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    two_instances_share_presence(Topology::Single(redis)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_a_redis_cluster_see_each_others_users_and_announce_each_change_once() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    two_instances_share_presence(Topology::Cluster(cluster)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_limit_an_instance_lists_no_more_users_and_a_freed_place_is_taken() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let topology = Topology::Single(redis);
    let limited = topology.hub().presence_limit(1).connect().await.unwrap();
    let reader = topology.hub().connect().await.unwrap();
    let app = chat(limited.clone()).await;
    let ann = open(&app, "ann", false).await;
    let bob = open(&app, "bob", false).await;
    // Many subscriptions without a principal add nothing.
    let anonymous: Vec<_> = (0..100)
        .map(|_| limited.subscribe(chat::TOPIC, None))
        .collect();
    let deadline = tokio::time::Instant::now() + support::PATIENCE;
    let presence = loop {
        let presence = reader.presence(chat::TOPIC).await.unwrap();
        if presence.truncated || tokio::time::Instant::now() > deadline {
            break presence;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(presence.truncated, "{presence:?}");
    assert_eq!(presence.principals, ["user:ann"], "the first to come");
    // The instance's entries: ann's, and the one saying it holds more than it lists.
    assert_eq!(topology.entries().await, 2);
    drop(ann);
    until_online(&app, &["bob"]).await;
    let presence = reader.presence(chat::TOPIC).await.unwrap();
    assert!(!presence.truncated, "{presence:?}");
    drop((bob, anonymous));
    topology.until_entries(0).await;
}

#[tokio::test]
async fn presence_of_a_topic_it_does_not_keep_is_an_error_on_redis_too() {
    let Some(redis) = Redis::start().await else {
        return;
    };
    let hub = Topology::Single(redis).hub().connect().await.unwrap();
    let error = hub.presence("notifications:ann").await.unwrap_err();
    assert!(matches!(error, HubError::PresenceOff { .. }), "{error}");
    assert_eq!(
        chat::presence_mode("notifications:ann"),
        PresenceMode::Off,
        "the sample keeps the chat's presence only"
    );
}

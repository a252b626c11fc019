//! A drain that loses nothing: two instances of an app on one real `redis-server`, behind a TCP
//! load balancer, with 1,000 of Node.js's own `EventSource`s subscribed through it to instance
//! A while events are published at up to 100 a second. A is shut down: every stream ends cleanly
//! with a `retry:` drawn across the drain window, every client reconnects (through the
//! balancer, to B) after its own delay and resumes by `Last-Event-ID`, and receives every event
//! exactly once and in order.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::Stream;
use nestish_core::hub::{Hub, HubEvent};
use nestish_core::{NestFactory, controller, inject, sse};
use support::balancer::Balancer;
use support::redis::Redis;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{ChildStdout, Command};
use tokio::sync::oneshot;

/// The clients: Node.js's `EventSource`s in one process (one file descriptor each there, three
/// in this one: the balancer's two and the instance's one).
const CLIENTS: usize = 1_000;
/// Events published a second, at most: one at a time, each after Redis answered the one before
/// (so ids and data go up together), which on a loaded machine is about half of it.
const RATE: u32 = 100;
/// The drain window of the test's instances: shorter than the default, to keep the test short.
const WINDOW: Duration = Duration::from_secs(4);
/// Buckets of the reconnection histogram.
const BUCKETS: usize = 10;
/// How long the whole exchange may take before the test fails instead of hanging: the window,
/// and a generous margin for a loaded machine.
const DEADLINE: Duration = Duration::from_secs(120);

pub struct FeedController {
    hub: Arc<Hub>,
}

#[controller("feed")]
impl FeedController {
    #[inject]
    fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }

    #[sse("events")]
    fn events(
        &self,
        #[last_event_id] seen: Option<u64>,
    ) -> impl Stream<Item = HubEvent> + Send + 'static {
        self.hub.subscribe("feed", seen)
    }
}

/// One instance on `redis`, with a history long enough for every event of the test.
async fn instance(redis: &Redis) -> (support::Running, Hub) {
    let hub = Hub::redis(redis.url())
        .history(100_000)
        .connect()
        .await
        .expect("the hub connects to redis-server");
    let builder = NestFactory::create()
        .controllers::<(FeedController,)>()
        .provide(hub.clone())
        .drain_window(WINDOW);
    (support::serve(builder).await, hub)
}

/// What one client received, as the Node.js script reports it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Client {
    data: Vec<String>,
    ids: Vec<String>,
    reconnect_ms: f64,
}

/// Publishes `0`, `1`, `2`... on `hub` at [`RATE`] a second until `finish` fires, then [`RATE`]
/// more and `end`; the ids and data of all but `end`, in order. One at a time, so that ids and
/// data go up together; a tick missed while Redis answers is caught up at once after it.
async fn publish(
    hub: Hub,
    count: Arc<AtomicUsize>,
    mut finish: oneshot::Receiver<()>,
) -> Vec<(String, String)> {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / RATE);
    let mut published = Vec::new();
    let mut left = None;
    while left != Some(0) {
        ticks.tick().await;
        if left.is_none() && finish.try_recv().is_ok() {
            left = Some(RATE);
        }
        let data = published.len().to_string();
        let id = hub.publish("feed", data.clone()).await.expect("published");
        published.push((id.to_string(), data));
        count.store(published.len(), Ordering::SeqCst);
        left = left.map(|n| n - 1);
    }
    hub.publish("feed", "end").await.expect("published");
    published
}

/// How many of `millis` fall in each tenth of [`WINDOW`] (past it: in the last).
fn histogram(millis: &[f64]) -> [usize; BUCKETS] {
    let bucket = WINDOW.as_secs_f64() * 1000.0 / BUCKETS as f64;
    let mut histogram = [0; BUCKETS];
    for ms in millis {
        histogram[((ms / bucket) as usize).min(BUCKETS - 1)] += 1;
    }
    histogram
}

/// Waits for the Node.js script to print `line`.
async fn expect_line(lines: &mut Lines<BufReader<ChildStdout>>, line: &str) {
    let got = lines.next_line().await.expect("node's output");
    assert_eq!(got.as_deref(), Some(line), "node said something else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_instance_loses_nothing_and_its_clients_come_back_spread_over_the_window() {
    if !support::tools::available("node") {
        return;
    }
    let Some(redis) = Redis::start().await else {
        return;
    };
    let logs = support::logs::capture_process(tracing::Level::DEBUG);
    let (a, _hub_a) = instance(&redis).await;
    let (b, hub_b) = instance(&redis).await;
    let balancer = Balancer::start(a.addr, b.addr).await;

    let mut node = Command::new("node")
        .arg("--experimental-eventsource")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/clients/drain.mjs"
        ))
        .arg(format!("http://{}/feed/events", balancer.addr))
        .arg(CLIENTS.to_string())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = BufReader::new(node.stdout.take().expect("piped")).lines();

    let mut started = std::time::Instant::now();
    let exchange = async {
        expect_line(&mut lines, "opened").await;
        assert_eq!(a.handle.open_streams(), CLIENTS, "every client is on A");
        let (finish, finishing) = oneshot::channel();
        started = std::time::Instant::now();
        let count = Arc::new(AtomicUsize::new(0));
        let publisher = tokio::spawn(publish(hub_b.clone(), Arc::clone(&count), finishing));
        // Every client has an event, and so a Last-Event-ID to resume from.
        expect_line(&mut lines, "received").await;
        // The deploy: A out of the balancer's pool, then shut down.
        balancer.send_new_to_b();
        a.handle.shutdown();
        let at_shutdown = count.load(Ordering::SeqCst);
        expect_line(&mut lines, "reconnected").await;
        let during_drain = count.load(Ordering::SeqCst) - at_shutdown;
        finish.send(()).expect("the publisher runs");
        let published = publisher.await.expect("the publisher did not panic");
        let report = lines.next_line().await.expect("node's output");
        let clients: Vec<Client> =
            serde_json::from_str(&report.expect("the report")).expect("node prints JSON");
        (published, clients, during_drain)
    };
    let Ok((published, clients, during_drain)) = tokio::time::timeout(DEADLINE, exchange).await
    else {
        panic!(
            "the drain did not complete: A holds {} streams on {} connections, B {} on {}",
            a.handle.open_streams(),
            a.handle.open_connections(),
            b.handle.open_streams(),
            b.handle.open_connections()
        );
    };
    a.served_cleanly().await;
    assert_eq!(clients.len(), CLIENTS);

    // Every event, exactly once, in order, whichever instance it came from.
    let (ids, data): (Vec<String>, Vec<String>) = published.iter().cloned().unzip();
    for (n, client) in clients.iter().enumerate() {
        assert_eq!(client.ids, ids, "client {n}'s ids");
        assert_eq!(client.data, data, "client {n}'s events");
    }
    // Some of them while clients were between A and B: those came from B's replay.
    assert!(during_drain > 0, "no event was published during the drain");

    // The delays A gave its streams, as it logged them when it drew them, bucketed over the
    // window: what the clients were told, whatever the machine's load did to their timers.
    let drawn: Vec<f64> = logs
        .lines(&["stream drained"])
        .iter()
        .map(|line| {
            let millis = line.split("retry_ms=").nth(1).expect("a retry_ms field");
            let millis = millis.split_whitespace().next().unwrap_or_default();
            millis.parse().expect("milliseconds")
        })
        .collect();
    assert_eq!(drawn.len(), CLIENTS, "A drained each of its streams once");
    let window_ms = WINDOW.as_secs_f64() * 1000.0;
    assert!(drawn.iter().all(|&ms| ms <= window_ms), "{drawn:?}");
    let retries = histogram(&drawn);
    // The time from each client's end on A to its open on B, as Node.js measured it: the draw
    // plus the time to reconnect, so a busy machine moves some a bucket later. Reported, not
    // checked: it is a duration.
    let reconnections: Vec<f64> = clients.iter().map(|client| client.reconnect_ms).collect();
    let reconnections = histogram(&reconnections);
    eprintln!(
        "over {WINDOW:?} in {BUCKETS} buckets: retries drawn {retries:?}, reconnections \
         measured {reconnections:?}; {} events in {:?}, {during_drain} of them during the drain",
        published.len(),
        started.elapsed()
    );
    // Uniform draws put 100 clients in each bucket, with a standard deviation of 9.5: 50..=160
    // is more than five of them either side, which a fair draw misses about once in ten
    // million runs. A herd (every retry the same, or squeezed into part of the window) fails.
    assert!(
        retries.iter().all(|n| (50..=160).contains(n)),
        "the retries are not spread over the window: {retries:?}"
    );
    drop(redis);
}

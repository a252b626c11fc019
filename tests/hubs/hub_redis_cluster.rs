//! The hub on a real Redis Cluster (three masters, three replicas, started by each test on
//! loopback): the single-server guarantees hold there too (two instances act as one, a client
//! moved from one to the other resumes exactly once, concurrent publications arrive in one order,
//! a trimmed history and lost data give the `missed` notice), topics spread over every master,
//! and a stream lives through a master's failover, planned or not.

use crate::support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use nestish_core::hub::{Hub, HubEvent, MISSED_EVENT, Subscription};
use support::redis_cluster::Cluster;
use tokio::sync::watch;

/// A hub instance on `cluster`.
async fn instance(cluster: &Cluster, history: usize) -> Hub {
    Hub::redis_cluster(cluster.seeds())
        .history(history)
        .connect()
        .await
        .expect("the hub connects to the cluster")
}

/// The next event of `subscription`, in time.
async fn next(subscription: &mut Subscription) -> HubEvent {
    tokio::time::timeout(support::PATIENCE, subscription.next())
        .await
        .expect("an event in time")
        .expect("the subscription stays open")
}

/// The data of `event` (its `data:` line).
fn data(event: &HubEvent) -> String {
    let wire = String::from_utf8_lossy(event.encoded()).into_owned();
    wire.lines()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap_or_default()
        .to_owned()
}

/// Whether `event` is the `missed` notice.
fn is_missed(event: &HubEvent) -> bool {
    event.id().is_none()
        && String::from_utf8_lossy(event.encoded()).starts_with(&format!("event: {MISSED_EVENT}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_a_cluster_act_as_one_and_a_moved_client_resumes_once() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (a, b) = (
        instance(&cluster, 10_000).await,
        instance(&cluster, 10_000).await,
    );

    // Live on both, published on both: one id sequence.
    let mut on_a = a.subscribe("chat", Some(0));
    let mut on_b = b.subscribe("chat", Some(0));
    let mut ids = Vec::new();
    for n in 0..10 {
        let hub = if n % 2 == 0 { &a } else { &b };
        ids.push(
            hub.publish("chat", format!("m{n}"))
                .await
                .expect("published"),
        );
    }
    assert!(ids.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ids:?}");
    for subscription in [&mut on_a, &mut on_b] {
        for (n, id) in ids.iter().enumerate() {
            let event = next(subscription).await;
            assert_eq!((event.id(), data(&event)), (Some(*id), format!("m{n}")));
        }
    }

    // A client reads four from A, is moved to B with the last id it saw: the rest, once.
    let mut moved = a.subscribe("chat", Some(0));
    for id in &ids[..4] {
        assert_eq!(next(&mut moved).await.id(), Some(*id));
    }
    drop(moved);
    ids.push(b.publish("chat", "m10").await.expect("published"));
    let mut moved = b.subscribe("chat", Some(ids[3]));
    for id in &ids[4..] {
        assert_eq!(next(&mut moved).await.id(), Some(*id));
    }
    let live = a.publish("chat", "m11").await.expect("published");
    assert_eq!(next(&mut moved).await.id(), Some(live));

    // 5,000 publications at once from both instances: every one its own id, one order, and a
    // subscriber on each instance gets them all in it.
    let before = live;
    let mut from_a = a.subscribe("chat", Some(before));
    let mut from_b = b.subscribe("chat", Some(before));
    let mut publishers = Vec::new();
    for task in 0..10 {
        let hub = if task % 2 == 0 { a.clone() } else { b.clone() };
        publishers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..500 {
                let text = format!("c{task}-{n}");
                ids.push(hub.publish("chat", text).await.expect("published"));
            }
            ids
        }));
    }
    let mut published = Vec::new();
    for publisher in publishers {
        published.extend(publisher.await.expect("publisher task"));
    }
    published.sort_unstable();
    let expected: Vec<u64> = (before + 1..=before + 5_000).collect();
    assert_eq!(published, expected, "every publication got its own id");
    for subscription in [&mut from_a, &mut from_b] {
        for id in &expected {
            assert_eq!(next(subscription).await.id(), Some(*id));
        }
    }

    // Topics spread over every master: each holds some of a hundred topics' keys.
    for n in 0..100 {
        a.publish(&format!("room-{n}"), "x")
            .await
            .expect("published");
    }
    for master in cluster.masters().await {
        let held = cluster.command(master, &["DBSIZE"]).await;
        assert_ne!(held, ":0", "master {master} holds no topic");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trimmed_history_and_lost_data_give_the_missed_notice_on_a_cluster() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let hub = instance(&cluster, 10).await;
    let mut ids = Vec::new();
    for n in 0..300 {
        ids.push(hub.publish("log", n.to_string()).await.expect("published"));
    }
    // Id 5 left the trimmed history long ago: the notice, then the oldest held.
    let mut old = hub.subscribe("log", Some(ids[4]));
    let notice = next(&mut old).await;
    assert!(is_missed(&notice), "{notice:?}");
    let oldest = next(&mut old).await.id().expect("an event");
    assert!(
        oldest > ids[5] && oldest <= ids[289],
        "oldest held {oldest}"
    );

    // Every master loses its data (a restart without persistence): an old id gets the notice
    // and the new epoch's events, never a replay of unrelated ones.
    let last = *ids.last().expect("published");
    let mut open = hub.subscribe("log", Some(last));
    cluster.on_every_master(&["FLUSHALL"]).await;
    let next_id = hub.publish("log", "after").await.expect("published");
    assert!(
        next_id > last,
        "a new epoch above every id given: {next_id} > {last}"
    );
    let mut resumed = hub.subscribe("log", Some(last));
    for subscription in [&mut open, &mut resumed] {
        let notice = next(subscription).await;
        assert!(is_missed(&notice), "{notice:?}");
        let event = next(subscription).await;
        assert_eq!(
            (event.id(), data(&event)),
            (Some(next_id), "after".to_owned())
        );
    }
}

/// Publishes `t<n>` on `topic` from `hub` over and over until told to stop and then 50 more have
/// been taken; returns the `n` of every publication Redis acknowledged. Each one Redis failed is
/// not published again (it may or may not have been kept). `acked` counts them as they go.
async fn publish_through(
    hub: Hub,
    topic: &'static str,
    stop: Arc<AtomicBool>,
    acked: watch::Sender<usize>,
) -> Vec<u64> {
    let mut taken = Vec::new();
    let mut after_stop = 0;
    for n in 1.. {
        if hub.publish(topic, format!("t{n}")).await.is_ok() {
            taken.push(n);
            acked.send_replace(taken.len());
            if stop.load(Ordering::SeqCst) {
                after_stop += 1;
                if after_stop == 50 {
                    break;
                }
            }
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    taken
}

/// Reads `subscription` until event `t<last>` arrives; returns the `n` of every `t<n>` delivered
/// and how many `missed` notices came.
async fn read_until(subscription: &mut Subscription, last: u64) -> (Vec<u64>, usize) {
    let (mut delivered, mut missed) = (Vec::new(), 0);
    loop {
        let event = next(subscription).await;
        if is_missed(&event) {
            missed += 1;
            continue;
        }
        let n: u64 = data(&event)
            .strip_prefix('t')
            .and_then(|n| n.parse().ok())
            .expect("a t<n> event");
        delivered.push(n);
        if n == last {
            return (delivered, missed);
        }
    }
}

/// A stream on A while B publishes and the master of the topic fails: the stream stays open,
/// catches up, never repeats an event and keeps their order; an acknowledged event it lacks
/// is announced by a `missed` notice.
async fn a_stream_lives_through(failure: impl AsyncFnOnce(&mut Cluster, usize)) {
    let Some(mut cluster) = Cluster::start().await else {
        return;
    };
    let (a, b) = (
        instance(&cluster, 10_000).await,
        instance(&cluster, 10_000).await,
    );
    let start = b.publish("ticks", "t0").await.expect("published");
    let mut stream = a.subscribe("ticks", Some(start - 1));
    assert_eq!(data(&next(&mut stream).await), "t0");
    let stop = Arc::new(AtomicBool::new(false));
    let (acked, mut counted) = watch::channel(0);
    let publisher = tokio::spawn(publish_through(
        b.clone(),
        "ticks",
        Arc::clone(&stop),
        acked,
    ));
    counted.wait_for(|n| *n >= 200).await.expect("publishing");
    let master = cluster.master_of("*ticks:meta").await;
    failure(&mut cluster, master).await;
    stop.store(true, Ordering::SeqCst);
    let taken = publisher.await.expect("the publisher");
    let last = *taken.last().expect("published");
    let (delivered, missed) = read_until(&mut stream, last).await;
    assert!(
        delivered.windows(2).all(|pair| pair[0] < pair[1]),
        "in order, never twice"
    );
    let got: BTreeSet<u64> = delivered.iter().copied().collect();
    let lacking = taken.iter().filter(|n| !got.contains(n)).count();
    assert!(
        lacking == 0 || missed > 0,
        "{lacking} acknowledged events lacking, without a missed notice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_lives_through_a_planned_master_failover() {
    a_stream_lives_through(async |cluster: &mut Cluster, master| {
        cluster.fail_over(master).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_lives_through_a_master_killed_mid_stream() {
    a_stream_lives_through(async |cluster: &mut Cluster, master| {
        cluster.kill(master).await;
        // The replica takes over once the others count the master as failed.
        let replaced = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while cluster.masters().await.len() < 3 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
        .await;
        assert!(
            replaced.is_ok(),
            "no replica took the killed master's place"
        );
        cluster.until_ok().await;
    })
    .await;
}

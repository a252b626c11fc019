//! fleet: several nestish instances on one `redis-server`, each serving its own share of the
//! users. What it measures is the hub's interest-based reading: an instance reads from Redis the
//! events of the topics its subscribers hold, not every event of the fleet, so the Redis messages
//! it reads divided by the events its own subscribers get is about 1 with one topic per user
//! (it was the number of instances when every instance read one channel of everything), and far
//! below 1 when everyone listens to one broadcast topic.

use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::child::{Launch, Server};
use crate::load::Swarm;
use crate::scenarios::{Params, connect};
use crate::servers::{HUB_TOPIC, Kind};

/// Instances of the fleet.
const INSTANCES: usize = 4;

/// Publications in flight at once on the per-user topics.
const IN_FLIGHT: usize = 64;

/// Publications a second on the broadcast topic: every one is delivered to every user.
pub(crate) const BROADCAST_PER_S: u64 = 20;

/// What one phase of the fleet measured.
struct Phase {
    /// The largest, over the instances, of Redis messages read ÷ events its subscribers got.
    worst_ratio: f64,
    /// Events the whole fleet's subscribers got per second.
    delivered_per_s: f64,
}

/// The announcements instance `server` has read from Redis so far (`GET /fleet/received`, a
/// plain number).
async fn received(server: &Server) -> io::Result<u64> {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await?;
    tcp.write_all(b"GET /fleet/received HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_string(&mut answer))
        .await
        .map_err(|_| io::Error::other("/fleet/received did not answer in 10 s"))??;
    answer
        .strip_prefix("HTTP/1.1 200")
        .and_then(|rest| rest.split_once("\r\n\r\n"))
        .and_then(|(_, body)| body.trim().parse().ok())
        .ok_or_else(|| io::Error::other(format!("/fleet/received answered {answer:?}")))
}

/// Opens, on each instance, the streams of its share of the users (`path(user)`), paced on what
/// it has accepted.
async fn open_shares(
    servers: &[Server],
    users: usize,
    params: &Params,
    path: impl Fn(usize) -> String,
    lifetime: Duration,
) -> io::Result<Vec<Swarm>> {
    let share = users / servers.len();
    let mut swarms = Vec::new();
    for (n, server) in servers.iter().enumerate() {
        let paths = (n * share..(n + 1) * share).map(&path).collect();
        let mut swarm = Swarm::new(server.addr, "/", lifetime).with_paths(paths);
        connect(server, &mut swarm, share, params, Duration::from_secs(10)).await?;
        swarms.push(swarm);
    }
    Ok(swarms)
}

/// Waits until every subscriber has its events (`want` in all), or `patience` has passed; the
/// events each swarm got since `before`.
async fn settle(swarms: &[Swarm], before: &[u64], want: u64, patience: Duration) -> Vec<u64> {
    let got = |swarms: &[Swarm]| -> Vec<u64> {
        swarms
            .iter()
            .zip(before)
            .map(|(swarm, before)| swarm.events() - before)
            .collect()
    };
    let deadline = Instant::now() + patience;
    while got(swarms).iter().sum::<u64>() < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    got(swarms)
}

/// Per instance, announcements read ÷ events its subscribers got; prints each; the largest.
async fn worst_ratio(
    servers: &[Server],
    read_before: &[u64],
    delivered: &[u64],
    what: &str,
) -> io::Result<f64> {
    let mut worst = 0.0_f64;
    let mut lines = Vec::new();
    for ((server, before), delivered) in servers.iter().zip(read_before).zip(delivered) {
        let read = received(server).await? - before;
        let ratio = read as f64 / (*delivered).max(1) as f64;
        lines.push(format!("{read} read / {delivered} delivered"));
        worst = worst.max(ratio);
    }
    eprintln!("  {what}: {}", lines.join("; "));
    Ok(worst)
}

/// Runs fleet; returns the per-user phase's worst ratio and delivered events/s, then the
/// broadcast phase's.
pub(crate) async fn measure(params: &Params) -> io::Result<Vec<f64>> {
    let redis = crate::redis::Redis::start().await?;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let mut servers = Vec::new();
    for _ in 0..INSTANCES {
        servers.push(
            Server::start(Launch {
                redis: Some(redis.port),
                ..Launch::plain(Kind::Nestish, params.idle_tick)
            })
            .await?,
        );
    }
    let publisher = nestish_core::hub::Hub::redis(url)
        .connect()
        .await
        .map_err(io::Error::other)?;
    let mut fds = Vec::new();
    for server in &servers {
        fds.push(crate::procfs::open_fds(server.pid)?);
    }
    let users = params.fleet_users - params.fleet_users % INSTANCES;
    let lifetime = 2 * params.hub_hold + Duration::from_secs(180);

    eprintln!("  {users} users, one topic each, a quarter on each of {INSTANCES} instances");
    let swarms = open_shares(
        &servers,
        users,
        params,
        |user| format!("/user/{user}"),
        lifetime,
    )
    .await?;
    let per_user = per_user_phase(&servers, &swarms, &publisher, users, params).await?;
    drop(swarms);
    // The next phase paces its connects on the servers' descriptors: first every connection of
    // this one must be gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    for (server, fds) in servers.iter().zip(&fds) {
        while crate::procfs::open_fds(server.pid)? > *fds {
            if Instant::now() > deadline {
                return Err(io::Error::other(
                    "the per-user streams were not closed in 30 s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    eprintln!("  {users} users on one broadcast topic, a quarter on each instance");
    let swarms = open_shares(&servers, users, params, |_| "/hub".to_owned(), lifetime).await?;
    let broadcast = broadcast_phase(&servers, &swarms, &publisher, users, params).await?;
    drop(swarms);
    for server in servers {
        server.stop().await?;
    }
    Ok(vec![
        per_user.worst_ratio,
        per_user.delivered_per_s,
        broadcast.worst_ratio,
        broadcast.delivered_per_s,
    ])
}

async fn per_user_phase(
    servers: &[Server],
    swarms: &[Swarm],
    publisher: &nestish_core::hub::Hub,
    users: usize,
    params: &Params,
) -> io::Result<Phase> {
    let mut read_before = Vec::new();
    for server in servers {
        read_before.push(received(server).await?);
    }
    let before: Vec<u64> = swarms.iter().map(Swarm::events).collect();
    let started = Instant::now();
    let publishers = (0..IN_FLIGHT).map(|lane| async move {
        let mut published = 0_u64;
        let mut user = lane;
        while started.elapsed() < params.hub_hold {
            publisher
                .publish(&format!("user:{user}"), r#"{"t":0,"n":0}"#)
                .await
                .map_err(io::Error::other)?;
            published += 1;
            user = (user + IN_FLIGHT) % users;
        }
        io::Result::Ok(published)
    });
    let published: u64 = futures::future::try_join_all(publishers)
        .await?
        .iter()
        .sum();
    let delivered = settle(swarms, &before, published, Duration::from_secs(30)).await;
    let elapsed = started.elapsed();
    let total: u64 = delivered.iter().sum();
    eprintln!(
        "  {published} published on per-user topics, {total} delivered in {:.2} s",
        elapsed.as_secs_f64()
    );
    Ok(Phase {
        worst_ratio: worst_ratio(servers, &read_before, &delivered, "per-user topics").await?,
        delivered_per_s: total as f64 / elapsed.as_secs_f64(),
    })
}

async fn broadcast_phase(
    servers: &[Server],
    swarms: &[Swarm],
    publisher: &nestish_core::hub::Hub,
    users: usize,
    params: &Params,
) -> io::Result<Phase> {
    let mut read_before = Vec::new();
    for server in servers {
        read_before.push(received(server).await?);
    }
    let before: Vec<u64> = swarms.iter().map(Swarm::events).collect();
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / BROADCAST_PER_S as u32);
    let mut published = 0_u64;
    while started.elapsed() < params.hub_hold {
        ticks.tick().await;
        publisher
            .publish(HUB_TOPIC, r#"{"t":0,"n":0}"#)
            .await
            .map_err(io::Error::other)?;
        published += 1;
    }
    let want = published * users as u64;
    let delivered = settle(swarms, &before, want, Duration::from_secs(30)).await;
    let elapsed = started.elapsed();
    let total: u64 = delivered.iter().sum();
    eprintln!(
        "  {published} published on the broadcast topic, {total} of {want} delivered in {:.2} s",
        elapsed.as_secs_f64()
    );
    Ok(Phase {
        worst_ratio: worst_ratio(servers, &read_before, &delivered, "one broadcast topic").await?,
        delivered_per_s: total as f64 / elapsed.as_secs_f64(),
    })
}

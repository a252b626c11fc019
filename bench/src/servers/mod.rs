//! The servers under test (four in Rust, and NestJS on Node.js when it is installed), with
//! identical routes:
//!
//! - `GET /sse`: `data: {"hello":"world"}` every tick, the first one tick after the request (as
//!   RxJS's and nestish's `interval`), for as long as the client stays;
//! - `GET /flood?n=N`: `N` events `{"hello":"world","i":i}` for `i` in `0..N`, as fast as the
//!   socket takes them, then the end of the response;
//! - `GET /hub`: live fan-out of one publisher's events (`id: n` and `data: {"t":T,"n":n}`, `T`
//!   the publication's Unix time in µs), to every subscriber: nestish's `Hub`, a
//!   `tokio::sync::broadcast` channel for the peers. The publisher runs only when the server is
//!   started with `--hub-ms`, so the other scenarios never see it.
//!
//! Every payload is serialised by `serde_json` on every event, as a real application would, so
//! the servers differ only in what the framework adds around it. Each server runs on one thread
//! (tokio's current-thread runtime, or actix-web with one worker) and sets `TCP_NODELAY`.

mod actix;
mod axum;
mod hyper;
mod nestish;
pub(crate) mod nestjs;

pub(crate) use nestish::SESSION_COOKIE;

use std::fmt;
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::{Stream, stream};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// Which server to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// nestish, through its public API only.
    Nestish,
    /// axum 0.8 with `axum::response::sse`.
    Axum,
    /// actix-web 4 with `actix_web_lab::sse`.
    Actix,
    /// hyper 1 with a hand-written body: the floor.
    Hyper,
    /// NestJS 11's `@Sse()` on Node.js (Express): optional, run only when `node` and `npm` are
    /// on `PATH`.
    Nestjs,
    /// nestish with its Prometheus recorder installed (`metrics_route`), to weigh what
    /// counting costs beside `Nestish` in the same run: only in a build with `--features metrics`.
    #[cfg(feature = "metrics")]
    NestishMetrics,
}

impl Kind {
    /// Every server, in the order of the table's columns.
    #[cfg(not(feature = "metrics"))]
    pub(crate) const ALL: &[Self] = &[
        Self::Nestish,
        Self::Axum,
        Self::Actix,
        Self::Hyper,
        Self::Nestjs,
    ];
    /// Every server, in the order of the table's columns.
    #[cfg(feature = "metrics")]
    pub const ALL: &[Self] = &[
        Self::Nestish,
        Self::NestishMetrics,
        Self::Axum,
        Self::Actix,
        Self::Hyper,
        Self::Nestjs,
    ];

    /// The name on the command line and in the table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Nestish => "nestish",
            Self::Axum => "axum",
            Self::Actix => "actix",
            Self::Hyper => "hyper",
            Self::Nestjs => "nestjs",
            #[cfg(feature = "metrics")]
            Self::NestishMetrics => "nestish-metrics",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                format!("unknown server {name:?} (nestish, axum, actix, hyper or nestjs)")
            })
    }
}

/// What a server process is told on its command line.
#[derive(Debug)]
pub(crate) struct Config {
    /// The port to listen on, on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The period of `GET /sse`.
    pub tick: Duration,
    /// The period of the `GET /hub` publisher; `None`: no publisher (the route still answers).
    pub hub: Option<Duration>,
    /// Serve HTTPS with this certificate and key (PEM files) rather than HTTP.
    pub tls: Option<crate::tls::Files>,
    /// nestish only: the port of a local `redis-server` its hub is on (`Hub::redis`), so that
    /// several server processes share one hub; `None`: the in-process hub.
    pub redis: Option<u16>,
    /// nestish and the hand-written server: listen with `SO_REUSEPORT`, so that several server
    /// processes share one port (c100k-procs).
    pub reuse_port: bool,
}

impl Kind {
    /// Whether it has an HTTPS variant here: nestish's `listen_tls`, and axum with
    /// axum-server's rustls acceptor, the way axum users add TLS.
    pub(crate) fn serves_tls(self) -> bool {
        matches!(self, Self::Nestish | Self::Axum)
    }
}

/// Runs `kind` until the process is killed.
pub(crate) fn serve(kind: Kind, config: Config) -> io::Result<()> {
    if config.tls.is_some() && !kind.serves_tls() {
        return Err(io::Error::other(format!("{kind} has no TLS variant here")));
    }
    if config.redis.is_some() && kind != Kind::Nestish {
        return Err(io::Error::other(
            "--redis-port: only nestish has a hub on Redis",
        ));
    }
    match kind {
        Kind::Nestish => nestish::serve(config),
        #[cfg(feature = "metrics")]
        Kind::NestishMetrics => nestish::serve_with_metrics(config),
        Kind::Axum => axum::serve(config),
        Kind::Actix => actix::serve(config),
        Kind::Hyper => hyper::serve(config),
        Kind::Nestjs => nestjs::serve(config),
    }
}

/// The line a server prints on stdout once it listens; the harness waits for it and reads the
/// address from it, so a server never takes a fixed port and is never raced before it listens.
pub(crate) const READY_PREFIX: &str = "listening on ";

fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{READY_PREFIX}{addr}")?;
    stdout.flush()
}

/// A single-threaded tokio runtime: one server, one thread, one CPU.
fn current_thread_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The payload of `GET /sse`.
#[derive(Clone, Copy, Serialize)]
struct Hello {
    hello: &'static str,
}

const HELLO: Hello = Hello { hello: "world" };

/// The payload of event `i` of `GET /flood`.
#[derive(Clone, Copy, Serialize)]
struct Flood {
    hello: &'static str,
    i: u64,
}

impl Flood {
    fn new(i: u64) -> Self {
        Self { hello: "world", i }
    }
}

/// The query of `GET /flood`.
#[derive(Deserialize)]
struct FloodQuery {
    n: u64,
}

/// The tick stream of `GET /sse` for the peers: the same schedule as `nestish_core::interval`
/// (first tick one period after the request, late ticks not made up for), so that time to first
/// event compares the servers and not their timers.
fn ticks(period: Duration) -> Ticks {
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    Ticks(interval)
}

struct Ticks(Interval);

impl Stream for Ticks {
    type Item = ();

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.0.poll_tick(cx).map(|_| Some(()))
    }
}

/// The payload of a `GET /hub` event: when it was published and its number.
#[derive(Clone, Copy, Serialize)]
struct Stamp {
    /// Unix time of the publication, µs (`SystemTime`, which the load generator on the same
    /// machine reads too).
    t: u64,
    n: u64,
}

/// The topic nestish's publisher uses.
pub(crate) const HUB_TOPIC: &str = "bench";

/// How many events a peer's broadcast channel holds for a slow subscriber (nestish's default).
const HUB_BUFFER: usize = 1_024;

/// The publisher stops after this many events (an hour at 10 per second): a bound, not a limit
/// any run reaches.
const HUB_MAX_EVENTS: u64 = 36_000;

/// Microseconds since the Unix epoch.
pub(crate) fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        })
}

/// The publisher of `GET /hub`: every `period` (the first one `period` after the start), a
/// [`Stamp`] taken just before `publish` is called with it. Ticks missed while the runtime was
/// busy are published at once, back to back, so a saturated server still gets the full rate
/// and cannot lower it by delaying its own publisher.
async fn publish_stamps<F: Future<Output = ()>>(
    period: Duration,
    mut publish: impl FnMut(Stamp) -> F,
) {
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
    for n in 1..=HUB_MAX_EVENTS {
        interval.tick().await;
        publish(Stamp {
            t: unix_micros(),
            n,
        })
        .await;
    }
}

/// A stamp's JSON, as the peers publish it: serialised once, shared by every subscriber.
fn stamp_json(stamp: Stamp) -> std::sync::Arc<str> {
    serde_json::to_string(&stamp)
        .expect("a stamp always serialises")
        .into()
}

/// The peers' hub: a broadcast channel of `T`, and a stream over one subscription to it.
fn hub_channel<T: Clone>() -> broadcast::Sender<T> {
    broadcast::channel(HUB_BUFFER).0
}

/// A live subscription (`sender.subscribe()`) as a stream; a subscriber that lagged skips what it
/// missed (the peers keep no history), one whose channel closed ends.
fn hub_subscription<T: Clone + Send + 'static>(
    receiver: broadcast::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(item) => return Some((item, receiver)),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

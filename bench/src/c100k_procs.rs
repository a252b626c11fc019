//! c100k-procs: 100,000 idle streams on one machine, where one process may hold at most 20,000
//! descriptors. Several server processes share one port (`SO_REUSEPORT`: nestish's
//! `AppBuilder::reuse_port`, a `TcpSocket` option for the hand-written server), all pinned to
//! CPU 0 as one core of a real deployment would be shared, and the streams come from several
//! load processes of this binary (`swarm`, on CPU 1), each below its own descriptor limit.
//!
//! The load processes are paced from here, one batch at a time, on what the servers together
//! have accepted (their open descriptors, from `/proc`), as single-process c100k paces one
//! server: an overflowing backlog would drop SYNs and blur the connect rate.

use std::io::{self, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::child::{Launch, PARENT_ENV, Server};
use crate::load::Swarm;
use crate::procfs;
use crate::scenarios::Params;
use crate::servers::Kind;

/// Streams one load process opens: under the 20,000 descriptors a process may hold here, with
/// room for its runtime's own.
const STREAMS_PER_SWARM: usize = 19_000;

/// What a load process says about its streams.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    opened: usize,
    failed: usize,
    streaming: usize,
    events: u64,
}

impl Counts {
    fn parse(line: &str) -> io::Result<Self> {
        let numbers: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| io::Error::other(format!("a swarm answered {line:?}")))?;
        match numbers[..] {
            [opened, failed, streaming, events] => Ok(Self {
                opened: opened as usize,
                failed: failed as usize,
                streaming: streaming as usize,
                events,
            }),
            _ => Err(io::Error::other(format!("a swarm answered {line:?}"))),
        }
    }

    fn add(self, other: Self) -> Self {
        Self {
            opened: self.opened + other.opened,
            failed: self.failed + other.failed,
            streaming: self.streaming + other.streaming,
            events: self.events + other.events,
        }
    }
}

/// `swarm ADDR LIFETIME_S SOURCES`: a load process. Reads commands on stdin, one a line:
/// `open N` opens N more `GET /sse` streams (connected and sent, not waiting for heads), and
/// `count` reports; each answers `opened failed streaming events` on stdout. Ends, closing
/// every stream, when stdin closes.
pub(crate) fn swarm(args: &[String]) -> Result<(), String> {
    let [addr, lifetime, sources] = args else {
        return Err("swarm ADDR LIFETIME_S SOURCES (comma-separated addresses)".to_owned());
    };
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("swarm: address {addr:?}"))?;
    let lifetime = Duration::from_secs(
        lifetime
            .parse()
            .map_err(|_| format!("swarm: lifetime {lifetime:?}"))?,
    );
    let sources: Vec<IpAddr> = sources
        .split(',')
        .map(|source| {
            source
                .parse()
                .map_err(|_| format!("swarm: source {source:?}"))
        })
        .collect::<Result<_, _>>()?;
    if let Some(parent) = std::env::var(PARENT_ENV)
        .ok()
        .and_then(|pid| pid.parse().ok())
    {
        crate::os::die_with_parent(parent);
    }
    crate::os::raise_fd_limit().map_err(|error| format!("swarm: fd limit: {error}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime
        .block_on(async move {
            let mut swarm = Swarm::new(addr, "/sse", lifetime).with_sources(sources);
            // Commands are read on a thread of their own (this build of tokio has no stdin),
            // and end with stdin.
            let (commands_tx, mut commands) = tokio::sync::mpsc::unbounded_channel();
            std::thread::spawn(move || {
                for line in std::io::stdin().lines() {
                    let Ok(line) = line else { break };
                    if commands_tx.send(line).is_err() {
                        break;
                    }
                }
            });
            while let Some(line) = commands.recv().await {
                if let Some(count) = line.strip_prefix("open ") {
                    let count = count
                        .trim()
                        .parse()
                        .map_err(|_| io::Error::other(format!("swarm: {line:?}")))?;
                    swarm.open(count).await;
                } else if line != "count" {
                    return Err(io::Error::other(format!("swarm: unknown command {line:?}")));
                }
                let mut stdout = std::io::stdout().lock();
                writeln!(
                    stdout,
                    "{} {} {} {}",
                    swarm.opened(),
                    swarm.failed(),
                    swarm.streaming(),
                    swarm.events()
                )?;
                stdout.flush()?;
            }
            io::Result::Ok(())
        })
        .map_err(|error| error.to_string())
}

/// The harness's side of one load process.
struct SwarmProcess {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl SwarmProcess {
    fn start(addr: SocketAddr, lifetime: Duration, sources: &[IpAddr]) -> io::Result<Self> {
        let sources: Vec<String> = sources.iter().map(ToString::to_string).collect();
        let mut child = Command::new(std::env::current_exe()?)
            .arg("swarm")
            .arg(addr.to_string())
            .arg(lifetime.as_secs().to_string())
            .arg(sources.join(","))
            .env(PARENT_ENV, std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        Ok(Self {
            _child: child,
            stdin,
            stdout,
        })
    }

    async fn ask(&mut self, command: &str) -> io::Result<Counts> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await?;
        self.stdin.flush().await?;
        let line = tokio::time::timeout(Duration::from_secs(60), self.stdout.next_line())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "a swarm did not answer"))??
            .ok_or_else(|| io::Error::other("a swarm exited"))?;
        Counts::parse(&line)
    }
}

/// The sum of every load process's counts.
async fn total(swarms: &mut [SwarmProcess]) -> io::Result<Counts> {
    let mut sum = Counts::default();
    for swarm in swarms {
        sum = sum.add(swarm.ask("count").await?);
    }
    Ok(sum)
}

/// Descriptors open in every server process.
fn server_fds(servers: &[Server]) -> io::Result<usize> {
    servers
        .iter()
        .map(|server| procfs::open_fds(server.pid))
        .sum()
}

/// Runs c100k-procs on `kind`: `params.c100k_procs` servers on one port, `params.c100k_streams`
/// streams; returns KiB per stream (the servers' peak RSS growths added up), ticks delivered in
/// % of those due, and streams connected per second.
pub(crate) async fn measure(
    kind: Kind,
    params: &Params,
    tick: Duration,
    hold: Duration,
    sources: Vec<IpAddr>,
) -> io::Result<Vec<f64>> {
    let first = Server::start(Launch::plain(kind, tick).sharing_port(0)).await?;
    let port = first.addr.port();
    let mut servers = vec![first];
    for _ in 1..params.c100k_procs.max(1) {
        servers.push(Server::start(Launch::plain(kind, tick).sharing_port(port)).await?);
    }
    let mut baselines = Vec::new();
    for server in &servers {
        baselines.push(crate::scenarios::memory_baseline(server.pid)?);
    }
    let streams = params.c100k_streams;
    let lifetime = hold + 2 * tick + Duration::from_secs(600);
    let mut swarms = (0..streams.div_ceil(STREAMS_PER_SWARM))
        .map(|_| SwarmProcess::start(servers[0].addr, lifetime, &sources))
        .collect::<io::Result<Vec<_>>>()?;

    let fds_before = server_fds(&servers)?;
    let started = Instant::now();
    let (mut opened, mut failed) = (0, 0);
    for (n, swarm) in swarms.iter_mut().enumerate() {
        let share = (streams - n * STREAMS_PER_SWARM).min(STREAMS_PER_SWARM);
        let (mut own_opened, mut own_failed) = (0, 0);
        while own_opened + own_failed < share {
            let batch = params.connect_batch.min(share - own_opened - own_failed);
            let counts = swarm.ask(&format!("open {batch}")).await?;
            (own_opened, own_failed) = (counts.opened, counts.failed);
            // As single-process c100k: the next batch waits until the servers together have
            // accepted this one (one descriptor per connection).
            let accepted = fds_before + opened + own_opened;
            let deadline = Instant::now() + Duration::from_secs(10);
            while server_fds(&servers)? < accepted {
                if Instant::now() > deadline {
                    return Err(io::Error::other(format!(
                        "the servers stopped accepting: {} of {streams} opened, {} failed",
                        opened + own_opened,
                        failed + own_failed
                    )));
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        opened += own_opened;
        failed += own_failed;
    }
    let deadline = Instant::now() + 2 * tick + Duration::from_secs(30);
    let mut counts = total(&mut swarms).await?;
    while counts.streaming + counts.failed < streams && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        counts = total(&mut swarms).await?;
    }
    let connected = started.elapsed();
    if counts.streaming < streams {
        return Err(io::Error::other(format!(
            "{} of {streams} streams got their head ({} failed)",
            counts.streaming, counts.failed
        )));
    }
    // Every stream has had its first tick: each counted second is a full one.
    tokio::time::sleep(tick).await;
    let (before, held_from) = (total(&mut swarms).await?.events, Instant::now());
    tokio::time::sleep(hold).await;
    let (events, held) = (
        total(&mut swarms).await?.events - before,
        held_from.elapsed(),
    );
    let mut growth_kib = 0;
    let mut per_server = Vec::new();
    for (server, baseline) in servers.iter().zip(&baselines) {
        let after = procfs::memory(server.pid)?;
        let fds = procfs::open_fds(server.pid)?;
        growth_kib += after.peak_kib.saturating_sub(baseline.rss_kib);
        per_server.push(format!("{} fds, peak {} KiB", fds, after.peak_kib));
    }
    drop(swarms);
    for server in servers {
        server.stop().await?;
    }
    let due = streams as f64 * held.as_secs_f64() / tick.as_secs_f64();
    eprintln!(
        "  {} processes: {}; {events} ticks of {due:.0} due; connected in {:.1} s",
        per_server.len(),
        per_server.join("; "),
        connected.as_secs_f64()
    );
    Ok(vec![
        growth_kib as f64 / streams as f64,
        100.0 * events as f64 / due,
        streams as f64 / connected.as_secs_f64(),
    ])
}

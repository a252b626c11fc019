//! A server under test: a fresh process of this binary (or node, for nestjs), pinned to CPU 0,
//! killed when done.

use std::io;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::time::timeout;

use crate::servers::{Kind, READY_PREFIX};

/// The environment variable that tells a server the harness's pid, so it dies with it.
pub(crate) const PARENT_ENV: &str = "NESTISH_BENCH_PARENT";

/// The CPU the server gets; the harness pins itself to the other one.
pub(crate) const SERVER_CPU: usize = 0;

/// A running server. Dropping it kills the process (`kill_on_drop`), so an error anywhere in a
/// scenario never leaves a server behind; [`stop`](Self::stop) also waits for it to be gone.
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its pid, for `/proc`.
    pub pid: u32,
    /// Kept open: a server that writes to a closed stdout would get `EPIPE`.
    stdout: BufReader<ChildStdout>,
    /// Piped for a server started by [`start_census`](Self::start_census): each line asks it
    /// for a census.
    stdin: Option<ChildStdin>,
}

/// What a server process is started with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Launch {
    pub kind: Kind,
    pub tick: Duration,
    /// The period of the `GET /hub` publisher, if it should run.
    pub hub: Option<Duration>,
    /// Serve HTTPS, with the benchmark's certificate ([`crate::tls::files`]).
    pub tls: bool,
    /// The port of a local `redis-server` to put nestish's hub on, if any.
    pub redis: Option<u16>,
    /// The port to listen on (0: a free one).
    pub port: u16,
    /// Listen with `SO_REUSEPORT` (nestish and the hand-written server), so that several
    /// server processes share [`port`](Self::port).
    pub reuse_port: bool,
    /// Run the server under `valgrind --tool=callgrind`, its profile written in this folder
    /// (not nestjs).
    pub callgrind: Option<&'static std::path::Path>,
}

impl Launch {
    /// `kind` with ticks every `tick`, over plain HTTP, with no hub publisher and the
    /// in-process hub: what most scenarios start.
    pub(crate) fn plain(kind: Kind, tick: Duration) -> Self {
        Self {
            kind,
            tick,
            hub: None,
            tls: false,
            redis: None,
            port: 0,
            reuse_port: false,
            callgrind: None,
        }
    }

    /// The same, on `port` (0: a free one) with `SO_REUSEPORT`, beside other processes on it.
    #[must_use]
    pub(crate) fn sharing_port(mut self, port: u16) -> Self {
        self.port = port;
        self.reuse_port = true;
        self
    }

    /// The same, over HTTPS when `tls`.
    #[must_use]
    pub(crate) fn over_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }
}

impl Server {
    /// Starts `taskset -c 0 <this binary> server <kind> --port 0 ...` (for nestjs,
    /// `taskset -c 0 node main.js --port 0 ...`) and waits until it listens.
    pub(crate) async fn start(launch: Launch) -> io::Result<Self> {
        Self::spawn(launch, false).await
    }

    /// As [`start`](Self::start), for a server that answers [`census`](Self::census) (this
    /// binary built with the `census` feature; not nestjs).
    pub(crate) async fn start_census(launch: Launch) -> io::Result<Self> {
        Self::spawn(launch, true).await
    }

    async fn spawn(launch: Launch, census: bool) -> io::Result<Self> {
        let mut command = Command::new("taskset");
        command.arg("-c").arg(SERVER_CPU.to_string());
        if launch.kind == Kind::Nestjs {
            // `taskset` execs node, so the pid below is node's, as it is this binary's otherwise.
            let (node, args) = crate::servers::nestjs::command()?;
            command.arg(node).args(args);
        } else {
            if let Some(dir) = launch.callgrind {
                command
                    .args(["valgrind", "--tool=callgrind", "--quiet"])
                    .arg(format!(
                        "--callgrind-out-file={}/callgrind.out.%p",
                        dir.display()
                    ));
            }
            command
                .arg(std::env::current_exe()?)
                .arg("server")
                .arg(launch.kind.name());
        }
        command
            .arg("--port")
            .arg(launch.port.to_string())
            .arg("--tick-ms")
            .arg(launch.tick.as_millis().to_string());
        if let Some(period) = launch.hub {
            command.arg("--hub-ms").arg(period.as_millis().to_string());
        }
        if launch.tls {
            let files = crate::tls::files()?;
            command
                .arg("--tls-cert")
                .arg(&files.cert)
                .arg("--tls-key")
                .arg(&files.key);
        }
        if let Some(port) = launch.redis {
            command.arg("--redis-port").arg(port.to_string());
        }
        if launch.reuse_port {
            command.arg("--reuse-port");
        }
        if census {
            command.env(crate::census::ENV, "1");
        }
        let mut child = command
            .env(PARENT_ENV, std::process::id().to_string())
            .stdin(if census {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                io::Error::new(error.kind(), format!("cannot run taskset: {error}"))
            })?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("server exited at once"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        // Under callgrind a program runs some fifty times slower.
        let patience = Duration::from_secs(if launch.callgrind.is_some() { 120 } else { 10 });
        timeout(patience, stdout.read_line(&mut line))
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("server did not start in {} s", patience.as_secs()),
                )
            })??;
        let addr = line
            .trim()
            .strip_prefix(READY_PREFIX)
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| {
                io::Error::other(format!("{} server did not start: {line:?}", launch.kind))
            })?;
        Ok(Self {
            stdin: child.stdin.take(),
            child,
            addr,
            pid,
            stdout,
        })
    }

    /// The server's live heap allocations now, counted by size class (see [`crate::census`]).
    pub(crate) async fn census(&mut self) -> io::Result<Vec<i64>> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("the server was not started for a census"))?;
        stdin.write_all(b"census\n").await?;
        stdin.flush().await?;
        let mut line = String::new();
        timeout(Duration::from_secs(10), self.stdout.read_line(&mut line))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no census in 10 s"))??;
        crate::census::parse(&line)
    }

    /// Kills the server and waits until it has exited.
    pub(crate) async fn stop(mut self) -> io::Result<()> {
        self.child.kill().await
    }
}

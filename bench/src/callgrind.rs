//! hub-callgrind: what one delivered hub event costs the server in user space, counted in
//! instructions by callgrind, which gives the same count for the same work whatever else the
//! machine does. Every server makes one `write` per delivery (hub-10k's CPU is mostly the
//! kernel's, and moves with noise from run to run); the instructions are what a framework
//! controls.
//!
//! The server runs under `valgrind --tool=callgrind`; once its subscribers are connected and have
//! had a few events, its counters are zeroed (`callgrind_control --zero`), the window runs, and
//! they are dumped (`--dump`): instructions in the window ÷ events the subscribers received in
//! it.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::process::Command;

use crate::child::{Launch, Server};
use crate::load::Swarm;
use crate::scenarios::{Params, connect};
use crate::servers::Kind;

/// Subscribers of `GET /hub`, and the publication period.
const SUBSCRIBERS: usize = 1_000;
const PERIOD: Duration = Duration::from_secs(1);

/// The folder the profiles go to, one per harness process.
fn folder() -> io::Result<&'static Path> {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    let dir = FOLDER.get_or_init(|| {
        std::env::temp_dir().join(format!("nestish-bench-callgrind-{}", std::process::id()))
    });
    std::fs::create_dir_all(dir)?;
    Ok(dir.as_path())
}

/// Runs `callgrind_control ARG PID`.
async fn control(arg: &str, pid: u32) -> io::Result<()> {
    let output = Command::new("callgrind_control")
        .arg(arg)
        .arg(pid.to_string())
        .output()
        .await
        .map_err(|error| {
            io::Error::new(
                error.kind(),
                format!("cannot run callgrind_control (Debian: apt-get install valgrind): {error}"),
            )
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "callgrind_control {arg} {pid}: {}",
            String::from_utf8_lossy(&output.stdout)
        )))
    }
}

/// The instructions of the newest dump of process `pid` (its `summary:` or `totals:` line).
fn dumped_instructions(dir: &Path, pid: u32) -> io::Result<u64> {
    let prefix = format!("callgrind.out.{pid}.");
    let newest = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .max_by_key(|entry| entry.metadata().and_then(|m| m.modified()).ok())
        .ok_or_else(|| {
            io::Error::other(format!("no callgrind dump of {pid} in {}", dir.display()))
        })?;
    let text = std::fs::read_to_string(newest.path())?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("summary: ")
                .or_else(|| line.strip_prefix("totals: "))
        })
        .and_then(|counts| counts.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no total in {}", newest.path().display())))
}

/// Runs hub-callgrind on `kind`: user-space instructions per delivered event.
pub(crate) async fn measure(kind: Kind, params: &Params) -> io::Result<Vec<f64>> {
    let dir = folder()?;
    let server = Server::start(Launch {
        hub: Some(PERIOD),
        callgrind: Some(dir),
        ..Launch::plain(kind, params.idle_tick)
    })
    .await?;
    let window = params.callgrind_window;
    let lifetime = window + Duration::from_secs(600);
    let mut swarm = Swarm::new(server.addr, "/hub", lifetime);
    connect(
        &server,
        &mut swarm,
        SUBSCRIBERS,
        params,
        Duration::from_secs(60),
    )
    .await?;
    // A few publications to every stream first: nothing in the window is a first event.
    tokio::time::sleep(3 * PERIOD).await;
    control("--zero", server.pid).await?;
    let before = swarm.events();
    tokio::time::sleep(window).await;
    control("--dump", server.pid).await?;
    let events = swarm.events() - before;
    let instructions = dumped_instructions(dir, server.pid)?;
    drop(swarm);
    server.stop().await?;
    if events == 0 {
        return Err(io::Error::other("no event was delivered in the window"));
    }
    eprintln!("  {instructions} instructions for {events} delivered events");
    Ok(vec![instructions as f64 / events as f64])
}

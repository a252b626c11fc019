//! `census`: the heap allocations each server keeps for every idle stream, by size, so that a
//! difference in `idle-10k`'s RSS can be traced to what holds the memory.
//!
//! Only with `--features census`, which makes this binary count every allocation with a global
//! allocator wrapping the system's: the scenarios of `run` are never measured through it. The
//! harness starts each server with [`ENV`] set and stdin piped; the server answers every line
//! on stdin with one line of live allocation counts per size class. Counts are of requested
//! sizes; the system allocator adds its own header (16 bytes with glibc) to each.

use std::io;
use std::time::Duration;

use crate::child::{Launch, Server};
use crate::scenarios::{self, Params};
use crate::servers::Kind;

/// Set in a server's environment to make it answer census requests on stdin.
pub(crate) const ENV: &str = "NESTISH_BENCH_CENSUS";

/// Size classes are 16 bytes wide, up to 16 KiB; the last class holds everything larger.
const CLASS_BYTES: usize = 16;
const CLASSES: usize = 16 * 1024 / CLASS_BYTES + 1;

/// The start of a census line on a server's stdout.
const PREFIX: &str = "census ";

#[cfg(feature = "census")]
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::{CLASS_BYTES, CLASSES};

    /// Live allocations per size class.
    static LIVE: [AtomicI64; CLASSES] = [const { AtomicI64::new(0) }; CLASSES];
    /// Live bytes, as requested.
    static BYTES: AtomicI64 = AtomicI64::new(0);

    /// The system allocator, counting.
    pub struct Counting;

    #[global_allocator]
    static COUNTING: Counting = Counting;

    fn count(size: usize, by: i64) {
        let class = size.div_ceil(CLASS_BYTES).min(CLASSES - 1);
        LIVE[class].fetch_add(by, Ordering::Relaxed);
        BYTES.fetch_add(by * size as i64, Ordering::Relaxed);
    }

    // SAFETY: every call is forwarded to `System` unchanged; counting has no effect on it.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count(layout.size(), 1);
            // SAFETY: the caller's contract is `System`'s.
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            count(layout.size(), 1);
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            count(layout.size(), -1);
            // SAFETY: as above.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count(layout.size(), -1);
            count(new_size, 1);
            // SAFETY: as above.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// The live allocations of each size class, then the live bytes.
    pub fn snapshot() -> Vec<i64> {
        LIVE.iter()
            .chain([&BYTES])
            .map(|live| live.load(Ordering::Relaxed))
            .collect()
    }
}

/// In a server process: when [`ENV`] is set, answers each line on stdin with a census line.
pub(crate) fn answer_on_stdin() {
    #[cfg(feature = "census")]
    if std::env::var_os(ENV).is_some() {
        std::thread::spawn(|| {
            use std::io::{BufRead as _, Write as _};
            for line in io::stdin().lock().lines() {
                if line.is_err() {
                    break;
                }
                let counts: Vec<String> = counting::snapshot().iter().map(i64::to_string).collect();
                let mut stdout = io::stdout().lock();
                let _ = writeln!(stdout, "{PREFIX}{}", counts.join(" "));
                let _ = stdout.flush();
            }
        });
    }
}

/// A census line back into its numbers: the live allocations of each size class, then the live
/// bytes.
pub(crate) fn parse(line: &str) -> io::Result<Vec<i64>> {
    let counts = line
        .trim()
        .strip_prefix(PREFIX)
        .ok_or_else(|| io::Error::other(format!("not a census: {line:?}")))?
        .split(' ')
        .map(str::parse)
        .collect::<Result<Vec<i64>, _>>()
        .map_err(|error| io::Error::other(format!("bad census {line:?}: {error}")))?;
    if counts.len() != CLASSES + 1 {
        return Err(io::Error::other(format!(
            "a census of {} numbers, expected {}",
            counts.len(),
            CLASSES + 1
        )));
    }
    Ok(counts)
}

/// `census [--streams N] [--only SERVERS] [--tls] [--h2]`: prints, for each Rust server, the
/// allocations that `N` idle `GET /sse` streams added, per stream and by size class; with
/// `--tls`, over TLS (HTTP/1.1), with `--h2` over HTTP/2 and TLS, 100 streams a connection
/// (both for nestish and axum only).
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if !cfg!(feature = "census") {
        return Err(
            "census counts allocations through a global allocator of its own: \
                    run it with `cargo run -p nestish-bench --release --features census -- census`"
                .to_owned(),
        );
    }
    let mut streams = 1_000;
    let mut servers = vec![Kind::Nestish, Kind::Axum, Kind::Actix, Kind::Hyper];
    let (mut h2, mut tls) = (false, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--streams" => streams = crate::value::<usize>(&mut args, arg)?.max(1),
            "--h2" => h2 = true,
            "--tls" => tls = true,
            "--only" => {
                let list: String = crate::value(&mut args, arg)?;
                servers = list.split(',').map(str::parse).collect::<Result<_, _>>()?;
            }
            _ => return Err(format!("census: unknown argument {arg:?}")),
        }
    }
    if servers.contains(&Kind::Nestjs) {
        return Err("census: nestjs runs on Node.js, whose allocations this cannot count".into());
    }
    crate::os::raise_fd_limit().map_err(|error| format!("cannot raise the fd limit: {error}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot build the runtime: {error}"))?;
    let mut censuses = Vec::new();
    for &kind in &servers {
        eprintln!("census / {kind}");
        let census = runtime
            .block_on(take(kind, streams, h2, tls))
            .map_err(|error| format!("{kind}: {error}"))?;
        censuses.push(census);
    }
    print!("{}", table(&servers, &censuses, streams));
    Ok(())
}

/// What `streams` idle streams added to one server's heap.
struct Census {
    /// Live allocations added per stream, by size class; then the bytes added per stream.
    per_stream: Vec<f64>,
    /// RSS growth per stream, KiB.
    rss_kib: f64,
}

impl Census {
    /// Allocations per stream.
    fn count(&self) -> f64 {
        self.per_stream[..CLASSES].iter().sum()
    }

    /// KiB requested per stream.
    fn kib(&self) -> f64 {
        self.per_stream[CLASSES] / 1024.0
    }
}

async fn take(kind: Kind, streams: usize, h2: bool, tls: bool) -> io::Result<Census> {
    let params = Params::full();
    let tick = params.idle_tick;
    let mut server = Server::start_census(Launch {
        kind,
        tick,
        hub: None,
        tls: h2 || tls,
        redis: None,
        port: 0,
        reuse_port: false,
        callgrind: None,
    })
    .await?;
    let before = server.census().await?;
    let rss_before = crate::procfs::memory(server.pid)?.rss_kib;
    let lifetime = Duration::from_secs(120);
    let (open, swarm): (usize, Box<dyn std::any::Any>) = if h2 {
        let per_connection = streams.min(100);
        let swarm = crate::load::H2Swarm::open(
            &crate::load::Transport::Tls(crate::tls::connector_h2()),
            server.addr,
            "/sse",
            streams.div_ceil(per_connection),
            per_connection,
            lifetime,
        )
        .await?;
        let deadline = tokio::time::Instant::now() + 2 * tick;
        while swarm.streaming() + swarm.failed() < streams && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (swarm.streaming().max(1), Box::new(swarm))
    } else {
        let mut swarm = crate::load::Swarm::new(server.addr, "/sse", lifetime);
        if tls {
            let connector = crate::tls::connector();
            swarm = swarm.with_transport(crate::load::Transport::Tls(connector));
        }
        let open = scenarios::connect(&server, &mut swarm, streams, &params, 2 * tick).await?;
        (open, Box::new(swarm))
    };
    // After the first tick every stream is in its steady state: head sent, one event written.
    tokio::time::sleep(tick + Duration::from_millis(200)).await;
    let after = server.census().await?;
    let rss_after = crate::procfs::memory(server.pid)?.rss_kib;
    drop(swarm);
    server.stop().await?;
    let per_stream = after
        .iter()
        .zip(&before)
        .map(|(after, before)| (after - before) as f64 / open as f64)
        .collect();
    Ok(Census {
        per_stream,
        rss_kib: rss_after.saturating_sub(rss_before) as f64 / open as f64,
    })
}

/// One row per size class that any server holds at least 0.5 of per stream, then the totals.
fn table(servers: &[Kind], censuses: &[Census], streams: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("| allocation size (bytes) |");
    for kind in servers {
        let _ = write!(out, " {kind} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(servers.len()));
    out.push('\n');
    for class in 1..CLASSES {
        if censuses.iter().all(|c| c.per_stream[class].abs() < 0.5) {
            continue;
        }
        let label = if class == CLASSES - 1 {
            format!("> {}", (class - 1) * CLASS_BYTES)
        } else {
            format!("{}–{}", (class - 1) * CLASS_BYTES + 1, class * CLASS_BYTES)
        };
        let _ = write!(out, "| {label} |");
        for census in censuses {
            let _ = write!(out, " {:.2} |", census.per_stream[class]);
        }
        out.push('\n');
    }
    let totals = [
        (
            "allocations per stream",
            censuses.iter().map(Census::count).collect::<Vec<_>>(),
        ),
        (
            "KiB allocated per stream",
            censuses.iter().map(Census::kib).collect(),
        ),
        (
            "KiB RSS growth per stream",
            censuses.iter().map(|c| c.rss_kib).collect(),
        ),
    ];
    for (label, values) in totals {
        let _ = write!(out, "| **{label}** |");
        for value in values {
            let _ = write!(out, " {value:.2} |");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\n- {streams} idle `GET /sse` streams per server, counted after their first tick: live \
         allocations added per stream, by requested size (the allocator adds its header to \
         each). The 8 KiB buffers are allocated whole but only their first bytes are written, \
         so most of their pages never count in RSS."
    );
    out
}

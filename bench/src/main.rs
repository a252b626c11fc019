//! `nestish-bench`: nestish against axum, actix-web and a bare hyper server, on one machine, and
//! NestJS on Node.js when `node` and `npm` are installed.
//!
//! ```text
//! cargo run -p nestish-bench --release                 # = run: every scenario, every server
//! cargo run -p nestish-bench --release -- --quick      # a smoke run of under a minute
//! cargo run -p nestish-bench --release -- run --only flood-32,nestish,axum
//! cargo run -p nestish-bench --release -- run --only hub-10k,nestish
//! cargo run -p nestish-bench --release -- run --only nestjs,nestish
//! cargo run -p nestish-bench --release -- run --only tls-handshakes,tls-idle-10k,tls-h2-idle,tls-flood-32,nestish,axum
//! cargo run -p nestish-bench --release -- server <nestish|axum|actix|hyper|nestjs> [--port P] ...
//! cargo run -p nestish-bench --release --features census -- census   # heap held per idle stream
//! ```
//!
//! `run` starts, for every scenario and every server, a fresh server process of this binary
//! under `taskset -c 0`, puts the scenario's load on it from this process (pinned to CPU 1),
//! reads the server's CPU time and memory from `/proc`, kills it, and at the end prints a
//! markdown table: absolute numbers and the ratio of nestish to each peer.
//!
//! Progress goes to stderr, the table to stdout; a full run also writes it to `bench/RESULTS.md`
//! with the machine, the date and the commit (`--results PATH` for any run).

mod c100k_procs;
mod callgrind;
mod census;
mod child;
mod fleet;
mod load;
mod load_h2;
mod os;
mod procfs;
mod rate;
mod redis;
mod results_file;
mod scenarios;
mod servers;
mod tls;

use std::fmt::Write as _;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use scenarios::{Better, Params, Scenario};
use servers::Kind;

const USAGE: &str = "\
usage:
  nestish-bench [run] [options]   (run is the default)
      --quick               small sizes, for a smoke run of under a minute
      --results PATH        also write the report to PATH, under the machine, the date and
                            the commit (a full run writes bench/RESULTS.md without it)
      --only LIST           comma-separated scenarios and/or servers to run, e.g.
                            flood-32 or idle-10k,ttfe,nestish,hyper
                            (scenarios: flood-1 flood-32 idle-10k stalled-8 ttfe hub-10k hub-callgrind
                             tls-handshakes tls-idle-10k tls-h2-idle tls-flood-32, the tls ones on
                             nestish and axum only; idle-h2 flood-h2 (h2c) on nestish and axum;
                             c100k on nestish, actix and hyper; c100k-procs (several
                             server processes on one port) on nestish and hyper;
                             hub-redis and fleet on nestish only, needing redis-server;
                             hub-callgrind on the Rust servers, needing valgrind;
                             guard-cost, intercept-cost and typed-cost on nestish only;
                             servers: nestish axum actix hyper nestjs; nestjs runs only when
                             node and npm are on PATH, and is left out otherwise)
      --flood-events N      events per flood round, over all connections
      --rounds R            flood rounds per server (the median is reported)
      --idle-streams N      concurrent streams in idle-10k
      --hub-subscribers N   concurrent GET /hub streams in hub-10k
      --c100k-streams N     concurrent GET /sse streams in c100k and c100k-procs
      --c100k-procs N       server processes sharing one port in c100k-procs (default 6)
  nestish-bench census [--streams N] [--only SERVERS] [--tls] [--h2]   (built with --features census)
      the live heap allocations N idle GET /sse streams (default 1000) add to each Rust
      server, per stream and by size; --tls: over TLS (HTTP/1.1), --h2: over HTTP/2 and TLS,
      100 streams a connection (both nestish and axum only)
  nestish-bench server <nestish|axum|actix|hyper|nestjs> [--port P] [--tick-ms MS] [--hub-ms MS]
                        [--tls-cert PEM --tls-key PEM] [--redis-port P] [--reuse-port]
      serves GET /sse (one event per tick, default 1000 ms), GET /flood?n=N and GET /hub (with
      --hub-ms, one stamped event per period to every subscriber) on 127.0.0.1 (port 0, the
      default, picks one) and prints `listening on ADDR`; with --tls-cert and --tls-key
      (nestish and axum), over HTTPS; with --redis-port (nestish only), its hub is on the
      redis-server at 127.0.0.1:P, shared with every server started so; with --reuse-port
      (nestish and hyper), it binds with SO_REUSEPORT, beside other processes on the port
  nestish-bench swarm ADDR LIFETIME_S SOURCES
      a load process of c100k-procs, driven on stdin by `run`";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("server") => server(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("census") => census::run(&args[1..]),
        Some("swarm") => c100k_procs::swarm(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        // `cargo run -p nestish-bench --release [-- --quick ...]` runs the benchmark.
        None => run(&[]),
        Some(option) if option.starts_with("--") => run(&args),
        Some(other) => Err(format!("unknown subcommand {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The value of an option, parsed.
fn value<T: FromStr>(args: &mut std::slice::Iter<'_, String>, name: &str) -> Result<T, String> {
    let raw = args.next().ok_or_else(|| format!("{name} needs a value"))?;
    raw.parse()
        .map_err(|_| format!("{name}: cannot parse {raw:?}"))
}

/// `server KIND [--port P] [--tick-ms MS]`: serve until killed.
fn server(args: &[String]) -> Result<(), String> {
    let mut args = args.iter();
    let kind: Kind = args.next().ok_or("server: which one?")?.parse()?;
    let mut config = servers::Config {
        port: 0,
        tick: Duration::from_secs(1),
        hub: None,
        tls: None,
        redis: None,
        reuse_port: false,
    };
    let (mut cert, mut key) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => config.port = value(&mut args, arg)?,
            "--tick-ms" => config.tick = Duration::from_millis(value(&mut args, arg)?),
            "--hub-ms" => config.hub = Some(Duration::from_millis(value(&mut args, arg)?)),
            "--tls-cert" => cert = Some(value(&mut args, arg)?),
            "--tls-key" => key = Some(value(&mut args, arg)?),
            "--redis-port" => config.redis = Some(value(&mut args, arg)?),
            "--reuse-port" if matches!(kind, Kind::Nestish | Kind::Hyper) => {
                config.reuse_port = true;
            }
            _ => return Err(format!("server: unknown argument {arg:?}\n{USAGE}")),
        }
    }
    config.tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(tls::Files { cert, key }),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".to_owned()),
    };
    if config.tick.is_zero() || config.hub.is_some_and(|hub| hub.is_zero()) {
        return Err("--tick-ms and --hub-ms must be above 0".to_owned());
    }
    if let Some(parent) = std::env::var(child::PARENT_ENV)
        .ok()
        .and_then(|pid| pid.parse().ok())
    {
        os::die_with_parent(parent);
    }
    os::raise_fd_limit().map_err(|error| format!("cannot raise the fd limit: {error}"))?;
    census::answer_on_stdin();
    servers::serve(kind, config).map_err(|error| format!("{kind} server: {error}"))
}

/// What `run` was asked to do.
struct Plan {
    scenarios: Vec<Scenario>,
    servers: Vec<Kind>,
    params: Params,
    /// Lines for the notes under the table (what NestJS ran on, or why it did not).
    notes: Vec<String>,
    /// Where the report is written besides stdout: `--results PATH`, or `bench/RESULTS.md` for
    /// a full run (no `--only`, no `--quick`), so a partial run never replaces the full one.
    results: Option<std::path::PathBuf>,
}

fn parse_plan(args: &[String]) -> Result<Plan, String> {
    let quick = args.iter().any(|arg| arg == "--quick");
    let mut params = if quick {
        Params::quick()
    } else {
        Params::full()
    };
    let (mut scenarios, mut servers) = (Vec::new(), Vec::new());
    let mut results = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => {}
            "--results" => results = Some(value(&mut args, arg)?),
            "--only" => {
                let list: String = value(&mut args, arg)?;
                for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    if let Ok(scenario) = item.parse() {
                        scenarios.push(scenario);
                    } else if let Ok(kind) = item.parse() {
                        servers.push(kind);
                    } else {
                        return Err(format!(
                            "--only: {item:?} is neither a scenario nor a server"
                        ));
                    }
                }
            }
            "--flood-events" => params.flood_events = value(&mut args, arg)?,
            "--rounds" => params.flood_rounds = value::<usize>(&mut args, arg)?.max(1),
            "--idle-streams" => params.idle_streams = value::<usize>(&mut args, arg)?.max(1),
            "--c100k-streams" => params.c100k_streams = value::<usize>(&mut args, arg)?.max(1),
            "--c100k-procs" => params.c100k_procs = value::<usize>(&mut args, arg)?.max(1),
            "--hub-subscribers" => {
                params.hub_subscribers = value::<usize>(&mut args, arg)?.max(1);
            }
            _ => return Err(format!("run: unknown argument {arg:?}\n{USAGE}")),
        }
    }
    let full = scenarios.is_empty() && servers.is_empty() && !quick;
    let results = results.or_else(|| full.then(results_file::default_path));
    // Keep the table's order whatever the order on the command line.
    let scenarios = Scenario::ALL
        .into_iter()
        .filter(|s| scenarios.is_empty() || scenarios.contains(s))
        .collect();
    let servers = Kind::ALL
        .iter()
        .copied()
        .filter(|k| servers.is_empty() || servers.contains(k))
        .collect();
    Ok(Plan {
        scenarios,
        servers,
        params,
        notes: Vec::new(),
        results,
    })
}

/// One cell of the table: the scenario's values for one server, or why there are none
/// (`None`: the server cannot run the scenario, see [`Scenario::serves`]).
type Outcome = Option<Result<Vec<f64>, String>>;

fn run(args: &[String]) -> Result<(), String> {
    let mut plan = parse_plan(args)?;
    if plan.servers.contains(&Kind::Nestjs) {
        // Optional: without node and npm (or its packages), the column is left out.
        match servers::nestjs::prepare() {
            Ok(installed) => plan.notes.push(format!(
                "nestjs: NestJS {} (`@Sse()`, Express adapter) on Node.js {}. Node is \
                 multi-threaded internally (libuv's pool, V8's GC and compiler threads), but \
                 `taskset` pins all of its threads to the same single CPU 0; CPU and RSS are \
                 the node process's, from /proc.",
                installed.nestjs, installed.node
            )),
            Err(error) => {
                eprintln!("nestjs left out: {error}");
                plan.servers.retain(|&kind| kind != Kind::Nestjs);
                plan.notes.push(format!("nestjs left out: {error}."));
            }
        }
    }
    // Pinned before the runtime exists, so every thread of the load generator inherits CPU 1.
    let load_cpu = 1 - child::SERVER_CPU;
    if let Err(error) = os::pin_to_cpu(load_cpu) {
        eprintln!("warning: cannot pin the load generator to CPU {load_cpu}: {error}");
    }
    let fds =
        os::raise_fd_limit().map_err(|error| format!("cannot raise the fd limit: {error}"))?;
    let streams = plan.params.idle_streams.max(plan.params.hub_subscribers);
    if (fds as usize) < streams + 100 {
        eprintln!("warning: only {fds} file descriptors for {streams} streams");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot build the runtime: {error}"))?;
    let load_before = load_average();
    let mut results: Vec<(Scenario, Vec<Outcome>)> = Vec::new();
    for &scenario in &plan.scenarios {
        let mut outcomes = Vec::new();
        for &kind in &plan.servers {
            if !scenario.serves(kind) {
                outcomes.push(None);
                continue;
            }
            eprintln!("{scenario} / {kind}");
            let outcome = runtime
                .block_on(scenarios::measure(scenario, kind, &plan.params))
                .map_err(|error| error.to_string());
            if let Err(error) = &outcome {
                eprintln!("  failed: {error}");
            }
            outcomes.push(Some(outcome));
        }
        results.push((scenario, outcomes));
    }
    // Anything else running on this 2-core machine skews every number: say how busy it was.
    let report = format!(
        "{}- Load average (1 min) before the run: {load_before}, after: {}.\n",
        table(&plan, &results),
        load_average()
    );
    print!("{report}");
    if let Some(path) = &plan.results {
        results_file::write(path, args, &report)?;
        eprintln!("results written to {}", path.display());
    }
    Ok(())
}

/// The 1-minute load average, from `/proc/loadavg`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// The markdown report: one row per metric, one column per server, then nestish ÷ each peer.
fn table(plan: &Plan, results: &[(Scenario, Vec<Outcome>)]) -> String {
    let nestish = plan.servers.iter().position(|&k| k == Kind::Nestish);
    let peers: Vec<(usize, Kind)> = plan
        .servers
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, kind)| kind != Kind::Nestish && nestish.is_some())
        .collect();
    let mut out = String::new();
    let mut header = String::from("| scenario | metric | better |");
    let mut rule = String::from("|---|---|---|");
    for kind in &plan.servers {
        let _ = write!(header, " {kind} |");
        rule.push_str("---:|");
    }
    for (_, peer) in &peers {
        let _ = write!(header, " nestish ÷ {peer} |");
        rule.push_str("---:|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for (scenario, outcomes) in results {
        for (m, spec) in scenario.metrics().iter().enumerate() {
            let better = match spec.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
            };
            let _ = write!(out, "| {scenario} | {} | {better} |", spec.label);
            let value = |i: usize| {
                outcomes[i]
                    .as_ref()
                    .and_then(|outcome| outcome.as_ref().ok())
                    .map(|values| values[m])
            };
            for outcome in outcomes {
                match outcome {
                    Some(Ok(values)) => {
                        let _ = write!(out, " {} |", number(values[m], spec.decimals));
                    }
                    None => out.push_str(" – |"),
                    Some(Err(_)) => out.push_str(" failed |"),
                }
            }
            for &(i, _) in &peers {
                match (nestish.and_then(value), value(i)) {
                    (Some(ours), Some(theirs)) if theirs != 0.0 => {
                        let _ = write!(out, " {:.2}× |", ours / theirs);
                    }
                    _ => out.push_str(" – |"),
                }
            }
            out.push('\n');
        }
    }
    out.push('\n');
    for scenario in &plan.scenarios {
        let _ = writeln!(out, "- **{scenario}**: {}", scenario.describe(&plan.params));
    }
    let _ = writeln!(
        out,
        "- Ratios are nestish ÷ peer: above 1 is nestish ahead where higher is better, below 1 \
         where lower is better. Server pinned to CPU 0 (single-threaded), load generator to CPU 1."
    );
    for note in &plan.notes {
        let _ = writeln!(out, "- {note}");
    }
    for (scenario, outcomes) in results {
        for (kind, outcome) in plan.servers.iter().zip(outcomes) {
            if let Some(Err(error)) = outcome {
                let _ = writeln!(out, "- {scenario} / {kind} failed: {error}");
            }
        }
    }
    out
}

/// `v` with `decimals` decimals and thousands separators in its integer part.
fn number(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match frac {
        Some(frac) => format!("{sign}{grouped}.{frac}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(number(1_234_567.0, 0), "1,234,567");
        assert_eq!(number(999.0, 0), "999");
        assert_eq!(number(0.1234, 3), "0.123");
        assert_eq!(number(-12_345.6, 1), "-12,345.6");
    }
}

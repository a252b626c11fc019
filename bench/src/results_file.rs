//! The results file: a run's table, under a header that says where and when it was measured
//! (the machine, the date, the commit), so a figure in `bench/RESULTS.md` can be traced to what
//! produced it. A full run writes `bench/RESULTS.md`; `--results PATH` writes any run anywhere.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a full run (no `--only`, no `--quick`) writes its results by default.
pub(crate) fn default_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("RESULTS.md")
}

/// Writes `report` (the table and its notes) to `path`, under the header.
pub(crate) fn write(path: &Path, args: &[String], report: &str) -> Result<(), String> {
    let text = format!(
        "# Benchmark results\n\n\
         Written by `nestish-bench run{}` at {}, on commit {}.\n\n\
         Machine: {}.\n\n\
         {report}",
        args.iter().map(|a| format!(" {a}")).collect::<String>(),
        command("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "an unknown date".into()),
        commit(),
        machine(),
    );
    std::fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()))
}

/// The commit the harness was run from, and whether the tree had changes beyond it.
fn commit() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let Some(head) = command("git", &["-C", dir, "rev-parse", "--short", "HEAD"]) else {
        return "unknown (not a git checkout)".to_owned();
    };
    match command("git", &["-C", dir, "status", "--porcelain"]) {
        Some(changes) if !changes.is_empty() => format!("`{head}` with uncommitted changes"),
        _ => format!("`{head}`"),
    }
}

/// The CPU's model, how many CPUs, the memory and the kernel, from `/proc` and `uname`.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("an unknown CPU", |(_, model)| model.trim());
    // Counted in /proc, not by `available_parallelism`: the harness pins itself to one CPU.
    let cpus = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = command("uname", &["-r"]).unwrap_or_else(|| "?".to_owned());
    format!("{model}, {cpus} CPUs, {mem_gib:.1} GiB, Linux {kernel}")
}

/// A command's trimmed stdout, or `None` if it could not run or failed.
fn command(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

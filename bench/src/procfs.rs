//! What the harness reads about a server process from `/proc`: CPU time and resident memory.

use std::fs;
use std::io;
use std::time::Duration;

/// User plus system CPU time of every thread of `pid` so far (`/proc/<pid>/stat` fields 14 and
/// 15, `utime` and `stime`). The kernel counts in clock ticks, so the resolution is 1/`CLK_TCK`
/// (10 ms on Linux): runs are sized to last at least a second, which keeps it under 1 %.
pub(crate) fn cpu_time(pid: u32) -> io::Result<Duration> {
    let (user, system) = cpu_times(pid)?;
    Ok(user + system)
}

/// User and system CPU time of every thread of `pid` so far, apart (see [`cpu_time`]).
pub(crate) fn cpu_times(pid: u32) -> io::Result<(Duration, Duration)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last `)`.
    let after_name = stat
        .rfind(')')
        .map(|end| &stat[end + 1..])
        .ok_or_else(|| invalid("no `)` in /proc/<pid>/stat"))?;
    let mut fields = after_name.split_ascii_whitespace();
    // After the name: field 3 (state) is index 0, so utime (14) is index 11 and stime (15) 12.
    let mut next_number = |index: usize| -> io::Result<u64> {
        fields
            .nth(index)
            .and_then(|field| field.parse().ok())
            .ok_or_else(|| invalid("short /proc/<pid>/stat"))
    };
    let utime = next_number(11)?;
    let stime = next_number(0)?;
    let per_second = clock_ticks_per_second();
    let duration = |ticks: u64| {
        Duration::from_secs(ticks / per_second)
            + Duration::from_nanos((ticks % per_second) * 1_000_000_000 / per_second)
    };
    Ok((duration(utime), duration(stime)))
}

/// Resident memory of `pid`, from `/proc/<pid>/status`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Memory {
    /// `VmRSS`: resident now, KiB.
    pub rss_kib: u64,
    /// `VmHWM`: the peak of `VmRSS` since the process started, or since [`reset_peak`].
    pub peak_kib: u64,
}

/// Reads `VmRSS` and `VmHWM` of `pid`.
pub(crate) fn memory(pid: u32) -> io::Result<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> io::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| invalid("no VmRSS/VmHWM in /proc/<pid>/status"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
    })
}

/// How many file descriptors `pid` has open (the entries of `/proc/<pid>/fd`). A server's count
/// grows by one per accepted connection, which tells the harness what the server has accepted
/// whether or not it has answered yet.
pub(crate) fn open_fds(pid: u32) -> io::Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Resets `VmHWM` of `pid` to its current `VmRSS` (writing `5` to `/proc/<pid>/clear_refs`,
/// Linux 4.0+), so a peak measured afterwards is the peak of the load alone and not of start-up.
/// Callers fall back to the start-up peak when this fails.
pub(crate) fn reset_peak(pid: u32) -> io::Result<()> {
    fs::write(format!("/proc/{pid}/clear_refs"), "5")
}

fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0).unwrap_or(100)
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        cpu_time(pid).unwrap();
        let memory = memory(pid).unwrap();
        assert!(memory.rss_kib > 0);
        assert!(memory.peak_kib >= memory.rss_kib);
        assert!(open_fds(pid).unwrap() >= 3);
    }
}

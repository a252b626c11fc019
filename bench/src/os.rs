//! Process set-up through libc: CPU affinity, the open-file limit, dying with the parent.

use std::io;

/// Pins the calling thread, and every thread it creates afterwards, to `cpu`.
///
/// The harness calls it before it builds its runtime, so the whole load generator runs on that
/// CPU while the server, started under `taskset -c 0`, has the other one to itself.
pub(crate) fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain data; CPU_ZERO/CPU_SET only write inside it, and
    // sched_setaffinity reads `size_of::<cpu_set_t>()` bytes of it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Raises `RLIMIT_NOFILE`, since 100,000 streams need 100,000 descriptors on each side: the
/// hard limit to the kernel's most (`fs.nr_open`) when the process may (root may), then the
/// soft limit to the hard one; returns the new limit.
pub(crate) fn raise_fd_limit() -> io::Result<u64> {
    let most = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|text| text.trim().parse::<libc::rlim_t>().ok());
    // SAFETY: getrlimit and setrlimit read and write only the struct passed.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if let Some(most) = most.filter(|&most| most > limit.rlim_max) {
            let raised = libc::rlimit {
                rlim_cur: most,
                rlim_max: most,
            };
            // Not allowed without the privilege: the hard limit stays as it was.
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(limit.rlim_cur)
    }
}

/// The current soft `RLIMIT_NOFILE`.
pub(crate) fn fd_limit() -> io::Result<u64> {
    // SAFETY: getrlimit writes only the struct passed.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(limit.rlim_cur)
    }
}

/// Asks the kernel to kill this process when its parent dies, so a harness that is interrupted
/// (Ctrl-C, which skips its destructors) leaves no server behind. `parent` is the pid the
/// harness passed; if it is already gone, this process exits at once.
pub(crate) fn die_with_parent(parent: u32) {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number; getppid has no preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
        if u32::try_from(libc::getppid()).ok() != Some(parent) {
            std::process::exit(1);
        }
    }
}

//! The sample binary, run as an operator runs it: configured by its environment, on a free port.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long any wait may take before the test fails instead of hanging. Generous: these tests
/// start whole sample processes (each hashing its users' passwords) while the rest of the suite
/// runs beside them, and a busy two-core machine once took more than 10 s (two_processes.rs).
pub(crate) const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The sample binary with `env` and `PORT=0`, and none of the sample's variables from the
/// environment the tests run in.
fn command(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nestish-sample"));
    for variable in [
        "SAMPLE_USERS",
        "SESSION_SECRET",
        "TLS_CERT",
        "TLS_KEY",
        "REDIS_URL",
    ] {
        command.env_remove(variable);
    }
    command
        .envs(env.iter().copied())
        .env("PORT", "0")
        .kill_on_drop(true);
    command
}

/// Runs the sample with `env`; returns it and the address it listens on, read from the line it
/// prints once it listens (`nestish sample: open {scheme}://{addr}/ ...`).
pub(crate) async fn start(env: &[(&str, &str)], scheme: &str) -> (Child, SocketAddr) {
    let mut child = command(env)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the sample starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let prefix = format!("nestish sample: open {scheme}://");
    let addr = tokio::time::timeout(PATIENCE, async {
        while let Some(line) = lines.next_line().await.expect("its output") {
            // Log lines come first; this one says where it listens.
            let found = line
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split('/').next())
                .and_then(|addr| addr.parse::<SocketAddr>().ok());
            if let Some(addr) = found {
                return addr;
            }
        }
        panic!("the sample exited without listening");
    })
    .await
    .expect("the sample listens in time");
    // Keep reading its output, so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

/// Runs the sample with `env` until it exits by itself; how it exited, and what it wrote to
/// its standard error.
pub(crate) async fn run_to_exit(env: &[(&str, &str)]) -> (ExitStatus, String) {
    let mut child = command(env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sample starts");
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("piped stderr");
    let status = tokio::time::timeout(PATIENCE, async {
        pipe.read_to_string(&mut stderr).await.expect("its errors");
        child.wait().await.expect("its exit status")
    })
    .await
    .expect("the sample exits by itself in time");
    (status, stderr)
}

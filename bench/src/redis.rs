//! A `redis-server` for the cross-instance scenario: on a free loopback port, without
//! persistence, on the load generator's CPU (it inherits the harness's affinity), killed when
//! dropped.

use std::io;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `redis-server`.
pub(crate) struct Redis {
    /// Its port on 127.0.0.1.
    pub port: u16,
    _child: Child,
}

impl Redis {
    /// Starts one and waits until it says it accepts connections.
    pub(crate) async fn start() -> io::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!(
                        "cannot run redis-server (Debian: apt-get install redis-server): {error}"
                    ),
                )
            })?;
        let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("Ready to accept connections") {
                    return Ok(());
                }
            }
            Err(io::Error::other("redis-server exited before it was ready"))
        })
        .await
        .map_err(|_| io::Error::other("redis-server was not ready in 10 s"))?;
        ready?;
        // Its log is read to the end, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            port,
            _child: child,
        })
    }
}

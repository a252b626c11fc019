//! A real `redis-server` per test: on a free loopback port, in a temporary directory, without
//! persistence unless asked, stopped when the test drops it. No state is shared between tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use super::PATIENCE;

/// A `redis-server` this test owns.
pub struct Redis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    /// Starts one, or `None` (the test is skipped with a message) when `redis-server` is not
    /// installed outside CI; under CI a missing `redis-server` fails the test.
    pub async fn start() -> Option<Self> {
        if !super::tools::available("redis-server") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("nestish-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut redis = Self {
            port,
            dir,
            child: None,
        };
        redis.launch().await;
        Some(redis)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Starts `redis-server` and waits until it says it accepts connections.
    async fn launch(&mut self) {
        let child = spawn(
            Command::new("redis-server")
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--logfile", ""])
                .arg("--dir")
                .arg(&self.dir),
            self.port,
        )
        .await;
        assert_eq!(self.command(&["PING"]).await, "+PONG");
        self.child = Some(child);
    }

    /// Kills it at once (`SIGKILL`): whatever it held is lost, as after a crash.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("redis-server is killed");
        }
    }

    /// Stops it after writing its data to disk (`SHUTDOWN SAVE`), so that [`Redis::restart`]
    /// brings the data back, as a restart with persistence would.
    pub async fn stop_saving(&mut self) {
        let mut child = self.child.take().expect("a running redis-server");
        // The connection closes as the server exits, without an answer.
        let _ = self.try_command(&["SHUTDOWN", "SAVE"]).await;
        child.wait().await.expect("redis-server exits");
    }

    /// Starts it again on the same port and directory.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is still running");
        self.launch().await;
    }

    /// Sends one command on a new connection; returns the answer (see [`Session::command`]).
    pub async fn command(&self, args: &[&str]) -> String {
        self.try_command(args)
            .await
            .unwrap_or_else(|| panic!("redis-server answers {args:?}"))
    }

    async fn try_command(&self, args: &[&str]) -> Option<String> {
        Session::open(self.addr()).await?.try_command(args).await
    }

    /// A connection of its own, for commands that must come from one client (its own
    /// connection counts while `maxclients` is lowered, say).
    pub async fn session(&self) -> Session {
        Session::open(self.addr())
            .await
            .expect("redis-server accepts a connection")
    }
}

/// Spawns `redis-server` as `command` says (its log on standard output), killed when dropped,
/// and waits until it says it accepts connections on `port`.
pub async fn spawn(command: &mut Command, port: u16) -> Child {
    try_spawn(command, port).await.unwrap_or_else(|log| {
        panic!("redis-server on port {port} never got ready; its log:\n{log}")
    })
}

/// [`spawn`], or the server's log when it ends (or stays silent) before it is ready: a port
/// picked free can be taken by another process before `redis-server` binds it.
pub async fn try_spawn(command: &mut Command, port: u16) -> Result<Child, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("redis-server starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let mut log = String::new();
    let ready = tokio::time::timeout(PATIENCE, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("Ready to accept connections") {
                return true;
            }
            log.push_str(&line);
            log.push('\n');
        }
        false
    })
    .await;
    if ready != Ok(true) {
        return Err(format!("(port {port})\n{log}"));
    }
    // Keep reading its log, so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(child)
}

/// One connection to a `redis-server`, speaking RESP2.
pub struct Session {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Session {
    /// A connection to the `redis-server` at `addr`; `None` if it refuses.
    pub async fn open(addr: SocketAddr) -> Option<Self> {
        let stream = TcpStream::connect(addr).await.ok()?;
        Some(Self {
            stream,
            buf: Vec::new(),
        })
    }

    /// Sends one command; returns a bulk answer's content, or a simple one's line with its
    /// type (`+OK`, `:1`, `-ERR ...`).
    pub async fn command(&mut self, args: &[&str]) -> String {
        self.try_command(args)
            .await
            .unwrap_or_else(|| panic!("redis-server answers {args:?}"))
    }

    /// As [`Session::command`]; `None` if the connection closed first.
    pub async fn try_command(&mut self, args: &[&str]) -> Option<String> {
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.stream.write_all(request.as_bytes()).await.ok()?;
        let line = self.line().await?;
        let Some(len) = line.strip_prefix('$') else {
            return Some(line);
        };
        let len: usize = len.parse().ok()?;
        while self.buf.len() < len + 2 {
            self.fill().await?;
        }
        let bulk: Vec<u8> = self.buf.drain(..len + 2).take(len).collect();
        String::from_utf8(bulk).ok()
    }

    /// One line of the answer, without its CRLF; `None` if the connection closed first.
    async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|pair| pair == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).take(end).collect();
                return String::from_utf8(line).ok();
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Option<()> {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk))
            .await
            .expect("redis-server answers in time")
            .ok()?;
        (read > 0).then(|| self.buf.extend_from_slice(&chunk[..read]))
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

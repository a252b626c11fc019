//! Shared helpers of the raw-wire end-to-end tests: start the app on an ephemeral port, and
//! speak raw HTTP/1.1 to it over TCP, so every byte the server writes can be checked, or be a
//! client no library is (one that never reads, one that vanishes by reset). Tests of behaviour
//! use `nestish_core::testing` instead.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod balancer;
pub mod h2c;
pub mod http1;
pub mod kernel;
pub mod logs;
pub mod redis;
pub mod redis_cluster;
pub mod tls;
pub mod tls_client;
pub mod tools;
pub mod typescript;
pub mod vectors;
pub mod webdriver;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any single read may wait before the test fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Builds the app from every controller linked into the test binary and serves it on
/// 127.0.0.1, on a free port.
pub async fn start() -> SocketAddr {
    start_with(nestish_core::NestFactory::create()).await
}

/// Builds `builder`'s app and serves it on 127.0.0.1, on a free port.
pub async fn start_with(builder: nestish_core::AppBuilder) -> SocketAddr {
    serve(builder).await.addr
}

/// A server started by [`serve`]: its address, its handle and the task that serves it.
pub struct Running {
    pub addr: SocketAddr,
    pub handle: nestish_core::AppHandle,
    pub task: tokio::task::JoinHandle<Result<(), nestish_core::Error>>,
}

impl Running {
    /// Waits for `serve` to return after a shutdown, within [`PATIENCE`], and checks it returned
    /// `Ok` with no stream and no connection left open.
    pub async fn served_cleanly(self) {
        let served = tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("serve returns within the shutdown timeout")
            .expect("the serve task did not panic");
        assert!(served.is_ok(), "{served:?}");
        assert_eq!(self.handle.open_streams(), 0);
        assert_eq!(self.handle.open_connections(), 0);
    }
}

/// Builds `builder`'s app (without signal handling) and serves it on a free port.
pub async fn serve(builder: nestish_core::AppBuilder) -> Running {
    let server = builder
        .handle_signals(false)
        .build()
        .expect("the app builds")
        .bind("127.0.0.1:0")
        .await
        .expect("an ephemeral port binds");
    run(server)
}

/// Serves a bound `server` on a task of its own.
pub fn run(server: nestish_core::Server) -> Running {
    let addr = server.local_addr();
    let handle = server.handle();
    let task = tokio::spawn(server.serve());
    Running { addr, handle, task }
}

/// Checks that `text` is how a shutdown ends an SSE stream: `before` (the route's
/// `event: shutdown`, or nothing), then a lone `retry:` within the default drain window.
pub fn assert_drained(text: &str, before: &str) {
    let window = nestish_core::Limits::default().drain_window.as_millis();
    let retry = text
        .strip_prefix(before)
        .and_then(|rest| rest.strip_prefix("retry: "))
        .and_then(|rest| rest.strip_suffix("\n\n"))
        .and_then(|millis| millis.parse::<u128>().ok());
    assert!(
        retry.is_some_and(|millis| millis <= window),
        "not {before:?} then a retry within the drain window: {text:?}"
    );
}

/// Polls `condition` every 20 ms until it holds; panics with `what` after [`PATIENCE`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `value` has not changed for half a second (25 looks, 20 ms apart): a server
/// that has filled every buffer and stopped pulling. Returns the settled value.
pub async fn settled<T: PartialEq + Copy>(what: &str, mut value: impl FnMut() -> T) -> T {
    let mut last = value();
    let mut still = 0;
    eventually(what, || {
        let now = value();
        still = if now == last { still + 1 } else { 0 };
        last = now;
        still >= 25
    })
    .await;
    last
}

/// Sends SIGTERM to this test process, as an orchestrator stopping the server would.
pub async fn sigterm_self() {
    let status = tokio::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .await
        .expect("kill runs");
    assert!(status.success());
}

/// A response head.
#[derive(Debug)]
pub struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The value of header `name` (case-insensitive), if present once or more (first one).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 connection.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Decoded body bytes not yet handed out by [`Conn::body_bytes`].
    body: Vec<u8>,
    /// How long one read may wait: [`PATIENCE`] unless [`Conn::patience`] says otherwise.
    patience: Duration,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connects");
        Self {
            stream,
            patience: PATIENCE,
            buf: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sends `method path` with the given extra header lines.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[&str]) {
        self.send_body(method, path, headers, "").await;
    }

    /// Sends `method path` with the given extra header lines and a body (with its length).
    pub async fn send_body(&mut self, method: &str, path: &str, headers: &[&str], body: &str) {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for header in headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        if !body.is_empty() {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.stream
            .write_all(request.as_bytes())
            .await
            .expect("request is written");
    }

    /// Writes raw bytes, for requests the helpers above cannot express.
    pub async fn stream_bytes(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .await
            .expect("bytes are written");
    }

    /// The same connection, whose reads each wait up to `patience`: for a peer that does heavy
    /// work before it answers (a browser loading a page), not for the server under test.
    pub fn patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// Reads more bytes into the buffer; false at end of stream.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(self.patience, self.stream.read(&mut chunk))
            .await
            .expect("the server answers in time")
            .expect("read succeeds");
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// Takes `n` bytes from the connection.
    async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill().await, "connection closed early");
        }
        self.buf.drain(..n).collect()
    }

    /// Takes one CRLF-terminated line, without the CRLF.
    async fn line(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..end + 2).collect();
                return String::from_utf8(line[..end].to_vec()).expect("ASCII line");
            }
            assert!(self.fill().await, "connection closed in a line");
        }
    }

    /// Reads the response head.
    pub async fn head(&mut self) -> Head {
        let status_line = self.line().await;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return Head { status, headers };
            }
            let (name, value) = line.split_once(':').expect("header line");
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }

    /// Reads one chunk of a chunked body; `None` for the last (empty) chunk.
    pub async fn chunk(&mut self) -> Option<Vec<u8>> {
        let size_line = self.line().await;
        let size = usize::from_str_radix(size_line.trim(), 16).expect("chunk size");
        let data = self.take(size).await;
        assert_eq!(self.take(2).await, b"\r\n", "chunk ends with CRLF");
        (size > 0).then_some(data)
    }

    /// Returns the next `len` bytes of a chunked body (fewer if it ends), whatever the chunk
    /// boundaries; what is left of the last chunk read is kept for the next call.
    pub async fn body_bytes(&mut self, len: usize) -> String {
        while self.body.len() < len {
            match self.chunk().await {
                Some(chunk) => self.body.extend(chunk),
                None => break,
            }
        }
        let take = len.min(self.body.len());
        String::from_utf8(self.body.drain(..take).collect()).expect("UTF-8 body")
    }

    /// Reads the whole chunked body, up to the last chunk.
    pub async fn chunked_body(&mut self) -> String {
        let mut body = Vec::new();
        while let Some(chunk) = self.chunk().await {
            body.extend(chunk);
        }
        String::from_utf8(body).expect("UTF-8 body")
    }

    /// Reads a body of `Content-Length` bytes.
    pub async fn sized_body(&mut self, head: &Head) -> String {
        let len = head
            .header("content-length")
            .expect("content-length")
            .parse()
            .expect("numeric content-length");
        String::from_utf8(self.take(len).await).expect("UTF-8 body")
    }
}

/// `GET path` of an SSE route with the header lines given, on a new connection: the connection,
/// past the head, when it is a stream; else the refusal's head and body, after checking that a
/// refusal sends no SSE header.
pub async fn open_stream(
    addr: SocketAddr,
    path: &str,
    headers: &[&str],
) -> Result<Conn, (Head, String)> {
    let mut conn = Conn::open(addr).await;
    conn.send("GET", path, headers).await;
    let head = conn.head().await;
    if head.status != 200 {
        assert_ne!(
            head.header("content-type"),
            Some("text/event-stream"),
            "a refusal sends no SSE header"
        );
        let body = conn.sized_body(&head).await;
        return Err((head, body));
    }
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    Ok(conn)
}

/// `GET path` on a new connection: the head and the whole body, sized or chunked.
pub async fn get(addr: SocketAddr, path: &str) -> (Head, String) {
    let mut conn = Conn::open(addr).await;
    conn.send("GET", path, &[]).await;
    let head = conn.head().await;
    let body = if head.header("transfer-encoding") == Some("chunked") {
        conn.chunked_body().await
    } else {
        conn.sized_body(&head).await
    };
    (head, body)
}

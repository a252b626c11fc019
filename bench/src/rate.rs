//! Request rates for the guard-cost scenario: plain `GET`s on keep-alive connections, and SSE
//! connects (a new connection, the request, the response head, then away), each for a fixed
//! time on a fixed number of concurrent connections, raw HTTP/1.1 like the rest of the client.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// How long one response may take before the run fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(10);

/// The request for `path`, with `cookie` when given.
fn request(path: &str, cookie: Option<&str>) -> Vec<u8> {
    let cookie = cookie
        .map(|c| format!("cookie: {c}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nhost: bench\r\n{cookie}\r\n").into_bytes()
}

/// Reads one response with a `content-length` body from `tcp`, keeping what follows in `buf`;
/// fails unless it is 200.
async fn read_response(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0_u8; 4096];
    loop {
        if let Some(end) = memchr::memmem::find(buf, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(io::Error::other)?;
            if head.split(' ').nth(1) != Some("200") {
                let line = head.lines().next().unwrap_or_default().to_owned();
                return Err(io::Error::other(format!("expected 200, got {line:?}")));
            }
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .ok_or_else(|| io::Error::other("a response without content-length"))?;
            if buf.len() >= end + 4 + length {
                buf.drain(..end + 4 + length);
                return Ok(());
            }
        }
        let read = tcp.read(&mut chunk).await?;
        if read == 0 {
            return Err(io::Error::other("connection closed mid-response"));
        }
        buf.extend_from_slice(&chunk[..read]);
    }
}

/// `GET path` on `connections` keep-alive connections for `duration`; the responses completed.
pub(crate) async fn gets(
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    connections: usize,
    duration: Duration,
) -> io::Result<u64> {
    loops(
        request(path, cookie),
        connections,
        duration,
        move |request, deadline| async move {
            let mut tcp = TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            let (mut done, mut buf) = (0_u64, Vec::with_capacity(4096));
            while Instant::now() < deadline {
                tcp.write_all(&request).await?;
                tokio::time::timeout(PATIENCE, read_response(&mut tcp, &mut buf))
                    .await
                    .map_err(|_| io::Error::other("no response in time"))??;
                done += 1;
            }
            Ok(done)
        },
    )
    .await
}

/// New connections on `connections` concurrent loops for `duration`, each sending `GET path`
/// and reading the SSE response head, then closing; the heads received.
pub(crate) async fn sse_connects(
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    connections: usize,
    duration: Duration,
) -> io::Result<u64> {
    loops(
        request(path, cookie),
        connections,
        duration,
        move |request, deadline| async move {
            let (mut done, mut chunk) = (0_u64, [0_u8; 1024]);
            while Instant::now() < deadline {
                let mut tcp = TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                tcp.write_all(&request).await?;
                let mut head = Vec::with_capacity(512);
                let read_head = async {
                    while memchr::memmem::find(&head, b"\r\n\r\n").is_none() {
                        let read = tcp.read(&mut chunk).await?;
                        if read == 0 {
                            return Err(io::Error::other("closed before the head"));
                        }
                        head.extend_from_slice(&chunk[..read]);
                    }
                    io::Result::Ok(())
                };
                tokio::time::timeout(PATIENCE, read_head)
                    .await
                    .map_err(|_| io::Error::other("no head in time"))??;
                if !head.starts_with(b"HTTP/1.1 200 ") {
                    return Err(io::Error::other("an SSE connect was not answered 200"));
                }
                done += 1;
            }
            Ok(done)
        },
    )
    .await
}

/// Runs `one` on `connections` concurrent tasks until `duration` has passed; the sum of what
/// they count.
async fn loops<F, Fut>(
    request: Vec<u8>,
    connections: usize,
    duration: Duration,
    one: F,
) -> io::Result<u64>
where
    F: Fn(Vec<u8>, Instant) -> Fut,
    Fut: Future<Output = io::Result<u64>> + Send + 'static,
{
    let deadline = Instant::now() + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        tasks.spawn(one(request.clone(), deadline));
    }
    let mut total = 0;
    while let Some(done) = tasks.join_next().await {
        total += done.map_err(io::Error::other)??;
    }
    Ok(total)
}

//! HTTP/2 floods: h2c with prior knowledge (no TLS, no upgrade), through the `h2` crate, the
//! HTTP/2 implementation under hyper, so the client adds no framework of its own (idle HTTP/2
//! streams are [`H2Swarm`](crate::load::H2Swarm)'s).
//! Each response's DATA is fed to the same [`EventCounter`] as the HTTP/1.1 streams, and its
//! flow-control window is given back as soon as it is read, so the client never throttles a
//! server.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use h2::client::{self, SendRequest};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::load::{self, EventCounter, FloodOutcome};

/// How long a connection may take to get its handshake done, or a stream its response head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Windows large enough that a flood is never waiting for the client to grant more: 1 MiB per
/// stream, 32 MiB per connection (the defaults are HTTP/2's 64 KiB).
const STREAM_WINDOW: u32 = 1 << 20;
const CONNECTION_WINDOW: u32 = 32 << 20;

fn other(error: impl ToString) -> io::Error {
    io::Error::other(error.to_string())
}

/// Opens an h2c connection to `addr` and drives it on a task of its own.
async fn connect(addr: SocketAddr) -> io::Result<SendRequest<Bytes>> {
    let tcp = timeout(HEAD_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
    tcp.set_nodelay(true)?;
    let handshake = client::Builder::new()
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .handshake::<_, Bytes>(tcp);
    let (send, connection) = timeout(HEAD_TIMEOUT, handshake)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
        .map_err(other)?;
    tokio::spawn(async move {
        // Ends when every handle and stream of the connection is dropped, or the server goes.
        let _ = connection.await;
    });
    Ok(send)
}

/// Sends `GET path` on `send` and waits for a 200 head; returns its body.
async fn get(send: &SendRequest<Bytes>, path: &str) -> io::Result<h2::RecvStream> {
    let request = http::Request::get(format!("http://127.0.0.1{path}"))
        .header(http::header::ACCEPT, "text/event-stream")
        .body(())
        .map_err(other)?;
    let mut send = send.clone().ready().await.map_err(other)?;
    let (response, _) = send.send_request(request, true).map_err(other)?;
    let response = timeout(HEAD_TIMEOUT, response)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
        .map_err(other)?;
    if response.status() != http::StatusCode::OK {
        return Err(other(format!("expected 200, got {}", response.status())));
    }
    Ok(response.into_body())
}

/// Reads one DATA frame of `body` into `counter` and gives its window back; returns its size
/// and the events it completed, or `None` at the end of the body.
async fn read_some(
    body: &mut h2::RecvStream,
    counter: &mut EventCounter,
) -> io::Result<Option<(u64, u64)>> {
    let Some(data) = body.data().await else {
        return Ok(None);
    };
    let data = data.map_err(other)?;
    let _ = body.flow_control().release_capacity(data.len());
    Ok(Some((data.len() as u64, counter.feed(&data))))
}

/// `streams` concurrent `GET path` on `connections` h2c connections (spread evenly), each read
/// to its end within `deadline`.
pub(crate) async fn flood(
    addr: SocketAddr,
    path: &str,
    connections: usize,
    streams: usize,
    deadline: Duration,
) -> io::Result<FloodOutcome> {
    let start = Instant::now();
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(connect(addr).await?);
    }
    let mut tasks = JoinSet::new();
    for i in 0..streams {
        let (send, path) = (senders[i % connections].clone(), path.to_owned());
        tasks.spawn(async move {
            let mut body = get(&send, &path).await?;
            let (mut counter, mut bytes) = (EventCounter::default(), 0);
            while let Some((read, _)) = read_some(&mut body, &mut counter).await? {
                bytes += read;
            }
            io::Result::Ok((counter.events, bytes))
        });
    }
    drop(senders);
    load::gather(tasks, start, deadline).await
}

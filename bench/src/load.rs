//! The load generator: raw HTTP/1.1 over `TcpStream` (or TLS over it, for the `tls-*` rows), a
//! chunked-transfer decoder and an event counter, all incremental so that the client costs far
//! less per event than any server.
//!
//! No client crate: the point is to count exactly what reaches the socket, with as little work
//! of our own in the way as possible. Every loop here is bounded by a count and by a deadline.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::servers::unix_micros;

/// How the load generator reaches a server.
#[derive(Clone)]
pub(crate) enum Transport {
    /// Plain TCP.
    Plain,
    /// TLS over TCP, with the client of [`crate::tls::connector`].
    Tls(TlsConnector),
}

impl Transport {
    /// Connects to `addr` with `TCP_NODELAY` and, over TLS, completes the handshake.
    pub(crate) async fn connect(&self, addr: SocketAddr) -> io::Result<Conn> {
        self.connect_from(None, addr).await
    }

    /// As [`connect`](Self::connect), from `source` (any port) if given.
    pub(crate) async fn connect_from(
        &self,
        source: Option<IpAddr>,
        addr: SocketAddr,
    ) -> io::Result<Conn> {
        let tcp = match source {
            None => TcpStream::connect(addr).await?,
            Some(source) => {
                let socket = TcpSocket::new_v4()?;
                socket.bind(SocketAddr::new(source, 0))?;
                socket.connect(addr).await?
            }
        };
        tcp.set_nodelay(true)?;
        match self {
            Self::Plain => Ok(Conn::Plain(tcp)),
            Self::Tls(connector) => {
                let tls = connector.connect(crate::tls::server_name(), tcp).await?;
                Ok(Conn::Tls(Box::new(tls)))
            }
        }
    }
}

/// A connection to a server, plain or TLS.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// How long a connection may take to get its response head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// Counts server-sent events in a byte stream: an event is a block of lines ended by a blank
/// line that holds at least one `data` field (a block of comments or `retry:` dispatches
/// nothing, as in a browser). Lines end with LF or CRLF; the servers here never send a lone CR.
#[derive(Debug, Default)]
pub(crate) struct EventCounter {
    /// Events completed so far.
    pub events: u64,
    /// Length of the current line so far.
    line_len: usize,
    /// Its first bytes, enough to recognise `data:` / `data`.
    head: [u8; 5],
    /// Whether the current block has a data field.
    has_data: bool,
    /// Set by [`with_stamps`](Self::with_stamps): the `"t"` of every event's data is kept.
    stamps: Option<Box<Stamps>>,
}

/// The publication times found in events' data, for latency (`GET /hub`).
#[derive(Debug)]
struct Stamps {
    /// The first bytes of the current line: enough for `data: {"t":<20 digits>`.
    line: [u8; STAMP_LINE],
    /// The `t` of the current block's data, once seen.
    block: Option<u64>,
    /// The `t` of every event completed and not yet taken.
    done: Vec<u64>,
}

const STAMP_LINE: usize = 48;

/// The number after `"t":` in a JSON line such as `data: {"t":1700000000000000,"n":3}`.
fn parse_stamp(line: &[u8]) -> Option<u64> {
    let start = memchr::memmem::find(line, b"\"t\":")? + 4;
    let digits = line[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    std::str::from_utf8(&line[start..start + digits])
        .ok()?
        .parse()
        .ok()
}

impl EventCounter {
    /// A counter that also keeps the `"t"` of each event's data (see [`take_stamps`]).
    ///
    /// [`take_stamps`]: Self::take_stamps
    pub(crate) fn with_stamps() -> Self {
        Self {
            stamps: Some(Box::new(Stamps {
                line: [0; STAMP_LINE],
                block: None,
                done: Vec::new(),
            })),
            ..Self::default()
        }
    }

    /// The `"t"` of every event completed since the last call, oldest first (events without
    /// one are counted but have none).
    pub(crate) fn take_stamps(&mut self) -> impl Iterator<Item = u64> + '_ {
        self.stamps
            .as_mut()
            .into_iter()
            .flat_map(|stamps| stamps.done.drain(..))
    }

    /// Feeds body bytes; returns how many events they completed.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> u64 {
        let before = self.events;
        while let Some(end) = memchr::memchr(b'\n', bytes) {
            self.extend_line(&bytes[..end]);
            self.end_line();
            bytes = &bytes[end + 1..];
        }
        self.extend_line(bytes);
        self.events - before
    }

    fn extend_line(&mut self, part: &[u8]) {
        if self.line_len < self.head.len() {
            let take = part.len().min(self.head.len() - self.line_len);
            self.head[self.line_len..self.line_len + take].copy_from_slice(&part[..take]);
        }
        if let Some(stamps) = &mut self.stamps
            && self.line_len < STAMP_LINE
        {
            let take = part.len().min(STAMP_LINE - self.line_len);
            stamps.line[self.line_len..self.line_len + take].copy_from_slice(&part[..take]);
        }
        self.line_len += part.len();
    }

    fn end_line(&mut self) {
        let head = &self.head[..self.line_len.min(self.head.len())];
        let blank = head.is_empty() || (self.line_len == 1 && head == b"\r");
        if blank {
            if self.has_data {
                self.events += 1;
            }
            self.has_data = false;
            if let Some(stamps) = &mut self.stamps
                && let Some(t) = stamps.block.take()
            {
                stamps.done.push(t);
            }
        } else if head.starts_with(b"data") {
            // The field name runs to the first `:` or the end of the line: `data:...` and a bare
            // `data` (LF or CRLF) are data fields, `database:` is not.
            let data =
                self.line_len == 4 || head[4] == b':' || (self.line_len == 5 && head[4] == b'\r');
            self.has_data |= data;
            if data && let Some(stamps) = &mut self.stamps {
                let line = &stamps.line[..self.line_len.min(STAMP_LINE)];
                stamps.block = stamps.block.or_else(|| parse_stamp(line));
            }
        }
        self.line_len = 0;
    }
}

/// Where a chunked body is.
#[derive(Debug)]
enum Chunked {
    /// Reading a chunk-size line: the size so far, and whether an extension (`;...`) began.
    Size { size: u64, extension: bool },
    /// Inside a chunk's data: bytes left.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// After the last chunk: trailer lines, until a blank one; `line_len` of the current one.
    Trailers { line_len: usize },
    /// The body is complete.
    Done,
}

/// How the response body is framed.
#[derive(Debug)]
enum Framing {
    Chunked(Chunked),
    /// No `Transfer-Encoding: chunked`: the body runs until the connection closes.
    UntilClose,
}

/// A response body being decoded: its framing, and the events in it.
#[derive(Debug)]
pub(crate) struct BodyDecoder {
    framing: Framing,
    /// The events seen so far.
    pub counter: EventCounter,
    /// Body bytes (after de-chunking) seen so far.
    pub body_bytes: u64,
    /// Whether the body has ended (last chunk, or the server closed the connection).
    pub ended: bool,
}

/// One server-sent-event response being read.
pub(crate) struct SseStream {
    tcp: Conn,
    buf: Box<[u8]>,
    /// What has been read of the body.
    pub body: BodyDecoder,
}

impl SseStream {
    /// Connects to `addr`, sends `GET path` and reads the response head; fails unless it is 200.
    /// Body bytes that came with the head are already counted. `buf_size` is the read buffer:
    /// large for a flood, small for thousands of idle streams.
    pub(crate) async fn open(
        transport: &Transport,
        addr: SocketAddr,
        path: &str,
        buf_size: usize,
    ) -> io::Result<Self> {
        let mut tcp = transport.connect(addr).await?;
        send_request(&mut tcp, path).await?;
        Self::read_head(tcp, buf_size, false).await
    }

    /// Reads the response head of a request already sent on `tcp`; fails unless it is 200.
    /// With `stamps`, the body's counter keeps each event's `"t"` (see
    /// [`EventCounter::with_stamps`]).
    pub(crate) async fn read_head(
        mut tcp: Conn,
        buf_size: usize,
        stamps: bool,
    ) -> io::Result<Self> {
        let mut buf = vec![0; buf_size.max(MAX_HEAD)].into_boxed_slice();
        let mut filled = 0;
        let head_end = loop {
            if let Some(end) = memchr::memmem::find(&buf[..filled], b"\r\n\r\n") {
                break end + 4;
            }
            if filled == MAX_HEAD {
                return Err(invalid("response head too large"));
            }
            let read = tcp.read(&mut buf[filled..MAX_HEAD]).await?;
            if read == 0 {
                return Err(invalid("connection closed before the response head"));
            }
            filled += read;
        };
        let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| invalid("non-UTF-8 head"))?;
        let status = head.split(' ').nth(1);
        if status != Some("200") {
            let first_line = head.lines().next().unwrap_or_default();
            return Err(invalid_owned(format!("expected 200, got {first_line:?}")));
        }
        let chunked = head.lines().any(|line| {
            let line = line.to_ascii_lowercase();
            line.starts_with("transfer-encoding:") && line.contains("chunked")
        });
        let leftover = buf[head_end..filled].to_vec();
        // Idle streams keep only a small buffer: the head buffer is dropped here.
        let buf = if buf.len() > buf_size {
            vec![0; buf_size].into_boxed_slice()
        } else {
            buf
        };
        let mut body = BodyDecoder::new(chunked);
        if stamps {
            body.counter = EventCounter::with_stamps();
        }
        body.feed(&leftover)?;
        Ok(Self { tcp, buf, body })
    }

    /// Waits for the next bytes and counts them; returns the events they completed. After the
    /// body has ended (see [`BodyDecoder::ended`]) it returns 0 at once.
    pub(crate) async fn read_some(&mut self) -> io::Result<u64> {
        if self.body.ended {
            return Ok(0);
        }
        let read = self.tcp.read(&mut self.buf).await?;
        let before = self.body.counter.events;
        if read == 0 {
            self.body.close()?;
        } else {
            self.body.feed(&self.buf[..read])?;
        }
        Ok(self.body.counter.events - before)
    }

    /// Reads until the body ends.
    pub(crate) async fn read_to_end(&mut self) -> io::Result<()> {
        while !self.body.ended {
            self.read_some().await?;
        }
        Ok(())
    }
}

impl BodyDecoder {
    /// A body framed with chunked transfer encoding, or running until the connection closes.
    pub(crate) fn new(chunked: bool) -> Self {
        let framing = if chunked {
            Framing::Chunked(Chunked::Size {
                size: 0,
                extension: false,
            })
        } else {
            Framing::UntilClose
        };
        Self {
            framing,
            counter: EventCounter::default(),
            body_bytes: 0,
            ended: false,
        }
    }

    /// The connection closed: the end of an until-close body, an error inside a chunked one.
    pub(crate) fn close(&mut self) -> io::Result<()> {
        if let Framing::Chunked(state) = &self.framing
            && !matches!(state, Chunked::Done)
        {
            return Err(invalid("connection closed inside a chunked body"));
        }
        self.ended = true;
        Ok(())
    }

    /// Decodes the framing of `bytes` and passes the body bytes to the event counter.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let state = match &mut self.framing {
            Framing::UntilClose => {
                self.body_bytes += bytes.len() as u64;
                self.counter.feed(bytes);
                return Ok(());
            }
            Framing::Chunked(state) => state,
        };
        while !bytes.is_empty() {
            match state {
                Chunked::Size { size, extension } => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    match byte {
                        b'\n' if *size == 0 => *state = Chunked::Trailers { line_len: 0 },
                        b'\n' => *state = Chunked::Data(*size),
                        b'\r' => {}
                        _ if *extension => {}
                        b';' => *extension = true,
                        _ => {
                            let digit = (byte as char)
                                .to_digit(16)
                                .ok_or_else(|| invalid("bad chunk size"))?;
                            *size = size
                                .checked_mul(16)
                                .ok_or_else(|| invalid("chunk size overflow"))?
                                + u64::from(digit);
                        }
                    }
                }
                Chunked::Data(left) => {
                    let take = bytes
                        .len()
                        .min(usize::try_from(*left).unwrap_or(usize::MAX));
                    self.body_bytes += take as u64;
                    self.counter.feed(&bytes[..take]);
                    bytes = &bytes[take..];
                    *left -= take as u64;
                    if *left == 0 {
                        *state = Chunked::DataEnd;
                    }
                }
                Chunked::DataEnd => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    match byte {
                        b'\r' => {}
                        b'\n' => {
                            *state = Chunked::Size {
                                size: 0,
                                extension: false,
                            }
                        }
                        _ => return Err(invalid("no CRLF after chunk data")),
                    }
                }
                Chunked::Trailers { line_len } => {
                    let byte = bytes[0];
                    bytes = &bytes[1..];
                    match byte {
                        b'\r' => {}
                        b'\n' if *line_len == 0 => {
                            *state = Chunked::Done;
                            self.ended = true;
                        }
                        b'\n' => *line_len = 0,
                        _ => *line_len += 1,
                    }
                }
                Chunked::Done => return Err(invalid("bytes after the end of the body")),
            }
        }
        Ok(())
    }
}

async fn send_request<S: AsyncWrite + Unpin>(tcp: &mut S, path: &str) -> io::Result<()> {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n");
    tcp.write_all(request.as_bytes()).await
}

/// What a flood of one or more connections delivered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FloodOutcome {
    /// Events received, over all connections.
    pub events: u64,
    /// Body bytes received, over all connections.
    pub body_bytes: u64,
    /// From the first connect to the end of the last body.
    pub elapsed: Duration,
}

/// Opens `connections` streams of `path` at once and reads each to its end, within `deadline`.
pub(crate) async fn flood(
    transport: &Transport,
    addr: SocketAddr,
    path: &str,
    connections: usize,
    deadline: Duration,
) -> io::Result<FloodOutcome> {
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        let (path, transport) = (path.to_owned(), transport.clone());
        tasks.spawn(async move {
            let mut stream = SseStream::open(&transport, addr, &path, 64 * 1024).await?;
            stream.read_to_end().await?;
            io::Result::Ok((stream.body.counter.events, stream.body.body_bytes))
        });
    }
    gather(tasks, start, deadline).await
}

/// Adds up what each stream of a flood received (its events and body bytes) once all have
/// ended, within `deadline`; `elapsed` runs from `start`.
pub(crate) async fn gather(
    mut tasks: JoinSet<io::Result<(u64, u64)>>,
    start: Instant,
    deadline: Duration,
) -> io::Result<FloodOutcome> {
    let mut outcome = FloodOutcome {
        events: 0,
        body_bytes: 0,
        elapsed: Duration::ZERO,
    };
    let all = async {
        while let Some(joined) = tasks.join_next().await {
            let (events, body_bytes) = joined.map_err(io::Error::other)??;
            outcome.events += events;
            outcome.body_bytes += body_bytes;
        }
        io::Result::Ok(())
    };
    timeout(deadline, all)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "flood did not finish in time"))??;
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

/// Many long-lived streams, each read by its own task, which counts events into one total.
/// Dropping it closes every connection.
pub(crate) struct Swarm {
    addr: SocketAddr,
    transport: Transport,
    path: String,
    lifetime: Duration,
    /// Streams whose connect and request succeeded.
    opened: usize,
    /// Streams that failed to connect, send, or get a 200 head in time.
    failed: Arc<AtomicU64>,
    /// Streams that got their 200 head.
    streaming: Arc<AtomicU64>,
    events: Arc<AtomicU64>,
    first_error: Arc<Mutex<Option<io::Error>>>,
    /// Where each event's latency goes, if it is measured.
    latencies: Option<Arc<Latencies>>,
    /// Loopback addresses the streams connect from, in turn (none: the kernel's choice): one
    /// address has about 28,000 ephemeral ports, fewer than c100k's streams.
    sources: Vec<IpAddr>,
    /// The paths the streams ask for, in turn (none: `path`): fleet's one topic per user.
    paths: Vec<String>,
    tasks: JoinSet<()>,
}

/// Publish-to-receive latencies of stamped events (data `{"t":<unix µs>,...}`), in µs, recorded
/// only while [`recording`](Self::start). Every stream of a swarm pushes into one vector: on the
/// load generator's single thread the lock is never contended, and a push costs nanoseconds.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    recording: AtomicBool,
    micros: Mutex<Vec<u32>>,
}

impl Latencies {
    /// Starts recording.
    pub(crate) fn start(&self) {
        self.recording.store(true, Ordering::Relaxed);
    }

    /// Stops recording and returns what was recorded.
    pub(crate) fn stop(&self) -> Vec<u32> {
        self.recording.store(false, Ordering::Relaxed);
        self.micros
            .lock()
            .map(|mut micros| std::mem::take(&mut *micros))
            .unwrap_or_default()
    }

    /// Records the events published at `stamps` and received at `now` (both unix µs), if
    /// recording. A stamp after `now` (a clock step) counts as 0.
    fn record(&self, now: u64, stamps: impl Iterator<Item = u64>) {
        if !self.recording.load(Ordering::Relaxed) {
            stamps.for_each(drop);
            return;
        }
        if let Ok(mut micros) = self.micros.lock() {
            micros.extend(stamps.map(|t| u32::try_from(now.saturating_sub(t)).unwrap_or(u32::MAX)));
        }
    }
}

impl Swarm {
    /// An empty swarm of `GET path` streams on `addr`; each task ends by itself after `lifetime`.
    pub(crate) fn new(addr: SocketAddr, path: &str, lifetime: Duration) -> Self {
        Self {
            addr,
            transport: Transport::Plain,
            path: path.to_owned(),
            lifetime,
            opened: 0,
            failed: Arc::default(),
            streaming: Arc::default(),
            events: Arc::default(),
            first_error: Arc::default(),
            latencies: None,
            sources: Vec::new(),
            paths: Vec::new(),
            tasks: JoinSet::new(),
        }
    }

    /// Makes the streams opened from now on connect from `sources`, in turn.
    #[must_use]
    pub(crate) fn with_sources(mut self, sources: Vec<IpAddr>) -> Self {
        self.sources = sources;
        self
    }

    /// Makes the streams opened from now on ask for `paths`, in turn, rather than one path.
    #[must_use]
    pub(crate) fn with_paths(mut self, paths: Vec<String>) -> Self {
        self.paths = paths;
        self
    }

    /// Makes every stream opened from now on record the latency of its stamped events.
    #[must_use]
    pub(crate) fn with_latencies(mut self, latencies: Arc<Latencies>) -> Self {
        self.latencies = Some(latencies);
        self
    }

    /// Makes every stream opened from now on connect over `transport`.
    #[must_use]
    pub(crate) fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Opens `count` more streams and returns once each has connected and sent its request (or
    /// failed to). It does not wait for the response heads: a server may send none before its
    /// first event, a tick later. The caller paces the batches on what the server has accepted.
    pub(crate) async fn open(&mut self, count: usize) {
        let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<bool>();
        for n in 0..count {
            let path = if self.paths.is_empty() {
                self.path.clone()
            } else {
                self.paths[(self.opened + n) % self.paths.len()].clone()
            };
            let (addr, lifetime) = (self.addr, self.lifetime);
            let source = (!self.sources.is_empty())
                .then(|| self.sources[(self.opened + n) % self.sources.len()]);
            let latencies = self.latencies.clone();
            let transport = self.transport.clone();
            let (events, streaming, failed, first_error, sent) = (
                Arc::clone(&self.events),
                Arc::clone(&self.streaming),
                Arc::clone(&self.failed),
                Arc::clone(&self.first_error),
                sent_tx.clone(),
            );
            self.tasks.spawn(async move {
                // Exactly one message per stream: `true` once the request is sent, or `false`.
                let mut announce = Some(sent);
                let result = timeout(lifetime, async {
                    let tcp = timeout(HEAD_TIMEOUT, transport.connect_from(source, addr)).await;
                    let mut tcp = tcp.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))?;
                    send_request(&mut tcp, &path).await?;
                    if let Some(sent) = announce.take() {
                        let _ = sent.send(true);
                    }
                    let stamped = latencies.is_some();
                    let opened =
                        timeout(HEAD_TIMEOUT, SseStream::read_head(tcp, 2048, stamped)).await;
                    let mut stream =
                        opened.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))?;
                    streaming.fetch_add(1, Ordering::Relaxed);
                    events.fetch_add(stream.body.counter.events, Ordering::Relaxed);
                    while !stream.body.ended {
                        let new = stream.read_some().await?;
                        events.fetch_add(new, Ordering::Relaxed);
                        if let Some(latencies) = &latencies {
                            latencies.record(unix_micros(), stream.body.counter.take_stamps());
                        }
                    }
                    io::Result::Ok(())
                })
                .await;
                // Counted as failed before `open` hears of it, so that `opened + failed` never
                // lags behind the streams that `open` has returned for.
                if let Ok(Err(error)) = result {
                    failed.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut first) = first_error.lock() {
                        first.get_or_insert(error);
                    }
                }
                if let Some(sent) = announce.take() {
                    let _ = sent.send(false);
                }
            });
        }
        drop(sent_tx);
        for _ in 0..count {
            if sent_rx.recv().await == Some(true) {
                self.opened += 1;
            }
        }
    }

    /// Streams opened so far (connected and request sent).
    pub(crate) fn opened(&self) -> usize {
        self.opened
    }

    /// Streams that got their 200 head so far.
    pub(crate) fn streaming(&self) -> usize {
        self.streaming.load(Ordering::Relaxed) as usize
    }

    /// Streams that failed.
    pub(crate) fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed) as usize
    }

    /// The first failure, for the report.
    pub(crate) fn first_error(&self) -> Option<String> {
        let first = self.first_error.lock().ok()?;
        first.as_ref().map(ToString::to_string)
    }

    /// Events received so far, over all streams.
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
}

/// Clients that send their request and never read a byte of the response.
pub(crate) struct Stalled {
    _connections: Vec<TcpStream>,
}

impl Stalled {
    /// Opens `connections` connections and sends `GET path` on each.
    pub(crate) async fn open(addr: SocketAddr, path: &str, connections: usize) -> io::Result<Self> {
        let mut open = Vec::with_capacity(connections);
        for _ in 0..connections {
            let mut tcp = TcpStream::connect(addr).await?;
            send_request(&mut tcp, path).await?;
            open.push(tcp);
        }
        Ok(Self { _connections: open })
    }
}

/// When the first bytes of one stream arrived, counted from just before its connect.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FirstEvent {
    /// The response head: when a browser's `EventSource` fires `open`.
    pub head: Duration,
    /// The blank line that ends the first event: when `onmessage` fires.
    pub event: Duration,
}

/// Times to response head and to first event of `samples` streams of `path`, one after the
/// other (so that each measures latency, not queueing behind the others).
pub(crate) async fn time_to_first_event(
    addr: SocketAddr,
    path: &str,
    samples: usize,
    deadline: Duration,
) -> io::Result<Vec<FirstEvent>> {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        let first = async {
            let mut stream = SseStream::open(&Transport::Plain, addr, path, 4096).await?;
            let head = start.elapsed();
            while stream.body.counter.events == 0 {
                if stream.body.ended {
                    return Err(invalid("stream ended before its first event"));
                }
                stream.read_some().await?;
            }
            Ok(FirstEvent {
                head,
                event: start.elapsed(),
            })
        };
        let first = timeout(deadline, first)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no first event in time"))??;
        times.push(first);
    }
    Ok(times)
}

/// Long-lived HTTP/2 streams, many per connection (over TLS by ALPN, or h2c by prior
/// knowledge), each read by its own task, which counts events into one total. Dropping it
/// closes every connection.
pub(crate) struct H2Swarm {
    /// Streams that got their 200 head.
    streaming: Arc<AtomicU64>,
    /// Streams or connections that failed.
    failed: Arc<AtomicU64>,
    events: Arc<AtomicU64>,
    first_error: Arc<Mutex<Option<String>>>,
    tasks: JoinSet<()>,
}

impl H2Swarm {
    /// Opens `connections` connections over `transport` (TLS with ALPN `h2`, or plain for h2c) to
    /// `addr`, one after another, and on each `per_connection` streams of `GET path`; returns
    /// once every request is sent. Each task ends by itself after `lifetime`.
    pub(crate) async fn open(
        transport: &Transport,
        addr: SocketAddr,
        path: &str,
        connections: usize,
        per_connection: usize,
        lifetime: Duration,
    ) -> io::Result<Self> {
        let mut swarm = Self {
            streaming: Arc::default(),
            failed: Arc::default(),
            events: Arc::default(),
            first_error: Arc::default(),
            tasks: JoinSet::new(),
        };
        for _ in 0..connections {
            let conn = timeout(HEAD_TIMEOUT, transport.connect(addr))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no connection"))??;
            let (send, connection) = h2::client::handshake(conn)
                .await
                .map_err(io::Error::other)?;
            swarm.tasks.spawn(async move {
                let _ = timeout(lifetime, connection).await;
            });
            for _ in 0..per_connection {
                let request = http::Request::get(format!("https://localhost{path}"))
                    .body(())
                    .map_err(io::Error::other)?;
                let mut send = send.clone().ready().await.map_err(io::Error::other)?;
                let (response, _) = send.send_request(request, true).map_err(io::Error::other)?;
                let (events, streaming, failed, first_error) = (
                    Arc::clone(&swarm.events),
                    Arc::clone(&swarm.streaming),
                    Arc::clone(&swarm.failed),
                    Arc::clone(&swarm.first_error),
                );
                swarm.tasks.spawn(async move {
                    let read = async {
                        let response = timeout(HEAD_TIMEOUT, response)
                            .await
                            .map_err(|_| "no response head in time".to_owned())?
                            .map_err(|error| error.to_string())?;
                        if response.status() != 200 {
                            return Err(format!("expected 200, got {}", response.status()));
                        }
                        streaming.fetch_add(1, Ordering::Relaxed);
                        let mut body = response.into_body();
                        let mut counter = EventCounter::default();
                        while let Some(data) = body.data().await {
                            let data = data.map_err(|error| error.to_string())?;
                            let _ = body.flow_control().release_capacity(data.len());
                            events.fetch_add(counter.feed(&data), Ordering::Relaxed);
                        }
                        Ok(())
                    };
                    if let Ok(Err(error)) = timeout(lifetime, read).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut first) = first_error.lock() {
                            first.get_or_insert(error);
                        }
                    }
                });
            }
        }
        Ok(swarm)
    }

    /// Streams that got their 200 head so far.
    pub(crate) fn streaming(&self) -> usize {
        self.streaming.load(Ordering::Relaxed) as usize
    }

    /// Streams that failed.
    pub(crate) fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed) as usize
    }

    /// The first failure, for the report.
    pub(crate) fn first_error(&self) -> Option<String> {
        self.first_error.lock().ok()?.clone()
    }

    /// Events received so far, over all streams.
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }
}

/// What a run of TLS handshakes achieved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Handshakes {
    /// Handshakes completed.
    pub done: u64,
    /// Handshakes that failed.
    pub failed: u64,
    pub elapsed: Duration,
}

/// `concurrency` clients, each connecting, completing a full TLS handshake and closing, over and
/// over, for `duration`.
pub(crate) async fn handshakes(
    addr: SocketAddr,
    connector: &TlsConnector,
    concurrency: usize,
    duration: Duration,
) -> io::Result<Handshakes> {
    let (done, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..concurrency {
        let transport = Transport::Tls(connector.clone());
        let (done, failed) = (Arc::clone(&done), Arc::clone(&failed));
        tasks.spawn(async move {
            while Instant::now() < end {
                match timeout(HEAD_TIMEOUT, transport.connect(addr)).await {
                    Ok(Ok(conn)) => {
                        drop(conn);
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(io::Error::other)?;
    }
    Ok(Handshakes {
        done: done.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
    })
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn invalid_owned(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_across_any_split() {
        let wire =
            b"\n: comment\n\ndata: {\"a\":1}\n\nretry: 5\n\ndata\n\ndata:x\r\n\r\ndatabase: no\n\n";
        for split in 0..wire.len() {
            let mut counter = EventCounter::default();
            counter.feed(&wire[..split]);
            counter.feed(&wire[split..]);
            assert_eq!(counter.events, 3, "split at {split}");
        }
    }

    #[test]
    fn keeps_stamps_across_any_split() {
        let wire = b"id: 1\ndata: {\"t\":1700000000000001,\"n\":1}\n\n: ping\n\ndata: x\n\n\
                     id: 2\r\ndata:{\"t\":42,\"n\":2}\r\n\r\n";
        for split in 0..wire.len() {
            let mut counter = EventCounter::with_stamps();
            counter.feed(&wire[..split]);
            counter.feed(&wire[split..]);
            assert_eq!(counter.events, 3, "split at {split}");
            let stamps: Vec<u64> = counter.take_stamps().collect();
            assert_eq!(stamps, [1_700_000_000_000_001, 42], "split at {split}");
            assert_eq!(counter.take_stamps().count(), 0);
        }
    }

    #[test]
    fn decodes_chunks_across_any_split() {
        let events = "\ndata: {\"i\":0}\n\ndata: {\"i\":1}\n\n";
        let wire = format!(
            "1\r\n\n\r\nc;ext=1\r\n{}\r\n{:x}\r\n{}\r\n0\r\nx-trailer: 1\r\n\r\n",
            &events[1..13],
            events.len() - 13,
            &events[13..]
        );
        for split in 0..wire.len() {
            let mut body = BodyDecoder::new(true);
            body.feed(&wire.as_bytes()[..split]).unwrap();
            assert!(!body.ended || split == wire.len());
            body.feed(&wire.as_bytes()[split..]).unwrap();
            assert!(body.ended, "split at {split}");
            assert_eq!(body.counter.events, 2, "split at {split}");
            assert_eq!(body.body_bytes, events.len() as u64);
            body.close().unwrap();
        }
        let mut cut = BodyDecoder::new(true);
        cut.feed(b"5\r\ndata:").unwrap();
        assert!(cut.close().is_err());
    }
}

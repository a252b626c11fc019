//! [`Limits`]: every bound the server keeps, with its default.

use std::time::Duration;

/// The most topic classes the metrics count apart; beyond it, `topic_class="(overflow)"`.
pub const MAX_TOPIC_CLASSES: usize = 64;

/// The bounds a server keeps against slow, stalled, greedy or hostile clients. Each has a
/// default and an [`AppBuilder`](crate::AppBuilder) setter.
///
/// ```
/// use nestish_core::Limits;
/// use std::time::Duration;
///
/// let limits = Limits::default();
/// assert_eq!(limits.stall_timeout, Duration::from_secs(30));
/// assert_eq!(limits.max_connections, 16_384);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest request body a `#[body]` argument reads (413 past it). Default 1 MiB.
    pub body_limit: usize,
    /// How long a `#[body]` argument waits for the whole body (408 past it, and the connection
    /// closed). Default 30 s: with the default size limit, at least 35 KB/s.
    pub body_read_timeout: Duration,
    /// The longest a `#[body]` argument waits for the body's next bytes (408 past it, and the
    /// connection closed). Default 10 s.
    pub body_idle_timeout: Duration,
    /// The connection's buffer, in bytes: the largest request head (431 past it) and the most a
    /// response may have queued for a client that does not read. Default 64 KiB, at least 8 KiB.
    pub buffer_size: usize,
    /// Most header fields in a request (431 past it). Default 100.
    pub max_headers: usize,
    /// How long a client may take to send a request head, counted from when the server is
    /// ready for one (so it also bounds an idle keep-alive connection); then the connection is
    /// closed, against slowloris. Default 30 s.
    pub header_read_timeout: Duration,
    /// How long a client may leave the server's writes blocked without taking a byte (then the
    /// connection is closed and its stream dropped). Default 30 s.
    pub stall_timeout: Duration,
    /// Most open connections; one more is answered 503 and closed. Default 16,384.
    pub max_connections: usize,
    /// Each connection's kernel send buffer (`SO_SNDBUF`), in bytes: with the connection
    /// buffer, the most a client that does not read can make the host hold for it. Linux
    /// doubles the value for its bookkeeping. `None` leaves the kernel's autotuning, which lets
    /// such a buffer grow to `net.ipv4.tcp_wmem`'s maximum (4 MiB by default). Default 128 KiB.
    pub send_buffer: Option<usize>,
    /// Connections the kernel queues before the server accepts them (the listen backlog).
    /// Default 1,024.
    pub backlog: u32,
    /// How long an SSE stream may last before it is ended cleanly (the browser reconnects);
    /// `None`: no limit. Default `None`.
    pub sse_max_lifetime: Option<Duration>,
    /// How long a graceful shutdown waits for open connections before closing them. Default 10 s.
    pub shutdown_timeout: Duration,
    /// The window a shutdown spreads reconnections over: each SSE stream it ends gets a
    /// `retry:` drawn at random between zero and this, so its clients come back to the other
    /// instances spread out rather than all at once. Default 5 s.
    pub drain_window: Duration,
    /// Most streams a client may have open at once on one HTTP/2 connection (each
    /// `EventSource` is one); one more is refused with `REFUSED_STREAM`. Default 200.
    pub http2_max_concurrent_streams: u32,
    /// How long a client of a TLS listener (`App::listen_tls`,
    /// feature `tls`) may take to finish the TLS handshake; then the connection is closed, as a
    /// slow request head is. The header read timeout starts after it. Default 10 s.
    pub tls_handshake_timeout: Duration,
    /// How long an HTTP/2 connection may have no open stream (from its start, or since its last
    /// stream ended) before it is sent GOAWAY and closed, as an idle HTTP/1.1 connection is by
    /// the header read timeout; h2c and TLS alike, a client that sent only its preface (or only
    /// its TLS handshake) included. Default 30 s.
    pub http2_idle_timeout: Duration,
    /// How long an HTTP/2 connection may send the server nothing before the server PINGs it;
    /// `None`: no PINGs. A client that does not answer within
    /// [`http2_keep_alive_timeout`](Self::http2_keep_alive_timeout) is closed, so a vanished
    /// client whose streams are all quiet is found. Default 30 s.
    pub http2_keep_alive_interval: Option<Duration>,
    /// How long the server waits for the answer to a PING (liveness, or the one that follows a
    /// graceful GOAWAY) before it closes the connection. Default 20 s.
    pub http2_keep_alive_timeout: Duration,
    /// The most all the SSE streams of one HTTP/2 connection may have queued together, in bytes,
    /// for a client that does not read: a stream past it waits (and is not pulled) until the
    /// queue drains, and the stall timeout closes a client that never reads. Default 256 KiB,
    /// at least 16 KiB.
    pub http2_connection_buffer: usize,
    /// Frames that do no work (PRIORITY, WINDOW_UPDATE, PING, SETTINGS, empty DATA, unknown
    /// types) an HTTP/2 client may send beyond those the server's own frames earn: each frame
    /// the server sends, and each HEADERS or non-empty DATA frame the client sends, earns one
    /// back, up to this many. At zero the connection is sent GOAWAY (`ENHANCE_YOUR_CALM`) and
    /// closed. Default 1,000, at least 100.
    pub http2_noop_frame_budget: u32,
    /// How long an SSE stream goes on after the expiry a guard gave its credentials
    /// ([`GuardRequest::credentials_expire_at`](crate::GuardRequest::credentials_expire_at)),
    /// for the client to refresh them; then it ends with a `retry:`, and the client reconnects
    /// and is authenticated again. Default 5 s.
    pub credential_grace: Duration,
    /// Most SSE streams one principal (as a guard named it,
    /// [`GuardRequest::principal`](crate::GuardRequest::principal)) may hold open at once on
    /// this instance, all routes together; one more is answered 429 with `Retry-After`.
    /// Default `None`: no cap.
    pub max_streams_per_principal: Option<u32>,
    /// Most SSE streams one client address may hold open at once on this instance, all routes
    /// together; one more is answered 429 with `Retry-After`. Default `None`: no cap (clients
    /// behind one NAT share an address).
    pub max_streams_per_address: Option<u32>,
    /// Most SSE streams one client address may open in a given time on this instance, all
    /// routes together (an IPv6 address counts by its /64); one more is answered 429 with
    /// `Retry-After` (the wait until it may). Default `None`: no cap. Set with
    /// `AppBuilder::new_streams_per_address` (cargo feature `rate-limit`).
    pub new_streams_per_address: Option<StreamRate>,
}

/// A rate of new streams: at most `count` in `per`, as a burst or spread out (a new one may
/// open each `per / count` once the burst is spent).
///
/// ```
/// let rate = nestish_core::StreamRate::per_second(5);
/// assert_eq!(rate, nestish_core::StreamRate::new(5, std::time::Duration::from_secs(1)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamRate {
    /// How many streams, at least 1.
    pub count: u32,
    /// In how long, more than zero.
    pub per: Duration,
}

impl StreamRate {
    /// `count` new streams in `per`.
    ///
    /// ```
    /// let rate = nestish_core::StreamRate::new(30, std::time::Duration::from_secs(60));
    /// # let _ = rate;
    /// ```
    #[must_use]
    pub const fn new(count: u32, per: Duration) -> Self {
        Self { count, per }
    }

    /// `count` new streams a second.
    ///
    /// ```
    /// let rate = nestish_core::StreamRate::per_second(5);
    /// # let _ = rate;
    /// ```
    #[must_use]
    pub const fn per_second(count: u32) -> Self {
        Self::new(count, Duration::from_secs(1))
    }
}

impl Limits {
    /// Streams an HTTP/2 client may reset before the server has answered them, before its
    /// connection is closed: hyper's bound against the "rapid reset" flood. Not configurable.
    pub const HTTP2_MAX_PENDING_RESET_STREAMS: usize = 20;
    /// Streams the server may reset because of a client's protocol errors before it closes the
    /// connection. Not configurable.
    pub const HTTP2_MAX_LOCAL_ERROR_RESETS: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            body_read_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(10),
            buffer_size: 64 * 1024,
            max_headers: 100,
            header_read_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(30),
            max_connections: 16_384,
            send_buffer: Some(128 * 1024),
            backlog: 1_024,
            sse_max_lifetime: None,
            shutdown_timeout: Duration::from_secs(10),
            drain_window: Duration::from_secs(5),
            http2_max_concurrent_streams: 200,
            tls_handshake_timeout: Duration::from_secs(10),
            http2_idle_timeout: Duration::from_secs(30),
            http2_keep_alive_interval: Some(Duration::from_secs(30)),
            http2_keep_alive_timeout: Duration::from_secs(20),
            http2_connection_buffer: 256 * 1024,
            http2_noop_frame_budget: 1_000,
            credential_grace: Duration::from_secs(5),
            max_streams_per_principal: None,
            max_streams_per_address: None,
            new_streams_per_address: None,
        }
    }
}

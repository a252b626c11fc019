//! [`Acceptor`]: the accept loop's one step, with the connection cap, refusals logged at most
//! once a second, and an answer for every client even when the process is out of descriptors.

use std::io;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::connection::{Builders, ServeConnection};
use crate::HttpError;
use crate::state::State;

/// How long the loop waits after an accept error that no descriptor can fix.
const BACKOFF: Duration = Duration::from_millis(50);

/// What a listener speaks on the connections it accepts.
pub(crate) enum Transport {
    /// HTTP/1.1 or h2c, told apart by the first bytes.
    Plain,
    /// TLS, then HTTP/2 or HTTP/1.1 as ALPN chose.
    #[cfg(feature = "tls")]
    Tls(tokio_rustls::TlsAcceptor),
}

impl Transport {
    /// The URL scheme it serves.
    pub(crate) fn scheme(&self) -> &'static str {
        match self {
            Self::Plain => "http",
            #[cfg(feature = "tls")]
            Self::Tls(_) => "https",
        }
    }

    /// Answers a client the server cannot take (see [`refuse`]) before it is closed. A TLS
    /// client is only closed: it expects a handshake, not HTTP, and a handshake is what the
    /// refusal is there to save.
    fn refuse(&self, stream: &TcpStream, why: &str) {
        if matches!(self, Self::Plain) {
            refuse(stream, why);
        }
    }
}

/// Accepts connections for a server.
pub(crate) struct Acceptor {
    listener: TcpListener,
    transport: Transport,
    builders: Arc<Builders>,
    state: Arc<State>,
    /// A descriptor held in reserve: out of descriptors, it is closed to accept one waiting
    /// client and answer it 503, then opened again (the trick nginx and libev use), so the
    /// clients of an exhausted server get an answer rather than silence.
    spare: Option<std::fs::File>,
    at_cap: Throttle,
    /// Since when, and how many clients were answered 503, while out of descriptors.
    exhausted: Option<(Instant, usize)>,
    failures: Throttle,
}

impl Acceptor {
    pub(crate) fn new(
        listener: TcpListener,
        transport: Transport,
        builders: Arc<Builders>,
        state: Arc<State>,
    ) -> Self {
        Self {
            listener,
            transport,
            builders,
            state,
            spare: spare(),
            at_cap: Throttle::default(),
            exhausted: None,
            failures: Throttle::default(),
        }
    }

    /// Accepts the next connection and serves it, refuses it, or waits out an error.
    pub(crate) async fn accept_one(&mut self) {
        match self.listener.accept().await {
            Ok((stream, peer)) => {
                tracing::debug!(target: "nestish::connection", %peer, "accepted");
                self.recovered();
                self.serve(stream);
            }
            Err(error) if out_of_descriptors(&error) => self.exhausted(&error).await,
            // About one client, gone before it was accepted.
            Err(error) if is_per_connection(&error) => {
                tracing::debug!(%error, "a connection failed before accept");
            }
            Err(error) => {
                if let Some(count) = self.failures.hit() {
                    tracing::warn!(%error, count, "accept failed ({count} in the last second)");
                }
                tokio::time::sleep(BACKOFF).await;
            }
        }
    }

    fn serve(&mut self, stream: TcpStream) {
        let (guard, open_before) = self.state.connection_opened();
        if open_before >= self.builders.limits.max_connections {
            if let Some(count) = self.at_cap.hit() {
                tracing::warn!(
                    count,
                    "refused {count} connection(s) in the last second: the server is at its \
                     connection limit"
                );
            }
            self.transport
                .refuse(&stream, "the server is at its connection limit");
            return;
        }
        // Events are small and must leave at once: no Nagle delay.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        if let Some(bytes) = self.builders.limits.send_buffer {
            // The most the kernel may hold for this client; unset, Linux lets a connection
            // that does not read grow its buffer to tcp_wmem's maximum (4 MiB).
            if let Err(error) = socket2::SockRef::from(&stream).set_send_buffer_size(bytes) {
                tracing::debug!(%error, "cannot set SO_SNDBUF");
            }
        }
        match &self.transport {
            Transport::Plain => {
                tokio::spawn(ServeConnection::new(stream, None, guard, &self.builders));
            }
            // The handshake runs on the connection's task: a slow client does not hold the loop.
            #[cfg(feature = "tls")]
            Transport::Tls(tls) => {
                let builders = Arc::clone(&self.builders);
                tokio::spawn(super::tls::serve(tls.clone(), stream, guard, builders));
            }
        }
    }

    /// Out of descriptors: one line for the episode, then each waiting client answered 503 with
    /// the spare descriptor, or a short wait when there is none.
    async fn exhausted(&mut self, error: &io::Error) {
        let (_, answered) = self.exhausted.get_or_insert_with(|| {
            tracing::warn!(
                %error,
                "out of file descriptors: new connections are answered 503 until some close"
            );
            (Instant::now(), 0)
        });
        let Some(reserve) = self.spare.take() else {
            tokio::time::sleep(BACKOFF).await;
            self.spare = spare();
            return;
        };
        drop(reserve);
        // The client whose accept failed is still waiting: take it without blocking.
        let waiting = std::future::poll_fn(|cx| match self.listener.poll_accept(cx) {
            Poll::Ready(accepted) => Poll::Ready(accepted.ok()),
            Poll::Pending => Poll::Ready(None),
        })
        .await;
        if let Some((stream, _)) = waiting {
            self.transport
                .refuse(&stream, "the server is out of file descriptors");
            *answered += 1;
            // Closed here, so that its descriptor is free for the spare again.
        }
        self.spare = spare();
        if self.spare.is_none() {
            tokio::time::sleep(BACKOFF).await;
        }
    }

    /// A connection was accepted: an episode without descriptors, if any, is over.
    fn recovered(&mut self) {
        if let Some((since, answered)) = self.exhausted.take() {
            tracing::warn!(
                answered,
                "file descriptors available again after {:?}; {answered} connection(s) were \
                 answered 503 meanwhile",
                since.elapsed()
            );
        }
        if self.spare.is_none() {
            self.spare = spare();
        }
    }
}

/// At most one log line a second: `hit` says when to write one, and how many events it covers.
#[derive(Default)]
struct Throttle {
    last: Option<Instant>,
    unlogged: usize,
}

impl Throttle {
    fn hit(&mut self) -> Option<usize> {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            self.unlogged += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unlogged) + 1)
    }
}

/// The descriptor kept in reserve.
fn spare() -> Option<std::fs::File> {
    std::fs::File::open("/dev/null").ok()
}

fn out_of_descriptors(error: &io::Error) -> bool {
    // EMFILE (the process's limit) and ENFILE (the system's).
    matches!(error.raw_os_error(), Some(24 | 23))
}

fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

/// A 503 with NestJS's body if the socket takes it at once, then the close: the cheapest answer
/// there is, no task and no buffer.
fn refuse(stream: &TcpStream, why: &str) {
    let body = HttpError::new(http::StatusCode::SERVICE_UNAVAILABLE, why).to_json();
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\nconnection: close\r\nretry-after: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(answer.as_bytes());
}

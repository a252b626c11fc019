//! Serving an [`App`](crate::App) over HTTP/1.1 and HTTP/2 on one listener, plain or over TLS: binding, the
//! accept loop with its connection cap, each connection's limits, and the graceful shutdown.

mod accept;
mod connection;
mod http2;
mod peer;
mod sniff;
mod stall;
mod strict;
#[cfg(feature = "tls")]
mod tls;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioTimer;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::state::State;
use crate::{Limits, Routes};
pub(crate) use accept::{Acceptor, Transport};
use connection::{Builders, HyperService};
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};

/// Binds the first of `addr`'s addresses that works, with a listen backlog of `backlog` (std's
/// `TcpListener::bind` uses 128, which a reconnect storm overflows), and `SO_REUSEPORT` when
/// `reuse_port` (several processes on one port).
pub(crate) async fn listen(
    addr: impl ToSocketAddrs,
    backlog: u32,
    reuse_port: bool,
) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As std does on Unix: a restarted server can bind while old connections linger.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        if reuse_port {
            set_reuseport(&socket)?;
        }
        match socket.bind(addr).and_then(|()| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    }))
}

#[cfg(all(
    unix,
    not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
))]
fn set_reuseport(socket: &tokio::net::TcpSocket) -> io::Result<()> {
    socket.set_reuseport(true)
}

#[cfg(not(all(
    unix,
    not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
)))]
fn set_reuseport(_: &tokio::net::TcpSocket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_REUSEPORT (AppBuilder::reuse_port) is not available on this platform",
    ))
}

/// hyper's settings for HTTP/1.1 (HTTP/2's are made per connection: `http2::Http2Connection`),
/// from the application's limits.
pub(crate) fn builders(limits: Limits, routes: Routes) -> Builders {
    let mut http1 = http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.buffer_size)
        .writev(false);
    Builders {
        http1,
        service: HyperService {
            routes,
            head_limit: limits.buffer_size,
        },
        limits,
    }
}

/// Waits for the connections to finish, up to `timeout`, then closes those still open.
pub(crate) async fn drain(state: &Arc<State>, timeout: Duration) {
    let open = state.open_connections();
    if open > 0 {
        tracing::info!(target: "nestish", open, "shutting down: waiting for open connections");
    }
    if tokio::time::timeout(timeout, state.all_connections_closed())
        .await
        .is_err()
    {
        tracing::warn!(
            target: "nestish",
            open = state.open_connections(),
            "closing the connections still open after the shutdown timeout"
        );
        state.force_close();
        state.all_connections_closed().await;
    }
}

/// Starts a graceful shutdown on SIGINT or SIGTERM, and ends it at once on a second one. The handlers are installed before this
/// returns, so from the moment the server accepts connections a signal cannot kill it outright.
pub(crate) fn watch_signals(state: Arc<State>) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = signal(SignalKind::interrupt()).and_then(|interrupt| {
            signal(SignalKind::terminate()).map(|terminate| (interrupt, terminate))
        });
        tokio::spawn(async move {
            let Ok((mut interrupt, mut terminate)) = handlers else {
                tracing::warn!("cannot listen for SIGINT/SIGTERM: shut down with the AppHandle");
                return;
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!(target: "nestish", "SIGINT received"),
                _ = terminate.recv() => tracing::info!(target: "nestish", "SIGTERM received"),
            }
            state.trigger_shutdown();
            // A second signal during the wait means "now", as most servers take it: what is
            // still open is closed without waiting for the deadline.
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::warn!(
                target: "nestish",
                open = state.open_connections(),
                "second signal: closing every connection now"
            );
            state.force_close();
        })
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                state.trigger_shutdown();
            }
        })
    }
}

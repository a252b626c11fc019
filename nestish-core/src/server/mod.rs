//! Serving an [`App`] over HTTP/1.1 and HTTP/2 on one listener, plain or over TLS: binding, the
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

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioTimer;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::providers::lifecycle::Hook;
use crate::state::{ServerHandle, State};
use crate::{App, Error};
use accept::{Acceptor, Transport};
use connection::{Builders, HyperService};
#[cfg(feature = "tls")]
pub use tls::{TlsConfig, TlsError};

impl App {
    /// Binds `addr` and serves the application until SIGINT or SIGTERM (or
    /// [`ServerHandle::shutdown`]), then shuts down gracefully.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] if the address cannot be bound. Once listening, a failing connection is
    /// logged and the others go on.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// nestish_core::NestFactory::create().build()?.listen("127.0.0.1:3000").await
    /// # }
    /// ```
    pub async fn listen(self, addr: impl ToSocketAddrs + fmt::Debug) -> Result<(), Error> {
        self.bind(addr).await?.serve().await
    }

    /// Binds `addr` without serving yet, so the caller can learn the address (port `0` picks a
    /// free port), then [`Server::serve`].
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] if the address cannot be bound.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let server = nestish_core::NestFactory::create().build()?.bind("127.0.0.1:0").await?;
    /// println!("listening on http://{}", server.local_addr());
    /// server.serve().await
    /// # }
    /// ```
    pub async fn bind(self, addr: impl ToSocketAddrs + fmt::Debug) -> Result<Server, Error> {
        let shown = format!("{addr:?}");
        let bind_error = |source| Error::Bind {
            addr: shown.clone(),
            source,
        };
        let listener = listen(addr, self.limits.backlog)
            .await
            .map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            local_addr,
            app: self,
            transport: Transport::Plain,
        })
    }

    /// As [`listen`](Self::listen), over TLS (HTTPS): browsers then speak HTTP/2 to the
    /// server, where over HTTP/1.1 they open at most six connections per origin, and so at
    /// most six `EventSource`s (feature `tls`).
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] if the address cannot be bound.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let tls = nestish_core::TlsConfig::from_pem_files("cert.pem", "key.pem")?;
    /// nestish_core::NestFactory::create().build()?.listen_tls("0.0.0.0:443", tls).await
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub async fn listen_tls(
        self,
        addr: impl ToSocketAddrs + fmt::Debug,
        tls: TlsConfig,
    ) -> Result<(), Error> {
        self.bind_tls(addr, tls).await?.serve().await
    }

    /// As [`bind`](Self::bind), for a server that speaks TLS on every connection it accepts
    /// (feature `tls`). Each client's handshake runs on its connection's own task, within
    /// [`Limits::tls_handshake_timeout`]; ALPN offers HTTP/2 (`h2`), then HTTP/1.1. Every limit
    /// holds as on a plain listener; at the connection cap a TLS client is closed without an
    /// answer (a 503 would cost the handshake the cap is there to save).
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] if the address cannot be bound.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let tls = nestish_core::TlsConfig::from_pem_files("cert.pem", "key.pem")?;
    /// let server = nestish_core::NestFactory::create().build()?.bind_tls("127.0.0.1:0", tls).await?;
    /// println!("listening on https://{}", server.local_addr());
    /// server.serve().await
    /// # }
    /// ```
    #[cfg(feature = "tls")]
    pub async fn bind_tls(
        self,
        addr: impl ToSocketAddrs + fmt::Debug,
        tls: TlsConfig,
    ) -> Result<Server, Error> {
        let mut server = self.bind(addr).await?;
        server.transport = Transport::Tls(tls.acceptor().clone());
        Ok(server)
    }

    /// A handle to shut the application down and read its counts, once it serves.
    ///
    /// ```standalone_crate
    /// let app = nestish_core::NestFactory::create().build().unwrap();
    /// assert_eq!(app.handle().open_streams(), 0);
    /// ```
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            state: Arc::clone(&self.state),
        }
    }
}

/// An [`App`] bound to a socket, from [`App::bind`] (or `App::bind_tls`, feature `tls`).
#[must_use = "a Server accepts no connection until `.serve()` is awaited"]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    app: App,
    transport: Transport,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// The address the server listens on.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let server = nestish_core::NestFactory::create().build()?.bind("127.0.0.1:0").await?;
    /// assert_ne!(server.local_addr().port(), 0);
    /// # Ok(()) }
    /// ```
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to shut the server down and read its counts.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let server = nestish_core::NestFactory::create().build()?.bind("127.0.0.1:0").await?;
    /// let handle = server.handle();
    /// tokio::spawn(server.serve());
    /// handle.shutdown();
    /// # Ok(()) }
    /// ```
    pub fn handle(&self) -> ServerHandle {
        self.app.handle()
    }

    /// Accepts connections and serves them, each on its own task, until shutdown: SIGINT or
    /// SIGTERM (unless [`AppBuilder::handle_signals`](crate::AppBuilder::handle_signals) is off)
    /// or [`ServerHandle::shutdown`]. Then it stops accepting, ends every SSE stream cleanly,
    /// lets in-flight requests finish, and returns; connections still open after the shutdown
    /// timeout are closed.
    ///
    /// # Errors
    ///
    /// None yet: a failing connection or accept is logged and serving goes on.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), nestish_core::Error> {
    /// let server = nestish_core::NestFactory::create().build()?.bind("127.0.0.1:0").await?;
    /// tokio::spawn(server.serve());
    /// # Ok(()) }
    /// ```
    pub async fn serve(self) -> Result<(), Error> {
        let Self {
            listener,
            local_addr,
            app,
            transport,
        } = self;
        let scheme = transport.scheme();
        tracing::info!(target: "nestish", "listening on {scheme}://{local_addr}");
        let state = Arc::clone(&app.state);
        let signals = app.signals.then(|| watch_signals(Arc::clone(&state)));
        let builders = Arc::new(builders(&app));
        let mut acceptor = Acceptor::new(listener, transport, builders, Arc::clone(&state));
        let shutdown = state.shutdown_triggered();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                () = acceptor.accept_one() => {}
            }
        }
        // Stop listening: new clients are refused by the kernel from here on.
        drop(acceptor);
        let hooks = &app.hooks;
        hooks
            .stop(Hook::BeforeApplicationShutdown, app.limits.shutdown_timeout)
            .await;
        drain(&state, app.limits.shutdown_timeout).await;
        hooks
            .stop(Hook::ApplicationShutdown, app.limits.shutdown_timeout)
            .await;
        if let Some(signals) = signals {
            signals.abort();
        }
        tracing::info!(target: "nestish", "shut down");
        Ok(())
    }
}

/// Binds the first of `addr`'s addresses that works, with a listen backlog of `backlog` (std's
/// `TcpListener::bind` uses 128, which a reconnect storm overflows).
async fn listen(addr: impl ToSocketAddrs, backlog: u32) -> io::Result<TcpListener> {
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

/// hyper's settings for HTTP/1.1 (HTTP/2's are made per connection: `http2::Http2Connection`),
/// from the application's limits.
fn builders(app: &App) -> Builders {
    let limits = app.limits;
    let mut http1 = http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.buffer_size);
    Builders {
        http1,
        service: HyperService {
            routes: app.routes.clone(),
            head_limit: limits.buffer_size,
        },
        limits,
    }
}

/// Waits for the connections to finish, up to `timeout`, then closes those still open.
async fn drain(state: &Arc<State>, timeout: Duration) {
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
fn watch_signals(state: Arc<State>) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = signal(SignalKind::interrupt()).and_then(|interrupt| {
            signal(SignalKind::terminate()).map(|terminate| (interrupt, terminate))
        });
        tokio::spawn(async move {
            let Ok((mut interrupt, mut terminate)) = handlers else {
                tracing::warn!("cannot listen for SIGINT/SIGTERM: shut down with the ServerHandle");
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

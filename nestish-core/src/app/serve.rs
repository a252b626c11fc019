//! Serving an [`App`]: binding its listener ([`App::listen`], [`App::bind`], over TLS too) and
//! the [`Server`] that accepts until shutdown, then runs the shutdown hooks around the drain.
//! The wire (the accept loop, each connection, HTTP/1.1 and HTTP/2) is `server`'s.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, ToSocketAddrs};

use super::App;
use crate::Error;
use crate::providers::lifecycle::Hook;
#[cfg(feature = "tls")]
use crate::server::TlsConfig;
use crate::server::{Acceptor, Transport, builders, drain, listen, watch_signals};
use crate::state::AppHandle;

impl App {
    /// Binds `addr` and serves the application until SIGINT or SIGTERM (or
    /// [`AppHandle::shutdown`]), then shuts down gracefully.
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
        let listener = listen(addr, self.limits.backlog, self.reuse_port)
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
    /// [`Limits::tls_handshake_timeout`](crate::Limits::tls_handshake_timeout); ALPN offers HTTP/2 (`h2`), then HTTP/1.1. Every limit
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
    pub fn handle(&self) -> AppHandle {
        AppHandle {
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
    pub fn handle(&self) -> AppHandle {
        self.app.handle()
    }

    /// Accepts connections and serves them, each on its own task, until shutdown: SIGINT or
    /// SIGTERM (unless [`AppBuilder::handle_signals`](crate::AppBuilder::handle_signals) is off)
    /// or [`AppHandle::shutdown`]. Then it stops accepting, ends every SSE stream cleanly,
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
        let builders = Arc::new(builders(app.limits, app.routes.clone()));
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

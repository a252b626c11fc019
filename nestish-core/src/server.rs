//! Serving an [`App`] over HTTP/1.1: the accept loop and the per-request dispatch.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{ALLOW, HeaderValue};
use http::{Method, StatusCode};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

use crate::handler::HandlerFuture;
use crate::registry::{RouteKind, Verb};
use crate::router::{Lookup, Router};
use crate::sse::head_response;
use crate::{App, Error, HttpError, IntoResponse, Request, Response};

impl App {
    /// Binds `addr` and serves the application until the process ends.
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
        let bind_error = |source| Error::Bind {
            addr: format!("{addr:?}"),
            source,
        };
        let listener = TcpListener::bind(&addr).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            local_addr,
            router: self.router,
        })
    }
}

/// An [`App`] bound to a socket, from [`App::bind`].
#[must_use = "a Server accepts no connection until `.serve()` is awaited"]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Arc<Router>,
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

    /// Accepts connections and serves them, each on its own task, until the process ends.
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
        tracing::info!(target: "nestish", "listening on http://{}", self.local_addr);
        loop {
            match self.listener.accept().await {
                Ok((stream, _peer)) => spawn_connection(stream, Arc::clone(&self.router)),
                Err(error) => accept_failed(&error).await,
            }
        }
    }
}

fn spawn_connection(stream: TcpStream, router: Arc<Router>) {
    // Events are small and must leave at once: no Nagle delay.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    tokio::spawn(async move {
        let connection = http1::Builder::new()
            // The timer enables hyper's header read timeout (30 s), against slow-header clients.
            .timer(TokioTimer::new())
            .serve_connection(TokioIo::new(stream), Dispatcher(router));
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection ended with an error");
        }
    });
}

/// An accept error is about one connection (reset before accept) or a resource limit: log it,
/// and on a limit wait a little so the loop does not spin while no descriptor is free.
async fn accept_failed(error: &io::Error) {
    tracing::warn!(%error, "accept failed");
    if !matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The hyper service: routes each request to its endpoint.
#[derive(Clone)]
struct Dispatcher(Arc<Router>);

impl hyper::service::Service<Request> for Dispatcher {
    type Response = Response;
    type Error = Infallible;
    type Future = Dispatch;

    fn call(&self, request: Request) -> Dispatch {
        Dispatch(dispatch(&self.0, request))
    }
}

fn dispatch(router: &Router, request: Request) -> HandlerFuture {
    match router.lookup(request.method(), request.uri().path()) {
        Lookup::Found(endpoint, params) => {
            if endpoint.kind == RouteKind::Sse && request.method() == Method::HEAD {
                return HandlerFuture::ready(head_response(request.version()));
            }
            (endpoint.handler)(&endpoint.context, request, params)
        }
        Lookup::MethodNotAllowed(endpoints) => {
            let mut allow = Vec::new();
            for endpoint in endpoints {
                allow.push(endpoint.verb.as_str());
                if endpoint.verb == Verb::Get {
                    allow.push("HEAD");
                }
            }
            let allow = allow.join(", ");
            let mut response = cannot(&request, StatusCode::METHOD_NOT_ALLOWED);
            if let Ok(allow) = HeaderValue::from_str(&allow) {
                response.headers_mut().insert(ALLOW, allow);
            }
            HandlerFuture::ready(response)
        }
        Lookup::NotFound => HandlerFuture::ready(cannot(&request, StatusCode::NOT_FOUND)),
    }
}

/// NestJS's answer to a request no route takes: `Cannot GET /x`.
fn cannot(request: &Request, status: StatusCode) -> Response {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    HttpError::new(status, format!("Cannot {} {target}", request.method())).into_response()
}

/// The future of one request.
struct Dispatch(HandlerFuture);

impl Future for Dispatch {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(Ok)
    }
}

//! One request → its route's handler, or NestJS's 404/405 answer; a panic in a handler becomes a
//! 500 for that request alone.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::header::{ALLOW, HeaderValue};
use http::{Method, StatusCode, Version};

use crate::ConnectionInfo;
use crate::panic::message as panic_message;
use crate::routing::advised::unrouted;
use crate::routing::handler::HandlerFuture;
use crate::routing::record::{Request, RouteKind, Verb};
use crate::routing::router::{Lookup, Router};
use crate::sse::head_response;
use crate::tally::Tally;
use crate::{HttpError, IntoResponse, Response};

/// Routes `request` through `router`, counting its answer in `tally` (if any).
pub(crate) fn dispatch(router: &Router, request: Request, tally: Option<&Arc<Tally>>) -> Dispatch {
    let new = |future, route, observed| Dispatch::new(future, route, observed, tally);
    if let Some(builtins) = &router.builtins
        && let Some(builtin) = builtins.find(&request)
    {
        let answer = builtins.answer(builtin, request, &router.state);
        return new(answer, "(built-in)", None);
    }
    let observed = Observed::start(&request, router.access_log);
    let future = match router.lookup(request.method(), request.uri().path()) {
        Lookup::Found(endpoint, params) => {
            let route = endpoint.path;
            let observed = observed.map(|observed| observed.route(route));
            // A stream counted by address is admitted as a guarded one is, with no guard.
            let admitted =
                endpoint.kind == RouteKind::Sse && endpoint.context.sse.admission.without_guards();
            if endpoint.chained || admitted {
                return new(
                    crate::routing::guarded::guarded(endpoint, request, params),
                    route,
                    observed,
                );
            }
            if endpoint.kind == RouteKind::Sse && request.method() == Method::HEAD {
                return new(HandlerFuture::ready(head_response()), route, observed);
            }
            let handler = endpoint.handler;
            // Logs of the handler's synchronous part belong to its request.
            let entered = observed.as_ref().map(|observed| observed.span.enter());
            let called = catch_unwind(AssertUnwindSafe(|| {
                let (parts, body) = request.into_parts();
                handler(&endpoint.context, parts, body, params)
            }));
            drop(entered);
            let future =
                called.unwrap_or_else(|panic| HandlerFuture::ready(panicked(route, &*panic)));
            return new(future, route, observed);
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
            HandlerFuture::ready(filtered(router, &request, response))
        }
        Lookup::NotFound => {
            let response = cannot(&request, StatusCode::NOT_FOUND);
            HandlerFuture::ready(filtered(router, &request, response))
        }
    };
    new(future, NO_ROUTE, observed)
}

/// The route of requests no route takes, in logs and metrics.
const NO_ROUTE: &str = "(no route)";

/// What is recorded of a request while logs or metrics want it: its span, and when it began.
/// Boxed, and only made when wanted, because hyper keeps a response future's slot for as long
/// as a connection lives.
struct Observed {
    span: tracing::Span,
    started: Instant,
    method: Method,
    route: &'static str,
    /// The client's address, when the server that runs the app knows it.
    peer: Option<SocketAddr>,
    version: Version,
    /// Whether the answer gets its access line (otherwise only the metrics want it).
    log: bool,
}

impl Observed {
    fn start(request: &Request, access_log: bool) -> Option<Box<Self>> {
        // One check a request. WARN: a subscriber that shows only failures still gets the line
        // of a 5xx; one that shows the span (DEBUG) shows WARN too.
        let listening = tracing::enabled!(target: "nestish::request", tracing::Level::WARN);
        let log = access_log && listening;
        let wanted = cfg!(feature = "metrics") || listening;
        wanted.then(|| {
            Box::new(Self {
                span: tracing::Span::none(),
                started: Instant::now(),
                method: request.method().clone(),
                route: NO_ROUTE,
                peer: request
                    .extensions()
                    .get::<ConnectionInfo>()
                    .map(ConnectionInfo::peer_addr),
                version: request.version(),
                log,
            })
        })
    }

    /// The request found `route`: its span names it (the template, not the raw path).
    fn route(mut self: Box<Self>, route: &'static str) -> Box<Self> {
        self.route = route;
        self.span = tracing::debug_span!(
            target: "nestish::request",
            "request",
            method = %self.method,
            route,
            peer = self.peer.map(tracing::field::display),
            version = ?self.version,
        );
        self
    }

    /// The response head is ready: the access line (failures at a level of their own, so
    /// they can be turned on alone), with the span's fields so it reads alone, and the
    /// request's figures.
    fn answered(&self, status: StatusCode) {
        let took = self.started.elapsed();
        let (method, route, status) = (&self.method, self.route, status.as_u16());
        crate::observe::answered(route, method, status, took);
        if !self.log {
            return;
        }
        // To the microsecond: `ms=0.496`, not the float's 17 digits.
        let ms = took.as_micros() as f64 / 1e3;
        let peer = self.peer.map(tracing::field::display);
        let version = self.version;
        let _entered = self.span.enter();
        macro_rules! line {
            ($level:ident, $message:literal) => {
                tracing::$level!(
                    target: "nestish::request",
                    %method, route, peer, ?version, status, ms, $message
                )
            };
        }
        match status {
            ..400 => line!(info, "answered"),
            400..500 => line!(info, "refused"),
            _ => line!(warn, "failed"),
        }
    }
}

/// `response`, to a request no route takes, as the app's global filters shape it.
fn filtered(router: &Router, request: &Request, response: Response) -> Response {
    if router.filters.is_empty() {
        return response;
    }
    // A 405 names the methods the path has, whatever body a filter gives it (RFC 9110 §15.5.6).
    let allow = response.headers().get(ALLOW).cloned();
    let mut response = unrouted(&router.filters, request.method(), request.uri(), response);
    if let Some(allow) = allow {
        response.headers_mut().entry(ALLOW).or_insert(allow);
    }
    response
}

/// NestJS's answer to a request no route takes: `Cannot GET /x`.
fn cannot(request: &Request, status: StatusCode) -> Response {
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    HttpError::new(status, format!("Cannot {} {target}", request.method())).into_response()
}

fn panicked(route: &str, panic: &(dyn std::any::Any + Send)) -> Response {
    tracing::error!(
        route,
        panic = panic_message(panic),
        "route handler panicked"
    );
    HttpError::internal().into_response()
}

/// The future of one request; a panic while it runs answers 500.
pub(crate) struct Dispatch {
    future: HandlerFuture,
    route: &'static str,
    observed: Option<Box<Observed>>,
    /// Where the answer is counted, while it is still to come: `None` for an answer ready at
    /// once (counted as the future is made, with no reference kept) or one counted elsewhere.
    tally: Option<Arc<Tally>>,
}

impl Dispatch {
    fn new(
        future: HandlerFuture,
        route: &'static str,
        observed: Option<Box<Observed>>,
        tally: Option<&Arc<Tally>>,
    ) -> Self {
        let tally = match (&future, tally) {
            (HandlerFuture::Ready(Some(response)), Some(tally)) => {
                tally.answered(response.status());
                None
            }
            (_, tally) => tally.cloned(),
        };
        Self {
            future,
            route,
            observed,
            tally,
        }
    }

    /// A response decided before routing (a request the server refuses), counted by the caller.
    pub(crate) fn ready(response: Response) -> Self {
        Self::new(HandlerFuture::ready(response), "(refused)", None, None)
    }
}

impl Future for Dispatch {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let entered = this.observed.as_ref().map(|observed| observed.span.enter());
        let response = match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.future).poll(cx)))
        {
            Ok(Poll::Ready(response)) => response,
            Ok(Poll::Pending) => return Poll::Pending,
            Err(panic) => panicked(this.route, &*panic),
        };
        drop(entered);
        if let Some(observed) = this.observed.take() {
            observed.answered(response.status());
        }
        if let Some(tally) = this.tally.take() {
            tally.answered(response.status());
        }
        Poll::Ready(Ok(response))
    }
}

//! One request → its route's handler, or NestJS's 404/405 answer; a panic in a handler becomes a
//! 500 for that request alone.

use std::convert::Infallible;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{ALLOW, HeaderValue};
use http::{Method, StatusCode};

use crate::guard;
use crate::panic::message as panic_message;
use crate::routing::handler::HandlerFuture;
use crate::routing::record::{Request, RouteKind, Verb};
use crate::routing::router::{Lookup, Router};
use crate::sse::head_response;
use crate::{HttpError, IntoResponse, Response};

/// Routes `request` through `router`.
pub(crate) fn dispatch(router: &Router, request: Request) -> Dispatch {
    let future = match router.lookup(request.method(), request.uri().path()) {
        Lookup::Found(endpoint, params) => {
            let route = endpoint.context.sse.route;
            if !endpoint.guards.is_empty() {
                return Dispatch::new(guard::guarded(endpoint, request, params), route);
            }
            if endpoint.kind == RouteKind::Sse && request.method() == Method::HEAD {
                return Dispatch::new(HandlerFuture::ready(head_response()), route);
            }
            let handler = endpoint.handler;
            let called = catch_unwind(AssertUnwindSafe(|| {
                handler(&endpoint.context, request, params)
            }));
            let future =
                called.unwrap_or_else(|panic| HandlerFuture::ready(panicked(route, &*panic)));
            return Dispatch::new(future, route);
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
    };
    Dispatch::new(future, "(no route)")
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
}

impl Dispatch {
    fn new(future: HandlerFuture, route: &'static str) -> Self {
        Self { future, route }
    }

    /// A response decided before routing (a request the server refuses).
    pub(crate) fn ready(response: Response) -> Self {
        Self::new(HandlerFuture::ready(response), "(refused)")
    }
}

impl Future for Dispatch {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.future).poll(cx))) {
            Ok(polled) => polled.map(Ok),
            Err(panic) => Poll::Ready(Ok(panicked(this.route, &*panic))),
        }
    }
}

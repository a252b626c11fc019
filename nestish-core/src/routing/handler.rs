//! [`HandlerFuture`]: what a route's shim returns, without an allocation for synchronous methods.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Response;

/// The response of one route call: ready at once for a plain `fn` method, boxed for an
/// `async fn` one.
///
/// A ready response is boxed too. hyper keeps a slot for this future in every connection for
/// the connection's whole life, so an inline `Response` (150 bytes) would be paid by each idle
/// SSE client; a box costs one short-lived allocation per request instead.
///
/// Not public API: generated code builds these through `nestish_core::__private`.
pub enum HandlerFuture {
    /// The response is already built (taken on first poll).
    Ready(Option<Box<Response>>),
    /// The method is `async`.
    Boxed(Pin<Box<dyn Future<Output = Response> + Send>>),
}

impl HandlerFuture {
    /// A response that is already there.
    pub fn ready(response: Response) -> Self {
        Self::Ready(Some(Box::new(response)))
    }

    /// A response still to be computed.
    pub fn boxed(future: impl Future<Output = Response> + Send + 'static) -> Self {
        Self::Boxed(Box::pin(future))
    }

    /// The answer when a shim is handed another controller than its own: a bug in nestish, not
    /// in the application, but a 500 rather than a panic.
    pub fn wrong_controller(method: &'static str) -> Self {
        tracing::error!(method, "route called with a controller of another type");
        Self::ready(crate::IntoResponse::into_response(
            crate::HttpError::internal(),
        ))
    }
}

impl Future for HandlerFuture {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match &mut *self {
            Self::Ready(response) => match response.take() {
                Some(response) => Poll::Ready(*response),
                None => panic!("HandlerFuture polled after completion"),
            },
            Self::Boxed(future) => future.as_mut().poll(cx),
        }
    }
}

//! [`Routes`]: the application's routes as a `tower::Service`, with the layers applied to them.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use super::dispatch::{Dispatch, dispatch};
use super::record::Request;
use super::router::Router;
use crate::tally::Tally;
use crate::{Body, BoxError, HttpError, IntoResponse, Response};

/// The routes of an application as a [`tower::Service`]: what a layer given to
/// [`AppBuilder::layer`](crate::AppBuilder::layer) wraps (and what the next layer wraps in turn).
///
/// Always ready, cheap to clone (a pointer, or a boxed layered service). Users name it only in
/// bounds: a tower layer `L` applies when `L: Layer<Routes>`.
///
/// ```
/// use nestish_core::Routes;
///
/// fn wraps_routes<L: tower_layer::Layer<Routes>>(_: &L) {}
/// wraps_routes(&tower_layer::Identity::new());
/// ```
#[derive(Clone)]
pub struct Routes {
    inner: Inner,
    /// Where its answers are counted: the app's tally on the outermost routes, `None` on the
    /// routes a layer wraps (the layer's answer is the one counted).
    tally: Option<Arc<Tally>>,
}

#[derive(Clone)]
enum Inner {
    // No layer: requests go straight to the router, with no allocation of their own.
    Router(Arc<Router>),
    Layered(BoxCloneSyncService<Request, Response, Infallible>),
}

impl Routes {
    pub(crate) fn new(router: Arc<Router>) -> Self {
        Self {
            inner: Inner::Router(router),
            tally: None,
        }
    }

    /// These routes, outermost (every layer applied), counting each answer in `tally`.
    pub(crate) fn counted(self, tally: Arc<Tally>) -> Self {
        Self {
            tally: Some(tally),
            ..self
        }
    }

    /// Wraps these routes in `layer`. The layered service's response body becomes a [`Body`],
    /// and its error (tower's own timeout or load-shed layers fail with one) a 500 with NestJS's
    /// body, logged: a request always gets an answer.
    pub(crate) fn layer<L, B>(self, layer: &L) -> Self
    where
        L: tower_layer::Layer<Routes>,
        L::Service: tower_service::Service<Request, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower_service::Service<Request>>::Error: Into<BoxError>,
        <L::Service as tower_service::Service<Request>>::Future: Send + 'static,
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let layered = layer.layer(self);
        let service = tower::service_fn(move |request| {
            let layered = layered.clone();
            async move {
                Ok::<_, Infallible>(match layered.oneshot(request).await {
                    Ok(response) => response.map(Body::new),
                    Err(error) => {
                        let error: BoxError = error.into();
                        tracing::error!(%error, "a layer failed the request");
                        HttpError::internal().into_response()
                    }
                })
            }
        });
        Self {
            inner: Inner::Layered(BoxCloneSyncService::new(service)),
            tally: None,
        }
    }

    /// Serves one request: what both the tower `call` and nestish's own server use.
    pub(crate) fn dispatch(&self, request: Request) -> RoutesFuture {
        RoutesFuture(match &self.inner {
            Inner::Router(router) => {
                FutureKind::Router(dispatch(router, request, self.tally.as_ref()))
            }
            // Cloned and driven to readiness first, as tower's contract asks of a service
            // that may not always be ready (a user's concurrency limit, say).
            Inner::Layered(service) => {
                let answer = service.clone().oneshot(request);
                match &self.tally {
                    None => FutureKind::Layered(Box::pin(answer)),
                    Some(tally) => {
                        let tally = Arc::clone(tally);
                        FutureKind::Layered(Box::pin(async move {
                            let response = answer.await?;
                            tally.answered(response.status());
                            Ok(response)
                        }))
                    }
                }
            }
        })
    }

    /// `response`, a refusal decided before routing (a malformed request), counted.
    pub(crate) fn refuse(&self, response: Response) -> RoutesFuture {
        if let Some(tally) = &self.tally {
            tally.answered(response.status());
        }
        RoutesFuture(FutureKind::Router(Dispatch::ready(response)))
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.inner {
            Inner::Router(_) => "Routes",
            Inner::Layered(_) => "Routes (layered)",
        })
    }
}

impl tower_service::Service<Request> for Routes {
    type Response = Response;
    type Error = Infallible;
    type Future = RoutesFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> RoutesFuture {
        self.dispatch(request)
    }
}

/// The response future of [`Routes`] and of [`App`](crate::App) as a service.
///
/// Small on purpose: hyper keeps one of these per connection for the connection's whole life.
pub struct RoutesFuture(FutureKind);

type BoxedResponse = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

enum FutureKind {
    Router(Dispatch),
    Layered(BoxedResponse),
}

impl std::fmt::Debug for RoutesFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoutesFuture")
    }
}

impl Future for RoutesFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            FutureKind::Router(future) => Pin::new(future).poll(cx),
            FutureKind::Layered(future) => future.as_mut().poll(cx),
        }
    }
}

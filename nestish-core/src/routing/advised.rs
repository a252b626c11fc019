//! A route's interceptors and exception filters: checked at start-up and resolved from the
//! providers like its guards, and the request path that runs them (see `guarded`, which serves
//! every route that has guards, interceptors or filters).

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{Method, Uri};

use super::handler::HandlerFuture;
use super::record::{HandlerFn, RouteContext, RouteKind, RouteRecord};
use super::router::Endpoint;
use crate::extract::{PathParams, RequestBody, RequestParts};
use crate::filter::{self, ErrorHost, FilterRef, Filters};
use crate::intercept::{self, Call, InterceptorRef, Interceptors, RouteInfo};
use crate::panic::message as panic_message;
use crate::providers::Providers;
use crate::providers::graph::Graph;
use crate::{Error, HttpError, IntoResponse, Response};

/// The app's global interceptors and filters, as the builder was given them.
#[derive(Clone, Default)]
pub(crate) struct GlobalAdvice {
    pub(crate) interceptors: Vec<InterceptorRef>,
    pub(crate) filters: Vec<FilterRef>,
}

impl GlobalAdvice {
    /// Every interceptor and filter of `record` (and the global ones) that start-up will not
    /// have, as errors naming it and the route served at `path`.
    pub(crate) fn missing(
        &self,
        record: &'static RouteRecord,
        path: &'static str,
        graph: &Graph<'_>,
    ) -> Vec<Error> {
        let interceptors =
            intercept::unprovided(self.interceptors(record), graph).map(|interceptor| {
                Error::MissingInterceptor {
                    interceptor,
                    path,
                    route: &record.source,
                }
            });
        let filters =
            filter::unprovided(self.filters(record), graph).map(|filter| Error::MissingFilter {
                filter,
                path,
                route: &record.source,
            });
        interceptors.chain(filters).collect()
    }

    /// The interceptors and the filters of `record`, served at `path`.
    pub(crate) fn resolve(
        &self,
        record: &'static RouteRecord,
        path: &'static str,
        providers: &Providers,
    ) -> Result<(Interceptors, Filters), Error> {
        let interceptors = intercept::resolve_all(self.interceptors(record), providers).map_err(
            |interceptor| Error::MissingInterceptor {
                interceptor,
                path,
                route: &record.source,
            },
        )?;
        let filters = filter::resolve_all(self.filters(record), providers).map_err(|filter| {
            Error::MissingFilter {
                filter,
                path,
                route: &record.source,
            }
        })?;
        Ok((interceptors, filters))
    }

    /// The global filters alone: those of the requests no route takes.
    pub(crate) fn resolve_global_filters(&self, providers: &Providers) -> Result<Filters, Error> {
        filter::resolve_all(&self.filters, providers)
            .map_err(|filter| Error::MissingGlobalFilter { filter })
    }

    /// Global, then controller, then route: the order they run in.
    fn interceptors<'a>(
        &'a self,
        record: &'static RouteRecord,
    ) -> impl Iterator<Item = &'a InterceptorRef> {
        self.interceptors.iter().chain(record.interceptors)
    }

    /// Route, then controller, then global: the order they are tried in.
    fn filters<'a>(&'a self, record: &'static RouteRecord) -> impl Iterator<Item = &'a FilterRef> {
        record.filters.iter().chain(&self.filters)
    }
}

/// What an endpoint's metadata is to its interceptors.
pub(crate) fn route_info(endpoint: &Endpoint) -> RouteInfo {
    RouteInfo {
        controller: endpoint.record.source.controller,
        method: endpoint.record.source.method,
        path: endpoint.path,
        verb: endpoint.verb.as_str(),
        sse: endpoint.kind == RouteKind::Sse,
    }
}

/// Calls `handler` through `interceptors`; the hooks they set on a stream reach its setup.
pub(crate) async fn intercepted(
    interceptors: Interceptors,
    route: RouteInfo,
    context: RouteContext,
    handler: HandlerFn,
    (parts, body, params): (RequestParts, RequestBody, PathParams),
) -> Response {
    let handler = Box::new(move |parts, hooks| {
        let mut context = context;
        if let Some(hooks) = hooks {
            context.hooks = Some(Arc::new(Mutex::new(Some(hooks))));
        }
        let future: HandlerFuture = handler(&context, parts, body, params);
        Box::pin(future) as std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>
    });
    Call::new(parts, route, interceptors, handler)
        .proceed()
        .await
}

/// A request's answer, with a panic while it is computed answered 500 here, where the filters
/// still see it (the dispatcher's own catch would answer NestJS's 500 past them).
pub(crate) struct Caught<F> {
    future: Pin<Box<F>>,
    route: &'static str,
}

impl<F: Future<Output = Response>> Caught<F> {
    pub(crate) fn new(future: F, route: &'static str) -> Self {
        Self {
            future: Box::pin(future),
            route,
        }
    }
}

impl<F: Future<Output = Response>> Future for Caught<F> {
    type Output = Response;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let route = self.route;
        let future = self.future.as_mut();
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(polled) => polled,
            Err(panic) => {
                tracing::error!(
                    route,
                    panic = panic_message(&*panic),
                    "route handler panicked"
                );
                Poll::Ready(HttpError::internal().into_response())
            }
        }
    }
}

/// The request's method and URI, kept for the filters when it has some.
pub(crate) struct ForFilters {
    filters: Filters,
    method: Method,
    uri: Uri,
    route: &'static str,
}

impl ForFilters {
    pub(crate) fn keep(
        filters: &Filters,
        parts: &RequestParts,
        route: &'static str,
    ) -> Option<Self> {
        (!filters.is_empty()).then(|| Self {
            filters: filters.clone(),
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            route,
        })
    }

    /// `response` as the filters shape it.
    pub(crate) fn apply(self, response: Response) -> Response {
        let host = ErrorHost {
            method: Some(&self.method),
            path: Some(self.uri.path()),
            route: Some(self.route),
            in_stream: false,
        };
        filter::apply(&self.filters, response, &host)
    }
}

/// The answer to a request no route takes (404, 405), as the global `filters` shape it.
pub(crate) fn unrouted(
    filters: &Filters,
    method: &Method,
    uri: &Uri,
    response: Response,
) -> Response {
    let host = ErrorHost {
        method: Some(method),
        path: Some(uri.path()),
        route: None,
        in_stream: false,
    };
    filter::apply(filters, response, &host)
}

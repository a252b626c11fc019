//! A guarded route: its chain of guards, checked at start-up and resolved from the providers,
//! and the request path that runs the chain before the handler.

use std::sync::Arc;

use super::advised::{self, Caught, ForFilters};
use super::handler::HandlerFuture;
use super::record::Request;
use super::record::{HandlerFn, RouteContext, RouteKind, RouteRecord};
use super::router::Endpoint;
use crate::IntoResponse;
use crate::admission;
use crate::extract::{PathParams, RequestBody, RequestParts};
use crate::guard::{GuardRef, GuardRequest, Guards, check, resolve_all, unprovided};
use crate::hub::{Hub, TopicGrants};
use crate::intercept::{Interceptors, RouteInfo};
use crate::providers::Providers;
use crate::providers::graph::Graph;
use crate::sse::head_response;
use crate::{Error, Response};

/// Every guard of `record` (after the `global` ones) that start-up will not have, as errors
/// naming the guard and the route served at `path`.
pub(crate) fn missing(
    global: &[GuardRef],
    record: &'static RouteRecord,
    path: &'static str,
    graph: &Graph<'_>,
) -> Vec<Error> {
    unprovided(global.iter().chain(record.guards), graph)
        .map(move |guard| Error::MissingGuard {
            guard,
            path,
            route: &record.source,
        })
        .collect()
}

/// The guards of `record`, served at `path`: the app's `global` ones, then the record's
/// (controller, then route).
pub(crate) fn resolve(
    global: &[GuardRef],
    record: &'static RouteRecord,
    path: &'static str,
    providers: &Providers,
) -> Result<Guards, Error> {
    resolve_all(global.iter().chain(record.guards), providers).map_err(|guard| {
        Error::MissingGuard {
            guard,
            path,
            route: &record.source,
        }
    })
}

/// Serves a request of a guarded endpoint: its guards on the head, one after the other, then the
/// handler (through its interceptors, if any). The body is handed on untouched: a refused
/// request has had none of it read. Its filters, if any, shape every error answer.
pub(crate) fn guarded(endpoint: &Endpoint, request: Request, params: PathParams) -> HandlerFuture {
    let kind = endpoint.kind;
    let serve = Serve {
        guards: Arc::clone(&endpoint.guards),
        context: endpoint.context.clone(),
        handler: endpoint.handler,
        kind,
        head_of_stream: kind == RouteKind::Sse && request.method() == http::Method::HEAD,
        hub: endpoint.hub.clone(),
        interceptors: Arc::clone(&endpoint.interceptors),
        route: advised::route_info(endpoint),
    };
    let filters = endpoint.filters.clone();
    HandlerFuture::boxed(async move {
        let (parts, body) = request.into_parts();
        let route = serve.route.path();
        let Some(for_filters) = ForFilters::keep(&filters, &parts, route) else {
            return serve.answer(parts, body, params).await;
        };
        // A panic too is an error the filters shape.
        let response = Caught::new(serve.answer(parts, body, params), route).await;
        for_filters.apply(response)
    })
}

/// What serving one request of an endpoint takes.
struct Serve {
    guards: Guards,
    context: RouteContext,
    handler: HandlerFn,
    kind: RouteKind,
    head_of_stream: bool,
    hub: Option<Hub>,
    interceptors: Interceptors,
    route: RouteInfo,
}

impl Serve {
    async fn answer(
        mut self,
        mut parts: RequestParts,
        body: RequestBody,
        params: PathParams,
    ) -> Response {
        let context = &mut self.context;
        let mut head = GuardRequest::new(&mut parts, context.sse.route);
        if let Err(refusal) = check(&self.guards, &mut head).await {
            return refusal;
        }
        let principal = parts
            .extensions
            .get::<admission::Credentials>()
            .and_then(|credentials| credentials.principal.clone());
        if let Some(grants) = parts.extensions.get_mut::<TopicGrants>() {
            grants.hub = self.hub;
            // Its subscriptions are the principal's presence.
            grants.principal = principal;
        }
        if self.head_of_stream {
            if self.interceptors.is_empty() {
                return head_response();
            }
            // The interceptors see a `HEAD` as they see its `GET` (they may refuse it, or add
            // a header), and the chain ends in the SSE headers alone: no stream opens, no
            // admission is taken, and their stream hooks are never called.
            let request = (parts, body, params);
            return advised::intercepted(
                self.interceptors,
                self.route,
                self.context,
                answer_head,
                request,
            )
            .await;
        }
        if self.kind == RouteKind::Sse {
            let admitted = admission::admit(
                context.sse.admission,
                context.sse.route,
                &context.state.admissions,
                &mut parts,
            );
            match admitted {
                Ok(ticket) => context.ticket = ticket,
                Err(refusal) => return refusal.into_response(),
            }
        }
        if self.interceptors.is_empty() {
            return (self.handler)(context, parts, body, params).await;
        }
        let request = (parts, body, params);
        advised::intercepted(
            self.interceptors,
            self.route,
            self.context,
            self.handler,
            request,
        )
        .await
    }
}

/// The end of an SSE route's chain for a `HEAD` request: the headers a `GET` would get.
fn answer_head(_: &RouteContext, _: RequestParts, _: RequestBody, _: PathParams) -> HandlerFuture {
    HandlerFuture::ready(head_response())
}

//! A guarded route: its chain of guards, checked at start-up and resolved from the providers,
//! and the request path that runs the chain before the handler.

use std::sync::Arc;

use super::handler::HandlerFuture;
use super::record::Request;
use super::record::{RouteKind, RouteRecord};
use super::router::Endpoint;
use crate::Error;
use crate::IntoResponse;
use crate::admission;
use crate::extract::PathParams;
use crate::guard::{GuardRef, GuardRequest, Guards, check, resolve_all, unprovided};
use crate::hub::TopicGrants;
use crate::providers::Providers;
use crate::providers::graph::Graph;
use crate::sse::head_response;

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
/// handler. The body is handed on untouched: a refused request has had none of it read.
pub(crate) fn guarded(endpoint: &Endpoint, request: Request, params: PathParams) -> HandlerFuture {
    let guards = Arc::clone(&endpoint.guards);
    let mut context = endpoint.context.clone();
    let handler = endpoint.handler;
    let kind = endpoint.kind;
    let head_of_stream = kind == RouteKind::Sse && request.method() == http::Method::HEAD;
    let hub = endpoint.hub.clone();
    HandlerFuture::boxed(async move {
        let (mut parts, body) = request.into_parts();
        let mut head = GuardRequest::new(&mut parts, context.sse.route);
        if let Err(refusal) = check(&guards, &mut head).await {
            return refusal;
        }
        let principal = parts
            .extensions
            .get::<admission::Credentials>()
            .and_then(|credentials| credentials.principal.clone());
        if let Some(grants) = parts.extensions.get_mut::<TopicGrants>() {
            grants.hub = hub;
            // Its subscriptions are the principal's presence.
            grants.principal = principal;
        }
        if head_of_stream {
            return head_response();
        }
        if kind == RouteKind::Sse {
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
        handler(&context, parts, body, params).await
    })
}

//! Guards after start-up: each route's chain (global, controller, route), resolved once from the
//! providers, and the request path that runs it before the handler.

use std::any::{TypeId, type_name};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use super::{Guard, GuardRequest};
use crate::admission;
use crate::extract::PathParams;
use crate::hub::TopicGrants;
use crate::providers::Providers;
use crate::providers::graph::Graph;
use crate::routing::handler::HandlerFuture;
use crate::routing::record::{Request, RouteKind, RouteRecord};
use crate::routing::router::Endpoint;
use crate::sse::head_response;
use crate::{Error, HttpError, IntoResponse, Response};

type Check<'a> = Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send + 'a>>;

/// A [`Guard`] behind a pointer, whatever its type.
pub(crate) trait ErasedGuard: Send + Sync {
    fn check<'a>(&'a self, request: &'a mut GuardRequest<'_>) -> Check<'a>;
}

impl<G: Guard> ErasedGuard for G {
    fn check<'a>(&'a self, request: &'a mut GuardRequest<'_>) -> Check<'a> {
        Box::pin(self.can_activate(request))
    }
}

/// A route's guards, in the order they run; empty for most routes.
pub(crate) type Guards = Arc<[Arc<dyn ErasedGuard>]>;

/// One guard as a route record names it: how to find it among the providers.
///
/// Not public API: generated code builds these through `nestish_core::__private`.
#[derive(Clone, Copy)]
pub struct GuardRef {
    name: fn() -> &'static str,
    resolve: fn(&Providers) -> Option<ResolvedGuard>,
    /// The guard's type and its testing stand-in's: either provided will do.
    type_ids: fn() -> [TypeId; 2],
}

/// A guard found among the providers.
///
/// Not public API.
pub struct ResolvedGuard(Arc<dyn ErasedGuard>);

/// The [`GuardRef`] of guard type `G`.
pub const fn guard_ref<G: Guard>() -> GuardRef {
    GuardRef {
        name: type_name::<G>,
        resolve: resolve_one::<G>,
        type_ids: type_ids::<G>,
    }
}

fn type_ids<G: Guard>() -> [TypeId; 2] {
    [TypeId::of::<G>(), TypeId::of::<GuardOverride<G>>()]
}

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

/// The names of the guards `named` that start-up will not have.
pub(crate) fn unprovided<'a>(
    named: impl IntoIterator<Item = &'a GuardRef>,
    graph: &Graph<'_>,
) -> impl Iterator<Item = &'static str> {
    named
        .into_iter()
        .filter(|guard| !(guard.type_ids)().iter().any(|id| graph.has(*id)))
        .map(|guard| (guard.name)())
}

fn resolve_one<G: Guard>(providers: &Providers) -> Option<ResolvedGuard> {
    if let Some(stand_in) = providers.get::<GuardOverride<G>>() {
        return Some(ResolvedGuard(Arc::clone(&stand_in.guard)));
    }
    let guard: Arc<dyn ErasedGuard> = providers.get::<G>()?;
    Some(ResolvedGuard(guard))
}

/// Another guard standing in for `G` (the testing module's `override_guard`), kept among the
/// providers under a type of its own.
pub(crate) struct GuardOverride<G> {
    guard: Arc<dyn ErasedGuard>,
    replaces: PhantomData<fn() -> G>,
}

#[cfg(feature = "testing")]
impl<G: Guard> GuardOverride<G> {
    pub(crate) fn new(guard: impl Guard) -> Self {
        Self {
            guard: Arc::new(guard),
            replaces: PhantomData,
        }
    }
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

/// The guards `named`, in order, found among the providers; the name of the first that is not.
pub(crate) fn resolve_all<'a>(
    named: impl IntoIterator<Item = &'a GuardRef>,
    providers: &Providers,
) -> Result<Guards, &'static str> {
    named
        .into_iter()
        .map(|guard| {
            (guard.resolve)(providers)
                .map(|resolved| resolved.0)
                .ok_or_else(|| (guard.name)())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Into::into)
}

/// Runs `guards` on `head`, one after the other: the first refusal, as the response to send.
pub(crate) async fn check(guards: &Guards, head: &mut GuardRequest<'_>) -> Result<(), Response> {
    for guard in guards.iter() {
        guard
            .check(head)
            .await
            .map_err(IntoResponse::into_response)?;
    }
    Ok(())
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
        if let Some(grants) = parts.extensions.get_mut::<TopicGrants>() {
            grants.hub = hub;
        }
        if head_of_stream {
            return head_response();
        }
        if kind == RouteKind::Sse {
            match admission::admit(&context.sse, &context.state.admissions, &mut parts) {
                Ok(ticket) => context.ticket = ticket,
                Err(refusal) => return refusal.into_response(),
            }
        }
        handler(&context, Request::from_parts(parts, body), params).await
    })
}

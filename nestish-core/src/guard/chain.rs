//! Guards after start-up: a chain of guards (global, controller, route), resolved once from the
//! providers, and what runs it on a request's head.

use std::any::{TypeId, type_name};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use super::{Guard, GuardRequest};
use crate::providers::Providers;
use crate::providers::graph::Graph;
use crate::{HttpError, IntoResponse, Response};

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
    /// How the guard authenticates, for the OpenAPI document.
    #[cfg(feature = "openapi")]
    security: fn() -> Option<crate::openapi::SecurityScheme>,
}

/// A guard found among the providers.
pub(crate) struct ResolvedGuard(Arc<dyn ErasedGuard>);

impl GuardRef {
    /// The guard's type name, for messages.
    pub(crate) fn name(&self) -> &'static str {
        (self.name)()
    }

    /// The guard's type.
    pub(crate) fn type_id(&self) -> TypeId {
        (self.type_ids)()[0]
    }

    /// The reference of guard type `G`.
    pub const fn of<G: Guard>() -> Self {
        Self {
            name: type_name::<G>,
            resolve: resolve_one::<G>,
            type_ids: type_ids::<G>,
            #[cfg(feature = "openapi")]
            security: G::security_scheme,
        }
    }

    /// How the guard authenticates, if it says (the OpenAPI document's security scheme).
    #[cfg(feature = "openapi")]
    pub(crate) fn security_scheme(&self) -> Option<crate::openapi::SecurityScheme> {
        (self.security)()
    }
}

fn type_ids<G: Guard>() -> [TypeId; 2] {
    [TypeId::of::<G>(), TypeId::of::<GuardOverride<G>>()]
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

//! Interceptors after start-up: a route's chain (global, controller, route), resolved once from
//! the providers.

use std::any::{TypeId, type_name};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use super::{Call, Interceptor};
use crate::Response;
use crate::providers::Providers;
use crate::providers::graph::Graph;

pub(crate) type Intercepted<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// An [`Interceptor`] behind a pointer, whatever its type.
pub(crate) trait ErasedInterceptor: Send + Sync {
    fn intercept(&self, call: Call) -> Intercepted<'_>;
}

impl<I: Interceptor> ErasedInterceptor for I {
    fn intercept(&self, call: Call) -> Intercepted<'_> {
        Box::pin(Interceptor::intercept(self, call))
    }
}

/// A route's interceptors, in the order they run in; empty for most routes.
pub(crate) type Interceptors = Arc<[Arc<dyn ErasedInterceptor>]>;

/// One interceptor as a route record or the app names it: how to find it among the providers.
///
/// `#[use_interceptors(I)]` records `InterceptorRef::of::<I>()`; nothing else needs to build
/// one.
///
/// ```
/// use nestish_core::intercept::{Call, Interceptor, InterceptorRef};
///
/// pub struct Nothing;
/// impl Interceptor for Nothing {
///     async fn intercept(&self, call: Call) -> nestish_core::Response {
///         call.proceed().await
///     }
/// }
///
/// const NOTHING: InterceptorRef = InterceptorRef::of::<Nothing>();
/// # let _ = NOTHING;
/// ```
#[derive(Clone, Copy)]
pub struct InterceptorRef {
    name: fn() -> &'static str,
    /// The interceptor's type and its testing stand-in's: either provided will do.
    type_ids: fn() -> [TypeId; 2],
    resolve: fn(&Providers) -> Option<Arc<dyn ErasedInterceptor>>,
}

impl InterceptorRef {
    /// The reference of interceptor type `I`.
    ///
    /// ```
    /// # use nestish_core::intercept::{Call, Interceptor, InterceptorRef};
    /// # pub struct Nothing;
    /// # impl Interceptor for Nothing {
    /// #     async fn intercept(&self, call: Call) -> nestish_core::Response { call.proceed().await }
    /// # }
    /// let nothing = InterceptorRef::of::<Nothing>();
    /// assert!(format!("{nothing:?}").contains("Nothing"));
    /// ```
    #[must_use]
    pub const fn of<I: Interceptor>() -> Self {
        Self {
            name: type_name::<I>,
            type_ids: type_ids::<I>,
            resolve: resolve_one::<I>,
        }
    }
}

impl std::fmt::Debug for InterceptorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InterceptorRef({})", (self.name)())
    }
}

fn type_ids<I: Interceptor>() -> [TypeId; 2] {
    [TypeId::of::<I>(), TypeId::of::<InterceptorOverride<I>>()]
}

fn resolve_one<I: Interceptor>(providers: &Providers) -> Option<Arc<dyn ErasedInterceptor>> {
    if let Some(stand_in) = providers.get::<InterceptorOverride<I>>() {
        return Some(Arc::clone(&stand_in.interceptor));
    }
    let interceptor: Arc<dyn ErasedInterceptor> = providers.get::<I>()?;
    Some(interceptor)
}

/// Another interceptor standing in for `I` (the testing module's `override_interceptor`), kept
/// among the providers under a type of its own.
pub(crate) struct InterceptorOverride<I> {
    interceptor: Arc<dyn ErasedInterceptor>,
    replaces: PhantomData<fn() -> I>,
}

#[cfg(feature = "testing")]
impl<I: Interceptor> InterceptorOverride<I> {
    pub(crate) fn new(stand_in: impl Interceptor) -> Self {
        Self {
            interceptor: Arc::new(stand_in),
            replaces: PhantomData,
        }
    }
}

/// The names of the interceptors `named` that start-up will not have.
pub(crate) fn unprovided<'a>(
    named: impl IntoIterator<Item = &'a InterceptorRef>,
    graph: &Graph<'_>,
) -> impl Iterator<Item = &'static str> {
    named
        .into_iter()
        .filter(|interceptor| !(interceptor.type_ids)().iter().any(|id| graph.has(*id)))
        .map(|interceptor| (interceptor.name)())
}

/// The interceptors `named`, in order, found among the providers; the name of the first that
/// is not.
pub(crate) fn resolve_all<'a>(
    named: impl IntoIterator<Item = &'a InterceptorRef>,
    providers: &Providers,
) -> Result<Interceptors, &'static str> {
    named
        .into_iter()
        .map(|interceptor| (interceptor.resolve)(providers).ok_or_else(|| (interceptor.name)()))
        .collect::<Result<Vec<_>, _>>()
        .map(Into::into)
}

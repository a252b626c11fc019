//! Filters after start-up: a route's chain (route, controller, global), resolved once from the
//! providers, and the error an answer carries for them to catch.

use std::any::{Any, TypeId, type_name};
use std::marker::PhantomData;
use std::sync::Arc;

use super::{ErrorHost, ErrorReply, ExceptionFilter};
use crate::providers::Providers;
use crate::providers::graph::Graph;
use crate::response::{AnyError, Raised};
use crate::{IntoResponse, Response};

/// An [`ExceptionFilter`] behind a pointer, whatever its type: the reply when it catches.
trait ErasedFilter: Send + Sync {
    fn try_catch(&self, error: &AnyError, host: &ErrorHost<'_>) -> Option<ErrorReply>;
}

impl<F: ExceptionFilter> ErasedFilter for F {
    fn try_catch(&self, error: &AnyError, host: &ErrorHost<'_>) -> Option<ErrorReply> {
        // A catch-all filter (`Error = AnyError`) takes the error as it is; any other, the
        // error inside when it is of its type.
        let whole: &dyn Any = error;
        whole
            .downcast_ref::<F::Error>()
            .or_else(|| error.downcast_ref::<F::Error>())
            .map(|error| self.catch(error, host))
    }
}

/// A route's filters, in the order they are tried; empty for most routes.
#[derive(Clone, Default)]
pub(crate) struct Filters(Arc<[Arc<dyn ErasedFilter>]>);

impl Filters {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The reply of the first filter that catches `error`.
    fn catch(&self, error: &AnyError, host: &ErrorHost<'_>) -> Option<ErrorReply> {
        self.0
            .iter()
            .find_map(|filter| filter.try_catch(error, host))
    }
}

impl std::fmt::Debug for Filters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Filters({})", self.0.len())
    }
}

/// One filter as a route record or the app names it: how to find it among the providers.
///
/// `#[use_filters(F)]` records `FilterRef::of::<F>()`; nothing else needs to build one.
///
/// ```
/// use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter, FilterRef};
///
/// pub struct Plain;
/// impl ExceptionFilter for Plain {
///     type Error = nestish_core::HttpError;
///     fn catch(&self, error: &Self::Error, _: &ErrorHost<'_>) -> ErrorReply {
///         ErrorReply::text(error.status(), error.message())
///     }
/// }
///
/// const PLAIN: FilterRef = FilterRef::of::<Plain>();
/// # let _ = PLAIN;
/// ```
#[derive(Clone, Copy)]
pub struct FilterRef {
    name: fn() -> &'static str,
    /// The filter's type and its testing stand-in's: either provided will do.
    type_ids: fn() -> [TypeId; 2],
    resolve: fn(&Providers) -> Option<Arc<dyn ErasedFilter>>,
}

impl FilterRef {
    /// The reference of filter type `F`.
    ///
    /// ```
    /// # use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter, FilterRef};
    /// # pub struct Plain;
    /// # impl ExceptionFilter for Plain {
    /// #     type Error = nestish_core::HttpError;
    /// #     fn catch(&self, e: &Self::Error, _: &ErrorHost<'_>) -> ErrorReply { ErrorReply::from(e) }
    /// # }
    /// let plain = FilterRef::of::<Plain>();
    /// assert!(format!("{plain:?}").contains("Plain"));
    /// ```
    #[must_use]
    pub const fn of<F: ExceptionFilter>() -> Self {
        Self {
            name: type_name::<F>,
            type_ids: type_ids::<F>,
            resolve: resolve_one::<F>,
        }
    }
}

impl std::fmt::Debug for FilterRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FilterRef({})", (self.name)())
    }
}

fn type_ids<F: ExceptionFilter>() -> [TypeId; 2] {
    [TypeId::of::<F>(), TypeId::of::<FilterOverride<F>>()]
}

fn resolve_one<F: ExceptionFilter>(providers: &Providers) -> Option<Arc<dyn ErasedFilter>> {
    if let Some(stand_in) = providers.get::<FilterOverride<F>>() {
        return Some(Arc::clone(&stand_in.filter));
    }
    let filter: Arc<dyn ErasedFilter> = providers.get::<F>()?;
    Some(filter)
}

/// Another filter standing in for `F` (the testing module's `override_filter`), kept among the
/// providers under a type of its own.
pub(crate) struct FilterOverride<F> {
    filter: Arc<dyn ErasedFilter>,
    replaces: PhantomData<fn() -> F>,
}

#[cfg(feature = "testing")]
impl<F: ExceptionFilter> FilterOverride<F> {
    pub(crate) fn new(stand_in: impl ExceptionFilter) -> Self {
        Self {
            filter: Arc::new(stand_in),
            replaces: PhantomData,
        }
    }
}

/// The names of the filters `named` that start-up will not have.
pub(crate) fn unprovided<'a>(
    named: impl IntoIterator<Item = &'a FilterRef>,
    graph: &Graph<'_>,
) -> impl Iterator<Item = &'static str> {
    named
        .into_iter()
        .filter(|filter| !(filter.type_ids)().iter().any(|id| graph.has(*id)))
        .map(|filter| (filter.name)())
}

/// The filters `named`, in order, found among the providers; the name of the first that is not.
pub(crate) fn resolve_all<'a>(
    named: impl IntoIterator<Item = &'a FilterRef>,
    providers: &Providers,
) -> Result<Filters, &'static str> {
    named
        .into_iter()
        .map(|filter| (filter.resolve)(providers).ok_or_else(|| (filter.name)()))
        .collect::<Result<Vec<_>, _>>()
        .map(|filters| Filters(filters.into()))
}

/// `response` as `filters` shape it: the reply of the first filter that catches the error it
/// was made from; as it is when it carries no error, or none of them catches it.
pub(crate) fn apply(filters: &Filters, mut response: Response, host: &ErrorHost<'_>) -> Response {
    let Some(raised) = response.extensions_mut().remove::<Raised>() else {
        return response;
    };
    match filters.catch(raised.error(), host) {
        Some(reply) => {
            raised.caught();
            reply.into_response()
        }
        None => {
            response.extensions_mut().insert(raised);
            response
        }
    }
}

/// The data of the `event: error` that ends a stream of `route` on `error`, when one of
/// `filters` catches it.
pub(crate) fn in_stream(
    filters: &Filters,
    error: &AnyError,
    route: &'static str,
) -> Option<String> {
    let host = ErrorHost {
        method: None,
        path: None,
        route: Some(route),
        in_stream: true,
    };
    filters
        .catch(error, &host)
        .map(|reply| reply.body().into_owned())
}

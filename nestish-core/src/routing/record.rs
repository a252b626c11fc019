//! The route records that `#[controller]` submits, one per route method, collected through
//! `inventory` from every crate linked into the binary.
//!
//! Not public API: generated code builds these through `nestish_core::__private`.

use crate::RouteSource;
use crate::admission::Ticket;
use crate::extract::{BodyLimits, PathParams, RequestBody, RequestParts};
use crate::filter::FilterRef;
use crate::guard::GuardRef;
use crate::intercept::InterceptorRef;
use crate::providers::{Dependency, NotProvided, Providers};
use crate::routing::handler::HandlerFuture;
use crate::sse::hooks::StreamHooks;
use crate::sse::{SseConfig, SseOptions, SseSetup};
use crate::state::State;
use std::any::{Any, TypeId};
use std::sync::Arc;

/// A request as a route's handler shim receives it.
pub(crate) type Request = http::Request<RequestBody>;

/// A controller instance, shared by all requests to its routes.
pub(crate) type Controller = Arc<dyn Any + Send + Sync>;

/// A route's handler shim: finds its controller in the context, extracts the method's arguments
/// from the request's head, body and path parameters, and calls the method.
pub(crate) type HandlerFn =
    fn(&RouteContext, RequestParts, RequestBody, PathParams) -> HandlerFuture;

/// Builds a controller from the application's providers.
pub(crate) type ConstructFn = fn(&Providers) -> Result<Controller, NotProvided>;

/// What a handler shim is given besides the request: its controller and, for an SSE route, the
/// stream settings resolved against the application's. Cheap to clone: pointers and a copy.
///
/// Not public API: generated code reads it through `nestish_core::__private`.
#[derive(Clone)]
pub struct RouteContext {
    pub(crate) controller: Controller,
    /// Shared, not copied, by every stream of the route: an idle stream holds a pointer to it.
    pub(crate) sse: Arc<SseConfig>,
    pub(crate) body: BodyLimits,
    pub(crate) state: Arc<State>,
    /// The admitted stream's ticket, once the request is admitted (see `admission`).
    pub(crate) ticket: Option<Arc<Ticket>>,
    /// The hooks its interceptors set on the stream this request opens, if any (taken once).
    pub(crate) hooks: Option<Arc<HookSlot>>,
}

/// Where a request's stream hooks wait for the handler shim to build the stream's setup.
pub(crate) type HookSlot = std::sync::Mutex<Option<Box<StreamHooks>>>;

impl RouteContext {
    /// The controller instance.
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// What an SSE route's response is built with.
    pub fn sse(&self) -> SseSetup {
        SseSetup {
            config: Arc::clone(&self.sse),
            state: Arc::clone(&self.state),
            close: None,
            ticket: self.ticket.clone(),
            hooks: self
                .hooks
                .as_ref()
                .and_then(|slot| slot.lock().ok()?.take()),
        }
    }

    /// How a `#[body]` argument reads the body: its largest size and its timeouts.
    pub fn body_limit(&self) -> BodyLimits {
        self.body
    }
}

/// The HTTP method a route answers.
///
/// Not public API: generated code names it through `nestish_core::__private`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// `GET` (and `HEAD`, answered from the same route).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    pub(crate) fn from_method(method: &http::Method) -> Option<Self> {
        Some(match *method {
            http::Method::GET | http::Method::HEAD => Self::Get,
            http::Method::POST => Self::Post,
            http::Method::PUT => Self::Put,
            http::Method::PATCH => Self::Patch,
            http::Method::DELETE => Self::Delete,
            _ => return None,
        })
    }
}

/// What a route answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RouteKind {
    /// A response built by `IntoResponse`.
    Plain,
    /// A `text/event-stream` of the method's stream.
    Sse,
}

/// A controller's prefix, as `#[controller]` was given it.
///
/// Not public API: generated code names it through `nestish_core::__private`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    /// A string literal, checked at compile time, without slashes at either end.
    Literal(&'static str),
    /// A `const`, checked at start-up by the same rules; it may hold no parameter.
    Const(&'static str),
}

/// The version a route is served under (URI versioning, see
/// [`AppBuilder::enable_versioning`](crate::AppBuilder::enable_versioning)).
///
/// Not public API: generated code names it through `nestish_core::__private`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// None given: the app's default version, if it has one.
    AppDefault,
    /// `VERSION_NEUTRAL`: served without a version segment.
    Neutral,
    /// `version = "1"` or `version = ["1", "2"]`, checked at compile time.
    Of(&'static [&'static str]),
}

/// One route, as `#[controller]` declares it.
///
/// Not public API: generated code submits it through `nestish_core::__private`.
pub struct RouteRecord {
    /// The HTTP method.
    pub verb: Verb,
    /// The controller's prefix.
    pub prefix: Prefix,
    /// The route's own path, normalised, without slashes at either end (`:id`); the full path
    /// is made at start-up, from the global prefix, the version, the prefix and this.
    pub path: &'static str,
    /// The route's version (its own, else its controller's).
    pub version: Version,
    /// Where it was declared, for messages.
    pub source: RouteSource,
    /// The controller type's id, so each controller is built once.
    pub controller_type: fn() -> TypeId,
    /// Builds the controller.
    pub construct: ConstructFn,
    /// The providers its constructor takes, checked before anything is built.
    pub dependencies: fn() -> Vec<Dependency>,
    /// The shim that serves a request.
    pub handler: HandlerFn,
    /// An SSE route's stream settings; `None` for a plain route.
    pub sse: Option<SseOptions>,
    /// The guards of the controller, then of the route, in the order they run.
    pub guards: &'static [GuardRef],
    /// The interceptors of the controller, then of the route, in the order they run in.
    pub interceptors: &'static [InterceptorRef],
    /// The exception filters of the route, then of the controller, in the order they are tried.
    pub filters: &'static [FilterRef],
    /// What the route takes and answers, for the OpenAPI document (feature `openapi`; `()`
    /// without it, so the lean build carries nothing).
    pub doc: DocFn,
}

/// A route's description function (feature `openapi`).
#[cfg(feature = "openapi")]
pub(crate) type DocFn = crate::openapi::DescribeFn;

/// Nothing, without the feature `openapi`.
#[cfg(not(feature = "openapi"))]
pub(crate) type DocFn = ();

impl RouteRecord {
    /// Plain or SSE.
    pub(crate) fn kind(&self) -> RouteKind {
        if self.sse.is_some() {
            RouteKind::Sse
        } else {
            RouteKind::Plain
        }
    }
}

inventory::collect!(RouteRecord);

/// Every route linked into the binary, in a deterministic order: by where they were declared
/// (`inventory` gives them in no particular order); the router sorts them again by final path.
pub(crate) fn routes() -> Vec<&'static RouteRecord> {
    let mut routes: Vec<_> = inventory::iter::<RouteRecord>.into_iter().collect();
    routes.sort_by_key(|r| {
        (
            r.source.controller,
            r.source.method,
            r.source.file,
            r.source.line,
        )
    });
    routes
}

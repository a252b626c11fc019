//! The route records that `#[controller]` submits, one per route method, collected through
//! `inventory` from every crate linked into the binary.
//!
//! Not public API: generated code builds these through `nestish_core::__private`.

use std::any::{Any, TypeId};
use std::sync::Arc;

use crate::Request;
use crate::RouteSource;
use crate::handler::HandlerFuture;

/// A controller instance, shared by all requests to its routes.
pub type Controller = Arc<dyn Any + Send + Sync>;

/// A route's handler shim: finds its controller type in `Controller` and calls the method.
pub type HandlerFn = fn(&Controller, Request) -> HandlerFuture;

/// The HTTP method a route answers.
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
pub enum RouteKind {
    /// A response built by `IntoResponse`.
    Plain,
    /// A `text/event-stream` of the method's stream.
    Sse,
}

/// One route, as `#[controller]` declares it.
pub struct RouteRecord {
    /// The HTTP method.
    pub verb: Verb,
    /// The full, normalised path: `/`, or `/prefix/path` without a trailing slash.
    pub path: &'static str,
    /// Plain or SSE.
    pub kind: RouteKind,
    /// Where it was declared, for messages.
    pub source: RouteSource,
    /// The controller type's id, so each controller is built once.
    pub controller_type: fn() -> TypeId,
    /// Builds the controller.
    pub construct: fn() -> Controller,
    /// The shim that serves a request.
    pub handler: HandlerFn,
}

inventory::collect!(RouteRecord);

/// Every route linked into the binary, in a deterministic order: by path, then method, then
/// where they were declared (`inventory` gives them in no particular order).
pub(crate) fn routes() -> Vec<&'static RouteRecord> {
    let mut routes: Vec<_> = inventory::iter::<RouteRecord>.into_iter().collect();
    routes.sort_by_key(|r| {
        (
            r.path,
            r.verb,
            r.source.controller,
            r.source.method,
            r.source.file,
            r.source.line,
        )
    });
    routes
}

//! What a route's generated description function calls to read its return type: the method is
//! named inside a closure that is never called (`|| Controller::method(never(), ...)`), so its
//! return type, `impl Trait` or not, reaches these functions as a type parameter.
//!
//! Not public API: generated code reaches it through `nestish_core::__private::doc`.

use std::future::Future;

use crate::openapi::{Content, ResponseDoc, Status};
pub use crate::openapi::{Location, RouteDescriber, never};
use crate::{IntoResponse, IntoSse};

/// A plain route's answers: what its return type describes.
pub fn responds<R: IntoResponse>(doc: &mut RouteDescriber<'_>, _call: impl FnOnce() -> R) {
    let answers = R::describe(doc.answers());
    doc.set_responses(answers);
}

/// An `async` plain route's answers.
pub fn responds_later<F>(doc: &mut RouteDescriber<'_>, _call: impl FnOnce() -> F)
where
    F: Future<Output: IntoResponse>,
{
    let answers = F::Output::describe(doc.answers());
    doc.set_responses(answers);
}

/// An SSE route's events.
pub fn streams<R: IntoSse>(doc: &mut RouteDescriber<'_>, _call: impl FnOnce() -> R) {
    let events = R::describe(doc.answers());
    doc.set_events(events);
    doc.set_responses(vec![event_stream()]);
}

/// An `async` SSE route's events.
pub fn streams_later<F>(doc: &mut RouteDescriber<'_>, _call: impl FnOnce() -> F)
where
    F: Future<Output: IntoSse>,
{
    let events = F::Output::describe(doc.answers());
    doc.set_events(events);
    doc.set_responses(vec![event_stream()]);
}

/// A fallible SSE route (`Result<impl Stream, E>`): its events, and its error's answers.
pub fn streams_or<S: IntoSse, E: IntoResponse>(
    doc: &mut RouteDescriber<'_>,
    _call: impl FnOnce() -> Result<S, E>,
) {
    fallible::<S, E>(doc);
}

/// An `async` fallible SSE route.
pub fn streams_or_later<F, S, E>(doc: &mut RouteDescriber<'_>, _call: impl FnOnce() -> F)
where
    F: Future<Output = Result<S, E>>,
    S: IntoSse,
    E: IntoResponse,
{
    fallible::<S, E>(doc);
}

fn fallible<S: IntoSse, E: IntoResponse>(doc: &mut RouteDescriber<'_>) {
    let events = S::describe(doc.answers());
    doc.set_events(events);
    let mut answers = vec![event_stream(), no_more_events()];
    answers.extend(E::describe(doc.answers()));
    doc.set_responses(answers);
}

fn event_stream() -> ResponseDoc {
    ResponseDoc::new(
        Status::Code(200),
        "The event stream",
        Some(Content::EventStream),
    )
}

/// What an `EventSource` reads as "stop reconnecting" (HTML's SSE processing model: any status
/// but 200 fails the connection for good), answered by an `Err(HttpError)` with 204.
fn no_more_events() -> ResponseDoc {
    ResponseDoc::new(
        Status::Code(204),
        "No more events: the stream has ended for good, and an EventSource does not reconnect",
        None,
    )
}

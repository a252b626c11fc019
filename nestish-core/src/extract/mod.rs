//! Route-method arguments: what NestJS's parameter decorators become in nestish.
//!
//! Every argument of a route method after `&self` carries one attribute that says where its value
//! comes from; `#[controller]` reads it and generates the extraction. A value that is missing or
//! does not parse answers 400 with NestJS's JSON body naming the parameter and why, before the
//! method is called (and so before any SSE header is sent).
//!
//! | attribute | NestJS | argument type implements |
//! |---|---|---|
//! | `#[param("id")]` | `@Param('id')` | [`FromParam`]: every `T: FromStr`; the path declares `:id`, or `*id` as its last segment for the rest of the path |
//! | `#[query("page")]` | `@Query('page')` | [`FromQueryParam`]: every `T: FromStr`, and `Option<T>` of any when it may be absent |
//! | `#[query]` | `@Query()` | [`FromQuery`]: every `T: Deserialize`, the whole query string; `Valid<T>` to validate it (feature `validation`) |
//! | `#[header("x-tenant")]` | `@Headers('x-tenant')` | [`FromHeader`]: every `T: FromStr`, and `Option<T>` of any |
//! | `#[cookie("session")]` | `@Req() req` then `req.cookies.session` | [`FromCookie`]: every `T: FromStr`, and `Option<T>` of any |
//! | `#[last_event_id]` | `@Headers('last-event-id')` | [`FromLastEventId`]: every `T: FromStr + Display`, read in `T`'s canonical form only (`+3`, `03`, ` 3` are 400), and `Option<T>` of any: what the browser sends on reconnect |
//! | `#[body]` | `@Body()` | [`FromBody`]: [`Json<T>`](crate::Json) (`T: Deserialize`), `Valid<Json<T>>` (validated, feature `validation`), `String` or `Bytes`; `POST`, `PUT`, `PATCH` routes only |
//! | `#[req]` | `@Req()` | `&RequestParts`: method, URI, version and headers, read-only |
//! | none | a `createParamDecorator` one | [`CustomArgument`]: a type that reads itself; [`Guarded<T>`] reads what a guard stored |
//!
//! Each trait is one source's contract between `#[controller]` and the runtime: the macro calls
//! the trait of the attribute on the argument's type, and nothing else about the type matters to
//! it. A type of yours takes part by implementing the trait (each has an example); `Option<T>`
//! and `Valid<T>` take part through the traits' own implementations, so `Option<YourType>` works
//! as soon as `YourType` does.
//!
//! ```
//! use futures::stream::{self, Stream};
//! use nestish_core::{HttpError, Json, MessageEvent, controller, get, post, sse};
//!
//! #[derive(serde::Deserialize)]
//! # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
//! struct NewOrder {
//!     item: String,
//! }
//!
//! #[derive(Default)]
//! pub struct OrdersController;
//!
//! #[controller("orders")]
//! impl OrdersController {
//!     #[get(":id")]
//!     fn one(&self, #[param("id")] id: u64, #[query("fields")] fields: Option<String>) -> String {
//!         format!("order {id}, fields {fields:?}")
//!     }
//!
//!     #[post]
//!     fn create(&self, #[body] order: Json<NewOrder>) -> Result<String, HttpError> {
//!         Ok(format!("ordered {}", order.0.item))
//!     }
//!
//!     #[sse(":id/events")]
//!     fn events(
//!         &self,
//!         #[param("id")] id: u64,
//!         #[last_event_id] resume_after: Option<u64>,
//!     ) -> impl Stream<Item = MessageEvent> + Send + 'static {
//!         let next = resume_after.map_or(0, |seen| seen + 1);
//!         stream::iter(next..3).map(move |n| MessageEvent::new(format!("order {id} step {n}")))
//!     }
//! }
//! # use futures::StreamExt;
//! ```
//!
//! A body larger than the limit (1 MiB unless
//! [`AppBuilder::body_limit`](crate::AppBuilder::body_limit) says otherwise) answers 413, and a
//! `Json<T>` body without `Content-Type: application/json` (or with a `charset` other than
//! `utf-8`) answers 415.

mod body;
mod connection;
pub(crate) mod cookie;
mod custom;
mod deserialize;
mod header;
pub mod marker;
pub(crate) mod media;
mod parts;
pub(crate) mod path;
pub(crate) mod query;
mod request_body;
#[cfg(feature = "validation")]
mod valid;

pub(crate) use body::BodyLimits;
pub use body::FromBody;
pub use connection::ConnectionInfo;
pub use cookie::FromCookie;
pub use custom::{CustomArgument, Guarded};
pub use header::{FromHeader, FromLastEventId};
pub use parts::RequestPartsExt;
pub use path::FromParam;
pub(crate) use path::PathParams;
pub use query::{FromQuery, FromQueryParam};
pub use request_body::RequestBody;
#[cfg(feature = "validation")]
pub use valid::Valid;

/// The parts of a request that `#[req]` gives read access to: method, URI, version, headers.
pub type RequestParts = http::request::Parts;

/// Parses one text value of a request (`what` names its kind: "header", ...); a failure is a
/// 400 that names the parameter and why.
fn parse_value<T>(what: &str, name: &str, text: &str) -> Result<T, crate::HttpError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|error| {
        crate::HttpError::bad_request(format!("{what} \"{name}\" is invalid: {error}"))
    })
}

/// A value the route requires: its absence is a 400 that names it.
fn required<T>(what: &str, name: &str, value: Option<T>) -> Result<T, crate::HttpError> {
    value.ok_or_else(|| crate::HttpError::bad_request(format!("{what} \"{name}\" is required")))
}

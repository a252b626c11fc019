//! The OpenAPI document (cargo feature `openapi`): every route describes itself, and the app
//! serves the description as OpenAPI 3.2, with each SSE route's events as the `itemSchema` of
//! its `text/event-stream` response.
//!
//! `@nestjs/swagger` reads decorators that repeat what the handler already says (`@ApiResponse`,
//! `@ApiQuery`, ...) and documents no `@Sse()` route at all. Here the route's own types are the
//! description: each argument's type says what it reads through the trait of its attribute
//! (`FromParam::describe`, `FromQueryParam::describe`, ... with the type's
//! [`JsonSchema`](schemars::JsonSchema)), the return type says what it answers
//! (`IntoResponse::describe`), and an `#[sse]` route's item type says which events it sends
//! (`#[derive(SseEvent)]`: one `oneOf` branch per `event:` name). A type without a schema is a
//! compile error at the route, never an empty `{}`. Schemas are JSON Schema 2020-12, by
//! [schemars](https://docs.rs/schemars), from the same serde attributes the wire follows.
//!
//! [`AppBuilder::openapi`](crate::AppBuilder::openapi) builds the documents once at start-up and
//! serves them from memory:
//!
//! | path (default) | what |
//! |---|---|
//! | `/openapi.json` | OpenAPI 3.2.0: events under `itemSchema` |
//! | `/openapi-3.1.json` | OpenAPI 3.1.1 for tools that do not read 3.2 yet: the events' schema under `schema`, and in `x-events` |
//! | `/docs` | a documentation page (Swagger UI, served by the app, nothing from a CDN) |
//!
//! ```standalone_crate
//! use futures::stream::{self, Stream};
//! use nestish_core::openapi::OpenApi;
//! use nestish_core::{Json, SseEvent, controller, get, sse};
//!
//! #[derive(serde::Serialize, schemars::JsonSchema)]
//! pub struct Order {
//!     id: u64,
//! }
//!
//! #[derive(SseEvent)]
//! pub enum OrderEvents {
//!     Shipped(Order),
//!     #[event(end)]
//!     Delivered,
//! }
//!
//! #[derive(Default)]
//! pub struct OrdersController;
//!
//! #[controller("orders")]
//! impl OrdersController {
//!     #[get(":id")]
//!     fn one(&self, #[param("id")] id: u64) -> Json<Order> {
//!         Json(Order { id })
//!     }
//!
//!     #[sse(":id/events")]
//!     fn events(&self, #[param("id")] id: u64) -> impl Stream<Item = OrderEvents> + Send + 'static {
//!         stream::iter([OrderEvents::Shipped(Order { id }), OrderEvents::Delivered])
//!     }
//! }
//!
//! let app = nestish_core::NestFactory::create()
//!     .openapi(OpenApi::new("Orders", "1.0.0"))
//!     .build()
//!     .expect("the app builds");
//! let api = app.api().expect("the app serves its document");
//! let events = api.operations.iter().find(|o| o.handler == "events").unwrap();
//! assert_eq!(events.events.as_ref().unwrap().len(), 2);
//! ```
//!
//! [`Api`] is the same description as data (routes, parameters, responses, events), for a
//! client generator to walk.

mod config;
mod describe;
mod model;
mod schema;
mod typescript;

pub use config::OpenApi;
pub use describe::{DescribeFn, RouteDescriber, never};
pub(crate) use describe::{LAST_EVENT_ID, errors};
pub use model::{
    Api, Content, EventData, EventDoc, Location, Operation, Parameter, RequestBody, ResponseDoc,
    SecurityScheme, Status, ValueDoc,
};
pub(crate) use schema::{ERROR_BODY, error_body};
/// The JSON Schema crate the descriptions are written with, for a type's own `describe`.
pub use schemars;
pub use typescript::typescript;

/// A reference to NestJS's error body among the document's schemas
/// (`#/components/schemas/HttpErrorBody`): what every [`HttpError`](crate::HttpError) writes.
///
/// ```
/// let body = nestish_core::openapi::error_body_ref();
/// assert_eq!(body.get("$ref").unwrap(), "#/components/schemas/HttpErrorBody");
/// ```
#[must_use]
pub fn error_body_ref() -> schemars::Schema {
    schema::error_ref()
}

//! A TypeScript client for the app, written from its [`Api`]: one `.ts` file.

mod routes;
mod types;

use std::fmt::Write as _;

use super::Api;

/// The client's runtime: request and subscription helpers, the same for every app.
const RUNTIME: &str = include_str!("runtime.ts");

/// The names the runtime exports, which no schema or route may take.
const RUNTIME_NAMES: &[&str] = &[
    "ApiClient",
    "ClientOptions",
    "NetworkFailure",
    "Result",
    "RequestOptions",
    "SubscribeOptions",
    "StreamError",
    "Subscription",
    "Handlers",
    "OperationSpec",
    "StreamSpec",
    "ParamSpec",
    "Location",
    "Args",
    "RawEvent",
];

/// The app's TypeScript client, as the text of one `.ts` file: a type for every schema, and an
/// `ApiClient` class with a method per route.
///
/// A plain route's method sends the request with `fetch` and resolves to a `Result`:
/// `{ ok: true, status, value }` with the answer's type, or `{ ok: false, status, error }` with
/// the error body's type; nothing is thrown. An `#[sse]` route's method returns a `Subscription`
/// to read with `for await`, whose events are a union told apart by `event` (its `data` typed by
/// the event's schema), or with `on({ name: (data) => ... })`, one handler per event name; it
/// reconnects after a dropped connection once the server's `retry:` has
/// passed, sending the last event id it saw as `Last-Event-ID`, and ends without reopening when
/// the server answers 204 or sends an event that ends the stream. GET streams use the browser's
/// `EventSource` where there is one and no header of the client's is needed (the session cookie
/// goes along); POST streams, bearer tokens and Node read the stream with `fetch` and
/// [`eventsource-parser`](https://www.npmjs.com/package/eventsource-parser), which the file
/// imports the first time it reads a stream so (a dynamic `import()`): a page that reads only GET
/// streams needs no import map or bundler for it.
///
/// ```standalone_crate
/// use futures::stream::{self, Stream};
/// use nestish_core::openapi::{OpenApi, typescript};
/// use nestish_core::{Json, SseEvent, controller, get, sse};
///
/// #[derive(serde::Serialize, schemars::JsonSchema)]
/// pub struct Order {
///     id: u64,
/// }
///
/// #[derive(SseEvent)]
/// pub enum OrderEvents {
///     Shipped(Order),
///     #[event(end)]
///     Delivered,
/// }
///
/// #[derive(Default)]
/// pub struct OrdersController;
///
/// #[controller("orders")]
/// impl OrdersController {
///     #[get(":id")]
///     fn one(&self, #[param("id")] id: u64) -> Json<Order> {
///         Json(Order { id })
///     }
///
///     #[sse(":id/events")]
///     fn events(&self, #[param("id")] id: u64) -> impl Stream<Item = OrderEvents> + Send + 'static {
///         stream::iter([OrderEvents::Shipped(Order { id }), OrderEvents::Delivered])
///     }
/// }
///
/// let app = nestish_core::NestFactory::create()
///     .openapi(OpenApi::new("Orders", "1.0.0"))
///     .build()
///     .expect("the app builds");
/// let client = typescript(app.api().expect("the app describes itself"));
/// assert!(client.contains("export type Order = {"));
/// assert!(client.contains("ordersEvents(args: OrdersEventsArgs, options?: SubscribeOptions)"));
/// ```
#[must_use]
pub fn typescript(api: &Api) -> String {
    let names = types::Names::new(api.schemas.keys(), RUNTIME_NAMES);
    let mut taken: Vec<String> = RUNTIME_NAMES.iter().map(|n| (*n).to_owned()).collect();
    taken.extend(
        api.schemas
            .keys()
            .filter_map(|n| names.get(n))
            .map(str::to_owned),
    );
    let methods = routes::method_names(&api.operations, &taken);

    let mut out = String::from(
        "// The app's TypeScript client, written by nestish from its routes (nestish_core::openapi::typescript).\n\
         // Do not edit: write it again when the routes change.\n\
         /* eslint-disable */\n\n",
    );
    out.push_str(RUNTIME);
    out.push_str("\n// ---- The app's schemas ----\n\n");
    for (name, schema) in &api.schemas {
        let Some(ts_name) = names.get(name) else {
            continue;
        };
        let description = schema.get("description").and_then(|d| d.as_str());
        out.push_str(&types::doc(description, ""));
        let _ = writeln!(
            out,
            "export type {ts_name} = {};\n",
            types::ts(schema.as_value(), &names, 0)
        );
    }
    out.push_str("// ---- The app's routes ----\n\n");
    let mut class = String::from(
        "/** The app's routes, one method each. */\nexport class ApiClient {\n  \
         readonly options: ClientOptions;\n\n  \
         constructor(options: ClientOptions = {}) {\n    this.options = options;\n  }\n",
    );
    for (operation, name) in api.operations.iter().zip(&methods) {
        let route = routes::route(operation, name, &names);
        out.push_str(&route.types);
        class.push('\n');
        class.push_str(&route.method);
    }
    class.push_str("}\n");
    out.push_str(&class);
    out
}

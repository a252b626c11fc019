//! Interceptors and exception filters, NestJS's `@UseInterceptors()` and `@Catch()`:
//! - `Timing`, global: an `X-Response-Time` header on the handlers' answers (an error is
//!   answered by the filters, without it);
//! - `Shout`, on one stream: rewrites each event's data on its way out (`map_events`);
//! - `OrderErrors`, on a controller: answers the app's own error type with a body of its own;
//! - `Fallback`, global: every other error (nestish's 404 too) in one JSON shape.
//!
//! ```sh
//! cargo run -p nestish-examples --bin interceptors-filters
//! curl -i http://127.0.0.1:3000/orders/1          # 200, with X-Response-Time
//! curl -i http://127.0.0.1:3000/orders/7          # 404 {"code":"no_such_order","order":7}
//! curl -N http://127.0.0.1:3000/orders/1/events   # PLACED, PAID, SHIPPED
//! curl -i http://127.0.0.1:3000/nowhere           # 404 {"error":"Not Found","path":"/nowhere"}
//! ```

use std::process::ExitCode;
use std::time::Instant;

use futures::{Stream, stream};
use nestish_core::filter::{AnyError, ErrorHost, ErrorReply, Exception, ExceptionFilter};
use nestish_core::header::{HeaderName, HeaderValue};
use nestish_core::intercept::{Call, Interceptor};
use nestish_core::{
    Json, NestFactory, Response, StatusCode, controller, get, sse, use_filters, use_interceptors,
};

/// Global: runs around every route, after the guards and before the arguments are read.
struct Timing;

impl Interceptor for Timing {
    async fn intercept(&self, call: Call) -> Response {
        let started = Instant::now();
        // `proceed` is NestJS's `next.handle()`; not calling it answers without the handler.
        let mut response = call.proceed().await;
        let took = format!("{}us", started.elapsed().as_micros());
        if let Ok(value) = HeaderValue::from_str(&took) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-response-time"), value);
        }
        response
    }
}

/// On one SSE route: sees every event in its wire form, where it is already written, and may
/// rewrite it (or drop it, by returning `false`), without a copy of what it leaves alone.
struct Shout;

impl Interceptor for Shout {
    async fn intercept(&self, mut call: Call) -> Response {
        call.map_events(|event| {
            event.map_data(str::to_uppercase);
            true
        });
        call.proceed().await
    }
}

/// The app's own error; `Exception` lets a route return it and a filter catch it by type.
#[derive(Debug)]
struct NoSuchOrder(u64);

impl std::fmt::Display for NoSuchOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no order {}", self.0)
    }
}

impl std::error::Error for NoSuchOrder {}
impl Exception for NoSuchOrder {}

/// `type Error` is NestJS's `@Catch(NoSuchOrder)`.
struct OrderErrors;

impl ExceptionFilter for OrderErrors {
    type Error = NoSuchOrder;
    fn catch(&self, error: &NoSuchOrder, _: &ErrorHost<'_>) -> ErrorReply {
        let body = serde_json::json!({ "code": "no_such_order", "order": error.0 });
        ErrorReply::json(StatusCode::NOT_FOUND, &body)
    }
}

/// `AnyError` is `@Catch()` with no type: whatever the route's and controller's filters left.
struct Fallback;

impl ExceptionFilter for Fallback {
    type Error = AnyError;
    fn catch(&self, error: &AnyError, host: &ErrorHost<'_>) -> ErrorReply {
        let status = error.status();
        let reason = status.canonical_reason().unwrap_or("Error");
        ErrorReply::json(
            status,
            &serde_json::json!({ "error": reason, "path": host.path() }),
        )
    }
}

#[derive(Default)]
struct OrdersController;

#[controller("orders")]
#[use_filters(OrderErrors)]
impl OrdersController {
    #[get(":id")]
    fn one(&self, #[param("id")] id: u64) -> Result<Json<u64>, NoSuchOrder> {
        if id == 1 {
            Ok(Json(id))
        } else {
            Err(NoSuchOrder(id))
        }
    }

    #[sse(":id/events")]
    #[use_interceptors(Shout)]
    fn events(&self, #[param("id")] _id: u64) -> impl Stream<Item = &'static str> + Send + 'static {
        stream::iter(["placed", "paid", "shipped"])
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Interceptors and filters are providers: provided once, named where they apply.
    let app = NestFactory::create()
        .provide(Timing)
        .use_global_interceptor::<Timing>()
        .provide(Shout)
        .provide(OrderErrors)
        .provide(Fallback)
        .use_global_filter::<Fallback>()
        .build();
    nestish_examples::serve(app, 3000).await
}

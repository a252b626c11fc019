//! CORS for a dashboard on another origin, NestJS's `app.enableCors(...)`: a page served from
//! `DASHBOARD_ORIGIN` (default `http://localhost:5173`, a Vite dev server) opens
//! `new EventSource("http://127.0.0.1:3000/stats", { withCredentials: true })` and POSTs to
//! `/alerts`; tower-http's `CorsLayer` answers the preflights and marks the answers.
//!
//! ```sh
//! DASHBOARD_ORIGIN=http://localhost:5173 cargo run -p nestish-examples --bin cors-dashboard
//! curl -N -H 'origin: http://localhost:5173' http://127.0.0.1:3000/stats   # see the allow-* headers
//! curl -i -X OPTIONS -H 'origin: http://localhost:5173' \
//!     -H 'access-control-request-method: POST' -H 'access-control-request-headers: content-type' \
//!     http://127.0.0.1:3000/alerts
//! ```

use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use nestish_core::{Json, Method, NestFactory, StatusCode, controller, post, sse};
use tower_http::cors::CorsLayer;

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Stats {
    tick: usize,
    connections: u32,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Alert {
    message: String,
}

#[derive(Default)]
struct DashboardController;

#[controller]
impl DashboardController {
    #[sse("stats")]
    fn stats(&self) -> impl Stream<Item = Json<Stats>> + Send + 'static {
        let ticks = nestish_core::interval(Duration::from_secs(1)).enumerate();
        ticks.map(|(tick, _)| {
            Json(Stats {
                tick,
                connections: 42,
            })
        })
    }

    #[post("alerts")]
    fn alert(&self, #[body] alert: Json<Alert>) -> (StatusCode, ()) {
        println!("alert: {}", alert.0.message);
        (StatusCode::ACCEPTED, ())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let origin =
        std::env::var("DASHBOARD_ORIGIN").unwrap_or_else(|_| "http://localhost:5173".into());
    let Ok(origin) = HeaderValue::from_str(&origin) else {
        eprintln!("error: DASHBOARD_ORIGIN is not a header value");
        return ExitCode::FAILURE;
    };
    let cors = CorsLayer::new()
        // One origin, named: with credentials (cookies on `withCredentials: true`), browsers
        // ignore a `*`, and tower-http refuses one (then `build()` fails saying why).
        .allow_origin(origin)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        // `Content-Type: application/json` makes a POST "non-simple": the browser asks first.
        // `Last-Event-ID` is what a fetch-based SSE client sends when it resumes.
        .allow_headers([CONTENT_TYPE, HeaderName::from_static("last-event-id")])
        // The browser may reuse the preflight's answer for ten minutes.
        .max_age(Duration::from_secs(600));
    // The layer wraps every route, the SSE ones too, and stays with the app wherever it runs
    // (nestish's server, inside axum, in a test).
    let app = NestFactory::create().layer(cors).build();
    nestish_examples::serve(app, 3000).await
}

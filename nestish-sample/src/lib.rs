//! The NestJS `sample/28-sse` app, written with nestish, and a second controller with
//! parameters, an injected service and resumable streams.
//!
//! - `GET /` serves a page that opens `new EventSource('/sse')` and lists every message;
//!   `GET /sse` sends `{"hello":"world"}` every second.
//! - `GET /login` logs in with a name and a password (the users come from `SAMPLE_USERS`: see
//!   [`config`]): `POST /login` sets the session cookie that [`auth::AuthGuard`] asks for on the
//!   jobs, chat and notifications routes (see [`auth`]).
//! - `GET /jobs` serves a page that follows a job's progress from
//!   `GET /jobs/:name/progress?every=500` (see [`jobs`]).
//! - `GET /chat` serves a chat on the event hub: `POST /chat/messages` publishes, and
//!   `GET /chat/events` streams, resuming after `Last-Event-ID`; `GET /chat/online` says who is
//!   online, on every instance (see [`chat`]).
//! - `GET /assistant` serves a fake model's answers as runs, which survive a reload, a second
//!   window and a shutdown (see [`assistant`]).
//! - `GET /dashboard` plots the app's own figures (open streams, events per second, requests
//!   by status) from `GET /dashboard/figures` (see [`dashboard`]).
//! - `GET /health/live` and `GET /health/ready` answer a load balancer (readiness turns 503 as
//!   soon as a shutdown starts), and `GET /metrics` the Prometheus text of the app's figures,
//!   to a scraper with the token of `METRICS_TOKEN` (see [`metrics`]).
//!   `GET /chat/events` streams, resuming after `Last-Event-ID` (see [`chat`]); a message that
//!   mentions `@name` reaches that user's `GET /notifications/events` (see [`notifications`]).
//! - Around them all, NestJS's interceptors and exception filters (see [`advice`]): a
//!   `Server-Timing` header on every answer, the chat's messages stamped with the server's time,
//!   and errors in NestJS's body with their `path` and `timestamp`.
//!
//! Run it with `cargo run -p nestish-sample`; with `TLS_CERT=cert.pem TLS_KEY=key.pem` it serves
//! HTTPS, where browsers speak HTTP/2 (see [`tls`]).

pub mod advice;
pub mod assistant;
pub mod auth;
pub mod chat;
pub mod config;
pub mod dashboard;
pub mod jobs;
pub mod metrics;
pub mod modules;
pub mod notifications;
pub mod pages;
pub mod topics;

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::hub::{Hub, HubConfig, MemoryBackend};
use nestish_core::{AppBuilder, Error, Html, Json, NestFactory, TlsConfig, controller, get, sse};

/// The sample application, with its providers and its health and metrics routes (the metrics
/// for a scraper with `METRICS_TOKEN`'s token, see [`metrics`]), configured from the
/// environment (see [`config`]): `app()?.build()?.listen(addr)`.
///
/// # Errors
///
/// A [`config::ConfigError`] naming the variable at fault (a malformed `SAMPLE_USERS`).
pub fn app() -> Result<AppBuilder, config::ConfigError> {
    let users = config::users()?;
    Ok(app_with(Arc::new(users), Arc::new(config::sessions())))
}

/// The sample application with `users` and `sessions`: instances that share their sessions'
/// secret share their logged-in users (see [`auth::Sessions`]).
pub fn app_with(users: Arc<auth::Users>, sessions: Arc<auth::Sessions>) -> AppBuilder {
    NestFactory::create()
        .provide(jobs::JobBoard::default())
        // The assistant's answers, in this process (the binary's modules also let a shutdown
        // wait for them: see `modules::AssistantModule`).
        .provide(nestish_core::run::Runs::new())
        .provide(Hub::with_backend(MemoryBackend::new(
            HubConfig::default()
                .classify(metrics::topic_class)
                .presence(chat::presence_mode),
        )))
        .provide_arc(Arc::clone(&users))
        .provide_arc(Arc::clone(&sessions))
        .provide(auth::AuthGuard::new(sessions, users))
        .provide(topics::TopicsGuard)
        .health_routes("/health")
        .provide(metrics::MetricsGuard::from_env())
        .metrics_route("/metrics")
        .metrics_guard::<metrics::MetricsGuard>()
        .openapi(openapi())
}

/// The sample's OpenAPI 3.2 document at `/openapi.json` (its 3.1 form at `/openapi-3.1.json`),
/// and a page that reads it at `/docs`.
///
/// ```
/// let builder = nestish_core::NestFactory::create().openapi(nestish_sample::openapi());
/// # let _ = builder;
/// ```
pub fn openapi() -> nestish_core::openapi::OpenApi {
    nestish_core::openapi::OpenApi::new("nestish sample", env!("CARGO_PKG_VERSION"))
        .description("NestJS's 28-sse sample, with a chat, jobs and an assistant")
}

/// The certificate chain and key to serve HTTPS with, from the PEM files named by `TLS_CERT`
/// and `TLS_KEY` (`cert` and `key` here); `None`, for plain HTTP, when neither is set.
///
/// # Errors
///
/// [`Error::Config`] when only one is set, [`Error::Tls`] (naming the file) when a file
/// cannot be used.
///
/// ```
/// assert!(nestish_sample::tls(None, None).unwrap().is_none());
/// let error = nestish_sample::tls(Some("cert.pem".into()), None).unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "invalid configuration: TLS_CERT and TLS_KEY go together: set both for HTTPS, or neither"
/// );
/// ```
pub fn tls(cert: Option<OsString>, key: Option<OsString>) -> Result<Option<TlsConfig>, Error> {
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(TlsConfig::from_pem_files(cert, key)?)),
        _ => Err(Error::Config(
            "TLS_CERT and TLS_KEY go together: set both for HTTPS, or neither",
        )),
    }
}

/// What `/sse` sends every second: `{"hello":"world"}`, typed, so the OpenAPI document says so.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Hello {
    /// Always `"world"`.
    pub hello: &'static str,
}

/// The sample's only controller, NestJS's `AppController`.
#[derive(Debug, Default)]
pub struct AppController;

#[controller]
impl AppController {
    /// The page: `new EventSource('/sse')`, one list item per message.
    #[get("/")]
    fn index(&self) -> Html<&'static str> {
        Html(include_str!("index.html"))
    }

    /// `{"hello":"world"}` every second, as NestJS's `interval(1000).pipe(map(...))`.
    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = Json<Hello>> + Send + 'static {
        nestish_core::interval(Duration::from_secs(1)).map(|_| Json(Hello { hello: "world" }))
    }
}

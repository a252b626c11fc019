//! The NestJS `sample/28-sse` app, written with nestish, and a second controller with
//! parameters, an injected service and resumable streams.
//!
//! - `GET /` serves a page that opens `new EventSource('/sse')` and lists every message;
//!   `GET /sse` sends `{"hello":"world"}` every second.
//! - `GET /login` logs in under a name: `POST /login` sets the session cookie that
//!   [`auth::AuthGuard`] asks for on the jobs, chat and notifications routes (see [`auth`]).
//! - `GET /jobs` serves a page that follows a job's progress from
//!   `GET /jobs/:name/progress?every=500` (see [`jobs`]).
//! - `GET /chat` serves a chat on the event hub: `POST /chat/messages` publishes, and
//!   `GET /chat/events` streams, resuming after `Last-Event-ID` (see [`chat`]).
//! - `GET /health/live` and `GET /health/ready` answer a load balancer (readiness turns 503 as
//!   soon as a shutdown starts), and `GET /metrics` the Prometheus text of the app's figures.
//!   `GET /chat/events` streams, resuming after `Last-Event-ID` (see [`chat`]); a message that
//!   mentions `@name` reaches that user's `GET /notifications/events` (see [`notifications`]).
//!
//! Run it with `cargo run -p nestish-sample`; with `TLS_CERT=cert.pem TLS_KEY=key.pem` it serves
//! HTTPS, where browsers speak HTTP/2 (see [`tls`]).

pub mod auth;
pub mod chat;
pub mod jobs;
pub mod modules;
pub mod notifications;
pub mod pages;

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{AppBuilder, Error, Html, Json, NestFactory, TlsConfig, controller, get, sse};

/// The sample application, with its providers and its health and metrics routes:
/// `app().build()?.listen(addr)`. Its session tokens are signed with `SESSION_SECRET` when it
/// is set (instances that share it share their logged-in users), with a random secret of the
/// process's own otherwise.
pub fn app() -> AppBuilder {
    let sessions = match std::env::var("SESSION_SECRET") {
        Ok(secret) => auth::Sessions::with_secret(secret.as_bytes()),
        // Without randomness there is no safe session at all: a start-up failure is the honest
        // answer, and the operating system always has some.
        Err(_) => auth::Sessions::random().expect("the operating system gives random bytes"),
    };
    app_with_sessions(Arc::new(sessions))
}

/// The sample application with `sessions`: instances that share their secret share their
/// users (see [`auth::Sessions`]).
pub fn app_with_sessions(sessions: Arc<auth::Sessions>) -> AppBuilder {
    NestFactory::create()
        .provide(jobs::JobBoard::default())
        .provide(nestish_core::hub::Hub::new())
        .provide_arc(Arc::clone(&sessions))
        .provide(auth::AuthGuard::new(sessions))
        .health_routes("/health")
        .metrics_route("/metrics")
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
    fn sse(&self) -> impl Stream<Item = Json<serde_json::Value>> + Send + 'static {
        nestish_core::interval(Duration::from_secs(1))
            .map(|_| Json(serde_json::json!({ "hello": "world" })))
    }
}

//! The routes nestish answers itself when asked to: health checks (NestJS terminus's
//! liveness and readiness) and the Prometheus text of the application's metrics.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;

use super::handler::HandlerFuture;
use super::record::Request;
use crate::guard::Guards;
use crate::state::State;
use crate::{Body, Error, Response};

/// The built-in routes of an application, checked before its own.
pub(crate) struct Builtins {
    live: Option<String>,
    ready: Option<String>,
    metrics: Option<String>,
    /// Run before the metrics are served; empty when they are public.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    metrics_guards: Guards,
    #[cfg(feature = "metrics")]
    prometheus: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// The OpenAPI documents and their page, made at start-up (feature `openapi`).
    #[cfg(feature = "openapi")]
    pub(crate) documents: Vec<Document>,
}

/// A document served from memory as it was made at start-up: the OpenAPI JSON, its page.
#[cfg(feature = "openapi")]
pub(crate) struct Document {
    path: String,
    content_type: HeaderValue,
    body: bytes::Bytes,
}

#[cfg(feature = "openapi")]
impl Document {
    pub(crate) fn new(path: &str, content_type: &'static str, body: bytes::Bytes) -> Self {
        Self {
            path: path.to_owned(),
            content_type: HeaderValue::from_static(content_type),
            body,
        }
    }

    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, self.content_type.clone());
        response
    }
}

impl std::fmt::Debug for Builtins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builtins")
            .field("live", &self.live)
            .field("ready", &self.ready)
            .field("metrics", &self.metrics)
            .field("metrics_guards", &self.metrics_guards.len())
            .finish_non_exhaustive()
    }
}

/// The route a guard of the metrics sees ([`GuardRequest::route`](crate::GuardRequest::route)).
#[cfg(feature = "metrics")]
const METRICS_ROUTE: &str = "(metrics)";

impl Builtins {
    /// The built-ins asked for; `None` when there are none, so that routing pays nothing.
    pub(crate) fn new(
        health: Option<&str>,
        metrics: Option<&str>,
        metrics_guards: Guards,
    ) -> Result<Option<Box<Self>>, Error> {
        if health.is_none() && metrics.is_none() {
            return Ok(None);
        }
        Self::some(health, metrics, metrics_guards).map(Some)
    }

    /// The built-ins asked for, even none.
    pub(crate) fn some(
        health: Option<&str>,
        metrics: Option<&str>,
        metrics_guards: Guards,
    ) -> Result<Box<Self>, Error> {
        // Both are placed and checked already (`Placement::builtin`): `/health`, `/api/metrics`.
        let prefix = health.map(|prefix| prefix.trim_end_matches('/'));
        Ok(Box::new(Self {
            live: prefix.map(|prefix| format!("{prefix}/live")),
            ready: prefix.map(|prefix| format!("{prefix}/ready")),
            metrics: metrics.map(str::to_owned),
            metrics_guards,
            #[cfg(feature = "metrics")]
            prometheus: metrics.map(|_| crate::metrics::prometheus()).transpose()?,
            #[cfg(feature = "openapi")]
            documents: Vec::new(),
        }))
    }

    /// Every path these answer, to check against the application's routes.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        let builtin = [&self.live, &self.ready, &self.metrics]
            .into_iter()
            .filter_map(Option::as_deref);
        #[cfg(feature = "openapi")]
        let builtin = builtin.chain(self.documents.iter().map(|d| d.path.as_str()));
        builtin
    }

    /// Which of these `request` is for, if any.
    pub(crate) fn find(&self, request: &Request) -> Option<Builtin> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let path = Some(request.uri().path());
        if path == self.live.as_deref() {
            return Some(Builtin::Live);
        }
        if path == self.ready.as_deref() {
            return Some(Builtin::Ready);
        }
        #[cfg(feature = "openapi")]
        if let Some(index) = self.documents.iter().position(|d| path == Some(&d.path)) {
            return Some(Builtin::Document(index));
        }
        #[cfg(feature = "metrics")]
        if path == self.metrics.as_deref()
            && let Some(prometheus) = &self.prometheus
        {
            return Some(Builtin::Metrics(prometheus.clone()));
        }
        None
    }

    /// The answer of `builtin` (which [`find`](Self::find) found) to `request`.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) fn answer(
        &self,
        builtin: Builtin,
        request: Request,
        state: &State,
    ) -> HandlerFuture {
        match builtin {
            Builtin::Live => {
                let up = json!({ "process": { "status": "up" } });
                HandlerFuture::ready(terminus(StatusCode::OK, &up, &json!({})))
            }
            Builtin::Ready => HandlerFuture::ready(if state.is_shutting_down() {
                let down = json!({ "server": { "status": "down", "message": "shutting down" } });
                terminus(StatusCode::SERVICE_UNAVAILABLE, &json!({}), &down)
            } else {
                terminus(
                    StatusCode::OK,
                    &json!({ "server": { "status": "up" } }),
                    &json!({}),
                )
            }),
            #[cfg(feature = "openapi")]
            Builtin::Document(index) => HandlerFuture::ready(self.documents[index].response()),
            #[cfg(feature = "metrics")]
            Builtin::Metrics(prometheus) => {
                if self.metrics_guards.is_empty() {
                    return HandlerFuture::ready(prometheus_text(&prometheus));
                }
                let guards = std::sync::Arc::clone(&self.metrics_guards);
                HandlerFuture::boxed(async move {
                    let (mut parts, _body) = request.into_parts();
                    let mut head = crate::GuardRequest::new(&mut parts, METRICS_ROUTE);
                    match crate::guard::check(&guards, &mut head).await {
                        Ok(()) => prometheus_text(&prometheus),
                        Err(refusal) => refusal,
                    }
                })
            }
        }
    }
}

/// One of the built-in routes.
pub(crate) enum Builtin {
    Live,
    Ready,
    /// The document at this index.
    #[cfg(feature = "openapi")]
    Document(usize),
    /// The metrics, with the recorder's handle to render them.
    #[cfg(feature = "metrics")]
    Metrics(metrics_exporter_prometheus::PrometheusHandle),
}

/// The metrics in Prometheus's text format.
#[cfg(feature = "metrics")]
fn prometheus_text(prometheus: &metrics_exporter_prometheus::PrometheusHandle) -> Response {
    let mut response = Response::new(Body::from(prometheus.render()));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// NestJS terminus's body: `status`, then the checks that are up (`info`), those that are
/// down (`error`), and all of them (`details`).
fn terminus(status: StatusCode, up: &serde_json::Value, down: &serde_json::Value) -> Response {
    let mut details = up.clone();
    if let (Some(details), Some(down)) = (details.as_object_mut(), down.as_object()) {
        details.extend(down.clone());
    }
    let body = json!({
        "status": if status.is_success() { "ok" } else { "error" },
        "info": up,
        "error": down,
        "details": details,
    });
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

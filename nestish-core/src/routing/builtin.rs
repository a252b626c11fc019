//! The routes nestish answers itself when asked to: health checks (NestJS terminus's
//! liveness and readiness) and the Prometheus text of the application's metrics.

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;

use super::record::Request;
use crate::state::State;
use crate::{Body, Error, Response};

/// The built-in routes of an application, checked before its own.
#[derive(Debug, Default)]
pub(crate) struct Builtins {
    live: Option<String>,
    ready: Option<String>,
    metrics: Option<String>,
    #[cfg(feature = "metrics")]
    prometheus: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

impl Builtins {
    /// The built-ins asked for; `None` when there are none, so that routing pays nothing.
    pub(crate) fn new(
        health: Option<&str>,
        metrics: Option<&str>,
    ) -> Result<Option<Box<Self>>, Error> {
        if health.is_none() && metrics.is_none() {
            return Ok(None);
        }
        let prefix = health.map(|prefix| normalise(prefix).trim_end_matches('/').to_owned());
        Ok(Some(Box::new(Self {
            live: prefix.as_ref().map(|prefix| format!("{prefix}/live")),
            ready: prefix.map(|prefix| format!("{prefix}/ready")),
            metrics: metrics.map(normalise),
            #[cfg(feature = "metrics")]
            prometheus: metrics.map(|_| crate::metrics::prometheus()).transpose()?,
        })))
    }

    /// Every path these answer, to check against the application's routes.
    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        [&self.live, &self.ready, &self.metrics]
            .into_iter()
            .filter_map(Option::as_deref)
    }

    /// The answer to `request`, if it is for one of these.
    pub(crate) fn answer(&self, request: &Request, state: &State) -> Option<Response> {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let path = Some(request.uri().path());
        if path == self.live.as_deref() {
            let up = json!({ "process": { "status": "up" } });
            return Some(terminus(StatusCode::OK, &up, &json!({})));
        }
        if path == self.ready.as_deref() {
            return Some(if state.is_shutting_down() {
                let down = json!({ "server": { "status": "down", "message": "shutting down" } });
                terminus(StatusCode::SERVICE_UNAVAILABLE, &json!({}), &down)
            } else {
                terminus(
                    StatusCode::OK,
                    &json!({ "server": { "status": "up" } }),
                    &json!({}),
                )
            });
        }
        #[cfg(feature = "metrics")]
        if path == self.metrics.as_deref()
            && let Some(prometheus) = &self.prometheus
        {
            let mut response = Response::new(Body::from(prometheus.render()));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            return Some(response);
        }
        None
    }
}

/// `path` with one leading slash.
fn normalise(path: &str) -> String {
    format!("/{}", path.trim_start_matches('/'))
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

//! The sample's interceptors and exception filter: what NestJS's docs show with
//! `@UseInterceptors()` and `@Catch()`, on nestish's pipeline.
//!
//! - [`Timing`], global: a `Server-Timing` header on every answer (the time the handler and
//!   the interceptors after it took, as a browser's developer tools show it), and a line when a
//!   stream ends, with its reason and counts. nestish's access line stays the one line per
//!   request.
//! - [`ServerTime`], global, for the chat's stream: stamps each message with the server's time.
//! - [`HttpExceptionFilter`], global: NestJS's error body, plus the request's `path` and a
//!   `timestamp`, as the `HttpExceptionFilter` of NestJS's docs writes it.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use nestish_core::filter::{ErrorHost, ErrorReply, ExceptionFilter};
use nestish_core::header::{HeaderName, HeaderValue};
use nestish_core::intercept::{Call, Interceptor, StreamEvent};
use nestish_core::{HttpError, Response};

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Times each call, and reports how each stream ended.
pub struct Timing;

impl Interceptor for Timing {
    async fn intercept(&self, mut call: Call) -> Response {
        let route = call.route().path();
        if call.route().is_sse() {
            call.on_close(move |closed| {
                tracing::info!(
                    target: "nestish_sample::streams",
                    route,
                    reason = closed.reason().as_str(),
                    events = closed.events(),
                    bytes = closed.bytes(),
                    lived_s = closed.lifetime().as_secs(),
                    "stream ended"
                );
            });
        }
        let started = Instant::now();
        let mut response = call.proceed().await;
        // Milliseconds to the microsecond, as Server-Timing writes them.
        let took = started.elapsed().as_micros() as f64 / 1e3;
        if let Ok(value) = HeaderValue::from_str(&format!("handler;dur={took}")) {
            response.headers_mut().append(SERVER_TIMING, value);
        }
        response
    }
}

/// Adds `"serverTime"` (milliseconds since the Unix epoch) to each message of the streams of
/// the routes it is given: the JSON objects of events without an `event:` name. Other events (a
/// hub's `missed` notice) and other data go out as they are, as the very bytes the hub encoded
/// once for every subscriber; other routes' streams are not touched at all.
pub struct ServerTime {
    routes: &'static [&'static str],
}

impl ServerTime {
    /// Stamps the streams of `routes` (path templates, as `Call::route` gives them).
    pub fn on(routes: &'static [&'static str]) -> Self {
        Self { routes }
    }
}

impl Interceptor for ServerTime {
    async fn intercept(&self, mut call: Call) -> Response {
        if self.routes.contains(&call.route().path()) {
            call.map_events(|event| {
                stamp(event);
                true
            });
        }
        call.proceed().await
    }
}

fn stamp(event: &mut StreamEvent<'_>) {
    if event.event().is_some() {
        return;
    }
    let data = event.data();
    let Ok(serde_json::Value::Object(mut message)) = serde_json::from_str(&data) else {
        return;
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    message.insert("serverTime".to_owned(), now.into());
    let stamped = serde_json::Value::Object(message).to_string();
    event.map_data(|_| stamped);
}

/// NestJS's body for every `HttpError` (nestish's own 400, 401, 404... included), with the
/// request's path and the time: `{"statusCode":404,"message":"...","error":"Not Found",
/// "path":"/nope","timestamp":"2026-12-05T07:40:00.000Z"}`. Inside a stream, the path is the
/// route's.
pub struct HttpExceptionFilter;

impl ExceptionFilter for HttpExceptionFilter {
    type Error = HttpError;

    fn catch(&self, error: &HttpError, host: &ErrorHost<'_>) -> ErrorReply {
        let mut body: serde_json::Value =
            serde_json::from_str(&error.to_json()).unwrap_or_default();
        if let Some(fields) = body.as_object_mut() {
            let path = host.path().or(host.route()).unwrap_or("/");
            fields.insert("path".to_owned(), path.into());
            fields.insert("timestamp".to_owned(), iso8601(SystemTime::now()).into());
        }
        let mut reply = ErrorReply::json(error.status(), &body);
        // A 401's `WWW-Authenticate`, a 429's `Retry-After`: kept.
        for (name, value) in error.headers() {
            reply = reply.header(name.clone(), value.clone());
        }
        reply
    }
}

/// `time` as JavaScript's `Date.prototype.toISOString` writes it, in UTC to the millisecond.
pub fn iso8601(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    // Howard Hinnant's days-to-civil, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn iso8601_writes_what_javascript_writes() {
        let at = |millis: u64| iso8601(UNIX_EPOCH + Duration::from_millis(millis));
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        // new Date(1796456400123).toISOString()
        assert_eq!(at(1_796_456_400_123), "2026-12-05T07:40:00.123Z");
        // A leap day: new Date(951782400000).toISOString()
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}

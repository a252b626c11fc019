//! What the sample's `/metrics` says, and to whom: its hub topics counted by class (the chat,
//! or someone's notifications), never by name, and the Prometheus text served only to a
//! scraper that sends the token of `METRICS_TOKEN`.
//!
//! ```sh
//! METRICS_TOKEN=pick-a-long-random-string cargo run -p nestish-sample
//! curl -H 'Authorization: Bearer pick-a-long-random-string' http://127.0.0.1:3000/metrics
//! ```
//!
//! Without `METRICS_TOKEN` the metrics are off: every scrape is refused (403). Not "loopback
//! only", because behind a reverse proxy on the same host every client comes from loopback.

use nestish_core::header::{HeaderValue, WWW_AUTHENTICATE};
use nestish_core::{Guard, GuardRequest, HttpError};
use ring::digest::{SHA256, digest};

/// The class of a hub topic in the metrics: `notifications` for a user's notifications,
/// `chat` for the rest. A label the app chose, so a thousand names mentioned are one series.
///
/// ```
/// use nestish_sample::metrics::topic_class;
///
/// assert_eq!(topic_class("notifications/ann"), "notifications");
/// assert_eq!(topic_class("chat"), "chat");
/// ```
#[must_use]
pub fn topic_class(topic: &str) -> &'static str {
    if topic.starts_with("notifications/") {
        "notifications"
    } else {
        "chat"
    }
}

/// Lets a scrape of `/metrics` through when it sends `Authorization: Bearer <token>` with the
/// configured token; refuses every scrape when there is none.
///
/// ```
/// let guard = nestish_sample::metrics::MetricsGuard::new(Some("s3cret"));
/// assert!(guard.is_on());
/// assert!(!nestish_sample::metrics::MetricsGuard::new(None).is_on());
/// ```
#[derive(Debug)]
pub struct MetricsGuard {
    /// The token's SHA-256: compared digest to digest, so the comparison's time tells nothing
    /// of the token's length, and in constant time, nothing of its bytes.
    token: Option<[u8; 32]>,
}

impl MetricsGuard {
    /// With `METRICS_TOKEN`'s token; off when it is unset or empty.
    #[must_use]
    pub fn from_env() -> Self {
        Self::new(std::env::var("METRICS_TOKEN").ok().as_deref())
    }

    /// With `token` (`None` or empty: off).
    #[must_use]
    pub fn new(token: Option<&str>) -> Self {
        Self {
            token: token.filter(|token| !token.is_empty()).map(sha256),
        }
    }

    /// Whether a scrape can get through.
    #[must_use]
    pub fn is_on(&self) -> bool {
        self.token.is_some()
    }
}

fn sha256(text: &str) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, text.as_bytes()).as_ref());
    out
}

impl Guard for MetricsGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let Some(expected) = &self.token else {
            return Err(HttpError::forbidden(
                "the metrics are off: start the server with METRICS_TOKEN set",
            ));
        };
        let sent = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(sha256);
        let matches = sent.is_some_and(|sent| {
            sent.iter()
                .zip(expected)
                .fold(0, |differ, (a, b)| differ | (a ^ b))
                == 0
        });
        if matches {
            Ok(())
        } else {
            Err(
                HttpError::unauthorized("send the metrics token: Authorization: Bearer <token>")
                    .with_header(
                        WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer realm=\"metrics\""),
                    ),
            )
        }
    }
}

//! [`Credentials`]: what the guards of a request said of who sent it and until when, as
//! [`GuardRequest`](crate::GuardRequest) records it for the stream the request may open.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// Who a request is from and how long its credentials last, as its guards declared them with
/// [`GuardRequest::principal`](crate::GuardRequest::principal),
/// [`GuardRequest::revocable_as`](crate::GuardRequest::revocable_as) and
/// [`GuardRequest::credentials_expire_at`](crate::GuardRequest::credentials_expire_at).
/// Kept in the request's extensions until the SSE route admits the stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct Credentials {
    /// Who: its streams are counted together against the per-principal caps, and revoking it
    /// ends them.
    pub(crate) principal: Option<Arc<str>>,
    /// Other names whose revocation ends the stream: a session, a device.
    pub(crate) keys: Vec<Arc<str>>,
    /// When the credentials stop being good, on tokio's clock: the earliest any guard gave.
    pub(crate) expires: Option<Instant>,
}

impl Credentials {
    /// Sets the expiry to `at` (wall-clock), unless an earlier one is set.
    pub(crate) fn expire_at(&mut self, at: SystemTime) {
        let left = at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        self.expire_in(left);
    }

    /// Sets the expiry to `left` from now, unless an earlier one is set.
    pub(crate) fn expire_in(&mut self, left: Duration) {
        let at = Instant::now().checked_add(left).unwrap_or_else(far_future);
        self.expires = Some(self.expires.map_or(at, |earlier| earlier.min(at)));
    }
}

/// About thirty years from now: tokio's way of saying "never" without overflowing.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

//! Admission of SSE streams: who a stream is for, how many a principal or a client address may
//! hold open, and until when.
//!
//! The trade-off: everything here is decided once, when a stream opens, and undone once, when
//! it closes; nothing runs per event. A stream's guards say who sent the request
//! ([`GuardRequest::principal`](crate::GuardRequest::principal)), which other names revoke it
//! ([`revocable_as`](crate::GuardRequest::revocable_as)) and when its credentials end
//! ([`credentials_expire_at`](crate::GuardRequest::credentials_expire_at)). Then, before any SSE
//! header, the route counts the stream against the caps of its principal and its client's
//! address (app-wide: [`AppBuilder::max_streams_per_principal`](crate::AppBuilder::max_streams_per_principal),
//! [`max_streams_per_address`](crate::AppBuilder::max_streams_per_address); per route:
//! `#[sse("events", max_per_principal = 3, max_per_address = 20)]`) and answers 429 with
//! `Retry-After` past one. An admitted stream holds a [`Ticket`]: it ends, with a `retry:` so
//! the client reconnects and authenticates again, when its credentials' expiry plus the app's
//! grace ([`AppBuilder::credential_grace`](crate::AppBuilder::credential_grace)) comes, on the
//! one timer it already has for its maximum lifetime, or when one of its names is revoked
//! ([`Hub::revoke`](crate::hub::Hub::revoke), every instance on the hub's engine;
//! [`AppHandle::revoke`](crate::AppHandle::revoke), this one).
//!
//! Counts are per instance: a fleet-wide cap would need a count shared by every instance (a
//! Redis counter per principal, incremented on open and decremented on close, with an expiry
//! refreshed by the heartbeat so that the streams of a crashed instance are forgotten), at the
//! cost of a round trip to it on every stream opened and closed.

mod credentials;
#[cfg(feature = "rate-limit")]
mod rate;
mod tables;

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use http::header::RETRY_AFTER;

pub(crate) use credentials::Credentials;
#[cfg(feature = "rate-limit")]
pub(crate) use rate::NewStreams;
pub(crate) use tables::Ticket;
pub(crate) use tables::{Caps, Tables};

use crate::extract::RequestParts;
use crate::{ConnectionInfo, HttpError};

use tables::Over;
use tables::Parts;

/// The `Retry-After` of a stream refused for a cap, in seconds: streams are long-lived, so a
/// place frees up when one of the client's others ends, which the server cannot foresee.
pub(crate) const CAP_RETRY_AFTER_SECS: u64 = 5;

/// What an SSE route's streams are admitted under: its caps, and the app's grace after a
/// credential's expiry.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Admission {
    pub(crate) caps: Caps,
    pub(crate) grace: Duration,
    /// Whether the app caps new streams per address over time (`new_streams_per_address`).
    pub(crate) rate_by_address: bool,
}

impl Admission {
    /// Whether a stream of the route may need a ticket without a guard: when a cap counts by
    /// address.
    pub(crate) fn without_guards(&self) -> bool {
        self.caps.by_address() || self.rate_by_address
    }
}

/// Admits a stream of `route`, under its `admission` rules, for the request of `parts`, with the
/// credentials its guards left there: its ticket, none when it has no credentials and no cap
/// counts it, or the refusal to answer instead (before any SSE header).
pub(crate) fn admit(
    admission: Admission,
    route: &'static str,
    tables: &Arc<Tables>,
    parts: &mut RequestParts,
) -> Result<Option<Arc<Ticket>>, HttpError> {
    let Admission {
        caps,
        grace,
        rate_by_address,
    } = admission;
    let credentials = parts.extensions.remove::<Credentials>().unwrap_or_default();
    if caps.route_per_principal.is_some() && credentials.principal.is_none() {
        tracing::error!(
            route,
            "the route caps streams per principal, but no guard named the request's principal \
             (GuardRequest::principal)"
        );
        return Err(HttpError::internal());
    }
    let peer = || {
        parts
            .extensions
            .get::<ConnectionInfo>()
            .map(|info| info.peer_addr().ip())
    };
    // Every attempt counts against the rate, admitted or not.
    #[cfg(feature = "rate-limit")]
    if rate_by_address
        && let (Some(address), Some(new_streams)) = (peer(), tables.new_streams.get())
    {
        new_streams.admit(address)?;
    }
    #[cfg(not(feature = "rate-limit"))]
    let _ = rate_by_address;
    let address = caps.by_address().then(peer).flatten();
    let Credentials {
        principal,
        keys,
        expires,
    } = credentials;
    if principal.is_none() && keys.is_empty() && expires.is_none() && address.is_none() {
        return Ok(None);
    }
    let parts = Parts {
        route,
        principal,
        keys,
        address,
        ends_at: expires.map(|at| at + grace),
    };
    match tables.open(parts, &caps) {
        Ok(ticket) => Ok(Some(ticket)),
        Err(over) => Err(refusal(over)),
    }
}

/// The 429 of a stream past a cap.
fn refusal(over: Over) -> HttpError {
    let message = match over {
        Over::Principal(cap) => format!("too many open streams: at most {cap} per user"),
        Over::Address(cap) => format!("too many open streams: at most {cap} per client address"),
    };
    HttpError::too_many_requests(message)
        .with_header(RETRY_AFTER, HeaderValue::from(CAP_RETRY_AFTER_SECS))
}

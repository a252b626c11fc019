//! [`Ticket`]: an admitted SSE stream's place in its application's [`Tables`], held by its body
//! and given back, counts and all, when the body is dropped, however the stream ends.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

use super::tables::Tables;

/// One admitted stream: who it is counted for, what revokes it and when its credentials end.
/// Made only for a stream with credentials or under a cap by address: others have none.
#[derive(Debug)]
pub(crate) struct Ticket {
    tables: Arc<Tables>,
    pub(super) route: &'static str,
    pub(super) principal: Option<Arc<str>>,
    /// Revocation keys besides the principal.
    keys: Box<[Arc<str>]>,
    pub(super) address: Option<IpAddr>,
    /// When the stream ends for its credentials: their expiry plus the app's grace.
    pub(crate) ends_at: Option<Instant>,
    revoked: AtomicBool,
    /// The task polling the stream, woken by a revocation.
    waker: AtomicWaker,
}

/// What a ticket is made of.
pub(super) struct Parts {
    pub(super) route: &'static str,
    pub(super) principal: Option<Arc<str>>,
    pub(super) keys: Vec<Arc<str>>,
    pub(super) address: Option<IpAddr>,
    pub(super) ends_at: Option<Instant>,
}

impl Ticket {
    pub(super) fn new(tables: Arc<Tables>, parts: Parts) -> Self {
        Self {
            tables,
            route: parts.route,
            principal: parts.principal,
            keys: parts.keys.into_boxed_slice(),
            address: parts.address,
            ends_at: parts.ends_at,
            revoked: AtomicBool::new(false),
            waker: AtomicWaker::new(),
        }
    }

    /// The names besides its principal a revocation of which ends this stream.
    pub(super) fn revocation_keys(&self) -> impl Iterator<Item = &Arc<str>> {
        self.keys.iter()
    }

    /// Marks the stream revoked; the waker of its task, to wake.
    pub(super) fn revoke(&self) -> Option<Waker> {
        self.revoked.store(true, Ordering::Release);
        self.waker.take()
    }

    /// Whether the stream was revoked. Register the task's waker first (see
    /// [`register`](Self::register)), so a revocation in between is not missed.
    pub(crate) fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::Acquire)
    }

    /// Makes `waker` the one a revocation wakes. Called when the polling task changes, not on
    /// every poll.
    pub(crate) fn register(&self, waker: &Waker) {
        self.waker.register(waker);
    }

    /// Whether the credentials' end (with the grace) has come.
    pub(crate) fn expired(&self) -> bool {
        self.ends_at.is_some_and(|at| at <= Instant::now())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.tables.close(self);
    }
}

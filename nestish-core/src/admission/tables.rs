//! [`Tables`]: the SSE streams an application holds open, by principal and by client address
//! (the counts its caps are checked against) and by revocation key (the streams a revocation
//! ends).
//!
//! An entry exists only while a stream of its principal, address or key is open, and goes with
//! the last of them: the tables hold at most one entry per open stream in each map, however
//! many principals, addresses or keys clients make up, and the open streams are bounded by the
//! connection cap (`max_connections`) and HTTP/2's streams per connection.

//!
//! [`Ticket`]: an admitted stream's place in the tables, held by its body and given back,
//! counts and all, when the body is dropped, however the stream ends. One file: each holds
//! the other (a ticket its tables, the tables their tickets, weakly).
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::Waker;

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

use crate::heartbeat::lock;

/// The open streams of one application, as its caps and revocations see them.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    inner: Mutex<Inner>,
    /// The cap on new streams per address, when the app sets one.
    #[cfg(feature = "rate-limit")]
    pub(crate) new_streams: std::sync::OnceLock<super::rate::NewStreams>,
}

#[derive(Debug, Default)]
struct Inner {
    principals: HashMap<Arc<str>, Open>,
    addresses: HashMap<IpAddr, Open>,
    /// The streams each revocation key other than a principal (a session...) would end; a
    /// principal's are in its entry of `principals`, which saves an entry per principal.
    revocable: HashMap<Arc<str>, Vec<Weak<Ticket>>>,
}

/// One principal's or address's open streams: in all, and per route.
#[derive(Debug, Default)]
struct Open {
    total: u32,
    /// Per route (by its path), the routes with at least one stream: as many as the routes
    /// the principal or address has streams on.
    routes: Vec<(&'static str, u32)>,
    /// A principal's streams, which revoking it ends (empty for an address).
    streams: Vec<Weak<Ticket>>,
}

impl Open {
    fn on(&self, route: &'static str) -> u32 {
        self.routes
            .iter()
            .find(|(path, _)| *path == route)
            .map_or(0, |(_, n)| *n)
    }

    fn add(&mut self, route: &'static str) {
        self.total += 1;
        match self.routes.iter_mut().find(|(path, _)| *path == route) {
            Some((_, n)) => *n += 1,
            None => {
                // Most principals and addresses have streams on one route: room for one, not
                // the four a first push makes.
                self.routes.reserve_exact(1);
                self.routes.push((route, 1));
            }
        }
    }

    /// Takes one stream of `route` off; whether none is left.
    fn remove(&mut self, route: &'static str) -> bool {
        self.total = self.total.saturating_sub(1);
        if let Some(at) = self.routes.iter().position(|(path, _)| *path == route) {
            self.routes[at].1 -= 1;
            if self.routes[at].1 == 0 {
                self.routes.swap_remove(at);
            }
        }
        self.total == 0
    }
}

/// The caps one stream is admitted under: the app's (all routes) and its route's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Caps {
    pub(crate) app_per_principal: Option<u32>,
    pub(crate) app_per_address: Option<u32>,
    pub(crate) route_per_principal: Option<u32>,
    pub(crate) route_per_address: Option<u32>,
}

impl Caps {
    /// Whether any cap counts streams by address: then every stream of the route is counted,
    /// guarded or not.
    pub(crate) fn by_address(&self) -> bool {
        self.app_per_address.is_some() || self.route_per_address.is_some()
    }
}

/// Which cap a stream would go past.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Over {
    /// The principal's, app-wide or on the route: the cap.
    Principal(u32),
    /// The address's, app-wide or on the route: the cap.
    Address(u32),
}

/// Whether `open` may take one more stream of `route` under the caps `app` and `on_route`: the
/// cap it would go past, if any.
fn over(
    open: Option<&Open>,
    route: &'static str,
    app: Option<u32>,
    on_route: Option<u32>,
) -> Option<u32> {
    let (total, here) = open.map_or((0, 0), |open| (open.total, open.on(route)));
    app.filter(|&cap| total >= cap)
        .or(on_route.filter(|&cap| here >= cap))
}

impl Tables {
    /// Counts a stream of `parts` in, unless it would go past a cap of `caps`: its ticket,
    /// registered under its revocation keys.
    pub(super) fn open(self: &Arc<Self>, parts: Parts, caps: &Caps) -> Result<Arc<Ticket>, Over> {
        let mut inner = lock(&self.inner);
        let route = parts.route;
        if let Some(principal) = &parts.principal {
            let open = inner.principals.get(principal);
            if let Some(cap) = over(
                open,
                route,
                caps.app_per_principal,
                caps.route_per_principal,
            ) {
                return Err(Over::Principal(cap));
            }
        }
        if let Some(address) = &parts.address {
            let open = inner.addresses.get(address);
            if let Some(cap) = over(open, route, caps.app_per_address, caps.route_per_address) {
                return Err(Over::Address(cap));
            }
        }
        // Counted from here: the ticket counts itself out when dropped.
        let ticket = Arc::new(Ticket::new(Arc::clone(self), parts));
        if let Some(principal) = &ticket.principal {
            let open = inner.principals.entry(Arc::clone(principal)).or_default();
            open.add(route);
            open.streams.reserve_exact(1);
            open.streams.push(Arc::downgrade(&ticket));
        }
        if let Some(address) = ticket.address {
            inner.addresses.entry(address).or_default().add(route);
        }
        for key in ticket.revocation_keys() {
            inner
                .revocable
                .entry(Arc::clone(key))
                .or_insert_with(|| Vec::with_capacity(1))
                .push(Arc::downgrade(&ticket));
        }
        Ok(ticket)
    }

    /// The stream of `ticket` is gone (its last pointer is being dropped): counted out, and out
    /// of the revocation index.
    pub(super) fn close(&self, ticket: &Ticket) {
        let mut inner = lock(&self.inner);
        let route = ticket.route;
        if let Some(principal) = &ticket.principal
            && let Some(open) = inner.principals.get_mut(principal)
        {
            // The ticket being dropped no longer upgrades: it goes with any other gone one.
            open.streams.retain(|stream| stream.strong_count() > 0);
            if open.remove(route) {
                inner.principals.remove(principal);
            }
        }
        if let Some(address) = &ticket.address
            && inner
                .addresses
                .get_mut(address)
                .is_some_and(|open| open.remove(route))
        {
            inner.addresses.remove(address);
        }
        for key in ticket.revocation_keys() {
            if let Some(streams) = inner.revocable.get_mut(key) {
                // The ticket being dropped no longer upgrades: it goes with any other gone one.
                streams.retain(|stream| stream.strong_count() > 0);
                if streams.is_empty() {
                    inner.revocable.remove(key);
                }
            }
        }
    }

    /// Ends every open stream registered under `key`; how many.
    pub(crate) fn revoke(&self, key: &str) -> usize {
        let wakers: Vec<Option<Waker>> = {
            let inner = lock(&self.inner);
            let principal = inner.principals.get(key).map(|open| &open.streams);
            principal
                .into_iter()
                .chain(inner.revocable.get(key))
                .flatten()
                .filter_map(Weak::upgrade)
                .map(|ticket| ticket.revoke())
                .collect()
        };
        let ended = wakers.len();
        // Woken outside the lock: a waker may run code of its own.
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
        ended
    }

    /// How many streams `principal` has open (all routes).
    #[cfg(test)]
    pub(crate) fn principal_streams(&self, principal: &str) -> u32 {
        lock(&self.inner)
            .principals
            .get(principal)
            .map_or(0, |open| open.total)
    }

    /// Whether every table is empty.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        let inner = lock(&self.inner);
        inner.principals.is_empty() && inner.addresses.is_empty() && inner.revocable.is_empty()
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(principal: &str, address: [u8; 4], key: &str) -> Parts {
        Parts {
            route: "/events",
            principal: Some(principal.into()),
            keys: vec![key.into()],
            address: Some(IpAddr::from(address)),
            ends_at: None,
        }
    }

    #[test]
    fn the_tables_hold_only_what_is_open_and_refuse_past_a_cap() {
        let tables = Arc::new(Tables::default());
        let caps = Caps {
            route_per_principal: Some(2),
            app_per_address: Some(3),
            ..Caps::default()
        };
        let first = tables
            .open(parts("user:a", [10, 0, 0, 1], "s:1"), &caps)
            .unwrap();
        let second = tables
            .open(parts("user:a", [10, 0, 0, 2], "s:2"), &caps)
            .unwrap();
        assert_eq!(
            tables
                .open(parts("user:a", [10, 0, 0, 3], "s:3"), &caps)
                .err(),
            Some(Over::Principal(2))
        );
        // A refusal counts nothing.
        assert_eq!(tables.principal_streams("user:a"), 2);
        let others: Vec<_> = (0..3)
            .map(|n| tables.open(parts(&format!("user:{n}"), [10, 0, 0, 9], "k"), &caps))
            .collect();
        assert!(others.iter().all(Result::is_ok));
        assert_eq!(
            tables
                .open(parts("user:z", [10, 0, 0, 9], "k"), &caps)
                .err(),
            Some(Over::Address(3))
        );
        // A revocation reaches the streams of its key only.
        assert_eq!(tables.revoke("s:2"), 1);
        assert!(second.is_revoked() && !first.is_revoked());
        assert_eq!(tables.revoke("k"), 3);
        drop((first, second, others));
        assert!(tables.is_empty(), "every entry goes with its last stream");
    }
}

//! Revocations through the hub: who, in this process, hears that a principal's (or a
//! session's) streams must end, whichever instance of the app said so.

use std::sync::{Arc, Mutex};

/// A listener: told each revoked key; false once what it served is gone (then it is dropped).
type Listener = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The listeners of one hub in this process: the apps built with it (their open streams) and
/// whatever the app added ([`Hub::on_revoke`](super::Hub::on_revoke)). As many as those; a
/// gone app's is dropped at the next revocation.
#[derive(Default)]
pub(crate) struct Listeners {
    list: Mutex<Vec<Listener>>,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners").finish_non_exhaustive()
    }
}

impl Listeners {
    pub(crate) fn add(&self, listener: impl Fn(&str) -> bool + Send + Sync + 'static) {
        crate::heartbeat::lock(&self.list).push(Arc::new(listener));
    }

    /// Tells every listener that `key` is revoked.
    pub(crate) fn deliver(&self, key: &str) {
        // Called outside the lock: a listener may take locks of its own.
        let listeners: Vec<Listener> = crate::heartbeat::lock(&self.list).clone();
        let gone: Vec<Listener> = listeners
            .into_iter()
            .filter(|listener| !listener(key))
            .collect();
        if !gone.is_empty() {
            crate::heartbeat::lock(&self.list)
                .retain(|listener| !gone.iter().any(|gone| Arc::ptr_eq(gone, listener)));
        }
    }
}

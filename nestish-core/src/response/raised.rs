//! [`Raised`]: the error an error answer was made from, carried in its extensions so that the
//! exception filters (see `filter`) can catch it by type, wherever the answer was built.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::AnyError;
use crate::BoxError;

/// Whether an app with exception filters has been built in this process: until one has, no
/// error answer carries its error (an allocation no one would read), and an uncaught exception
/// is logged at once. Never unset: carrying the error is always right, only not always needed.
static FILTERS_IN_USE: AtomicBool = AtomicBool::new(false);

/// An app with exception filters is built: error answers carry their error from now on.
pub(crate) fn filters_in_use() {
    FILTERS_IN_USE.store(true, Ordering::Relaxed);
}

/// Whether error answers carry their error (see `FILTERS_IN_USE`).
pub(crate) fn wanted() -> bool {
    FILTERS_IN_USE.load(Ordering::Relaxed)
}

/// The error an error answer was made from, in its extensions, for the filters to catch.
/// Shared (extensions must be `Clone`); an `Exception` (see `filter`) that no filter caught
/// is logged when the last copy goes, with the answer.
#[derive(Clone)]
pub(crate) struct Raised(Arc<RaisedError>);

struct RaisedError {
    error: AnyError,
    /// Logged if it goes uncaught: an exception, not an `HttpError` answered as meant.
    log: bool,
    caught: AtomicBool,
}

impl Raised {
    /// An `HttpError`, answered with NestJS's body when no filter catches it.
    pub(crate) fn answered(error: BoxError) -> Self {
        Self(Arc::new(RaisedError {
            error: AnyError(error),
            log: false,
            caught: AtomicBool::new(false),
        }))
    }

    /// An exception, answered 500 and logged when no filter catches it.
    pub(crate) fn uncaught_is_logged(error: BoxError) -> Self {
        Self(Arc::new(RaisedError {
            error: AnyError(error),
            log: true,
            caught: AtomicBool::new(false),
        }))
    }
}

impl Raised {
    /// The error.
    pub(crate) fn error(&self) -> &AnyError {
        &self.0.error
    }

    /// A filter caught it: not logged as uncaught.
    pub(crate) fn caught(&self) {
        self.0.caught.store(true, Ordering::Relaxed);
    }
}

impl Drop for RaisedError {
    fn drop(&mut self) {
        if self.log && !self.caught.load(Ordering::Relaxed) {
            uncaught(&self.error.0);
        }
    }
}

/// Logs an exception no filter caught.
pub(crate) fn uncaught(error: &BoxError) {
    tracing::error!(
        error = %error,
        detail = ?error,
        "a route's error was caught by no exception filter: answered 500"
    );
}

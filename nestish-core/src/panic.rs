//! Turning a caught panic's payload into text for the log.

use std::any::Any;

/// The panic's message, when it is a string (as `panic!("...")` makes it).
pub(crate) fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic with a non-string payload")
}

//! `#[header("x-tenant")]` and `#[last_event_id]`: request headers.

use std::fmt::Display;
use std::str::FromStr;

use super::{RequestParts, parse_value, required};
use crate::HttpError;

/// The header `name` (the first, if repeated), parsed.
///
/// # Errors
///
/// 400 when it is absent, not visible ASCII, or does not parse as `T`.
pub fn header<T>(parts: &RequestParts, name: &str) -> Result<T, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    required("header", name, header_opt(parts, name)?)
}

/// The header `name`, or `None` when the request does not have it.
///
/// # Errors
///
/// 400 when it is there but is not visible ASCII or does not parse as `T`.
pub fn header_opt<T>(parts: &RequestParts, name: &str) -> Result<Option<T>, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    let Some(value) = parts.headers.get(name) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| HttpError::bad_request(format!("header \"{name}\" is not visible ASCII")))?;
    parse_value("header", name, text).map(Some)
}

/// `#[last_event_id]`: the `Last-Event-ID` header, parsed; required.
///
/// # Errors
///
/// 400 when it is absent (or empty), not visible ASCII, or does not parse as `T`.
pub fn last_event_id<T>(parts: &RequestParts) -> Result<T, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    required("header", LAST_EVENT_ID, last_event_id_opt(parts)?)
}

/// `#[last_event_id]` as an `Option`: `None` when the header is absent or empty. A browser that
/// has seen no id sends none, but a proxy or a client library may send it empty, and an empty
/// id is the spec's "no last event id" (WHATWG HTML, 9.2.6).
///
/// # Errors
///
/// 400 when it is there, not empty, and not visible ASCII or does not parse as `T`.
pub fn last_event_id_opt<T>(parts: &RequestParts) -> Result<Option<T>, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    let empty = parts
        .headers
        .get(LAST_EVENT_ID)
        .is_some_and(|value| value.as_bytes().iter().all(u8::is_ascii_whitespace));
    if empty {
        return Ok(None);
    }
    header_opt(parts, LAST_EVENT_ID)
}

const LAST_EVENT_ID: &str = "last-event-id";

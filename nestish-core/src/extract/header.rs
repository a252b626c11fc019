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

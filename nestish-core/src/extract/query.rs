//! `#[query("page")]` and `#[query]`: the query string.

use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;

use super::{RequestParts, parse_value, required};
use crate::HttpError;

/// The query value `name` (the first one, if repeated), decoded and parsed.
///
/// # Errors
///
/// 400 when it is absent or does not parse as `T`.
pub fn query_value<T>(parts: &RequestParts, name: &str) -> Result<T, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    required("query parameter", name, query_value_opt(parts, name)?)
}

/// The query value `name`, or `None` when the query string does not have it.
///
/// # Errors
///
/// 400 when it is there but does not parse as `T`.
pub fn query_value_opt<T>(parts: &RequestParts, name: &str) -> Result<Option<T>, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    let query = parts.uri.query().unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| parse_value("query parameter", name, &value))
        .transpose()
}

/// The whole query string, deserialised into `T`.
///
/// # Errors
///
/// 400 naming what serde refused (a missing field, a value of the wrong type).
pub fn query_all<T: DeserializeOwned>(parts: &RequestParts, name: &str) -> Result<T, HttpError> {
    super::deserialize::query(parts.uri.query().unwrap_or("")).map_err(|error| {
        HttpError::bad_request(format!("query string (\"{name}\") is invalid: {error}"))
    })
}

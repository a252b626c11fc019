//! `#[param("id")]`: a path parameter.

use std::fmt::Display;
use std::str::FromStr;

use percent_encoding::percent_decode_str;

use crate::HttpError;

/// The values of a request's path parameters, in the order the route's path declares them.
#[derive(Debug, Default)]
pub struct PathParams(pub(crate) Vec<String>);

/// The path parameter `name`, the `index`-th of the route, percent-decoded and parsed.
///
/// # Errors
///
/// 400 when the value is not valid UTF-8 once decoded, or does not parse as `T`.
pub fn path_param<T>(params: &PathParams, index: usize, name: &str) -> Result<T, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    let raw = params.0.get(index).map_or("", String::as_str);
    if !valid_escapes(raw) {
        return Err(HttpError::bad_request(format!(
            "path parameter \"{name}\" has a `%` that does not start a percent-escape like `%20`"
        )));
    }
    let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| {
        HttpError::bad_request(format!(
            "path parameter \"{name}\" is not valid UTF-8 once percent-decoded"
        ))
    })?;
    super::parse_value("path parameter", name, &decoded)
}

/// Whether every `%` in `raw` starts a two-hex-digit escape.
fn valid_escapes(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

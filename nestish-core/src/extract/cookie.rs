//! `#[cookie("session")]`: one cookie of the request's `Cookie` header(s).
//!
//! The browser's way to authenticate an `EventSource`, which cannot send headers of its own.

use std::fmt::Display;
use std::str::FromStr;

use http::HeaderMap;
use http::header::COOKIE;

use super::{RequestParts, parse_value, required};
use crate::HttpError;

/// The value of the cookie `name`, as sent (RFC 6265 cookie values are opaque: no decoding;
/// the double quotes of a quoted value are removed). The first one wins when a name repeats.
/// HTTP/2 may split cookies over several `Cookie` fields: all are read.
pub(crate) fn find<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| {
            let value = value.trim();
            value
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .unwrap_or(value)
        })
}

/// `#[cookie("name")]`: the cookie `name`, parsed; required.
///
/// # Errors
///
/// 400 when it is absent or does not parse as `T`.
pub fn cookie<T>(parts: &RequestParts, name: &str) -> Result<T, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    required("cookie", name, cookie_opt(parts, name)?)
}

/// `#[cookie("name")]` as an `Option`: `None` when the request does not send it.
///
/// # Errors
///
/// 400 when it is there but does not parse as `T`.
pub fn cookie_opt<T>(parts: &RequestParts, name: &str) -> Result<Option<T>, HttpError>
where
    T: FromStr,
    T::Err: Display,
{
    find(&parts.headers, name)
        .map(|text| parse_value("cookie", name, text))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(lines: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(COOKIE, HeaderValue::from_static(line));
        }
        headers
    }

    #[test]
    fn finds_a_cookie_among_others_and_across_fields() {
        let map = headers(&["theme=dark; session=abc123", "lang=\"fr\""]);
        assert_eq!(find(&map, "session"), Some("abc123"));
        assert_eq!(find(&map, "lang"), Some("fr"));
        assert_eq!(find(&map, "theme"), Some("dark"));
        assert_eq!(find(&map, "sess"), None);
    }

    #[test]
    fn the_first_of_a_repeated_name_wins_and_empty_values_are_values() {
        let map = headers(&["a=1; a=2; b="]);
        assert_eq!(find(&map, "a"), Some("1"));
        assert_eq!(find(&map, "b"), Some(""));
    }
}

//! `#[cookie("session")]`: one cookie of the request's `Cookie` header(s).
//!
//! The browser's way to authenticate an `EventSource`, which cannot send headers of its own.

use std::fmt::Display;
use std::str::FromStr;

use http::HeaderMap;
use http::header::COOKIE;

use super::marker::{Optional, Parsed};
use super::{parse_value, required};
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

/// The type of a `#[cookie("name")]` argument: built from the value of the request's cookie
/// `name` as sent (RFC 6265 cookie values are opaque: no decoding; the double quotes of a quoted
/// value are removed; the first wins when a name repeats), or from its absence.
///
/// Every `T: FromStr` is one, and requires the cookie (its absence is a 400 naming it);
/// `Option<T>` of any of them is `None` when the request does not send it. A type of yours takes
/// part by implementing it (`Option<YourType>` works as well):
///
/// ```
/// use nestish_core::extract::FromCookie;
/// use nestish_core::{HttpError, controller, get};
///
/// /// A session id: 32 hexadecimal digits.
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct SessionId(pub String);
///
/// impl FromCookie for SessionId {
///     fn from_cookie(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
///         match value {
///             Some(id) if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) => {
///                 Ok(SessionId(id.to_owned()))
///             }
///             _ => Err(HttpError::unauthorized(format!("no valid {name} cookie"))),
///         }
///     }
/// }
///
/// #[derive(Default)]
/// pub struct MeController;
///
/// #[controller("me")]
/// impl MeController {
///     #[get]
///     fn me(&self, #[cookie("session")] session: SessionId) -> String {
///         session.0
///     }
/// }
/// ```
///
/// `M` tells the blanket implementations apart (see [`marker`](super::marker)); leave it out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a cookie",
    label = "not readable from #[cookie(\"name\")]",
    note = "a #[cookie] argument's type implements `FromStr` (or is an `Option` of one), or implements `nestish_core::extract::FromCookie`"
)]
pub trait FromCookie<M = ()>: Sized {
    /// Builds the value from the cookie's value, `None` when the request does not send it;
    /// `name` is the cookie's name, for messages.
    ///
    /// # Errors
    ///
    /// The answer when the cookie is missing or does not fit: a 400 naming it, usually.
    fn from_cookie(value: Option<&str>, name: &str) -> Result<Self, HttpError>;

    /// The parameter's schema and whether it may be absent, for the OpenAPI document (feature
    /// `openapi`): the type's JSON Schema, required. A type without a schema is a compile error
    /// at the route that takes it: derive or implement `schemars::JsonSchema` for it.
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> crate::openapi::ValueDoc
    where
        Self: schemars::JsonSchema,
    {
        crate::openapi::ValueDoc::required(schemas.subschema_for::<Self>())
    }
}

impl<T> FromCookie<Parsed> for T
where
    T: FromStr,
    T::Err: Display,
{
    fn from_cookie(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
        parse_value("cookie", name, required("cookie", name, value)?)
    }
}

impl<T: FromCookie<M>, M> FromCookie<Optional<M>> for Option<T> {
    fn from_cookie(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
        match value {
            None => Ok(None),
            Some(_) => T::from_cookie(value, name).map(Some),
        }
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> crate::openapi::ValueDoc
    where
        Self: schemars::JsonSchema,
    {
        crate::openapi::ValueDoc::optional(schemas.subschema_for::<Self>())
    }
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

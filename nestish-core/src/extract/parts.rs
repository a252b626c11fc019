//! [`RequestPartsExt`]: the lookups the argument attributes make, for code of one's own that
//! reads a request head (a [`CustomArgument`](super::CustomArgument) type, say).

use std::borrow::Cow;

use super::RequestParts;

/// What `#[query("name")]` and `#[cookie("name")]` look up, on a request's parts: generated code
/// hands what these find to [`FromQueryParam`](super::FromQueryParam) and
/// [`FromCookie`](super::FromCookie), and a type that reads itself can use them too.
///
/// ```
/// use nestish_core::extract::{CustomArgument, RequestPartsExt};
/// use nestish_core::{HttpError, RequestParts};
///
/// /// The session token, from the `token` query parameter or else the `session` cookie.
/// pub struct Token(pub String);
///
/// impl CustomArgument for Token {
///     fn from_parts(parts: &RequestParts) -> Result<Self, HttpError> {
///         let from_query = parts.query_param("token");
///         let token = from_query.as_deref().or(parts.cookie("session"));
///         token.map(|token| Token(token.to_owned())).ok_or_else(|| HttpError::unauthorized("no token"))
///     }
/// }
///
/// let request = http::Request::get("/?token=a%20b").body(()).unwrap();
/// let (parts, ()) = request.into_parts();
/// assert_eq!(Token::from_parts(&parts).unwrap().0, "a b");
/// ```
pub trait RequestPartsExt {
    /// The query parameter `name` (the first, if it repeats), form-decoded (`+` and `%20` are
    /// spaces): borrowed unless it holds an escape.
    fn query_param(&self, name: &str) -> Option<Cow<'_, str>>;

    /// The cookie `name`, as sent (RFC 6265 cookie values are opaque: no decoding; the double
    /// quotes of a quoted value are removed). The first wins when a name repeats; HTTP/2 may
    /// split cookies over several `Cookie` fields, and all are read.
    fn cookie(&self, name: &str) -> Option<&str>;
}

impl RequestPartsExt for RequestParts {
    fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        super::query::find(self, name)
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        super::cookie::find(&self.headers, name)
    }
}

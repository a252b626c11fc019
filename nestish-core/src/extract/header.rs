//! `#[header("x-tenant")]` and `#[last_event_id]`: request headers.

use std::fmt::{Display, Write};
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
/// 400 when it is absent (or empty), not visible ASCII, does not parse as `T`, or is not
/// written as `T` writes itself (see [`last_event_id_opt`]).
pub fn last_event_id<T>(parts: &RequestParts) -> Result<T, HttpError>
where
    T: FromStr + Display,
    T::Err: Display,
{
    required("header", LAST_EVENT_ID, last_event_id_opt(parts)?)
}

/// `#[last_event_id]` as an `Option`: `None` when the header is absent or empty. A browser that
/// has seen no id sends none, but a proxy or a client library may send it empty, and an empty
/// id is the spec's "no last event id" (WHATWG HTML, 9.2.6).
///
/// Any other value must be the id exactly as `T` writes it (`T`'s `Display`), since that is how
/// the server wrote it on the wire and how the browser sends it back: `+3`, `03`, ` 3` or `3 `
/// for a `u64` are refused, not read as 3, and no value may start or end with a space. A client that spells an id its own way has a bug or
/// is probing, and a lenient reading would only hide it. A malformed value is refused for an
/// `Option<T>` argument too: `None` means "no id was sent", never "the id was unreadable".
///
/// # Errors
///
/// 400 when it is there, not empty, and not visible ASCII, does not parse as `T`, or is not in
/// `T`'s canonical form.
pub fn last_event_id_opt<T>(parts: &RequestParts) -> Result<Option<T>, HttpError>
where
    T: FromStr + Display,
    T::Err: Display,
{
    let Some(value) = parts.headers.get(LAST_EVENT_ID) else {
        return Ok(None);
    };
    if value.as_bytes().iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let not_canonical = || {
        HttpError::bad_request(format!(
            "header \"{LAST_EVENT_ID}\" is invalid: not written as the server writes its ids \
             (no sign, no spaces, no leading zeros)"
        ))
    };
    // A field value never starts or ends with a space (RFC 9110, 5.5; HTTP/2 calls such a
    // request malformed), whatever `T`.
    let sent = value.to_str().unwrap_or_default();
    if sent.trim_ascii() != sent {
        return Err(not_canonical());
    }
    let Some(id) = header_opt::<T>(parts, LAST_EVENT_ID)? else {
        return Ok(None);
    };
    if !writes_as(&id, sent) {
        return Err(not_canonical());
    }
    Ok(Some(id))
}

/// Whether `value` is written exactly as `text`, compared as it is formatted: no allocation.
fn writes_as(value: &impl Display, text: &str) -> bool {
    /// Consumes `rest` as long as what is written matches it.
    struct Matches<'a> {
        rest: &'a str,
    }
    impl Write for Matches<'_> {
        fn write_str(&mut self, written: &str) -> std::fmt::Result {
            self.rest = self.rest.strip_prefix(written).ok_or(std::fmt::Error)?;
            Ok(())
        }
    }
    let mut matches = Matches { rest: text };
    write!(matches, "{value}").is_ok() && matches.rest.is_empty()
}

const LAST_EVENT_ID: &str = "last-event-id";

#[cfg(test)]
mod tests {
    use super::writes_as;

    #[test]
    fn a_value_writes_as_its_canonical_text_only() {
        assert!(writes_as(&3_u64, "3"));
        assert!(writes_as(&-3_i64, "-3"));
        assert!(writes_as(&"a b".to_owned(), "a b"));
        for other in ["+3", "03", " 3", "3 ", "", "33"] {
            assert!(!writes_as(&3_u64, other), "{other:?}");
        }
    }
}

//! `#[header("x-tenant")]` and `#[last_event_id]`: request headers, and the traits their
//! arguments' types implement, [`FromHeader`] and [`FromLastEventId`].

use std::fmt::{Display, Write};
use std::str::FromStr;

use http::HeaderValue;

use super::marker::{Optional, Parsed};
use super::{parse_value, required};
use crate::HttpError;

/// The type of a `#[header("name")]` argument: built from the request's header `name` (the
/// first, if it repeats), or from its absence.
///
/// Every `T: FromStr` is one: it requires the header, and reads it when it is visible ASCII
/// (a 400 names the header otherwise); `Option<T>` of any of them is `None` when the request
/// does not have it. A type of yours takes part by implementing it, with the raw value in hand
/// (`Option<YourType>` works as well):
///
/// ```
/// use nestish_core::extract::FromHeader;
/// use nestish_core::{HttpError, controller, get};
/// use nestish_core::header::HeaderValue;
///
/// /// The tenant a request is for, from a header a proxy sets.
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct Tenant(pub String);
///
/// impl FromHeader for Tenant {
///     fn from_header(value: Option<&HeaderValue>, name: &str) -> Result<Self, HttpError> {
///         let value = value.ok_or_else(|| HttpError::bad_request(format!("{name} is required")))?;
///         let text = value.to_str().map_err(|_| HttpError::bad_request("not ASCII"))?;
///         Ok(Tenant(text.to_ascii_lowercase()))
///     }
/// }
///
/// #[derive(Default)]
/// pub struct TenantController;
///
/// #[controller("tenant")]
/// impl TenantController {
///     #[get]
///     fn name(&self, #[header("x-tenant")] tenant: Tenant) -> String {
///         tenant.0
///     }
///
///     #[get("maybe")]
///     fn maybe(&self, #[header("x-tenant")] tenant: Option<Tenant>) -> String {
///         tenant.map_or_else(|| "none".to_owned(), |tenant| tenant.0)
///     }
/// }
/// ```
///
/// `M` tells the blanket implementations apart (see [`marker`](super::marker)); leave it out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a header",
    label = "not readable from #[header(\"name\")]",
    note = "a #[header] argument's type implements `FromStr` (or is an `Option` of one), or implements `nestish_core::extract::FromHeader`"
)]
pub trait FromHeader<M = ()>: Sized {
    /// Builds the value from the header's value, `None` when the request does not have it;
    /// `name` is the header's name, for messages.
    ///
    /// # Errors
    ///
    /// The answer when the header is missing or does not fit: a 400 naming it, usually.
    fn from_header(value: Option<&HeaderValue>, name: &str) -> Result<Self, HttpError>;

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

impl<T> FromHeader<Parsed> for T
where
    T: FromStr,
    T::Err: Display,
{
    fn from_header(value: Option<&HeaderValue>, name: &str) -> Result<Self, HttpError> {
        parse_value(
            "header",
            name,
            text("header", name, required("header", name, value)?)?,
        )
    }
}

impl<T: FromHeader<M>, M> FromHeader<Optional<M>> for Option<T> {
    fn from_header(value: Option<&HeaderValue>, name: &str) -> Result<Self, HttpError> {
        match value {
            None => Ok(None),
            Some(_) => T::from_header(value, name).map(Some),
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

/// A header's value as text: 400 unless it is visible ASCII.
fn text<'a>(what: &str, name: &str, value: &'a HeaderValue) -> Result<&'a str, HttpError> {
    value
        .to_str()
        .map_err(|_| HttpError::bad_request(format!("{what} \"{name}\" is not visible ASCII")))
}

/// The type of a `#[last_event_id]` argument: built from the `Last-Event-ID` header a browser's
/// `EventSource` sends when it reconnects, or from its absence.
///
/// An empty (or blank) header counts as absent: a proxy or a client library may send it
/// empty, and an empty id is the spec's "no last event id" (WHATWG HTML, 9.2.6).
///
/// Every `T: FromStr + Display` is one, and requires the header; `Option<T>` of any of them is
/// `None` when no id was sent. Any value sent must be the id exactly as `T` writes it (`T`'s
/// `Display`), since that is how the server wrote it on the wire and how the browser sends it
/// back: `+3`, `03`, ` 3` or `3 ` for a `u64` are refused, not read as 3, and no value may start
/// or end with a space. A client that spells an id its own way has a bug or is probing, and a
/// lenient reading would only hide it. A malformed value is refused for an `Option<T>` argument
/// too: `None` means "no id was sent", never "the id was unreadable".
///
/// A type of yours takes part by implementing it (`Option<YourType>` works as well):
///
/// ```
/// use futures::stream::{self, Stream, StreamExt};
/// use nestish_core::extract::FromLastEventId;
/// use nestish_core::header::HeaderValue;
/// use nestish_core::{HttpError, MessageEvent, controller, sse};
///
/// /// A position written `<epoch>-<seq>`, as the server writes its ids.
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct Position(pub u32, pub u64);
///
/// impl FromLastEventId for Position {
///     fn from_last_event_id(value: Option<&HeaderValue>) -> Result<Self, HttpError> {
///         let bad = || HttpError::bad_request("Last-Event-ID is <epoch>-<seq>");
///         let text = value.and_then(|v| v.to_str().ok()).ok_or_else(bad)?;
///         let (epoch, seq) = text.split_once('-').ok_or_else(bad)?;
///         Ok(Position(epoch.parse().map_err(|_| bad())?, seq.parse().map_err(|_| bad())?))
///     }
/// }
///
/// #[derive(Default)]
/// pub struct FeedController;
///
/// #[controller("feed")]
/// impl FeedController {
///     #[sse]
///     fn feed(
///         &self,
///         #[last_event_id] after: Option<Position>,
///     ) -> impl Stream<Item = MessageEvent> + Send + 'static {
///         let next = after.map_or(0, |position| position.1 + 1);
///         stream::iter(next..3).map(|seq| {
///             MessageEvent::new("tick").id(format!("1-{seq}")).expect("no line break")
///         })
///     }
/// }
/// ```
///
/// `M` tells the blanket implementations apart (see [`marker`](super::marker)); leave it out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from the Last-Event-ID header",
    label = "not readable from #[last_event_id]",
    note = "a #[last_event_id] argument's type implements `FromStr + Display` (or is an `Option` of one), or implements `nestish_core::extract::FromLastEventId`"
)]
pub trait FromLastEventId<M = ()>: Sized {
    /// Builds the value from the header, `None` when it is absent or blank.
    ///
    /// # Errors
    ///
    /// The answer when the id is missing or does not fit: a 400, usually.
    fn from_last_event_id(value: Option<&HeaderValue>) -> Result<Self, HttpError>;

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

impl<T> FromLastEventId<Parsed> for T
where
    T: FromStr + Display,
    T::Err: Display,
{
    fn from_last_event_id(value: Option<&HeaderValue>) -> Result<Self, HttpError> {
        let value = required("header", LAST_EVENT_ID, value.filter(|value| !blank(value)))?;
        let not_canonical = || {
            HttpError::bad_request(format!(
                "header \"{LAST_EVENT_ID}\" is invalid: not written as the server writes its ids \
                 (no sign, no spaces, no leading zeros)"
            ))
        };
        let sent = text("header", LAST_EVENT_ID, value)?;
        // A field value never starts or ends with a space (RFC 9110, 5.5; HTTP/2 calls such a
        // request malformed), whatever `T`.
        if sent.trim_ascii() != sent {
            return Err(not_canonical());
        }
        let id: T = parse_value("header", LAST_EVENT_ID, sent)?;
        if !writes_as(&id, sent) {
            return Err(not_canonical());
        }
        Ok(id)
    }
}

impl<T: FromLastEventId<M>, M> FromLastEventId<Optional<M>> for Option<T> {
    fn from_last_event_id(value: Option<&HeaderValue>) -> Result<Self, HttpError> {
        match value {
            Some(sent) if !blank(sent) => T::from_last_event_id(value).map(Some),
            _ => Ok(None),
        }
    }

    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> crate::openapi::ValueDoc
    where
        Self: schemars::JsonSchema,
    {
        // A blank header is read as none, as a browser sends it after an empty `id:`.
        let mut doc = crate::openapi::ValueDoc::optional(schemas.subschema_for::<Self>());
        let blank = schemars::json_schema!({ "type": "string", "pattern": "^[ \\t]*$" });
        doc.schema = schemars::json_schema!({ "anyOf": [doc.schema, blank] });
        doc
    }
}

/// Whether a header's value is empty or spaces only: no value at all.
fn blank(value: &HeaderValue) -> bool {
    value.as_bytes().iter().all(u8::is_ascii_whitespace)
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

/// The header `#[last_event_id]` reads.
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

//! `#[param("id")]`: a path parameter, and [`FromParam`], the trait its argument's type
//! implements.

use std::borrow::Cow;
use std::fmt::Display;
use std::str::FromStr;

use percent_encoding::percent_decode_str;

use crate::HttpError;

/// The type of a `#[param("name")]` argument: built from the path parameter's text,
/// percent-decoded (`%20` is a space; a `%` that starts no escape, or text that is not UTF-8
/// once decoded, is a 400 before this is called).
///
/// Every `T: FromStr` is one (`u64`, `String`, `uuid::Uuid`, an enum of yours with `FromStr`):
/// a value that does not parse answers 400 naming the parameter and `FromStr`'s error. Implement
/// it yourself for a type that reads the text its own way (a type without `FromStr`):
///
/// ```
/// use nestish_core::extract::FromParam;
/// use nestish_core::{HttpError, controller, get};
///
/// /// An order number written `ord-42`.
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct OrderNumber(pub u64);
///
/// impl FromParam for OrderNumber {
///     fn from_param(value: &str, name: &str) -> Result<Self, HttpError> {
///         value
///             .strip_prefix("ord-")
///             .and_then(|digits| digits.parse().ok())
///             .map(OrderNumber)
///             .ok_or_else(|| HttpError::bad_request(format!("{name} is written ord-<number>")))
///     }
/// }
///
/// #[derive(Default)]
/// pub struct OrdersController;
///
/// #[controller("orders")]
/// impl OrdersController {
///     #[get(":number")]
///     fn one(&self, #[param("number")] number: OrderNumber) -> String {
///         format!("order {}", number.0)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a path parameter",
    label = "not readable from the path",
    note = "a #[param] argument's type implements `FromStr`, or `nestish_core::extract::FromParam` for a type that reads the text its own way"
)]
pub trait FromParam: Sized {
    /// Builds the value from the parameter's percent-decoded text; `name` is the parameter's
    /// name, for messages.
    ///
    /// # Errors
    ///
    /// The answer when the text does not fit the type: a 400 naming the parameter, usually.
    fn from_param(value: &str, name: &str) -> Result<Self, HttpError>;

    /// The parameter's schema, for the OpenAPI document (feature `openapi`): the type's JSON
    /// Schema. A type without one is a compile error at the route that takes it: derive or
    /// implement `schemars::JsonSchema` for it.
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> schemars::Schema
    where
        Self: schemars::JsonSchema,
    {
        schemas.subschema_for::<Self>()
    }
}

impl<T> FromParam for T
where
    T: FromStr,
    T::Err: Display,
{
    fn from_param(value: &str, name: &str) -> Result<Self, HttpError> {
        super::parse_value("path parameter", name, value)
    }
}

/// The values of a request's path parameters, in the order the route's path declares them.
///
/// Not public API: generated code reads it through `nestish_core::__private`.
#[derive(Debug, Default)]
pub struct PathParams(pub(crate) Vec<String>);

impl PathParams {
    /// The path parameter `name`, the `index`-th of the route, percent-decoded: borrowed unless
    /// it holds an escape.
    ///
    /// # Errors
    ///
    /// 400 when a `%` starts no escape, or the value is not valid UTF-8 once decoded.
    pub fn decoded(&self, index: usize, name: &str) -> Result<Cow<'_, str>, HttpError> {
        let raw = self.0.get(index).map_or("", String::as_str);
        if !valid_escapes(raw) {
            return Err(HttpError::bad_request(format!(
                "path parameter \"{name}\" has a `%` that does not start a percent-escape like `%20`"
            )));
        }
        percent_decode_str(raw).decode_utf8().map_err(|_| {
            HttpError::bad_request(format!(
                "path parameter \"{name}\" is not valid UTF-8 once percent-decoded"
            ))
        })
    }
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

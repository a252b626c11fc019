//! `#[query("page")]` and `#[query]`: the query string, and the traits their arguments' types
//! implement, [`FromQueryParam`] and [`FromQuery`].

use std::borrow::Cow;
use std::fmt::Display;
use std::str::FromStr;

use serde::de::DeserializeOwned;

use super::marker::{Optional, Parsed};
use super::{RequestParts, parse_value, required};
use crate::HttpError;

/// The type of a `#[query("name")]` argument: built from the value of one query parameter (the
/// first, if it repeats), form-decoded, or from its absence.
///
/// Every `T: FromStr` is one, and requires the parameter (its absence is a 400 naming it);
/// `Option<T>` of any of them is one too, and is `None` when the query string does not have
/// it. A type of yours takes part by implementing it (with the default marker, so
/// `Option<YourType>` works as well):
///
/// ```
/// use nestish_core::extract::FromQueryParam;
/// use nestish_core::{HttpError, controller, get};
///
/// /// A sort order, `asc` unless the query says `desc`.
/// #[derive(Debug)]
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub enum Order { Asc, Desc }
///
/// impl FromQueryParam for Order {
///     fn from_query_param(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
///         match value {
///             None | Some("asc") => Ok(Order::Asc),
///             Some("desc") => Ok(Order::Desc),
///             Some(_) => Err(HttpError::bad_request(format!("{name} is asc or desc"))),
///         }
///     }
/// }
///
/// #[derive(Default)]
/// pub struct ItemsController;
///
/// #[controller("items")]
/// impl ItemsController {
///     #[get]
///     fn list(&self, #[query("order")] order: Order, #[query("page")] page: Option<u32>) -> String {
///         format!("{order:?}, page {page:?}")
///     }
/// }
/// ```
///
/// `M` tells the blanket implementations apart (see [`marker`](super::marker)); leave it out.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a query parameter",
    label = "not readable from #[query(\"name\")]",
    note = "a #[query(\"name\")] argument's type implements `FromStr` (or is an `Option` of one), or implements `nestish_core::extract::FromQueryParam`; #[query] without a name reads the whole query string into a `Deserialize` type"
)]
pub trait FromQueryParam<M = ()>: Sized {
    /// Builds the value from the parameter's decoded text, `None` when the query string does not
    /// have it; `name` is the parameter's name, for messages.
    ///
    /// # Errors
    ///
    /// The answer when the value is missing or does not fit: a 400 naming the parameter.
    fn from_query_param(value: Option<&str>, name: &str) -> Result<Self, HttpError>;

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

impl<T> FromQueryParam<Parsed> for T
where
    T: FromStr,
    T::Err: Display,
{
    fn from_query_param(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
        parse_value(
            "query parameter",
            name,
            required("query parameter", name, value)?,
        )
    }
}

impl<T: FromQueryParam<M>, M> FromQueryParam<Optional<M>> for Option<T> {
    fn from_query_param(value: Option<&str>, name: &str) -> Result<Self, HttpError> {
        match value {
            None => Ok(None),
            Some(_) => T::from_query_param(value, name).map(Some),
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

/// The type of a `#[query]` argument (no name): the whole query string, as NestJS's
/// `@Query()` gives it.
///
/// Every `T: Deserialize` is one (a 400 names what serde refused), and so is
/// [`Valid<T>`](crate::Valid) (feature `validation`), which also checks `T`'s rules. A type of
/// yours may read the raw query string itself:
///
/// ```
/// use nestish_core::extract::FromQuery;
/// use nestish_core::{HttpError, controller, get};
///
/// /// The query string's keys, in order.
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct Keys(pub Vec<String>);
///
/// impl FromQuery for Keys {
///     fn from_query(query: &str, _name: &str) -> Result<Self, HttpError> {
///         let keys = query.split('&').filter(|pair| !pair.is_empty());
///         Ok(Keys(keys.map(|pair| pair.split('=').next().unwrap_or("").to_owned()).collect()))
///     }
/// }
///
/// #[derive(Default)]
/// pub struct EchoController;
///
/// #[controller("echo")]
/// impl EchoController {
///     #[get]
///     fn keys(&self, #[query] keys: Keys) -> String {
///         keys.0.join(",")
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from the query string",
    label = "not readable from #[query]",
    note = "a #[query] argument's type implements `serde::Deserialize` (or is `Valid<T>` of one, feature `validation`), or implements `nestish_core::extract::FromQuery`; #[query(\"name\")] reads one parameter"
)]
pub trait FromQuery: Sized {
    /// Builds the value from the raw query string (`""` when the request has none); `name` is
    /// the argument's name, for messages.
    ///
    /// # Errors
    ///
    /// The answer when the query string does not fit: a 400 saying why, usually.
    fn from_query(query: &str, name: &str) -> Result<Self, HttpError>;

    /// The query string's schema, for the OpenAPI document (feature `openapi`): an object
    /// whose properties are the parameters. A type without one is a compile error at the route
    /// that takes it: derive or implement `schemars::JsonSchema` for it.
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> schemars::Schema
    where
        Self: schemars::JsonSchema,
    {
        schemas.subschema_for::<Self>()
    }
}

impl<T: DeserializeOwned> FromQuery for T {
    fn from_query(query: &str, name: &str) -> Result<Self, HttpError> {
        super::deserialize::query(query).map_err(|error| {
            HttpError::bad_request(format!("query string (\"{name}\") is invalid: {error}"))
        })
    }
}

/// The value of the query parameter `name` (the first, if it repeats), form-decoded: borrowed
/// unless it holds an escape.
pub(crate) fn find<'a>(parts: &'a RequestParts, name: &str) -> Option<Cow<'a, str>> {
    let query = parts.uri.query().unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

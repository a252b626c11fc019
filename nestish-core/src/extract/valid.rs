//! Pipes: [`Valid<T>`], NestJS's `ValidationPipe` for `#[body]` and `#[query]` arguments, with
//! [garde](https://docs.rs/garde). Behind the `validation` feature.

use std::ops::{Deref, DerefMut};

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::body::require_json;
use super::{FromBody, FromQuery, RequestParts, deserialize};
use crate::{HttpError, Json};

/// A `#[body] Valid<Json<T>>` or `#[query] Valid<T>` argument: deserialised, then checked with
/// `T`'s `garde::Validate` rules before the handler runs. A failure answers 400 with NestJS's
/// `ValidationPipe` body, every problem with its field path:
/// `{"statusCode":400,"message":["name: length is lower than 1","messages[0].text: ..."],"error":"Bad Request"}`.
/// A value that does not deserialise answers the same way, with serde's message and its path.
/// A message repeats at most a short prefix of what the client sent.
///
/// ```standalone_crate
/// use nestish_core::{Json, Valid, controller, get, post};
///
/// #[derive(serde::Deserialize, garde::Validate)]
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct NewRoom {
///     #[garde(length(min = 1, max = 40))]
///     pub name: String,
///     #[garde(range(max = 100))]
///     pub seats: u32,
/// }
///
/// #[derive(serde::Deserialize, garde::Validate)]
/// # #[cfg_attr(feature = "openapi", derive(nestish_core::openapi::schemars::JsonSchema), schemars(crate = "nestish_core::openapi::schemars"))]
/// pub struct Page {
///     #[garde(range(max = 50))]
///     pub size: u32,
/// }
///
/// #[derive(Default)]
/// pub struct RoomsController;
///
/// #[controller("rooms")]
/// impl RoomsController {
///     #[post]
///     fn create(&self, #[body] room: Valid<Json<NewRoom>>) -> String {
///         format!("{} ({} seats)", room.name, room.seats)
///     }
///
///     #[get]
///     fn list(&self, #[query] page: Valid<Page>) -> String {
///         format!("{} per page", page.size)
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Valid<T>(pub T);

/// Its schema is its value's, under its value's name (feature `openapi`).
#[cfg(feature = "openapi")]
impl<T: schemars::JsonSchema> schemars::JsonSchema for Valid<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<T> Deref for Valid<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Valid<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T> FromBody for Valid<Json<T>>
where
    T: DeserializeOwned + garde::Validate,
    T::Context: Default,
{
    fn from_body(parts: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        require_json(parts)?;
        let value: T =
            deserialize::json(&body).map_err(|error| HttpError::validation(vec![error]))?;
        check(&value)?;
        Ok(Self(Json(value)))
    }
}

impl<T> FromQuery for Valid<T>
where
    T: DeserializeOwned + garde::Validate,
    T::Context: Default,
{
    fn from_query(query: &str, _name: &str) -> Result<Self, HttpError> {
        let value: T =
            deserialize::query(query).map_err(|error| HttpError::validation(vec![error]))?;
        check(&value)?;
        Ok(Self(value))
    }
}

/// Runs `T`'s rules; every failure is one message, `path: what`.
fn check<T>(value: &T) -> Result<(), HttpError>
where
    T: garde::Validate,
    T::Context: Default,
{
    value.validate().map_err(|report| {
        let messages = report
            .iter()
            .map(|(path, error)| {
                let path = path.to_string();
                let message = deserialize::clip(&error.to_string());
                if path.is_empty() {
                    message
                } else {
                    format!("{path}: {message}")
                }
            })
            .collect();
        HttpError::validation(messages)
    })
}

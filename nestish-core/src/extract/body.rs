//! `#[body]`: the request body, read up to a size limit.

use bytes::Bytes;
use http::StatusCode;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Limited};
use serde::de::DeserializeOwned;

use super::RequestBody;
use super::RequestParts;
use crate::{HttpError, Json};

/// A type a `#[body]` argument may have: [`Json<T>`], `String` or [`Bytes`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request body",
    label = "not a body type",
    note = "a #[body] argument is `Json<T>` (with `T: Deserialize`), `String` or `Bytes`"
)]
pub trait FromBody: Sized {
    /// Builds the value from the whole body.
    ///
    /// # Errors
    ///
    /// The 4xx answer when the body does not fit the type.
    fn from_body(parts: &RequestParts, body: Bytes) -> Result<Self, HttpError>;
}

impl FromBody for Bytes {
    fn from_body(_: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        Ok(body)
    }
}

impl FromBody for String {
    fn from_body(_: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        String::from_utf8(body.to_vec())
            .map_err(|_| HttpError::bad_request("the request body is not valid UTF-8"))
    }
}

impl<T: DeserializeOwned> FromBody for Json<T> {
    fn from_body(parts: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        let is_json = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime.eq_ignore_ascii_case("application/json")
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(HttpError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected a body with Content-Type: application/json",
            ));
        }
        serde_json::from_slice(&body)
            .map(Json)
            .map_err(|error| HttpError::bad_request(format!("the JSON body is invalid: {error}")))
    }
}

/// Reads the whole body, refusing more than `limit` bytes (413).
pub(crate) async fn read_body(
    body: RequestBody,
    parts: &RequestParts,
    limit: usize,
) -> Result<Bytes, HttpError> {
    let too_large = || {
        HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(HttpError::bad_request("the request body could not be read")),
    }
}

//! `#[body]`: the request body, read up to a size limit.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use http_body_util::{BodyExt, Limited};
use serde::de::DeserializeOwned;

use super::RequestBody;
use super::RequestParts;
use super::deserialize;
use super::media;
use crate::{HttpError, Json};

/// A type a `#[body]` argument may have: [`Json<T>`], `String` or [`Bytes`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a request body",
    label = "not a body type",
    note = "a #[body] argument is `Json<T>` (with `T: Deserialize`), `Valid<Json<T>>` (feature `validation`), `String` or `Bytes`"
)]
pub trait FromBody: Sized {
    /// Builds the value from the whole body.
    ///
    /// # Errors
    ///
    /// The 4xx answer when the body does not fit the type.
    fn from_body(parts: &RequestParts, body: Bytes) -> Result<Self, HttpError>;

    /// The body's media type and schema, for the OpenAPI document (feature `openapi`): JSON of
    /// the type's JSON Schema. A type without one is a compile error at the route that takes
    /// it: derive or implement `schemars::JsonSchema` for it.
    #[cfg(feature = "openapi")]
    fn describe(schemas: &mut schemars::SchemaGenerator) -> crate::openapi::RequestBody
    where
        Self: schemars::JsonSchema,
    {
        crate::openapi::RequestBody::new("application/json", schemas.subschema_for::<Self>())
    }
}

impl FromBody for Bytes {
    fn from_body(_: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        Ok(body)
    }

    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> crate::openapi::RequestBody {
        let bytes = schemars::json_schema!({ "type": "string", "contentMediaType": "application/octet-stream" });
        crate::openapi::RequestBody::new("application/octet-stream", bytes)
    }
}

impl FromBody for String {
    fn from_body(_: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        String::from_utf8(body.to_vec())
            .map_err(|_| HttpError::bad_request("the request body is not valid UTF-8"))
    }

    #[cfg(feature = "openapi")]
    fn describe(_: &mut schemars::SchemaGenerator) -> crate::openapi::RequestBody {
        let text = schemars::json_schema!({ "type": "string" });
        crate::openapi::RequestBody::new("text/plain", text)
    }
}

impl<T: DeserializeOwned> FromBody for Json<T> {
    fn from_body(parts: &RequestParts, body: Bytes) -> Result<Self, HttpError> {
        require_json(parts)?;
        deserialize::json(&body)
            .map(Json)
            .map_err(|error| HttpError::bad_request(format!("the JSON body is invalid: {error}")))
    }
}

/// 415 unless the body is declared JSON (`application/json` or `application/*+json`, in any
/// letter case: [`media::is_json`], the one decision), in UTF-8: JSON has no other encoding between systems (RFC 8259, 8.1), and a body declared
/// `charset=utf-16` read as UTF-8 would be read as something its sender did not write. A
/// `charset` parameter is allowed when it says `utf-8` (in any letter case, quoted or not).
pub(crate) fn require_json(parts: &RequestParts) -> Result<(), HttpError> {
    let declared = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !media::is_json(declared) {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected a body with Content-Type: application/json",
        ));
    }
    let other_charset = media::parameters(declared).any(|(name, value)| {
        name.eq_ignore_ascii_case("charset") && !value.eq_ignore_ascii_case("utf-8")
    });
    if other_charset {
        return Err(HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected a JSON body in UTF-8: Content-Type: application/json; charset=utf-8",
        ));
    }
    Ok(())
}

/// How a `#[body]` argument reads a request body.
///
/// Not public API: generated code reads the body with it.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// The most bytes read (413 past it).
    pub(crate) size: usize,
    /// The whole body must arrive within this (408 past it).
    pub(crate) read_timeout: Duration,
    /// The longest wait for the body's next bytes (408 past it).
    pub(crate) idle_timeout: Duration,
}

impl BodyLimits {
    /// The whole body, read within these limits (see [`read_body`]).
    ///
    /// # Errors
    ///
    /// 413, 408 or 400, as [`read_body`] says.
    pub async fn read(self, body: RequestBody, parts: &RequestParts) -> Result<Bytes, HttpError> {
        read_body(body, parts, self).await
    }
}

/// Reads the whole body: 413 past the size limit, 408 when it does not arrive in time or stops
/// coming, against clients that open a body and send it a byte at a time or not at all. The
/// connection is then closed (hyper does not reuse one whose request body was not read to its
/// end), so a slow body holds its connection for the read timeout at most.
pub(crate) async fn read_body(
    body: RequestBody,
    parts: &RequestParts,
    limits: BodyLimits,
) -> Result<Bytes, HttpError> {
    let limit = limits.size;
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
    let too_slow = |what: String| HttpError::new(StatusCode::REQUEST_TIMEOUT, what);
    let mut body = Limited::new(body, limit);
    let mut bytes = BytesMut::new();
    let read = async {
        loop {
            let next = tokio::time::timeout(limits.idle_timeout, body.frame())
                .await
                .map_err(|_| {
                    too_slow(format!(
                        "the request body stopped: no byte for {:?}",
                        limits.idle_timeout
                    ))
                })?;
            match next {
                None => return Ok(()),
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        bytes.extend_from_slice(&data);
                    }
                }
                Some(Err(error)) if error.is::<http_body_util::LengthLimitError>() => {
                    return Err(too_large());
                }
                Some(Err(_)) => {
                    return Err(HttpError::bad_request("the request body could not be read"));
                }
            }
        }
    };
    tokio::time::timeout(limits.read_timeout, read)
        .await
        .map_err(|_| {
            too_slow(format!(
                "the request body did not arrive within {:?}",
                limits.read_timeout
            ))
        })??;
    Ok(bytes.freeze())
}

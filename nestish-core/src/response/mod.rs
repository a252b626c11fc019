//! What a route answers with: [`IntoResponse`] and its wrappers, the response [`Body`], and
//! [`HttpError`] with NestJS's JSON error body.

mod any_error;
mod body;
mod documented;
mod http_error;
mod into_response;
mod raised;

pub use any_error::AnyError;
pub use body::Body;
pub use documented::Documented;
pub use http_error::HttpError;
pub use into_response::{Html, IntoResponse, Json, Response};
pub(crate) use raised::{Raised, filters_in_use, uncaught, wanted as raised_wanted};

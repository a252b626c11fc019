//! The pages, open to everyone: a logged-out browser loads them, and their streams answer 401
//! until it logs in. They reach the sample through its TypeScript client, served compiled at
//! `/client.js`.

use nestish_core::header::{CONTENT_TYPE, HeaderValue};
use nestish_core::openapi::schemars::SchemaGenerator;
use nestish_core::openapi::{Content, ResponseDoc, Status};
use nestish_core::{Html, IntoResponse, Response, controller, get};

/// The sample's TypeScript client (`sample-client`'s output) compiled to JavaScript by the
/// project's pinned `tsc`; checked in, and kept current by `tests/typescript_client.rs`
/// (`NESTISH_BLESS=1 cargo test --test typescript_client the_served_client_is_the_samples_client_compiled`
/// writes it again).
pub const CLIENT_JS: &str = include_str!("client.js");

/// A JavaScript file: `text/javascript; charset=utf-8`, what a `<script type="module">` import
/// needs (browsers refuse a module served as `text/plain`).
#[derive(Debug, Clone, Copy)]
pub struct JavaScript(pub &'static str);

impl IntoResponse for JavaScript {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.0.into());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        );
        response
    }

    fn describe(_: &mut SchemaGenerator) -> Vec<ResponseDoc> {
        let script = Content::text("text/javascript");
        vec![ResponseDoc::new(Status::Code(200), "OK", Some(script))]
    }
}

/// The pages' stylesheet: one small file, no framework, light and dark.
pub const STYLE_CSS: &str = include_str!("style.css");

/// A stylesheet: `text/css; charset=utf-8`.
#[derive(Debug, Clone, Copy)]
pub struct Css(pub &'static str);

impl IntoResponse for Css {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.0.into());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        );
        response
    }

    fn describe(_: &mut SchemaGenerator) -> Vec<ResponseDoc> {
        let css = Content::text("text/css");
        vec![ResponseDoc::new(Status::Code(200), "OK", Some(css))]
    }
}

/// `GET /login`, `GET /chat`, `GET /jobs`, `GET /dashboard`, their stylesheet
/// `GET /style.css`, and the client they use, `GET /client.js`.
#[derive(Debug, Default)]
pub struct PagesController;

#[controller]
impl PagesController {
    /// Log in with a name and a password.
    #[get("login")]
    fn login(&self) -> Html<&'static str> {
        Html(include_str!("login.html"))
    }

    /// The chat, and the user's notifications.
    #[get("chat")]
    fn chat(&self) -> Html<&'static str> {
        Html(include_str!("chat.html"))
    }

    /// Pick a job, watch its progress.
    #[get("jobs")]
    fn jobs(&self) -> Html<&'static str> {
        Html(include_str!("jobs.html"))
    }

    /// The app's own figures, live: open streams, events per second, requests by status.
    #[get("dashboard")]
    fn dashboard(&self) -> Html<&'static str> {
        Html(include_str!("dashboard.html"))
    }

    /// The pages' one stylesheet.
    #[get("style.css")]
    fn style(&self) -> Css {
        Css(STYLE_CSS)
    }

    /// The sample's TypeScript client as an ES module, which the pages import.
    #[get("client.js")]
    fn client(&self) -> JavaScript {
        JavaScript(CLIENT_JS)
    }
}

//! Logging in: `POST /login` checks a user's name and password (see [`Users`]), opens a
//! session and sets its cookie (see [`Sessions`]); [`AuthGuard`] lets in the requests that carry
//! one, on the chat, jobs and notifications controllers, before anything of the request is
//! read. The cookie is how a browser's `EventSource` authenticates: it cannot send headers of
//! its own, but sends the page's cookies.

mod sessions;
mod users;

use std::sync::Arc;

pub use sessions::{Checked, Sessions};
pub use users::{Users, is_name_char};

use nestish_core::header::{HeaderValue, SET_COOKIE, WWW_AUTHENTICATE};
use nestish_core::hub::Hub;
use nestish_core::{
    Guard, GuardRequest, HeaderMap, HttpError, Json, StatusCode, Valid, controller, inject, post,
};

/// The cookie that carries the session token.
pub const COOKIE: &str = "session";

/// Who a request is from, as [`AuthGuard`] stores it for the handlers (`Guarded<User>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The name the user logged in with.
    pub name: String,
}

/// A 401 that says how to authenticate: with the session cookie.
fn unauthorized(message: &'static str) -> HttpError {
    HttpError::unauthorized(message).with_header(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Cookie name=\"session\""),
    )
}

/// Lets in the requests whose `session` cookie carries a valid session token of one of the
/// users, and stores their [`User`]; answers the others 401. A user taken out of the list
/// (`SAMPLE_USERS`) is refused from the next start-up on, whatever sessions they still hold.
pub struct AuthGuard {
    sessions: Arc<Sessions>,
    users: Arc<Users>,
}

impl AuthGuard {
    /// A guard over `sessions`, for `users`.
    pub fn new(sessions: Arc<Sessions>, users: Arc<Users>) -> Self {
        Self { sessions, users }
    }
}

impl Guard for AuthGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let session = request
            .cookie(COOKIE)
            .and_then(|token| self.sessions.check(token))
            .filter(|session| self.users.contains(&session.user.name));
        let Some(session) = session else {
            return Err(unauthorized("log in first: POST /login"));
        };
        // A stream is the user's (three at most on the chat), ends when the session does, and
        // ends on every instance when it is logged out.
        request.principal(format!("user:{}", session.user.name));
        request.revocable_as(session.key);
        request.credentials_expire_at(session.expires);
        request.insert(session.user);
        Ok(())
    }

    /// The session cookie `POST /login` sets, in the OpenAPI document.
    fn security_scheme() -> Option<nestish_core::openapi::SecurityScheme> {
        Some(nestish_core::openapi::SecurityScheme::cookie(
            "session", COOKIE,
        ))
    }
}

/// A login: a user's name and password.
#[derive(serde::Deserialize, garde::Validate, schemars::JsonSchema)]
pub struct Login {
    /// 1 to 40 ASCII letters, digits, `_` or `-` (so that `@name` mentions it).
    #[garde(length(chars, min = 1, max = Users::NAME_MAX), custom(handle))]
    // `handle`'s rule, for the OpenAPI document.
    #[schemars(pattern(r"^[A-Za-z0-9_-]*$"))]
    pub name: String,
    /// 1 to 128 characters.
    #[garde(length(chars, min = 1, max = Users::PASSWORD_MAX))]
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password, in a log line or a panic message.
        f.debug_struct("Login")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A name that `@name` can mention: ASCII letters, digits, `_` and `-`.
fn handle(name: &str, _: &()) -> garde::Result {
    if name.chars().all(is_name_char) {
        Ok(())
    } else {
        Err(garde::Error::new(
            "use ASCII letters, digits, `_` and `-` only",
        ))
    }
}

/// `POST /login`, `POST /logout`.
pub struct AuthController {
    users: Arc<Users>,
    sessions: Arc<Sessions>,
    hub: Arc<Hub>,
}

#[controller]
impl AuthController {
    #[inject]
    fn new(users: Arc<Users>, sessions: Arc<Sessions>, hub: Arc<Hub>) -> Self {
        Self {
            users,
            sessions,
            hub,
        }
    }

    /// Opens a session: 204 with its cookie. A wrong password and an unknown name get the same
    /// 401, after the same work.
    #[post("login")]
    async fn login(
        &self,
        #[body] login: Valid<Json<Login>>,
    ) -> Result<(StatusCode, HeaderMap, ()), HttpError> {
        if !self.users.check(&login.name, &login.password).await {
            return Err(unauthorized("wrong name or password"));
        }
        let token = self.sessions.open(&login.name).map_err(|error| {
            tracing::error!(%error, "no randomness for a session token");
            HttpError::internal()
        })?;
        let cookie = HeaderValue::try_from(self.sessions.cookie(&token))
            .map_err(|_| HttpError::internal())?;
        let mut headers = HeaderMap::new();
        headers.insert(SET_COOKIE, cookie);
        Ok((StatusCode::NO_CONTENT, headers, ()))
    }

    /// Ends the session here and, through the hub, on every instance, with the session's open
    /// streams; and tells the browser to forget its cookie.
    #[post("logout")]
    async fn logout(
        &self,
        #[cookie("session")] token: Option<String>,
    ) -> Result<(StatusCode, HeaderMap, ()), HttpError> {
        // Only a session the token proves is revoked: a made-up token ends nobody's.
        let session = token
            .as_deref()
            .and_then(|token| self.sessions.check(token));
        if let (Some(token), Some(session)) = (token, session) {
            self.sessions.close(&token);
            if let Err(error) = self.hub.revoke(&session.key).await {
                // Logged out here all the same; other instances end it at its expiry.
                tracing::warn!(%error, "logout: the other instances could not be told");
            }
        }
        let cleared = HeaderValue::try_from(self.sessions.cleared_cookie())
            .map_err(|_| HttpError::internal())?;
        let mut headers = HeaderMap::new();
        headers.insert(SET_COOKIE, cleared);
        Ok((StatusCode::NO_CONTENT, headers, ()))
    }
}

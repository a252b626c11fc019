//! Logging in: `POST /login` opens a session and sets its cookie; [`AuthGuard`] lets in the
//! requests that carry one, on the chat, jobs and notifications controllers, before anything
//! of the request is read. The cookie is how a browser's `EventSource` authenticates: it cannot
//! send headers of its own, but sends the page's cookies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nestish_core::header::{HeaderValue, SET_COOKIE, WWW_AUTHENTICATE};
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

/// The open sessions, in memory: token → user. (A real app keeps them in a store that outlives
/// the process and expires them.)
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, User>>,
}

impl Sessions {
    /// Opens a session for `name`; its token, 128 random bits in hex.
    ///
    /// # Errors
    ///
    /// When the operating system has no randomness to give.
    pub fn open(&self, name: &str) -> Result<String, getrandom::Error> {
        let mut bytes = [0_u8; 16];
        getrandom::fill(&mut bytes)?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let user = User {
            name: name.to_owned(),
        };
        self.lock().insert(token.clone(), user);
        Ok(token)
    }

    /// The user of session `token`, if it is open.
    pub fn user(&self, token: &str) -> Option<User> {
        self.lock().get(token).cloned()
    }

    /// Ends session `token`.
    pub fn close(&self, token: &str) {
        self.lock().remove(token);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, User>> {
        // A panic while holding the lock leaves the map as it was: keep using it.
        self.by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Lets in the requests whose `session` cookie names an open session, and stores their
/// [`User`]; answers the others 401.
pub struct AuthGuard {
    sessions: Arc<Sessions>,
}

impl AuthGuard {
    /// A guard over `sessions`.
    pub fn new(sessions: Arc<Sessions>) -> Self {
        Self { sessions }
    }
}

impl Guard for AuthGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        let user = request
            .cookie(COOKIE)
            .and_then(|token| self.sessions.user(token));
        let Some(user) = user else {
            return Err(
                HttpError::unauthorized("log in first: POST /login").with_header(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Cookie name=\"session\""),
                ),
            );
        };
        request.insert(user);
        Ok(())
    }
}

/// A login: the name to chat under.
#[derive(Debug, serde::Deserialize, garde::Validate)]
pub struct Login {
    /// 1 to 40 letters, digits, `_` or `-` (so that `@name` mentions it).
    #[garde(length(chars, min = 1, max = 40), custom(handle))]
    pub name: String,
}

/// A name that `@name` can mention: letters, digits, `_` and `-`.
fn handle(name: &str, _: &()) -> garde::Result {
    if name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        Ok(())
    } else {
        Err(garde::Error::new("use letters, digits, `_` and `-` only"))
    }
}

/// `POST /login`, `POST /logout`.
pub struct AuthController {
    sessions: Arc<Sessions>,
}

#[controller]
impl AuthController {
    #[inject]
    fn new(sessions: Arc<Sessions>) -> Self {
        Self { sessions }
    }

    /// Opens a session: 204 with its cookie (HttpOnly: the page's scripts never see it).
    #[post("login")]
    fn login(
        &self,
        #[body] login: Valid<Json<Login>>,
    ) -> Result<(StatusCode, HeaderMap, ()), HttpError> {
        let token = self.sessions.open(&login.name).map_err(|error| {
            tracing::error!(%error, "no randomness for a session token");
            HttpError::internal()
        })?;
        let cookie = format!("{COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/");
        let cookie = HeaderValue::try_from(cookie).map_err(|_| HttpError::internal())?;
        let mut headers = HeaderMap::new();
        headers.insert(SET_COOKIE, cookie);
        Ok((StatusCode::NO_CONTENT, headers, ()))
    }

    /// Ends the session, and tells the browser to forget its cookie.
    #[post("logout")]
    fn logout(&self, #[cookie("session")] token: Option<String>) -> (StatusCode, HeaderMap, ()) {
        if let Some(token) = token {
            self.sessions.close(&token);
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            SET_COOKIE,
            HeaderValue::from_static("session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
        );
        (StatusCode::NO_CONTENT, headers, ())
    }
}

//! Logging in: `POST /login` opens a session and sets its cookie; [`AuthGuard`] lets in the
//! requests that carry one, on the chat, jobs and notifications controllers, before anything
//! of the request is read. The cookie is how a browser's `EventSource` authenticates: it cannot
//! send headers of its own, but sends the page's cookies.

use std::collections::HashSet;
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

/// The sessions: a token is `name.nonce.mac`, its MAC (HMAC-SHA256 under the sessions' secret)
/// vouching for the name, so any instance that shares the secret (`SESSION_SECRET`) knows the
/// user without a store in common: a client moved from one instance to another stays logged
/// in. Logging out forgets the token on the instance that hears of it and clears the browser's
/// cookie. (A real app would also expire tokens.)
pub struct Sessions {
    key: ring::hmac::Key,
    /// Tokens logged out on this instance.
    closed: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions whose tokens every instance with the same `secret` accepts.
    pub fn with_secret(secret: &[u8]) -> Self {
        Self {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            closed: Mutex::default(),
        }
    }

    /// Sessions under a secret of 256 random bits: this process's alone.
    ///
    /// # Errors
    ///
    /// When the operating system has no randomness to give.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut secret = [0_u8; 32];
        getrandom::fill(&mut secret)?;
        Ok(Self::with_secret(&secret))
    }

    /// Opens a session for `name` (a [`Login`] name: no `.` in it); its token.
    ///
    /// # Errors
    ///
    /// When the operating system has no randomness to give.
    pub fn open(&self, name: &str) -> Result<String, getrandom::Error> {
        let mut nonce = [0_u8; 16];
        getrandom::fill(&mut nonce)?;
        let signed = format!("{name}.{}", hex(&nonce));
        let mac = ring::hmac::sign(&self.key, signed.as_bytes());
        Ok(format!("{signed}.{}", hex(mac.as_ref())))
    }

    /// The user of session `token`, if its MAC holds and it was not closed here.
    pub fn user(&self, token: &str) -> Option<User> {
        let (signed, mac) = token.rsplit_once('.')?;
        let mac = unhex(mac)?;
        ring::hmac::verify(&self.key, signed.as_bytes(), &mac).ok()?;
        if self.lock().contains(token) {
            return None;
        }
        let (name, _nonce) = signed.split_once('.')?;
        Some(User {
            name: name.to_owned(),
        })
    }

    /// Ends session `token` on this instance.
    pub fn close(&self, token: &str) {
        if self.user(token).is_some() {
            self.lock().insert(token.to_owned());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding the lock leaves the set as it was: keep using it.
        self.closed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Lets in the requests whose `session` cookie carries a valid session token, and stores their
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

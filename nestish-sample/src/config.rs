//! The sample's configuration, from the environment: who may log in (`SAMPLE_USERS`), the
//! secret that signs sessions (`SESSION_SECRET`), and whether cookies are `Secure` (when
//! `TLS_CERT` is set, the sample serves HTTPS: see `main.rs`). A mistake stops the start-up with
//! a [`ConfigError`] that names the variable.

use std::env::VarError;
use std::fmt;

use crate::auth::{Sessions, Users};

/// The users of a local run when `SAMPLE_USERS` is not set: `ann` and `bob`, whose passwords
/// are their names followed by `-password`. Anyone who reads this knows them: set
/// `SAMPLE_USERS` wherever others can reach the sample.
pub const DEFAULT_USERS: &str = "ann:ann-password,bob:bob-password";

/// A configuration the sample cannot start with: which variable, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    variable: &'static str,
    problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// The users of `SAMPLE_USERS` (see [`Users::parse`]), or [`DEFAULT_USERS`] when it is not
/// set, their passwords hashed.
///
/// # Errors
///
/// A [`ConfigError`] naming `SAMPLE_USERS` and the bad entry:
/// `SAMPLE_USERS: entry 2 ("bob") is not name:password`.
pub fn users() -> Result<Users, ConfigError> {
    let error = |problem| ConfigError {
        variable: "SAMPLE_USERS",
        problem,
    };
    match std::env::var("SAMPLE_USERS") {
        Ok(list) => users_from(Some(&list)),
        Err(VarError::NotPresent) => users_from(None),
        Err(VarError::NotUnicode(_)) => Err(error("is not valid UTF-8".to_owned())),
    }
}

/// The users of `list` (`SAMPLE_USERS`'s value, see [`Users::parse`]), or [`DEFAULT_USERS`]
/// when there is none, their passwords hashed.
///
/// # Errors
///
/// A [`ConfigError`] naming `SAMPLE_USERS` and the bad entry.
pub fn users_from(list: Option<&str>) -> Result<Users, ConfigError> {
    let error = |problem| ConfigError {
        variable: "SAMPLE_USERS",
        problem,
    };
    match list {
        Some(list) => Users::parse(list).map_err(error),
        None => {
            tracing::warn!("SAMPLE_USERS is not set: the users are ann and bob, for a local run");
            Users::parse(DEFAULT_USERS).map_err(error)
        }
    }
}

/// The sessions, signed with `SESSION_SECRET` when it is set (instances that share it share
/// their logged-in users), with a random secret of the process's own otherwise; their cookie
/// `Secure` when `TLS_CERT` is set.
///
/// # Panics
///
/// If the operating system gives no random bytes for the secret.
pub fn sessions() -> Sessions {
    let sessions = match std::env::var("SESSION_SECRET") {
        Ok(secret) => Sessions::with_secret(secret.as_bytes()),
        // Without randomness there is no safe session at all: a start-up failure is the honest
        // answer, and the operating system always has some.
        Err(_) => Sessions::random().expect("the operating system gives random bytes"),
    };
    sessions.secure_cookies(std::env::var_os("TLS_CERT").is_some())
}

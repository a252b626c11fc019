//! The users who may log in: names and passwords from the operator (`SAMPLE_USERS`), the
//! passwords kept only as Argon2id hashes, made once at start-up.
//!
//! A login is checked by hashing the password it offers (Argon2id, the memory-hard hash OWASP
//! recommends first for stored passwords, with its recommended cost: 19 MiB, 2 passes). A login
//! under a name nobody has is hashed too, against a dummy hash of the same cost, so that how
//! long the answer takes does not tell which names exist. The hashing runs on tokio's blocking
//! threads, [`Users::CONCURRENT_CHECKS`] at a time: a burst of logins waits for its turn rather
//! than taking 19 MiB and a core each at once, and the streams keep the rest of the machine.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

/// The users of the sample, each with the hash of their password.
pub struct Users {
    /// Each user's password hash, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
    hashes: HashMap<String, String>,
    /// What a login under an unknown name is checked against: a hash of random bytes, of the
    /// same cost as the others.
    dummy: String,
    /// Turns to hash a password offered at login.
    checks: Arc<Semaphore>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.hashes.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Users")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

impl Users {
    /// The longest name, in characters.
    pub const NAME_MAX: usize = 40;
    /// The longest password, in characters: a bound on what a login makes the server hash.
    pub const PASSWORD_MAX: usize = 128;
    /// How many passwords offered at login are hashed at once: one, so logins hold at most
    /// 19 MiB and one core however many arrive together (a hash takes tens of milliseconds
    /// optimised: dozens of logins a second).
    pub const CONCURRENT_CHECKS: usize = 1;

    /// The users of `list`, comma-separated `name:password` pairs (`ann:ann-password,bob:pw`),
    /// each password hashed. A name is 1 to [`NAME_MAX`](Self::NAME_MAX) ASCII letters, digits,
    /// `_` or `-`, listed once; a password is 1 to [`PASSWORD_MAX`](Self::PASSWORD_MAX)
    /// characters, any but `,` (a `:` in it is kept: the name ends at the first one).
    ///
    /// # Errors
    ///
    /// What is wrong with the list, naming the entry by its place and its name (never its
    /// password): `entry 2 ("b c"): a name is 1 to 40 ASCII letters, digits, '_' or '-'`.
    ///
    /// ```
    /// use nestish_sample::auth::Users;
    ///
    /// let users = Users::parse("ann:ann-password,bob:bob-password").unwrap();
    /// assert!(users.contains("bob"));
    /// assert_eq!(
    ///     Users::parse("ann:ann-password,bob").unwrap_err(),
    ///     "entry 2 (\"bob\") is not name:password"
    /// );
    /// ```
    pub fn parse(list: &str) -> Result<Self, String> {
        if list.is_empty() {
            return Err("is empty: list the users as name:password pairs, comma-separated".into());
        }
        let mut hashes = HashMap::new();
        for (index, entry) in list.split(',').enumerate() {
            let place = index + 1;
            let Some((name, password)) = entry.split_once(':') else {
                return Err(format!("entry {place} ({entry:?}) is not name:password"));
            };
            let problem = if !is_name(name) {
                Some(format!(
                    "a name is 1 to {} ASCII letters, digits, '_' or '-'",
                    Self::NAME_MAX
                ))
            } else if password.is_empty() {
                Some("the password is empty".to_owned())
            } else if password.chars().count() > Self::PASSWORD_MAX {
                Some(format!(
                    "the password is longer than {} characters",
                    Self::PASSWORD_MAX
                ))
            } else if hashes.contains_key(name) {
                Some("the name is listed twice".to_owned())
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(format!("entry {place} ({name:?}): {problem}"));
            }
            hashes.insert(name.to_owned(), hash(password.as_bytes())?);
        }
        let mut noise = [0_u8; 32];
        getrandom::fill(&mut noise).map_err(|error| format!("no randomness: {error}"))?;
        Ok(Self {
            hashes,
            dummy: hash(&noise)?,
            checks: Arc::new(Semaphore::new(Self::CONCURRENT_CHECKS)),
        })
    }

    /// Whether `name` is a user.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.hashes.contains_key(name)
    }

    /// Whether `password` is `name`'s. The same work whether or not `name` exists: an unknown
    /// name's password is hashed too, against a dummy hash.
    pub async fn check(&self, name: &str, password: &str) -> bool {
        let known = self.hashes.get(name);
        let hash = known.unwrap_or(&self.dummy).clone();
        let Ok(turn) = Arc::clone(&self.checks).acquire_owned().await else {
            return false; // never closed
        };
        let password = password.to_owned();
        // The turn goes with the hashing, not with the request: a client that leaves mid-check
        // does not free a turn while its hash still runs.
        let matches = tokio::task::spawn_blocking(move || {
            let matches = PasswordHash::new(&hash).is_ok_and(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            });
            drop(turn);
            matches
        })
        .await;
        known.is_some() && matches.unwrap_or(false)
    }
}

/// Whether `c` may be part of a name (and so of an `@name` mention): an ASCII letter or
/// digit, `_` or `-`.
#[must_use]
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `name` is a valid user name.
fn is_name(name: &str) -> bool {
    (1..=Users::NAME_MAX).contains(&name.len()) && name.chars().all(is_name_char)
}

/// `password`'s Argon2id hash (OWASP's parameters, argon2's defaults), under a random salt.
fn hash(password: &[u8]) -> Result<String, String> {
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(|error| format!("no randomness: {error}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|error| error.to_string())?;
    Argon2::default()
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| format!("a password could not be hashed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::Users;

    #[test]
    fn a_malformed_list_names_the_entry_and_never_a_password() {
        let cases = [
            (
                "",
                "is empty: list the users as name:password pairs, comma-separated",
            ),
            ("ann:x,,bob:y", "entry 2 (\"\") is not name:password"),
            (
                "ann:x, bob:y",
                "entry 2 (\" bob\"): a name is 1 to 40 ASCII letters, digits, '_' or '-'",
            ),
            (
                ":secret",
                "entry 1 (\"\"): a name is 1 to 40 ASCII letters, digits, '_' or '-'",
            ),
            ("ann:", "entry 1 (\"ann\"): the password is empty"),
            ("ann:x,ann:y", "entry 2 (\"ann\"): the name is listed twice"),
        ];
        for (list, expected) in cases {
            assert_eq!(Users::parse(list).unwrap_err(), expected, "{list:?}");
        }
        let long = format!("ann:{}", "p".repeat(Users::PASSWORD_MAX + 1));
        assert_eq!(
            Users::parse(&long).unwrap_err(),
            "entry 1 (\"ann\"): the password is longer than 128 characters"
        );
    }

    #[tokio::test]
    async fn a_password_is_checked_against_its_user_only() {
        let users = Users::parse("ann:a:b:c,bob:bob-password").unwrap();
        assert!(users.check("ann", "a:b:c").await);
        assert!(!users.check("ann", "bob-password").await);
        assert!(!users.check("ann", "A:B:C").await);
        assert!(!users.check("zed", "a:b:c").await);
        assert!(users.check("bob", "bob-password").await);
    }
}

//! Sessions: a token that names its user, its session and its expiry under a MAC, so that
//! every instance sharing the secret (`SESSION_SECRET`) knows the user without a store in
//! common, and a record of the sessions logged out here, each kept until it would have expired.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::{COOKIE, User};

/// A session's id: 128 random bits.
type Id = [u8; 16];

/// The sessions: a token is `name.id.expiry.mac`, with `id` 32 lower-case hex digits, `expiry`
/// the Unix second it ends at in decimal, and `mac` the HMAC-SHA256 (64 lower-case hex digits)
/// of what comes before it, under the sessions' secret.
///
/// - **One spelling.** A token is accepted only as it was issued: the MAC pins every byte before
///   it, and the MAC itself is read in lower-case hex only, so no re-spelling (upper case, a
///   `+`, a leading zero) is another valid token.
/// - **Logging out** revokes the session by its id until the session's expiry, on the instance
///   that hears of it and, through the hub's revocations ([`Sessions::revoked_elsewhere`]),
///   on every other; the browser's cookie is cleared. The record holds one entry (24 bytes of
///   data) per session logged out whose expiry is still to come, and each new logout drops the
///   entries past their expiry: at most one per login in the last
///   [`LIFETIME`](Self::LIFETIME).
/// - **Expiry.** A session ends [`LIFETIME`](Self::LIFETIME) after its login, on every instance;
///   the cookie's `Max-Age` says the same to the browser.
///
/// ```
/// use nestish_sample::auth::Sessions;
///
/// let sessions = Sessions::with_secret(b"shared by every instance");
/// let token = sessions.open("ann").unwrap();
/// assert_eq!(sessions.user(&token).unwrap().name, "ann");
/// assert!(sessions.user(&token.to_uppercase()).is_none());
/// sessions.close(&token);
/// assert!(sessions.user(&token).is_none());
/// ```
pub struct Sessions {
    key: ring::hmac::Key,
    lifetime: Duration,
    secure: bool,
    /// The sessions logged out on this instance, as (expiry, id): in expiry order, so the
    /// expired ones are split off at once.
    revoked: Mutex<BTreeSet<(u64, Id)>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("lifetime", &self.lifetime)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// A session a token names, once checked: its user, the key that revokes its streams (see
/// [`Sessions::revoked_elsewhere`]) and when it ends.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Whose session it is.
    pub user: User,
    /// `session:<id>.<expiry>`: what a logout revokes.
    pub key: String,
    /// When the session ends.
    pub expires: SystemTime,
}

/// A token's parts, once its MAC holds.
struct Session<'a> {
    name: &'a str,
    id: Id,
    expiry: u64,
}

impl Sessions {
    /// How long a session lasts after its login, unless [`lifetime`](Self::lifetime) says
    /// otherwise: 12 hours.
    pub const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

    /// Sessions whose tokens every instance with the same `secret` accepts.
    #[must_use]
    pub fn with_secret(secret: &[u8]) -> Self {
        Self {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            lifetime: Self::LIFETIME,
            secure: false,
            revoked: Mutex::default(),
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

    /// Sessions that last `lifetime` after their login (whole seconds; zero: over at once).
    ///
    /// ```
    /// use std::time::Duration;
    /// use nestish_sample::auth::Sessions;
    ///
    /// let sessions = Sessions::with_secret(b"secret").lifetime(Duration::ZERO);
    /// let token = sessions.open("ann").unwrap();
    /// assert!(sessions.user(&token).is_none());
    /// ```
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sessions whose cookie is `Secure` (sent over HTTPS only): for an app served over HTTPS.
    ///
    /// ```
    /// use nestish_sample::auth::Sessions;
    ///
    /// let sessions = Sessions::with_secret(b"secret").secure_cookies(true);
    /// assert!(sessions.cookie("token").ends_with("; Secure"));
    /// ```
    #[must_use]
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Opens a session for `name` (a user's name: no `.` in it); its token.
    ///
    /// # Errors
    ///
    /// When the operating system has no randomness to give.
    pub fn open(&self, name: &str) -> Result<String, getrandom::Error> {
        let mut id: Id = [0; 16];
        getrandom::fill(&mut id)?;
        let expiry = now().saturating_add(self.lifetime.as_secs());
        let signed = format!("{name}.{}.{expiry}", hex(&id));
        let mac = ring::hmac::sign(&self.key, signed.as_bytes());
        Ok(format!("{signed}.{}", hex(mac.as_ref())))
    }

    /// The user of session `token`, if its MAC holds, it has not expired, and it was not
    /// logged out.
    pub fn user(&self, token: &str) -> Option<User> {
        self.check(token).map(|checked| checked.user)
    }

    /// The session `token` names, if its MAC holds, it has not expired, and it was not logged
    /// out: its user, its revocation key and its expiry.
    ///
    /// ```
    /// use nestish_sample::auth::Sessions;
    ///
    /// let sessions = Sessions::with_secret(b"secret");
    /// let token = sessions.open("ann").unwrap();
    /// let checked = sessions.check(&token).unwrap();
    /// assert_eq!(checked.user.name, "ann");
    /// assert!(checked.key.starts_with("session:"));
    /// ```
    pub fn check(&self, token: &str) -> Option<Checked> {
        let now = now();
        let session = self.session(token, now)?;
        if self.lock().contains(&(session.expiry, session.id)) {
            return None;
        }
        Some(Checked {
            user: User {
                name: session.name.to_owned(),
            },
            key: key_of(session.id, session.expiry),
            expires: SystemTime::UNIX_EPOCH + Duration::from_secs(session.expiry),
        })
    }

    /// Records that the session of revocation key `key` was logged out on another instance (a
    /// key that is not a session's, or of a session already over, is ignored): how each
    /// instance hears of a logout through the hub's revocations.
    ///
    /// ```
    /// use nestish_sample::auth::Sessions;
    ///
    /// let sessions = Sessions::with_secret(b"secret");
    /// let token = sessions.open("ann").unwrap();
    /// let key = sessions.check(&token).unwrap().key;
    /// sessions.revoked_elsewhere(&key);
    /// assert!(sessions.user(&token).is_none());
    /// ```
    pub fn revoked_elsewhere(&self, key: &str) {
        let Some((id, expiry)) = key
            .strip_prefix("session:")
            .and_then(|rest| rest.split_once('.'))
        else {
            return;
        };
        let (Some(id), Ok(expiry)) = (unhex::<16>(id), expiry.parse::<u64>()) else {
            return;
        };
        let now = now();
        // A session ends within its lifetime: a key past it is none of ours.
        if expiry > now && expiry <= now.saturating_add(self.lifetime.as_secs()) {
            self.revoke(
                &Session {
                    name: "",
                    id,
                    expiry,
                },
                now,
            );
        }
    }

    /// Ends session `token` on this instance, and forgets the sessions logged out here that
    /// have expired since.
    pub fn close(&self, token: &str) {
        let now = now();
        if let Some(session) = self.session(token, now) {
            self.revoke(&session, now);
        }
    }

    /// The `Set-Cookie` value that gives a browser session `token`: `HttpOnly` (the page's
    /// scripts never see it), `SameSite=Lax` (no cross-site POST carries it), its `Max-Age`
    /// the sessions' lifetime, and `Secure` when the app is served over HTTPS.
    #[must_use]
    pub fn cookie(&self, token: &str) -> String {
        let max_age = self.lifetime.as_secs();
        self.with_flags(format!("{COOKIE}={token}; Max-Age={max_age}"))
    }

    /// The `Set-Cookie` value that makes a browser forget its session cookie.
    #[must_use]
    pub fn cleared_cookie(&self) -> String {
        self.with_flags(format!("{COOKIE}=; Max-Age=0"))
    }

    fn with_flags(&self, cookie: String) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{cookie}; HttpOnly; SameSite=Lax; Path=/{secure}")
    }

    /// `token`'s parts, if its MAC holds and it has not expired at `now`.
    fn session<'a>(&self, token: &'a str, now: u64) -> Option<Session<'a>> {
        let (signed, mac) = token.rsplit_once('.')?;
        let mac: [u8; 32] = unhex(mac)?;
        ring::hmac::verify(&self.key, signed.as_bytes(), &mac).ok()?;
        // What the MAC vouches for was written by `open`: its fields are as it wrote them.
        let mut fields = signed.split('.');
        let (name, id, expiry) = (fields.next()?, fields.next()?, fields.next()?);
        let session = Session {
            name,
            id: unhex(id)?,
            expiry: expiry.parse().ok()?,
        };
        (fields.next().is_none() && session.expiry > now).then_some(session)
    }

    fn revoke(&self, session: &Session<'_>, now: u64) {
        let mut revoked = self.lock();
        let current = revoked.split_off(&(now.saturating_add(1), [0; 16]));
        *revoked = current;
        revoked.insert((session.expiry, session.id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<(u64, Id)>> {
        // A panic while holding the lock leaves the set as it was: keep using it.
        self.revoked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A session's revocation key.
fn key_of(id: Id, expiry: u64) -> String {
    format!("session:{}.{expiry}", hex(&id))
}

/// The Unix time, in seconds.
fn now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `text` as `N` bytes, from exactly `2 * N` lower-case hex digits: the one spelling `hex`
/// writes.
fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::{Sessions, hex, now, unhex};

    #[test]
    fn hex_is_read_in_the_spelling_it_is_written_in_only() {
        assert_eq!(unhex::<2>("0aff"), Some([0x0a, 0xff]));
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
        for other in ["0AFF", "0aFf", "+aff", "0af", "0afff", " aff"] {
            assert_eq!(unhex::<2>(other), None, "{other:?}");
        }
    }

    #[test]
    fn the_revoked_set_keeps_a_session_only_until_its_expiry() {
        let sessions = Sessions::with_secret(b"secret");
        let (first, second) = (sessions.open("ann").unwrap(), sessions.open("bob").unwrap());
        let at = now();
        let expiry = at + Sessions::LIFETIME.as_secs();
        let first = sessions.session(&first, at).unwrap();
        sessions.revoke(&first, at);
        assert_eq!(sessions.lock().len(), 1);
        // A logout heard after the first session's expiry drops the first's entry.
        let second = sessions.session(&second, expiry - 1).unwrap();
        sessions.revoke(&second, expiry + 1);
        let revoked: Vec<String> = sessions.lock().iter().map(|(_, id)| hex(id)).collect();
        assert_eq!(revoked, [hex(&second.id)]);
    }
}

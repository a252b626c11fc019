//! [`GuardRequest`]: what a guard sees of a request, before anything of its body is read.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, Uri};

use crate::ConnectionInfo;
use crate::admission::Credentials;
use crate::extract::RequestParts;
use crate::hub::{TopicGrant, TopicGrants};

/// The head of a request, as a [`Guard`](crate::Guard) sees it: method, path, the route it
/// matched, headers, cookies, query and the client's address, and a place to leave values for
/// the handler (the authenticated user, a tenant) with [`insert`](Self::insert).
///
/// The body is not reachable from here, and is not read before every guard has let the request
/// through.
///
/// ```
/// use nestish_core::{Guard, GuardRequest, HttpError};
///
/// /// Lets through requests that send `?token=letmein` or the cookie `token=letmein`.
/// pub struct TokenGuard;
///
/// impl Guard for TokenGuard {
///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
///         let from_query = request.query("token");
///         let token = from_query.as_deref().or(request.cookie("token"));
///         if token == Some("letmein") {
///             Ok(())
///         } else {
///             Err(HttpError::forbidden(format!("no entry to {}", request.route())))
///         }
///     }
/// }
/// ```
#[derive(Debug)]
pub struct GuardRequest<'r> {
    parts: &'r mut RequestParts,
    route: &'static str,
}

impl<'r> GuardRequest<'r> {
    pub(crate) fn new(parts: &'r mut RequestParts, route: &'static str) -> Self {
        Self { parts, route }
    }

    /// The request's method.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let reading = request.method() == http::Method::GET;
    /// # let _ = reading; }
    /// ```
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The request's path as sent (percent-encoded), without the query: `/chat/rooms/42`.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let admin = request.path().starts_with("/admin/");
    /// # let _ = admin; }
    /// ```
    #[must_use]
    pub fn path(&self) -> &str {
        self.parts.uri.path()
    }

    /// The request's URI, query included.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let query = request.uri().query();
    /// # let _ = query; }
    /// ```
    #[must_use]
    pub fn uri(&self) -> &Uri {
        &self.parts.uri
    }

    /// The template of the route the request matched, as declared: `/chat/rooms/:id`.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// tracing::info!(route = request.route(), "checking");
    /// # }
    /// ```
    #[must_use]
    pub fn route(&self) -> &'static str {
        self.route
    }

    /// The client's address, on nestish's own server (see [`ConnectionInfo`]); `None` where
    /// the app runs inside another server that does not record it.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let from_loopback = request.peer_addr().is_some_and(|peer| peer.ip().is_loopback());
    /// # let _ = from_loopback; }
    /// ```
    #[must_use]
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.parts
            .extensions
            .get::<ConnectionInfo>()
            .map(ConnectionInfo::peer_addr)
    }

    /// Every header of the request.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let has_auth = request.headers().contains_key("authorization");
    /// # let _ = has_auth; }
    /// ```
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// The header `name` as text, if the request has it in visible ASCII (the first, if
    /// repeated).
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let bearer = request.header("authorization").and_then(|v| v.strip_prefix("Bearer "));
    /// # let _ = bearer; }
    /// ```
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name)?.to_str().ok()
    }

    /// The cookie `name`, as sent: how a browser's `EventSource`, which cannot add headers,
    /// authenticates.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let session = request.cookie("session");
    /// # let _ = session; }
    /// ```
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        crate::extract::cookie::find(&self.parts.headers, name)
    }

    /// The query value `name`, percent-decoded (the first, if repeated): `?token=...`, the
    /// other way to authenticate an `EventSource`.
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// let token = request.query("token");
    /// # let _ = token; }
    /// ```
    #[must_use]
    pub fn query(&self, name: &str) -> Option<Cow<'_, str>> {
        let query = self.parts.uri.query()?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Leaves `value` for the handler, whose [`Guarded<T>`](crate::Guarded) argument reads it
    /// (it goes in the request's extensions), and for a later guard to read with
    /// [`get`](Self::get). One value per type; a second replaces the first.
    ///
    /// ```
    /// # fn show(request: &mut nestish_core::GuardRequest<'_>) {
    /// #[derive(Clone)]
    /// pub struct UserId(pub u64);
    ///
    /// request.insert(UserId(7));
    /// assert_eq!(request.get::<UserId>().map(|id| id.0), Some(7));
    /// # }
    /// ```
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.parts.extensions.insert(value);
    }

    /// Grants the request's principal `grant`: the topics a
    /// [`GrantedHub`](crate::hub::GrantedHub) argument of the route (the app's provided hub)
    /// may then subscribe to or publish on. Grants add up, from every guard of the route; a
    /// request with none gets 403 from a `GrantedHub` argument.
    ///
    /// ```
    /// use nestish_core::hub::TopicGrant;
    /// use nestish_core::{Guard, GuardRequest, HttpError};
    ///
    /// pub struct TenantGuard;
    ///
    /// impl Guard for TenantGuard {
    ///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
    ///         let tenant = request.header("x-tenant").ok_or_else(|| HttpError::unauthorized("who?"))?;
    ///         let own = format!("tenant:{tenant}:*");
    ///         request.grant(TopicGrant::all(own));
    ///         request.grant(TopicGrant::subscribe("announcements"));
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub fn grant(&mut self, grant: TopicGrant) {
        let extensions = &mut self.parts.extensions;
        extensions
            .get_or_insert_default::<TopicGrants>()
            .grants
            .push(grant);
    }

    /// Names who sent the request: the principal (a user, an API client) its SSE stream belongs
    /// to. Its streams count together against the per-principal caps
    /// ([`AppBuilder::max_streams_per_principal`](crate::AppBuilder::max_streams_per_principal),
    /// `#[sse(max_per_principal = n)]`), and revoking the name
    /// ([`Hub::revoke`](crate::hub::Hub::revoke)) ends them. The app chooses the spelling;
    /// prefix it with its kind (`user:42`) so a principal and another key never collide. A
    /// second call replaces the first.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use nestish_core::{Guard, GuardRequest, HttpError};
    ///
    /// pub struct SessionGuard;
    ///
    /// impl Guard for SessionGuard {
    ///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
    ///         // (A real guard reads and checks a token.)
    ///         let (user, session) = ("ann", "7f3a");
    ///         let expiry = SystemTime::now() + Duration::from_secs(3_600);
    ///         request.principal(format!("user:{user}"));
    ///         request.revocable_as(format!("session:{session}"));
    ///         request.credentials_expire_at(expiry);
    ///         Ok(())
    ///     }
    /// }
    /// ```
    pub fn principal(&mut self, principal: impl Into<Arc<str>>) {
        self.credentials().principal = Some(principal.into());
    }

    /// Adds a name besides the principal whose revocation ends the request's SSE stream: its
    /// session, its device. See [`principal`](Self::principal) for an example.
    pub fn revocable_as(&mut self, key: impl Into<Arc<str>>) {
        self.credentials().keys.push(key.into());
    }

    /// Says when the request's credentials stop being good (a session's or a token's expiry):
    /// its SSE stream ends then, plus the app's grace
    /// ([`AppBuilder::credential_grace`](crate::AppBuilder::credential_grace), 5 s by
    /// default), with a `retry:`, so the client reconnects, is authenticated again and resumes
    /// by `Last-Event-ID`. The earliest of several calls holds. See
    /// [`principal`](Self::principal) for an example.
    pub fn credentials_expire_at(&mut self, at: SystemTime) {
        self.credentials().expire_at(at);
    }

    /// As [`credentials_expire_at`](Self::credentials_expire_at), `left` from now.
    ///
    /// ```
    /// # fn show(request: &mut nestish_core::GuardRequest<'_>) {
    /// request.credentials_expire_in(std::time::Duration::from_secs(900));
    /// # }
    /// ```
    pub fn credentials_expire_in(&mut self, left: Duration) {
        self.credentials().expire_in(left);
    }

    fn credentials(&mut self) -> &mut Credentials {
        self.parts.extensions.get_or_insert_default::<Credentials>()
    }

    /// What an earlier guard stored with [`insert`](Self::insert).
    ///
    /// ```
    /// # fn show(request: &nestish_core::GuardRequest<'_>) {
    /// # #[derive(Clone)] pub struct UserId(pub u64);
    /// let user = request.get::<UserId>();
    /// # let _ = user; }
    /// ```
    #[must_use]
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.parts.extensions.get()
    }
}

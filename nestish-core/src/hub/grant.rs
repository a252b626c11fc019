//! Topic authorization: what a request's guards let its principal subscribe to and publish on,
//! and [`GrantedHub`], the hub handle a route uses, which checks every topic against it.
//!
//! A guard grants topic patterns with [`GuardRequest::grant`](crate::GuardRequest::grant); a
//! route takes a [`GrantedHub`] argument (the app's provided [`Hub`], restricted to those
//! patterns) and names its topic. The check runs once per
//! subscription or publication, above the backend, so it is the same on every engine; the
//! events of a granted subscription are not checked again.

use std::any::type_name;
use std::sync::Arc;

use super::{Hub, HubError, SubscribeAs, Subscription};
use crate::extract::{CustomArgument, RequestParts};
use crate::{HttpError, MessageEvent};

/// What a grant allows on its topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Subscribe,
    Publish,
}

/// One grant: a topic pattern and what it allows on the topics it matches.
///
/// A pattern is an exact topic (`tenant:42:news`), or a prefix followed by a final `*`
/// (`tenant:42:*`: every topic that starts with `tenant:42:`). Only a final `*` is a wildcard:
/// `tenant:*:news` names the one topic spelled so. Put the separator before the `*`:
/// `tenant:42*` matches `tenant:420:news` too.
///
/// ```
/// use nestish_core::hub::TopicGrant;
///
/// let grant = TopicGrant::subscribe("tenant:42:*");
/// assert!(grant.allows_subscribe("tenant:42:news"));
/// assert!(!grant.allows_subscribe("tenant:420:news"));
/// assert!(!grant.allows_publish("tenant:42:news"));
/// assert!(TopicGrant::all("news").allows_publish("news"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicGrant {
    pattern: Arc<str>,
    subscribe: bool,
    publish: bool,
}

impl TopicGrant {
    /// Lets the principal subscribe to the topics `pattern` matches.
    ///
    /// ```
    /// let grant = nestish_core::hub::TopicGrant::subscribe("prices");
    /// # let _ = grant;
    /// ```
    #[must_use]
    pub fn subscribe(pattern: impl Into<Arc<str>>) -> Self {
        Self::new(pattern.into(), true, false)
    }

    /// Lets the principal publish on the topics `pattern` matches.
    ///
    /// ```
    /// let grant = nestish_core::hub::TopicGrant::publish("tenant:42:*");
    /// # let _ = grant;
    /// ```
    #[must_use]
    pub fn publish(pattern: impl Into<Arc<str>>) -> Self {
        Self::new(pattern.into(), false, true)
    }

    /// Lets the principal subscribe to and publish on the topics `pattern` matches.
    ///
    /// ```
    /// let grant = nestish_core::hub::TopicGrant::all("room:lobby");
    /// # let _ = grant;
    /// ```
    #[must_use]
    pub fn all(pattern: impl Into<Arc<str>>) -> Self {
        Self::new(pattern.into(), true, true)
    }

    fn new(pattern: Arc<str>, subscribe: bool, publish: bool) -> Self {
        Self {
            pattern,
            subscribe,
            publish,
        }
    }

    /// The pattern, as granted.
    ///
    /// ```
    /// assert_eq!(nestish_core::hub::TopicGrant::all("a:*").pattern(), "a:*");
    /// ```
    #[must_use]
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether this grant lets the principal subscribe to `topic`.
    ///
    /// ```
    /// assert!(nestish_core::hub::TopicGrant::subscribe("a:*").allows_subscribe("a:b"));
    /// ```
    #[must_use]
    pub fn allows_subscribe(&self, topic: &str) -> bool {
        self.allows(Action::Subscribe, topic)
    }

    /// Whether this grant lets the principal publish on `topic`.
    ///
    /// ```
    /// assert!(!nestish_core::hub::TopicGrant::subscribe("a:*").allows_publish("a:b"));
    /// ```
    #[must_use]
    pub fn allows_publish(&self, topic: &str) -> bool {
        self.allows(Action::Publish, topic)
    }

    fn allows(&self, action: Action, topic: &str) -> bool {
        let permitted = match action {
            Action::Subscribe => self.subscribe,
            Action::Publish => self.publish,
        };
        permitted && self.matches(topic)
    }

    fn matches(&self, topic: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => topic.starts_with(prefix),
            None => *self.pattern == *topic,
        }
    }
}

/// The grants a request's guards gave: kept in the request's extensions by
/// [`GuardRequest::grant`](crate::GuardRequest::grant), with the app's hub once every guard has
/// let the request through.
#[derive(Clone, Default)]
pub(crate) struct TopicGrants {
    pub(crate) grants: Vec<TopicGrant>,
    /// The hub the app provides (set after the guards ran); `None` when it provides none.
    pub(crate) hub: Option<Hub>,
    /// The principal the guards named (set after they ran): a member of the presence of the
    /// topics it subscribes to.
    pub(crate) principal: Option<Arc<str>>,
}

/// Why a [`GrantedHub`] refused or failed a publication.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// No grant of the request's lets it publish on `topic`.
    #[error("publishing on topic {topic:?} is not granted")]
    Refused {
        /// The topic asked for.
        topic: String,
    },
    /// The hub failed (see [`HubError`]).
    #[error(transparent)]
    Hub(#[from] HubError),
}

impl From<GrantError> for HttpError {
    /// A refusal is 403 (naming no topic: it may be another tenant's); a hub's failure 500.
    fn from(error: GrantError) -> Self {
        match error {
            GrantError::Refused { .. } => HttpError::forbidden("topic not granted"),
            GrantError::Hub(error) => {
                tracing::error!(%error, "a publication failed");
                HttpError::internal()
            }
        }
    }
}

/// The hub as a route should use it: only the topics the request's guards granted
/// ([`GuardRequest::grant`](crate::GuardRequest::grant)), on the [`Hub`] the app provides. Take
/// it as a route argument, with no attribute. A request no guard granted a topic is answered 403
/// before the handler runs; one with grants in an app that provides no `Hub`, 500 (the app's
/// mistake, logged).
///
/// The raw [`Hub`] reaches every topic: it is for trusted server-side code (a guard, a job that
/// publishes), never for a topic a client's request names.
///
/// ```standalone_crate
/// use nestish_core::hub::{GrantedHub, Hub, Subscription, TopicGrant};
/// use nestish_core::{
///     Guard, GuardRequest, HttpError, controller, post, sse, use_guards,
/// };
///
/// /// Grants the tenant of the `tenant` cookie its own topics.
/// pub struct TenantGuard;
///
/// impl Guard for TenantGuard {
///     async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
///         let tenant = request.cookie("tenant").ok_or_else(|| HttpError::unauthorized("who?"))?;
///         let pattern = format!("tenant:{tenant}:*");
///         request.grant(TopicGrant::all(pattern));
///         Ok(())
///     }
/// }
///
/// #[derive(Default)]
/// pub struct TopicsController;
///
/// #[controller("topics")]
/// #[use_guards(TenantGuard)]
/// impl TopicsController {
///     /// A topic of the client's choosing: another tenant's is refused with 403.
///     #[sse(":topic")]
///     fn events(
///         &self,
///         hub: GrantedHub,
///         #[param("topic")] topic: String,
///         #[last_event_id] seen: Option<u64>,
///     ) -> Result<Subscription, HttpError> {
///         hub.subscribe(&topic, seen)
///     }
///
///     #[post(":topic")]
///     async fn publish(
///         &self,
///         hub: GrantedHub,
///         #[param("topic")] topic: String,
///         #[body] text: String,
///     ) -> Result<String, HttpError> {
///         Ok(hub.publish(&topic, text).await?.to_string())
///     }
/// }
/// let app = nestish_core::NestFactory::create()
///     .provide(Hub::new())
///     .provide(TenantGuard)
///     .build();
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct GrantedHub {
    hub: Hub,
    grants: Vec<TopicGrant>,
    principal: Option<Arc<str>>,
}

impl std::fmt::Debug for GrantedHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantedHub")
            .field("grants", &self.grants)
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

impl GrantedHub {
    /// `hub`, restricted to `grants`: for code that holds grants of its own (a test, a job
    /// acting for a principal). Routes get theirs from their guards.
    ///
    /// ```
    /// use nestish_core::hub::{GrantedHub, Hub, TopicGrant};
    ///
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::subscribe("news")]);
    /// assert!(hub.may_subscribe("news"));
    /// assert!(!hub.may_subscribe("sports"));
    /// ```
    #[must_use]
    pub fn new(hub: Hub, grants: Vec<TopicGrant>) -> Self {
        Self {
            hub,
            grants,
            principal: None,
        }
    }

    /// The same, subscribing as `principal`: a member of the presence of the topics it
    /// subscribes to ([`Hub::subscribe_as`]). Routes get theirs from their guards
    /// ([`GuardRequest::principal`](crate::GuardRequest::principal)).
    ///
    /// ```
    /// use nestish_core::hub::{GrantedHub, Hub, TopicGrant};
    ///
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::subscribe("news")])
    ///     .with_principal("user:ann");
    /// assert_eq!(hub.principal(), Some("user:ann"));
    /// ```
    #[must_use]
    pub fn with_principal(mut self, principal: impl Into<Arc<str>>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// The principal its subscriptions are made for: the one the request's guards named.
    ///
    /// ```
    /// use nestish_core::hub::{GrantedHub, Hub};
    ///
    /// assert_eq!(GrantedHub::new(Hub::new(), Vec::new()).principal(), None);
    /// ```
    #[must_use]
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// Whether a grant lets the principal subscribe to `topic`.
    ///
    /// ```
    /// # use nestish_core::hub::{GrantedHub, Hub, TopicGrant};
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::publish("news")]);
    /// assert!(!hub.may_subscribe("news"));
    /// ```
    #[must_use]
    pub fn may_subscribe(&self, topic: &str) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.allows_subscribe(topic))
    }

    /// Whether a grant lets the principal publish on `topic`.
    ///
    /// ```
    /// # use nestish_core::hub::{GrantedHub, Hub, TopicGrant};
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::publish("news")]);
    /// assert!(hub.may_publish("news"));
    /// ```
    #[must_use]
    pub fn may_publish(&self, topic: &str) -> bool {
        self.grants.iter().any(|grant| grant.allows_publish(topic))
    }

    /// [`Hub::subscribe`], if a grant lets the principal subscribe to `topic`; 403 otherwise
    /// (return it from an `#[sse]` method: the refusal is sent before any SSE header). Checked
    /// here, once: the events themselves are not. When the guards named the request's principal,
    /// the subscription is made as it ([`Hub::subscribe_as`]): a member of the topic's presence
    /// while it lives.
    ///
    /// # Errors
    ///
    /// 403 when no grant allows it; the message names no topic.
    ///
    /// ```
    /// # use nestish_core::hub::{GrantedHub, Hub, TopicGrant};
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::subscribe("tenant:1:*")]);
    /// assert!(hub.subscribe("tenant:1:news", None).is_ok());
    /// let refused = hub.subscribe("tenant:2:news", None).err().unwrap();
    /// assert_eq!(refused.status(), nestish_core::StatusCode::FORBIDDEN);
    /// ```
    pub fn subscribe(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HttpError> {
        if !self.may_subscribe(topic) {
            return Err(HttpError::forbidden("topic not granted"));
        }
        Ok(match &self.principal {
            Some(principal) => self
                .hub
                .subscribe_as(topic, last_event_id, Arc::clone(principal)),
            None => self.hub.subscribe(topic, last_event_id),
        })
    }

    /// As [`subscribe`](Self::subscribe), receiving the topic's `join` and `leave` events too
    /// (when its presence is [`PresenceMode::Announced`](super::PresenceMode::Announced)): for
    /// a page that shows who is there.
    ///
    /// # Errors
    ///
    /// 403 when no grant allows it; the message names no topic.
    ///
    /// ```
    /// # use nestish_core::hub::{GrantedHub, Hub, TopicGrant};
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::subscribe("room:1")]);
    /// assert!(hub.subscribe_with_presence_events("room:1", None).is_ok());
    /// ```
    pub fn subscribe_with_presence_events(
        &self,
        topic: &str,
        last_event_id: Option<u64>,
    ) -> Result<Subscription, HttpError> {
        if !self.may_subscribe(topic) {
            return Err(HttpError::forbidden("topic not granted"));
        }
        let who = match &self.principal {
            Some(principal) => SubscribeAs::principal(Arc::clone(principal)),
            None => SubscribeAs::anonymous(),
        };
        Ok(self
            .hub
            .subscribe_as(topic, last_event_id, who.presence_events()))
    }

    /// [`Hub::publish`], if a grant lets the principal publish on `topic`.
    ///
    /// # Errors
    ///
    /// [`GrantError::Refused`] when no grant allows it (nothing is published);
    /// [`GrantError::Hub`] when the hub fails. Both convert to an [`HttpError`] (403, 500).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use nestish_core::hub::{GrantError, GrantedHub, Hub, TopicGrant};
    ///
    /// let hub = GrantedHub::new(Hub::new(), vec![TopicGrant::publish("tenant:1:*")]);
    /// assert_eq!(hub.publish("tenant:1:news", "hi").await.unwrap(), 1);
    /// let refused = hub.publish("tenant:2:news", "hi").await;
    /// assert!(matches!(refused, Err(GrantError::Refused { .. })));
    /// # }
    /// ```
    pub async fn publish(
        &self,
        topic: &str,
        event: impl Into<MessageEvent>,
    ) -> Result<u64, GrantError> {
        if !self.may_publish(topic) {
            return Err(GrantError::Refused {
                topic: topic.to_owned(),
            });
        }
        Ok(self.hub.publish(topic, event).await?)
    }
}

impl CustomArgument for GrantedHub {
    fn from_parts(parts: &RequestParts) -> Result<Self, HttpError> {
        let Some(granted) = parts.extensions.get::<TopicGrants>() else {
            return Err(HttpError::forbidden("no topic granted"));
        };
        let Some(hub) = &granted.hub else {
            tracing::error!(
                path = parts.uri.path(),
                "a route reads {}, but the app provides no Hub: add .provide(Hub::new())",
                type_name::<GrantedHub>()
            );
            return Err(HttpError::internal());
        };
        Ok(Self {
            hub: hub.clone(),
            grants: granted.grants.clone(),
            principal: granted.principal.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GuardRequest;

    fn parts() -> RequestParts {
        http::Request::new(()).into_parts().0
    }

    /// The grants that `grants` leave, as the guard chain hands them on with `hub`.
    fn granted(grants: &[TopicGrant], hub: Option<Hub>) -> Result<GrantedHub, HttpError> {
        let mut parts = parts();
        let mut request = GuardRequest::new(&mut parts, "/t");
        for grant in grants {
            request.grant(grant.clone());
        }
        if let Some(granted) = parts.extensions.get_mut::<TopicGrants>() {
            granted.hub = hub;
        }
        GrantedHub::from_parts(&parts)
    }

    #[test]
    fn a_request_without_grants_is_refused_with_403() {
        let refused = granted(&[], Some(Hub::new())).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::FORBIDDEN);
    }

    #[test]
    fn grants_of_several_guards_add_up() {
        let grants = [TopicGrant::subscribe("a:*"), TopicGrant::publish("b")];
        let hub = granted(&grants, Some(Hub::new())).unwrap();
        assert!(hub.may_subscribe("a:1") && hub.may_publish("b"));
        assert!(!hub.may_publish("a:1") && !hub.may_subscribe("b"));
    }

    #[test]
    fn grants_in_an_app_without_a_hub_are_its_mistake_answered_500() {
        let refused = granted(&[TopicGrant::all("a")], None).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}

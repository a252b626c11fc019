//! Presence: who is subscribed to a topic, by the principals its guards named, across every
//! instance of the app on the hub's engine; and, if the app asks, `join` and `leave` events to
//! the subscriptions of the topic that want them, when someone arrives or goes.
//!
//! The trade-off: presence is counted per subscription opened and closed, never per event. A
//! subscription made with a principal ([`GrantedHub::subscribe`](super::GrantedHub::subscribe)
//! in a route whose guard named one, or [`Hub::subscribe_as`](super::Hub::subscribe_as)) makes
//! the principal a member of its topic while it lives; the stream's events go as they would
//! without it. On Redis, each instance writes only when a principal's first subscription to a
//! topic opens there or its last one closes (and refreshes its entries on a heartbeat), so a
//! page reload costs Redis nothing when the principal has another tab open on the instance.
//!
//! A principal with two tabs (two subscriptions, on one instance or two) is one member: it is
//! listed once, joins when its first subscription opens anywhere and leaves when its last one
//! closes everywhere. A subscription without a principal (no guard named one) is nobody: it is
//! neither listed nor counted.
//!
//! Announcements ([`PresenceMode::Announced`]) are opted into twice, as Centrifugo's join/leave
//! messages are: by the topic, and by each subscription that wants them
//! ([`SubscribeAs::presence_events`]), so a stream that does not ask never sees one. They are
//! live only: no id, no place in the history (a page reload would otherwise fill it with its
//! own departures and arrivals), so a client that reconnects reads the presence again instead of
//! replaying them. Each subscription that asked gets each announcement once, in order with the
//! topic's events, while it is live (one that lags behind its buffer, or whose instance loses
//! Redis for a while, may miss some: it reads the presence again).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), nestish_core::hub::HubError> {
//! use nestish_core::hub::{Hub, HubConfig, MemoryBackend, PresenceMode, SubscribeAs};
//!
//! let config = HubConfig::default().presence(|topic| {
//!     if topic.starts_with("room:") { PresenceMode::Announced } else { PresenceMode::Off }
//! });
//! let hub = Hub::with_backend(MemoryBackend::new(config));
//! let first_tab = hub.subscribe_as("room:1", None, "user:ann");
//! let second_tab = hub.subscribe_as("room:1", None, SubscribeAs::principal("user:ann"));
//! let presence = hub.presence("room:1").await?;
//! assert_eq!(presence.principals, ["user:ann"]);
//! drop((first_tab, second_tab));
//! assert_eq!(hub.presence("room:1").await?.count(), 0);
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::HubEvent;
use crate::MessageEvent;

/// The event type of the announcement that a principal joined a topic (its first subscription
/// anywhere): data `{"principal":"<id>"}`, without an id.
///
/// ```
/// // In a page: source.addEventListener('join', ...)
/// assert_eq!(nestish_core::hub::JOIN_EVENT, "join");
/// ```
pub const JOIN_EVENT: &str = "join";

/// The event type of the announcement that a principal left a topic (its last subscription
/// anywhere closed, or the instance holding it died and its entry expired): data
/// `{"principal":"<id>"}`, without an id.
///
/// ```
/// assert_eq!(nestish_core::hub::LEAVE_EVENT, "leave");
/// ```
pub const LEAVE_EVENT: &str = "leave";

/// Whether a topic's presence is kept, and announced ([`HubConfig::presence`](super::HubConfig::presence)).
///
/// ```
/// use nestish_core::hub::PresenceMode;
///
/// fn mode(topic: &str) -> PresenceMode {
///     match topic {
///         "lobby" => PresenceMode::Announced,
///         t if t.starts_with("doc:") => PresenceMode::Listed,
///         _ => PresenceMode::Off,
///     }
/// }
/// assert_eq!(mode("doc:7"), PresenceMode::Listed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresenceMode {
    /// Not kept: [`Hub::presence`](super::Hub::presence) answers
    /// [`HubError::PresenceOff`](super::HubError::PresenceOff). The default, so that a hub
    /// whose app reads no presence pays nothing for it.
    #[default]
    Off,
    /// Kept, and read with [`Hub::presence`](super::Hub::presence).
    Listed,
    /// Kept, and each arrival and departure is sent as a [`JOIN_EVENT`] or [`LEAVE_EVENT`]
    /// event, without an id and outside the history, to the topic's subscriptions that ask for
    /// them ([`SubscribeAs::presence_events`]), in order with the topic's events.
    Announced,
}

impl PresenceMode {
    /// Whether presence is kept.
    pub(crate) fn kept(self) -> bool {
        self != Self::Off
    }
}

/// Who is subscribed to a topic ([`Hub::presence`](super::Hub::presence)).
///
/// ```
/// let presence = nestish_core::hub::Presence::default();
/// assert_eq!(presence.count(), 0);
/// assert!(!presence.contains("user:ann"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Presence {
    /// The principals with at least one subscription to the topic, each once, sorted.
    pub principals: Vec<String>,
    /// True when some instance holds more principals on the topic than its
    /// [`presence_limit`](super::HubConfig::presence_limit): those past it are subscribed but
    /// not listed (nor announced) until a listed one leaves.
    pub truncated: bool,
}

impl Presence {
    /// How many principals are listed.
    ///
    /// ```
    /// assert_eq!(nestish_core::hub::Presence::default().count(), 0);
    /// ```
    #[must_use]
    pub fn count(&self) -> usize {
        self.principals.len()
    }

    /// Whether `principal` is listed.
    ///
    /// ```
    /// assert!(!nestish_core::hub::Presence::default().contains("user:bob"));
    /// ```
    #[must_use]
    pub fn contains(&self, principal: &str) -> bool {
        self.principals
            .binary_search_by(|listed| listed.as_str().cmp(principal))
            .is_ok()
    }

    /// From principals in any order, possibly repeated.
    pub(crate) fn from_unsorted(mut principals: Vec<String>, truncated: bool) -> Self {
        principals.sort_unstable();
        principals.dedup();
        Self {
            principals,
            truncated,
        }
    }
}

/// Who a subscription is for ([`Hub::subscribe_as`](super::Hub::subscribe_as)): the principal
/// it makes a member of the topic's presence, if any, and whether it receives the topic's
/// `join` and `leave` events. A principal's name converts into one (`"user:ann".into()`).
///
/// ```
/// use nestish_core::hub::SubscribeAs;
///
/// let member = SubscribeAs::principal("user:ann");
/// assert_eq!(member.principal_name(), Some("user:ann"));
/// let watcher = SubscribeAs::anonymous().presence_events();
/// assert!(watcher.wants_presence_events() && watcher.principal_name().is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubscribeAs {
    principal: Option<Arc<str>>,
    presence_events: bool,
}

impl SubscribeAs {
    /// For `principal`: a member of the topic's presence while the subscription lives.
    ///
    /// ```
    /// let who = nestish_core::hub::SubscribeAs::principal("user:bob");
    /// # let _ = who;
    /// ```
    #[must_use]
    pub fn principal(principal: impl Into<Arc<str>>) -> Self {
        Self {
            principal: Some(principal.into()),
            presence_events: false,
        }
    }

    /// For nobody: not a member (a visitor who only watches).
    ///
    /// ```
    /// let who = nestish_core::hub::SubscribeAs::anonymous();
    /// assert_eq!(who.principal_name(), None);
    /// ```
    #[must_use]
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// The same, receiving the topic's [`JOIN_EVENT`] and [`LEAVE_EVENT`] events, if its
    /// presence is [`PresenceMode::Announced`].
    ///
    /// ```
    /// let who = nestish_core::hub::SubscribeAs::principal("user:ann").presence_events();
    /// assert!(who.wants_presence_events());
    /// ```
    #[must_use]
    pub fn presence_events(mut self) -> Self {
        self.presence_events = true;
        self
    }

    /// The principal, if any.
    ///
    /// ```
    /// assert_eq!(nestish_core::hub::SubscribeAs::anonymous().principal_name(), None);
    /// ```
    #[must_use]
    pub fn principal_name(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// Whether it receives the topic's presence events.
    ///
    /// ```
    /// assert!(!nestish_core::hub::SubscribeAs::anonymous().wants_presence_events());
    /// ```
    #[must_use]
    pub fn wants_presence_events(&self) -> bool {
        self.presence_events
    }

    /// Its parts: the principal, and whether it wants presence events.
    pub(crate) fn into_parts(self) -> (Option<Arc<str>>, bool) {
        (self.principal, self.presence_events)
    }
}

impl From<&str> for SubscribeAs {
    fn from(principal: &str) -> Self {
        Self::principal(principal)
    }
}

impl From<String> for SubscribeAs {
    fn from(principal: String) -> Self {
        Self::principal(principal)
    }
}

impl From<Arc<str>> for SubscribeAs {
    fn from(principal: Arc<str>) -> Self {
        Self::principal(principal)
    }
}

/// `principal` as a JSON string (quoted and escaped): never a line break, so it fits in one
/// `data:` line.
pub(crate) fn json(principal: &str) -> String {
    serde_json::Value::from(principal).to_string()
}

/// The announcement `kind` ([`JOIN_EVENT`] or [`LEAVE_EVENT`]) of `principal`, as sent: without
/// an id.
pub(crate) fn announcement(kind: &'static str, principal: &str) -> HubEvent {
    let event = MessageEvent::new(format!("{{\"principal\":{}}}", json(principal)));
    // A constant name without a line break: always a good event type.
    let event = event.event(kind).unwrap_or_default();
    HubEvent::unnumbered(&event)
}

/// The members one instance holds, per topic: each principal with a subscription here, and which
/// of them it lists (at most the limit per topic; the others wait for a place).
///
/// Its memory follows the subscriptions: a principal is held while one of its subscriptions to
/// the topic lives, and a topic while one of its principals is.
#[derive(Debug)]
pub(crate) struct Members {
    topics: HashMap<Arc<str>, TopicMembers>,
    limit: usize,
}

#[derive(Debug, Default)]
struct TopicMembers {
    /// Each principal's subscriptions here, and whether it is listed.
    principals: HashMap<Arc<str>, Member>,
    /// How many are listed.
    listed: usize,
    /// Principals held but not listed (the topic is at the limit), in no order.
    waiting: HashSet<Arc<str>>,
}

#[derive(Debug)]
struct Member {
    subscriptions: u32,
    listed: bool,
}

/// What a departure changed in a topic's list.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Left {
    /// The principal no longer listed: its last subscription here closed.
    pub(crate) left: Option<Arc<str>>,
    /// A waiting principal listed in its place.
    pub(crate) listed: Option<Arc<str>>,
}

impl Members {
    /// No members; at most `limit` listed per topic (at least 1).
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            topics: HashMap::new(),
            limit: limit.max(1),
        }
    }

    /// A subscription of `principal` to `topic` opens; the principal if it is newly listed.
    pub(crate) fn join(&mut self, topic: &str, principal: &Arc<str>) -> Option<Arc<str>> {
        let members = match self.topics.get_mut(topic) {
            Some(members) => members,
            None => self.topics.entry(Arc::from(topic)).or_default(),
        };
        if let Some(member) = members.principals.get_mut(principal) {
            member.subscriptions += 1;
            return None;
        }
        let listed = members.listed < self.limit;
        members.principals.insert(
            Arc::clone(principal),
            Member {
                subscriptions: 1,
                listed,
            },
        );
        if listed {
            members.listed += 1;
            Some(Arc::clone(principal))
        } else {
            members.waiting.insert(Arc::clone(principal));
            None
        }
    }

    /// A subscription of `principal` to `topic` closes.
    pub(crate) fn leave(&mut self, topic: &str, principal: &str) -> Left {
        let Some(members) = self.topics.get_mut(topic) else {
            return Left::default();
        };
        let Some(member) = members.principals.get_mut(principal) else {
            return Left::default();
        };
        member.subscriptions -= 1;
        if member.subscriptions > 0 {
            return Left::default();
        }
        let (key, member) = members
            .principals
            .remove_entry(principal)
            .expect("just found");
        let mut change = Left::default();
        if member.listed {
            members.listed -= 1;
            change.left = Some(key);
            // A waiting principal takes the place.
            let next = members.waiting.iter().next().map(Arc::clone);
            if let Some(next) = next {
                members.waiting.remove(&next);
                if let Some(promoted) = members.principals.get_mut(&next) {
                    promoted.listed = true;
                }
                members.listed += 1;
                change.listed = Some(next);
            }
        } else {
            members.waiting.remove(principal);
        }
        if members.principals.is_empty() {
            self.topics.remove(topic);
        }
        change
    }

    /// Whether `principal` has a subscription to `topic` here.
    #[cfg(feature = "redis")]
    pub(crate) fn holds(&self, topic: &str, principal: &str) -> bool {
        self.topics
            .get(topic)
            .is_some_and(|members| members.principals.contains_key(principal))
    }

    /// The principals listed on `topic`, and whether others wait for a place.
    pub(crate) fn listed(&self, topic: &str) -> (Vec<Arc<str>>, bool) {
        self.topics
            .get(topic)
            .map_or((Vec::new(), false), |members| {
                let listed = members
                    .principals
                    .iter()
                    .filter(|(_, member)| member.listed)
                    .map(|(principal, _)| Arc::clone(principal))
                    .collect();
                (listed, !members.waiting.is_empty())
            })
    }

    /// `topic`'s presence on this instance alone.
    pub(crate) fn presence(&self, topic: &str) -> Presence {
        let (listed, truncated) = self.listed(topic);
        Presence::from_unsorted(
            listed
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            truncated,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arc(name: &str) -> Arc<str> {
        Arc::from(name)
    }

    #[test]
    fn a_principal_with_two_subscriptions_joins_once_and_leaves_with_the_last() {
        let mut members = Members::new(10);
        assert_eq!(members.join("t", &arc("ann")), Some(arc("ann")));
        assert_eq!(members.join("t", &arc("ann")), None);
        assert_eq!(members.leave("t", "ann"), Left::default());
        assert_eq!(members.presence("t").principals, ["ann"]);
        assert_eq!(members.leave("t", "ann").left, Some(arc("ann")));
        assert!(members.topics.is_empty(), "nothing is left of the topic");
    }

    #[test]
    fn past_the_limit_principals_wait_and_take_a_freed_place() {
        let mut members = Members::new(2);
        for name in ["a", "b", "c"] {
            members.join("t", &arc(name));
        }
        let presence = members.presence("t");
        assert_eq!((presence.count(), presence.truncated), (2, true));
        let left = members.leave("t", "a");
        assert_eq!(left.left, Some(arc("a")));
        assert_eq!(left.listed, Some(arc("c")));
        let presence = members.presence("t");
        assert_eq!(presence.principals, ["b", "c"]);
        assert!(!presence.truncated);
    }

    #[test]
    fn a_waiting_principal_that_leaves_changes_no_list() {
        let mut members = Members::new(1);
        members.join("t", &arc("a"));
        members.join("t", &arc("b"));
        assert_eq!(members.leave("t", "b"), Left::default());
        assert!(!members.presence("t").truncated);
        assert_eq!(members.leave("t", "nobody"), Left::default());
    }

    #[test]
    fn an_announcement_is_one_data_line_whatever_the_principal() {
        let event = announcement(JOIN_EVENT, "user:\"x\"\nline");
        assert_eq!(event.id(), None);
        assert_eq!(
            event.encoded(),
            b"event: join\ndata: {\"principal\":\"user:\\\"x\\\"\\nline\"}\n\n"
        );
    }
}

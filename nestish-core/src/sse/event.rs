//! [`MessageEvent`]: one server-sent event, validated when it is built.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// One server-sent event, NestJS's `MessageEvent` in Rust.
///
/// Build it from its data (text, or any [`Serialize`] value as JSON), then add the optional fields.
/// Every field that could break the wire is checked here, when it is set: an `id` or event type
/// holding a line break would end its line early and inject a field of the sender's choosing, so
/// [`id`](Self::id) and [`event`](Self::event) return an [`EventError`] instead of writing it.
///
/// On the wire (WHATWG HTML, "Server-sent events") an event is written as, in this order:
/// one `:` comment line per line of the [comment](Self::comment), `event:`, `id:`, `retry:`,
/// one `data:` line per line of the data, then a blank line that makes the client dispatch it.
///
/// # Line breaks in data
///
/// The data may hold any text. Each CRLF, lone CR or lone LF in it starts a new `data:` line, and
/// the client joins those lines with LF: **every line break in the data reads back as `\n`**. That
/// normalisation is the protocol's own; nothing else about the text changes (leading spaces, empty
/// lines and an empty data string all arrive as sent).
///
/// # Example
///
/// ```
/// use nestish_core::MessageEvent;
/// use std::time::Duration;
///
/// # fn main() -> Result<(), nestish_core::EventError> {
/// let event = MessageEvent::new("line one\nline two")
///     .event("update")?
///     .id("42")?
///     .retry(Duration::from_secs(3));
/// assert_eq!(
///     event.to_string(),
///     "event: update\nid: 42\nretry: 3000\ndata: line one\ndata: line two\n\n"
/// );
///
/// // A line break in an id is refused: it would inject a field.
/// assert!(MessageEvent::new("x").id("1\ndata: forged").is_err());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageEvent {
    pub(crate) data: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) event: Option<String>,
    pub(crate) retry: Option<Duration>,
    pub(crate) comment: Option<String>,
}

impl MessageEvent {
    /// An event carrying `data` as text (the wire's `data:` lines).
    ///
    /// An empty string is still sent, as one empty `data:` line, so the client dispatches it.
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    ///
    /// assert_eq!(MessageEvent::new("").to_string(), "data: \n\n");
    /// assert_eq!(MessageEvent::new("  indented").to_string(), "data:   indented\n\n");
    /// ```
    #[must_use]
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            data: Some(data.into()),
            ..Self::default()
        }
    }

    /// An event whose data is `value` serialised as JSON, as NestJS sends object data.
    ///
    /// # Errors
    ///
    /// [`EventError::Json`] if `value` cannot be represented as JSON (a map with non-string keys,
    /// or a `Serialize` impl that fails).
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    ///
    /// let event = MessageEvent::json(&serde_json::json!({ "hello": "world" })).unwrap();
    /// assert_eq!(event.to_string(), "data: {\"hello\":\"world\"}\n\n");
    /// ```
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, EventError> {
        Ok(Self::new(serde_json::to_string(value)?))
    }

    /// Sets the event's id (the wire's `id:`), which the browser sends back as `Last-Event-ID`
    /// when it reconnects. An empty id is allowed: it resets the client's last event id.
    ///
    /// # Errors
    ///
    /// [`EventError::Id`] if `id` contains CR, LF or NUL: a line break would end the `id:` line
    /// and inject a field, and clients ignore an id with NUL. Nothing is changed then.
    ///
    /// ```
    /// use nestish_core::{EventError, MessageEvent};
    ///
    /// assert!(MessageEvent::new("x").id("7").is_ok());
    /// assert!(matches!(MessageEvent::new("x").id("7\r"), Err(EventError::Id { .. })));
    /// ```
    pub fn id(mut self, id: impl Into<String>) -> Result<Self, EventError> {
        let id = id.into();
        if let Some(found) = ForbiddenChar::find(&id, true) {
            return Err(EventError::Id { found });
        }
        self.id = Some(id);
        Ok(self)
    }

    /// Sets the event type (NestJS's `type`, the wire's `event:`); the browser dispatches the event
    /// to listeners of that name (`source.addEventListener("update", ...)`) instead of `onmessage`.
    ///
    /// # Errors
    ///
    /// [`EventError::EventType`] if `event` contains CR or LF, which would inject a field.
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    ///
    /// let event = MessageEvent::new("1").event("tick").unwrap();
    /// assert_eq!(event.to_string(), "event: tick\ndata: 1\n\n");
    /// assert!(MessageEvent::new("1").event("tick\n").is_err());
    /// ```
    pub fn event(mut self, event: impl Into<String>) -> Result<Self, EventError> {
        let event = event.into();
        if let Some(found) = ForbiddenChar::find(&event, false) {
            return Err(EventError::EventType { found });
        }
        self.event = Some(event);
        Ok(self)
    }

    /// Sets the client's reconnection delay (the wire's `retry:`, in whole milliseconds). A zero
    /// delay is written too.
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    /// use std::time::Duration;
    ///
    /// let event = MessageEvent::new("x").retry(Duration::from_millis(0));
    /// assert_eq!(event.to_string(), "retry: 0\ndata: x\n\n");
    /// ```
    #[must_use]
    pub fn retry(mut self, delay: Duration) -> Self {
        self.retry = Some(delay);
        self
    }

    /// Adds a comment, which clients ignore: useful for padding or for debugging the raw stream.
    /// A comment with line breaks is written as one `:` line per line, so it cannot inject a field.
    ///
    /// An event made with [`MessageEvent::default`] and only a comment carries no data, so the
    /// client dispatches nothing for it.
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    ///
    /// let event = MessageEvent::default().comment("two\nlines");
    /// assert_eq!(event.to_string(), ":two\n:lines\n\n");
    /// ```
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The event's data as given, if it has any.
    ///
    /// ```
    /// use nestish_core::MessageEvent;
    ///
    /// assert_eq!(MessageEvent::new("hi").data(), Some("hi"));
    /// assert_eq!(MessageEvent::default().data(), None);
    /// ```
    #[must_use]
    pub fn data(&self) -> Option<&str> {
        self.data.as_deref()
    }
}

/// Writes the event exactly as it goes on the wire, blank line included.
impl fmt::Display for MessageEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::new();
        super::encode::encode(self, &mut buf);
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}

/// Text data: `MessageEvent::new(data)`.
impl From<String> for MessageEvent {
    fn from(data: String) -> Self {
        Self::new(data)
    }
}

/// Text data: `MessageEvent::new(data)`.
impl From<&str> for MessageEvent {
    fn from(data: &str) -> Self {
        Self::new(data)
    }
}

/// A field value that [`MessageEvent`] refused to put on the wire.
///
/// ```
/// use nestish_core::{EventError, MessageEvent};
///
/// let err = MessageEvent::new("x").event("a\nb").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "event type contains a line feed (LF), which would end the `event:` line and inject a field"
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The id holds CR, LF or NUL.
    #[error("event id contains {found}, {}", found.consequence("id"))]
    Id {
        /// The first offending character.
        found: ForbiddenChar,
    },
    /// The event type holds CR or LF.
    #[error("event type contains {found}, {}", found.consequence("event"))]
    EventType {
        /// The first offending character.
        found: ForbiddenChar,
    },
    /// The data could not be serialised as JSON.
    #[error("event data cannot be serialized as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// A character that may not appear in an event's id or type.
///
/// ```
/// use nestish_core::{EventError, ForbiddenChar, MessageEvent};
///
/// match MessageEvent::new("x").id("a\0b") {
///     Err(EventError::Id { found }) => assert_eq!(found, ForbiddenChar::Nul),
///     other => panic!("unexpected {other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForbiddenChar {
    /// U+000D CARRIAGE RETURN.
    CarriageReturn,
    /// U+000A LINE FEED.
    LineFeed,
    /// U+0000 NULL (in an id only: clients ignore such an id).
    Nul,
}

impl ForbiddenChar {
    pub(super) fn find(value: &str, nul_too: bool) -> Option<Self> {
        value.bytes().find_map(|b| match b {
            b'\r' => Some(Self::CarriageReturn),
            b'\n' => Some(Self::LineFeed),
            0 if nul_too => Some(Self::Nul),
            _ => None,
        })
    }

    fn consequence(self, field: &str) -> String {
        match self {
            Self::Nul => "which makes clients ignore the id".to_owned(),
            _ => format!("which would end the `{field}:` line and inject a field"),
        }
    }
}

impl fmt::Display for ForbiddenChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CarriageReturn => "a carriage return (CR)",
            Self::LineFeed => "a line feed (LF)",
            Self::Nul => "a NUL character",
        })
    }
}

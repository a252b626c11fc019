//! An event-stream parser written from the WHATWG HTML standard's "Server-sent events",
//! §9.2.6 "Interpreting an event stream": what a browser's `EventSource` dispatches, byte for
//! byte, so a test sees what a user's page would.

use std::collections::VecDeque;
use std::time::Duration;

/// One event, as an `EventSource` dispatches it.
///
/// ```
/// # async fn show(events: &mut nestish_core::testing::EventStream) {
/// let event = events.next_event().await;
/// assert_eq!(event.event, "message"); // no `event:` field
/// assert_eq!(event.data, r#"{"hello":"world"}"#);
/// assert_eq!(event.id, None); // no `id:` so far
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The event type: the last `event:` field of the block, `"message"` without one (what
    /// `addEventListener` listens for).
    pub event: String,
    /// The `data:` lines of the block, joined with LF.
    pub data: String,
    /// The last event id in force when the event was dispatched (ids persist across events;
    /// an empty `id:` resets it to `None`). A browser sends it back as `Last-Event-ID`.
    pub id: Option<String>,
    /// The reconnection time the stream has set so far with `retry:`, if any.
    pub retry: Option<Duration>,
}

impl Event {
    /// The data parsed as JSON.
    ///
    /// # Errors
    ///
    /// `serde_json`'s, when the data is not a `T`.
    ///
    /// ```
    /// # fn show(event: nestish_core::testing::Event) -> serde_json::Result<()> {
    /// let value: serde_json::Value = event.json()?;
    /// # let _ = value; Ok(()) }
    /// ```
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(&self.data)
    }
}

/// What an event stream carries: an event, or a comment (a line starting with `:`, which a
/// browser ignores; nestish's heartbeats are empty comments).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// A dispatched event.
    Event(Event),
    /// A comment line, without its `:` (and without one leading space).
    Comment(String),
}

/// The parser's state between chunks of bytes.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    /// The current line's bytes so far.
    line: Vec<u8>,
    /// The previous chunk ended with CR: an LF starting the next one belongs to it.
    after_cr: bool,
    /// Whether the first line has begun (a leading BOM is dropped once, at the very start).
    started: bool,
    data: String,
    event_type: String,
    last_event_id: Option<String>,
    retry: Option<Duration>,
}

impl Parser {
    /// Feeds `bytes`, pushing what they complete onto `out`.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], out: &mut VecDeque<Received>) {
        if !self.started && !bytes.is_empty() {
            self.started = true;
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        if self.after_cr {
            self.after_cr = false;
            bytes = bytes.strip_prefix(b"\n").unwrap_or(bytes);
        }
        while let Some(end) = memchr::memchr2(b'\r', b'\n', bytes) {
            self.line.extend_from_slice(&bytes[..end]);
            let line = std::mem::take(&mut self.line);
            self.line(&line, out);
            // A CR followed by LF is one line break; a CR at the end may be followed by an LF
            // in the next chunk.
            let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
            if bytes[end] == b'\r' && end + 1 == bytes.len() {
                self.after_cr = true;
            }
            bytes = &bytes[end + if crlf { 2 } else { 1 }..];
        }
        self.line.extend_from_slice(bytes);
    }

    /// One complete line (§9.2.6's steps).
    fn line(&mut self, line: &[u8], out: &mut VecDeque<Received>) {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if let Some(comment) = line.strip_prefix(':') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            out.push_back(Received::Comment(comment.to_owned()));
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            // An id with NUL is ignored; an empty one resets the last event id.
            "id" if !value.contains('\0') => {
                self.last_event_id = (!value.is_empty()).then(|| value.to_owned());
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Digits only, so it parses unless it overflows, which a browser would ignore.
                if let Ok(ms) = value.parse() {
                    self.retry = Some(Duration::from_millis(ms));
                }
            }
            _ => {}
        }
    }

    /// A blank line: dispatch the event if any data was seen, then reset the buffers.
    fn dispatch(&mut self, out: &mut VecDeque<Received>) {
        let event_type = std::mem::take(&mut self.event_type);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the last LF
        out.push_back(Received::Event(Event {
            event: if event_type.is_empty() {
                "message".to_owned()
            } else {
                event_type
            },
            data,
            id: self.last_event_id.clone(),
            retry: self.retry,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(chunks: &[&[u8]]) -> Vec<Received> {
        let mut parser = Parser::default();
        let mut out = VecDeque::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out);
        }
        out.into()
    }

    fn event(event: &str, data: &str, id: Option<&str>) -> Received {
        Received::Event(Event {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.map(str::to_owned),
            retry: None,
        })
    }

    #[test]
    fn every_line_break_ends_a_line_and_crlf_is_one() {
        let expected = vec![event("message", "a\nb\nc", None)];
        assert_eq!(parse(&[b"data: a\rdata: b\r\ndata: c\n\n"]), expected);
        // A CRLF split across two chunks is still one break.
        assert_eq!(
            parse(&[b"data: a\r", b"\ndata: b\r", b"\ndata: c\r\r"]),
            expected
        );
    }

    #[test]
    fn fields_follow_the_standard() {
        let out = parse(&[
            b"\xEF\xBB\xBFid: 1\nevent: tick\ndata:  two spaces\n\n",
            b": heartbeat\n\n",
            b"data\n\n",
            b"id\ndata: reset\n\n",
            b"id: a\0b\ndata: nul ignored\n\n",
            b"retry: 1x\nretry: 2500\ndata: r\n\n",
            b"data: never dispatched",
        ]);
        assert_eq!(out[0], event("tick", " two spaces", Some("1")));
        assert_eq!(out[1], Received::Comment("heartbeat".to_owned()));
        // `data` alone is an empty data line: the event dispatches with empty data, and the id
        // persists.
        assert_eq!(out[2], event("message", "", Some("1")));
        assert_eq!(out[3], event("message", "reset", None));
        assert_eq!(out[4], event("message", "nul ignored", None));
        let Received::Event(retried) = &out[5] else {
            panic!("{:?}", out[5]);
        };
        assert_eq!(retried.retry, Some(Duration::from_millis(2500)));
        assert_eq!(out.len(), 6, "an event without its blank line is discarded");
    }

    #[test]
    fn a_block_without_data_dispatches_nothing_but_resets_the_type() {
        assert_eq!(
            parse(&[b"event: lost\n\ndata: x\n\n"]),
            vec![event("message", "x", None)]
        );
    }
}

//! [`MessageEvent`] → bytes, per the WHATWG event stream format.
//!
//! Lines end with LF. The field order is NestJS's (`event`, `id`, `retry`, `data`), with comment
//! lines first. Fields that could break the wire were rejected when the event was built, so
//! encoding cannot fail.

use std::cell::Cell;
use std::io;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use super::MessageEvent;

/// Appends `event`, terminated by its blank line, to `buf`.
pub(crate) fn encode(event: &MessageEvent, buf: &mut impl BufMut) {
    if let Some(comment) = &event.comment {
        for line in lines(comment) {
            buf.put_u8(b':');
            buf.put_slice(line.as_bytes());
            buf.put_u8(b'\n');
        }
    }
    if let Some(event_type) = &event.event {
        field(buf, b"event: ", event_type);
    }
    if let Some(id) = &event.id {
        field(buf, b"id: ", id);
    }
    if let Some(retry) = event.retry {
        field(buf, b"retry: ", &retry.as_millis().to_string());
    }
    if let Some(data) = &event.data {
        encode_data(data, buf);
    }
    buf.put_u8(b'\n');
}

/// Appends `data` as `data:` lines: one per line of `data`, the empty string included.
///
/// The space after the colon is always written, because the client strips exactly one: a value
/// that starts with a space keeps it.
pub(crate) fn encode_data(data: &str, buf: &mut impl BufMut) {
    for line in lines(data) {
        field(buf, b"data: ", line);
    }
}

/// Appends `data: <value as JSON>` and the blank line, serialising straight into `buf`.
///
/// Compact JSON has no raw line break (serde_json escapes them inside strings), so it is one
/// `data:` line; a value whose JSON does hold one (a `RawValue` kept as written) is split into
/// lines like any text. On error `buf` is left as it was.
pub(crate) fn encode_json<T: Serialize + ?Sized>(
    value: &T,
    buf: &mut BytesMut,
) -> Result<(), serde_json::Error> {
    let start = buf.len();
    buf.put_slice(b"data: ");
    let json_start = buf.len();
    let raw_line_break = Cell::new(false);
    let mut serializer = serde_json::Serializer::with_formatter(
        buf.writer(),
        Compact {
            raw_line_break: &raw_line_break,
        },
    );
    if let Err(error) = value.serialize(&mut serializer) {
        buf.truncate(start);
        return Err(error);
    }
    if raw_line_break.get() {
        let json = buf.split_off(json_start);
        buf.truncate(start);
        encode_data(&String::from_utf8_lossy(&json), buf);
        buf.put_u8(b'\n');
    } else {
        buf.put_slice(b"\n\n");
    }
    Ok(())
}

/// serde_json's compact output, noting whether a raw fragment held a line break. A raw
/// fragment (a `RawValue`, written as it was given) is the only way raw text reaches the
/// output: everything else serde_json writes escapes CR and LF. So a value needs no scan of its
/// JSON for line breaks, the check being where they can come from.
struct Compact<'a> {
    raw_line_break: &'a Cell<bool>,
}

impl serde_json::ser::Formatter for Compact<'_> {
    fn write_raw_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        if memchr::memchr2(b'\r', b'\n', fragment.as_bytes()).is_some() {
            self.raw_line_break.set(true);
        }
        writer.write_all(fragment.as_bytes())
    }
}

fn field(buf: &mut impl BufMut, name: &[u8], value: &str) {
    buf.put_slice(name);
    buf.put_slice(value.as_bytes());
    buf.put_u8(b'\n');
}

/// The lines of `text`, split at CRLF, lone CR and lone LF, as an event stream parser splits them.
/// Always yields at least one (possibly empty) line.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match memchr::memchr2(b'\r', b'\n', current.as_bytes()) {
            Some(end) => {
                let after = if current[end..].starts_with("\r\n") {
                    end + 2
                } else {
                    end + 1
                };
                rest = Some(&current[after..]);
                Some(&current[..end])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn json_wire<T: Serialize + ?Sized>(value: &T) -> String {
        let mut buf = BytesMut::new();
        encode_json(value, &mut buf).expect("serialises");
        String::from_utf8(buf.to_vec()).unwrap()
    }

    #[test]
    fn json_is_one_data_line_and_a_raw_value_with_line_breaks_is_split() {
        let escaped = serde_json::json!({ "text": "two\nlines\r\n" });
        assert_eq!(
            json_wire(&escaped),
            "data: {\"text\":\"two\\nlines\\r\\n\"}\n\n"
        );
        let raw =
            serde_json::value::RawValue::from_string("{\n  \"a\": 1\r\n}".to_owned()).unwrap();
        assert_eq!(json_wire(&raw), "data: {\ndata:   \"a\": 1\ndata: }\n\n");
        let one_line = serde_json::value::RawValue::from_string("[1, 2]".to_owned()).unwrap();
        assert_eq!(json_wire(&one_line), "data: [1, 2]\n\n");
    }

    fn wire(event: &MessageEvent) -> String {
        let mut buf = Vec::new();
        encode(event, &mut buf);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn splits_data_at_every_kind_of_line_break_once() {
        let event = MessageEvent::new("a\r\nb\rc\nd");
        assert_eq!(wire(&event), "data: a\ndata: b\ndata: c\ndata: d\n\n");
    }

    #[test]
    fn keeps_empty_lines_between_breaks() {
        assert_eq!(
            wire(&MessageEvent::new("\n\r\n\r")),
            "data: \ndata: \ndata: \ndata: \n\n"
        );
        assert_eq!(wire(&MessageEvent::new("x\n")), "data: x\ndata: \n\n");
    }

    #[test]
    fn empty_data_is_one_empty_data_line() {
        assert_eq!(wire(&MessageEvent::new("")), "data: \n\n");
    }

    #[test]
    fn leading_spaces_survive() {
        assert_eq!(
            wire(&MessageEvent::new(" one\n  two")),
            "data:  one\ndata:   two\n\n"
        );
    }

    #[test]
    fn all_fields_in_order() {
        let event = MessageEvent::new("d")
            .comment("c")
            .retry(Duration::from_millis(1500))
            .id("0")
            .unwrap()
            .event("e")
            .unwrap();
        assert_eq!(
            wire(&event),
            ":c\nevent: e\nid: 0\nretry: 1500\ndata: d\n\n"
        );
    }

    #[test]
    fn empty_id_and_zero_retry_are_written() {
        let event = MessageEvent::new("d").id("").unwrap().retry(Duration::ZERO);
        assert_eq!(wire(&event), "id: \nretry: 0\ndata: d\n\n");
    }

    #[test]
    fn multi_line_comment_is_one_colon_line_per_line() {
        let event = MessageEvent::default().comment("a\r\nb\rc\nd");
        assert_eq!(wire(&event), ":a\n:b\n:c\n:d\n\n");
    }

    #[test]
    fn unicode_is_written_as_utf8() {
        let event = MessageEvent::new("\u{feff}héllo 🌍");
        assert_eq!(wire(&event), "data: \u{feff}héllo 🌍\n\n");
    }

    #[test]
    fn json_is_one_data_line_even_with_line_breaks_in_strings() {
        let mut buf = BytesMut::new();
        encode_json(&serde_json::json!({ "text": "two\nlines\r" }), &mut buf).unwrap();
        assert_eq!(&buf[..], b"data: {\"text\":\"two\\nlines\\r\"}\n\n");
    }

    #[test]
    fn a_json_error_leaves_the_buffer_as_it_was() {
        let mut buf = BytesMut::from(&b"data: earlier\n\n"[..]);
        let not_json = std::collections::BTreeMap::from([((1, 2), 3)]);
        assert!(encode_json(&not_json, &mut buf).is_err());
        assert_eq!(&buf[..], b"data: earlier\n\n");
    }

    #[test]
    fn rejected_fields_leave_nothing_behind() {
        for bad in ["a\nb", "a\rb", "\r\n"] {
            assert!(MessageEvent::new("x").id(bad).is_err());
            assert!(MessageEvent::new("x").event(bad).is_err());
        }
        assert!(MessageEvent::new("x").id("a\0").is_err());
        // NUL is harmless in an event type: the parser keeps it as part of the name.
        assert!(MessageEvent::new("x").event("a\0").is_ok());
    }
}

//! Deserialising what the client sent (a JSON body, a query string) with the path of the field
//! at fault in the error, and never more than a short prefix of a value the client wrote.

use serde::de::DeserializeOwned;

/// The most characters of a client's value that an error message repeats.
const ECHO: usize = 32;

/// `bytes` as JSON, or the error as `path: what` (`messages[0].role: unknown variant ...`).
pub(crate) fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    deserializer
        .end()
        .map_err(|error| clip(&error.to_string()))?;
    Ok(value)
}

/// A query string, or the error as `path: what`.
pub(crate) fn query<T: DeserializeOwned>(query: &str) -> Result<T, String> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(describe)
}

/// `path: message`, or the message alone for the whole value (serde_path_to_error's `.`).
fn describe<E: std::fmt::Display>(error: serde_path_to_error::Error<E>) -> String {
    clip(&error.to_string())
}

/// Shortens every quoted part of `message` (serde quotes the client's values in backticks or
/// double quotes: ``unknown variant `...` ``, `invalid type: string "..."`) to [`ECHO`]
/// characters and an ellipsis.
pub(crate) fn clip(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(256));
    let mut open: Option<char> = None;
    let mut quoted = 0;
    for c in message.chars() {
        match open {
            Some(quote) if c == quote => {
                open = None;
                out.push(c);
            }
            Some(_) => {
                quoted += 1;
                if quoted <= ECHO {
                    out.push(c);
                } else if quoted == ECHO + 1 {
                    out.push('…');
                }
            }
            None => {
                if c == '`' || c == '"' {
                    open = Some(c);
                    quoted = 0;
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Chat {
        messages: Vec<Message>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Message {
        role: Role,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Role {
        User,
    }

    #[test]
    fn an_error_names_the_path_of_the_field() {
        let error =
            json::<Chat>(br#"{"messages":[{"role":"user"},{"role":"admin"}]}"#).unwrap_err();
        assert!(
            error.starts_with("messages[1].role: unknown variant `admin`, expected `user`"),
            "{error}"
        );
    }

    #[test]
    fn a_long_value_is_echoed_as_a_short_prefix() {
        let long = "x".repeat(10_000);
        let body = format!(r#"{{"messages":[{{"role":"{long}"}}]}}"#);
        let error = json::<Chat>(body.as_bytes()).unwrap_err();
        assert!(error.len() < 200, "{error}");
        assert!(
            error.contains(&format!("`{}…`", "x".repeat(ECHO))),
            "{error}"
        );
    }

    #[test]
    fn trailing_bytes_after_the_value_are_an_error() {
        assert!(json::<Vec<u8>>(b"[1] [2]").is_err());
    }
}

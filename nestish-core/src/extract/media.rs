//! What a `Content-Type` declares: the one place nestish decides whether a body is JSON.
//!
//! Read as RFC 9110 (8.3.1) writes a media type: type, subtype and parameter names in any
//! letter case, optional whitespace around `;`, a parameter's value quoted or not. A small
//! reader of our own rather than the `mime` crate: the decision needs the type, the subtype's
//! `+json` suffix and one parameter, and `mime` would be one more dependency of every build
//! for those few lines.

/// Whether `content_type` declares JSON: `application/json` or any `application/*+json`
/// (`application/problem+json`, `application/vnd.api+json`), as axum accepts, in any letter
/// case and with any parameters. The `charset` is not judged here (see [`parameters`]).
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    let suffixed = subtype.len() > "+json".len()
        && subtype.as_bytes()[subtype.len() - "+json".len()..].eq_ignore_ascii_case(b"+json");
    is_token(kind)
        && is_token(subtype)
        && kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || suffixed)
}

/// The parameters of `content_type`, each as `(name, value)`: the name trimmed (compare it
/// ignoring case), the value trimmed and without its quotes.
pub(crate) fn parameters(content_type: &str) -> impl Iterator<Item = (&str, &str)> {
    content_type.split(';').skip(1).filter_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(value);
        Some((name.trim(), unquoted))
    })
}

/// An RFC 9110 token (5.6.2): what a type and a subtype are made of.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::{is_json, parameters};

    #[test]
    fn json_and_any_json_suffix_in_any_letter_case() {
        for json in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "APPLICATION/JSON;CHARSET=UTF-8",
            " application/json ;charset=\"utf-8\"",
            "application/problem+json",
            "application/vnd.api+JSON; ext=bulk",
        ] {
            assert!(is_json(json), "{json}");
        }
        for other in [
            "",
            "text/plain",
            "text/json",
            "application/jsonx",
            "application/+json",
            "application/x json",
            "application / json",
            "application/json-seq",
            "json",
            "*/*",
        ] {
            assert!(!is_json(other), "{other}");
        }
    }

    #[test]
    fn parameters_are_trimmed_and_unquoted() {
        let read: Vec<_> = parameters("application/json; Charset = \"UTF-8\" ;x=1;bare").collect();
        assert_eq!(read, [("Charset", "UTF-8"), ("x", "1")]);
    }
}

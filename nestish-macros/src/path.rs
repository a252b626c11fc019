//! Route paths: validation of the string literals and NestJS's normalisation.

use syn::LitStr;

/// The characters a literal path segment may hold (RFC 3986 `pchar`, less the ones nestish
/// keeps for parameter syntax: `:`, `*`, `{`, `}`), besides `%XX` escapes.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=@".contains(c)
}

/// Checks one path literal and returns it without leading or trailing slashes.
pub(crate) fn segment_path(lit: &LitStr) -> syn::Result<String> {
    let value = lit.value();
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    for segment in trimmed.split('/') {
        check_segment(segment).map_err(|problem| {
            syn::Error::new(
                lit.span(),
                format!("invalid route path {value:?}: {problem}"),
            )
        })?;
    }
    Ok(trimmed.to_owned())
}

fn check_segment(segment: &str) -> Result<(), String> {
    if segment.is_empty() {
        return Err("it has an empty segment (`//`); write one slash between segments".into());
    }
    if segment == "." || segment == ".." {
        return Err(format!(
            "`{segment}` is not a segment clients send as is; remove it"
        ));
    }
    let mut chars = segment.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '%' => {
                let hex = segment.get(i + 1..i + 3).unwrap_or("");
                if hex.len() != 2 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("`%` must start a percent-escape like `%20`".into());
                }
                chars.nth(1);
            }
            ':' | '*' | '{' | '}' => {
                return Err(format!(
                    "`{c}` is parameter syntax, and path parameters are not supported yet"
                ));
            }
            '?' | '#' => {
                return Err(format!(
                    "`{c}` cannot appear in a path; routes match the path only"
                ));
            }
            c if c.is_whitespace() => {
                return Err("it contains whitespace; write it percent-encoded (`%20`)".into());
            }
            c if !allowed(c) => {
                return Err(format!(
                    "`{}` is not allowed in a path; write it percent-encoded",
                    c.escape_default()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Joins a controller prefix and a route path the way NestJS does: `/prefix/path`, `/` when
/// both are empty. Both parts come from [`segment_path`].
pub(crate) fn join(prefix: &str, path: &str) -> String {
    let mut full = String::with_capacity(prefix.len() + path.len() + 2);
    for part in [prefix, path] {
        if !part.is_empty() {
            full.push('/');
            full.push_str(part);
        }
    }
    if full.is_empty() {
        full.push('/');
    }
    full
}

//! Route paths: validation of the string literals, NestJS's normalisation, and the translation of
//! `:name` parameters into the router's syntax.

use syn::LitStr;

/// A path as written in an attribute (a controller's prefix, a route's path), checked: its value
/// without leading or trailing slashes, and the literal itself for error spans (`None` when the
/// attribute gives no path).
#[derive(Clone, Default)]
pub(crate) struct PathLit {
    pub(crate) value: String,
    pub(crate) lit: Option<LitStr>,
}

impl PathLit {
    /// Checks `lit` (see [`segment_path`]).
    pub(crate) fn parse(lit: LitStr) -> syn::Result<Self> {
        Ok(Self {
            value: segment_path(&lit)?,
            lit: Some(lit),
        })
    }
}

/// The characters a literal path segment may hold (RFC 3986 `pchar`, less the ones nestish
/// keeps for parameter syntax: `:`, `*`, `{`, `}`), besides `%XX` escapes.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=@".contains(c)
}

/// Checks one path literal and returns it without leading or trailing slashes.
fn segment_path(lit: &LitStr) -> syn::Result<String> {
    let value = lit.value();
    let trimmed = value.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let segments: Vec<&str> = trimmed.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        check_segment(segment, last).map_err(|problem| {
            syn::Error::new(
                lit.span(),
                format!("invalid route path {value:?}: {problem}"),
            )
        })?;
    }
    Ok(trimmed.to_owned())
}

fn check_segment(segment: &str, last: bool) -> Result<(), String> {
    if segment.is_empty() {
        return Err("it has an empty segment (`//`); write one slash between segments".into());
    }
    if segment == "." || segment == ".." {
        return Err(format!(
            "`{segment}` is not a segment clients send as is; remove it"
        ));
    }
    if let Some(name) = segment.strip_prefix(':') {
        return check_param_name(name, ':');
    }
    if let Some(name) = segment.strip_prefix('*') {
        if !last {
            return Err(format!(
                "the wildcard `*{name}` must be the last segment: it takes the rest of the path"
            ));
        }
        return check_param_name(name, '*');
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
            ':' | '*' => {
                return Err(format!(
                    "`{c}` starts a parameter only at the start of a segment, like `/cats/:id` or `/files/*path`"
                ));
            }
            '{' | '}' => {
                return Err(
                    "write path parameters as `:name` (NestJS syntax), not `{name}`".into(),
                );
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

fn check_param_name(name: &str, sigil: char) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{sigil}{name}` is not a parameter name: use letters, digits and `_`, like `{sigil}id`"
        ))
    }
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

/// A full path's parameters and its pattern in the router's syntax, parameters named by position
/// (`/cats/:id/toys/*rest` → `/cats/{p0}/toys/{*p1}`, `["id", "rest"]`).
pub(crate) struct Pattern {
    pub(crate) pattern: String,
    pub(crate) params: Vec<String>,
}

impl Pattern {
    pub(crate) fn of(full_path: &str) -> Self {
        let mut params = Vec::new();
        let mut pattern = String::with_capacity(full_path.len());
        for segment in full_path.split('/').skip(1) {
            pattern.push('/');
            if let Some(name) = segment.strip_prefix(':') {
                pattern.push_str(&format!("{{p{}}}", params.len()));
                params.push(name.to_owned());
            } else if let Some(name) = segment.strip_prefix('*') {
                pattern.push_str(&format!("{{*p{}}}", params.len()));
                params.push(name.to_owned());
            } else {
                pattern.push_str(segment);
            }
        }
        if pattern.is_empty() {
            pattern.push('/');
        }
        Self { pattern, params }
    }
}

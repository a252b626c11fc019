//! The rules of nestish's route paths, in one place: `#[controller]` and the route attributes
//! apply them to string literals at compile time, and the runtime applies the same rules at
//! start-up to what only exists then (a controller prefix given as a `const`, the global prefix,
//! a version, a prefix exclusion).
//!
//! Not public API of nestish: use it through `nestish_core`. Every function works on `&str` and
//! answers with the problem as a sentence, so each side wraps it in its own error (a compile
//! error on the literal; [`nestish_core::Error`] at start-up).
//!
//! ```
//! assert_eq!(nestish_path::check("/cats/:id/"), Ok("cats/:id".to_owned()));
//! assert!(nestish_path::check("cats//toys").is_err());
//! assert_eq!(nestish_path::join("cats", ":id"), "/cats/:id");
//! let pattern = nestish_path::Pattern::of("/cats/:id/toys/*rest");
//! assert_eq!(pattern.pattern, "/cats/{p0}/toys/{*p1}");
//! assert_eq!(pattern.params, ["id", "rest"]);
//! ```
//!
//! [`nestish_core::Error`]: https://docs.rs/nestish-core

#![deny(missing_docs)]

/// Checks a path as written (a prefix or a route's path) and returns it without leading or
/// trailing slashes (`""` for the root). The error says what is wrong with which segment, in a
/// sentence that follows "invalid route path {path:?}: ".
///
/// # Errors
///
/// A sentence naming the fault: a `{name}` parameter, an empty or repeated segment, a wildcard
/// that is not last, a character a path may not hold.
///
/// ```
/// assert_eq!(nestish_path::check("/"), Ok(String::new()));
/// assert_eq!(
///     nestish_path::check("cats/{id}").unwrap_err(),
///     "write path parameters as `:name` (NestJS syntax), not `{name}`"
/// );
/// ```
pub fn check(path: &str) -> Result<String, String> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let segments: Vec<&str> = trimmed.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        check_segment(segment, i + 1 == segments.len())?;
    }
    Ok(trimmed.to_owned())
}

/// Checks a path that may hold no parameter (`:name`, `*rest`), because it is known only at
/// start-up and no handler argument can name its parameters: a `const` controller prefix, the
/// global prefix, a version. Returns it as [`check`] does.
///
/// # Errors
///
/// What [`check`] refuses, and any `:name` or `*rest` segment.
///
/// ```
/// assert_eq!(nestish_path::check_literal("api/"), Ok("api".to_owned()));
/// assert!(nestish_path::check_literal("tenants/:tenant").is_err());
/// ```
pub fn check_literal(path: &str) -> Result<String, String> {
    let checked = check(path)?;
    match checked.split('/').find(|s| s.starts_with([':', '*'])) {
        Some(param) => Err(format!(
            "`{param}` is a parameter, and a path known only at start-up cannot hold one: \
             no handler argument could name it; write it in the route attribute instead"
        )),
        None => Ok(checked),
    }
}

/// Checks a version as written in `version = "1"` or given as a default version: one segment,
/// without parameters and not empty.
///
/// # Errors
///
/// An empty version, one with a `/`, or one that [`check_literal`] refuses.
///
/// ```
/// assert!(nestish_path::check_version("1").is_ok());
/// assert!(nestish_path::check_version("1/2").is_err());
/// assert!(nestish_path::check_version("").is_err());
/// ```
pub fn check_version(version: &str) -> Result<(), String> {
    if version.is_empty() {
        return Err("a version cannot be empty; write one like \"1\"".into());
    }
    if version.contains('/') {
        return Err(format!(
            "a version is one path segment, without `/`: {version:?}"
        ));
    }
    check_literal(version).map(drop)
}

/// The characters a literal path segment may hold (RFC 3986 `pchar`, less the ones nestish
/// keeps for parameter syntax: `:`, `*`, `{`, `}`), besides `%XX` escapes.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=@".contains(c)
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

/// Joins checked parts (each from [`check`]: no slash at either end, maybe empty) the way NestJS
/// does: `/a/b/c`, `/` when all are empty.
///
/// ```
/// assert_eq!(nestish_path::join("", ""), "/");
/// assert_eq!(nestish_path::join("api", "cats"), "/api/cats");
/// ```
pub fn join(prefix: &str, path: &str) -> String {
    join_all(&[prefix, path])
}

/// [`join`] for any number of parts: `["api", "v1", "cats", ""]` → `/api/v1/cats`.
///
/// ```
/// assert_eq!(nestish_path::join_all(&["api", "v1", "cats", ""]), "/api/v1/cats");
/// ```
pub fn join_all(parts: &[&str]) -> String {
    let mut full = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
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
/// (`/cats/:id/toys/*rest` → `/cats/{p0}/toys/{*p1}`, `["id", "rest"]`), so that `/cats/:id` and
/// `/cats/:name` are the same path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern, for the router.
    pub pattern: String,
    /// The parameters' names, in order.
    pub params: Vec<String>,
}

impl Pattern {
    /// The pattern of a full path, as [`join`] makes it.
    pub fn of(full_path: &str) -> Self {
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

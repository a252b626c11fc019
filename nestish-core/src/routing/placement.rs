//! Where each route is served: NestJS's global prefix (with its exclusions) and URI versioning,
//! put in front of each controller's prefix and route path at start-up.
//!
//! The final path is `/{global prefix}/{version}/{controller prefix}/{route path}`, as in NestJS
//! (`/api/v1/orders`). Paths known only at start-up (the global prefix, a `const` controller
//! prefix, the default version) are checked by the rules `#[controller]` applies to literals at
//! compile time (the `nestish-path` crate), and may hold no parameter.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use nestish_path::Pattern;

use super::record::{Prefix, RouteRecord, Version};
use crate::Error;

/// NestJS's `app.setGlobalPrefix('api', { exclude: [...] })`: a path segment in front of every
/// route, health and metrics routes included, except those excluded.
///
/// ```
/// use nestish_core::GlobalPrefix;
///
/// let builder = nestish_core::NestFactory::create()
///     .global_prefix(GlobalPrefix::new("api").exclude("/").exclude("health/*"));
/// # let _ = builder;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalPrefix {
    prefix: String,
    exclude: Vec<String>,
}

impl GlobalPrefix {
    /// The prefix, like `"api"` (slashes at either end do not matter).
    #[must_use]
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            exclude: Vec::new(),
        }
    }

    /// Serves the routes of `path` without the prefix: a route's controller prefix and path
    /// joined as written (`"pages/:name"`, `"/"`), or a subtree ending in `/*` (`"health/*"`:
    /// every route under `/health`, and `/health` itself). A parameter matches whatever it is
    /// named. Every method of a matching path is excluded; an exclusion that matches no route
    /// fails start-up, as a typo would.
    #[must_use]
    pub fn exclude(mut self, path: &str) -> Self {
        self.exclude.push(path.to_owned());
        self
    }
}

impl From<&str> for GlobalPrefix {
    fn from(prefix: &str) -> Self {
        Self::new(prefix)
    }
}

/// NestJS's `app.enableVersioning({ type: VersioningType.URI })`: a route with a version is
/// served under `/v{version}` (after the global prefix, before the controller's prefix).
/// Header and media-type versioning are not built: a browser's `EventSource` cannot send the
/// header they need.
///
/// ```
/// use nestish_core::Versioning;
///
/// let builder = nestish_core::NestFactory::create()
///     .enable_versioning(Versioning::uri().default_version("1"));
/// # let _ = builder;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioning {
    prefix: String,
    default: Option<String>,
}

impl Versioning {
    /// URI versioning, with NestJS's defaults: the prefix `v`, and no default version (a route
    /// without a version is served without a version segment).
    #[must_use]
    pub fn uri() -> Self {
        Self {
            prefix: "v".to_owned(),
            default: None,
        }
    }

    /// What goes before the version in its segment (`v` by default: `/v1`); `""` for none.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_owned();
        self
    }

    /// The version of routes whose controller and route give none (NestJS's `defaultVersion`);
    /// a `VERSION_NEUTRAL` route still has none.
    #[must_use]
    pub fn default_version(mut self, version: &str) -> Self {
        self.default = Some(version.to_owned());
        self
    }
}

/// The global prefix and the versioning of one app, checked, applied to its routes.
#[derive(Debug, Default)]
pub(crate) struct Placement {
    prefix: String,
    /// Each exclusion's pattern, whether it covers a subtree, whether it matched, as given.
    exclude: Vec<Exclusion>,
    /// The version prefix and the default version, when versioning is on.
    versioning: Option<(String, Option<String>)>,
}

#[derive(Debug)]
struct Exclusion {
    pattern: String,
    subtree: bool,
    used: bool,
    given: String,
}

/// A route's place: its full path (NestJS style, for logs) and its router pattern.
pub(crate) struct Placed {
    pub(crate) path: &'static str,
    pub(crate) pattern: &'static str,
}

impl Placement {
    /// Checks the settings.
    pub(crate) fn new(
        prefix: Option<&GlobalPrefix>,
        versioning: Option<&Versioning>,
    ) -> Result<Self, Error> {
        let mut placement = Self::default();
        if let Some(global) = prefix {
            placement.prefix = literal(&global.prefix, "the global prefix")?;
            for given in &global.exclude {
                let (base, subtree) = match given.trim_end_matches('/').strip_suffix("*") {
                    Some(base) if base.is_empty() || base.ends_with('/') => (base, true),
                    _ => (given.as_str(), false),
                };
                let checked = nestish_path::check(base).map_err(|reason| Error::InvalidPath {
                    what: "a global prefix exclusion".to_owned(),
                    path: given.clone(),
                    reason,
                })?;
                placement.exclude.push(Exclusion {
                    pattern: Pattern::of(&nestish_path::join(&checked, "")).pattern,
                    subtree,
                    used: false,
                    given: given.clone(),
                });
            }
        }
        if let Some(versioning) = versioning {
            if versioning.prefix.contains('/') || nestish_path::check(&versioning.prefix).is_err() {
                return Err(Error::InvalidPath {
                    what: "the version prefix".to_owned(),
                    path: versioning.prefix.clone(),
                    reason:
                        "it goes before the version in one segment: letters, like \"v\", or \"\""
                            .to_owned(),
                });
            }
            if let Some(default) = &versioning.default {
                nestish_path::check_version(default).map_err(|reason| Error::InvalidPath {
                    what: "the default version".to_owned(),
                    path: default.clone(),
                    reason,
                })?;
            }
            placement.versioning = Some((versioning.prefix.clone(), versioning.default.clone()));
        }
        Ok(placement)
    }

    /// Every place `record` is served at: one per version.
    pub(crate) fn place(&mut self, record: &'static RouteRecord) -> Result<Vec<Placed>, Error> {
        let controller_prefix = match record.prefix {
            Prefix::Literal(prefix) => prefix.to_owned(),
            Prefix::Const(prefix) => literal(
                prefix,
                &format!("the prefix of {}", record.source.controller),
            )?,
        };
        let own = nestish_path::join(&controller_prefix, record.path);
        let global = if self.prefix.is_empty() || self.excluded(&own) {
            ""
        } else {
            self.prefix.as_str()
        };
        let versions: Vec<&str> = match (record.version, &self.versioning) {
            (Version::Neutral, _) | (Version::AppDefault, None) => vec![""],
            (Version::AppDefault, Some((_, default))) => vec![default.as_deref().unwrap_or("")],
            (Version::Of(versions), Some(_)) => versions.to_vec(),
            (Version::Of(_), None) => {
                return Err(Error::VersioningOff {
                    route: &record.source,
                });
            }
        };
        let version_prefix = self.versioning.as_ref().map_or("", |(p, _)| p.as_str());
        Ok(versions
            .into_iter()
            .map(|version| {
                let version = if version.is_empty() {
                    String::new()
                } else {
                    format!("{version_prefix}{version}")
                };
                let path =
                    nestish_path::join_all(&[global, &version, &controller_prefix, record.path]);
                Placed {
                    pattern: intern(Pattern::of(&path).pattern),
                    path: intern(path),
                }
            })
            .collect())
    }

    /// Where a built-in route (health, metrics, named by `what`) given `path` is served: the
    /// path checked by the rules of every route path, without parameters (no handler could read
    /// them), then placed under the global prefix unless excluded.
    pub(crate) fn builtin(&mut self, what: &str, path: &str) -> Result<String, Error> {
        let own = nestish_path::check_literal(path).map_err(|reason| Error::InvalidPath {
            what: what.to_owned(),
            path: path.to_owned(),
            reason,
        })?;
        Ok(if self.prefix.is_empty() || self.excluded(&own) {
            nestish_path::join(&own, "")
        } else {
            nestish_path::join(&self.prefix, &own)
        })
    }

    /// Fails on an exclusion that matched no route: a typo would otherwise go unnoticed.
    pub(crate) fn check_exclusions(&self) -> Result<(), Error> {
        match self.exclude.iter().find(|e| !e.used) {
            Some(unused) => Err(Error::UnusedExclusion(unused.given.clone())),
            None => Ok(()),
        }
    }

    /// Whether `own` (a controller prefix and route path, joined) is excluded from the prefix.
    fn excluded(&mut self, own: &str) -> bool {
        let pattern = Pattern::of(&nestish_path::join(own.trim_matches('/'), "")).pattern;
        let mut excluded = false;
        for exclusion in &mut self.exclude {
            let base = exclusion.pattern.trim_end_matches('/');
            let under = pattern.strip_prefix(base).is_some_and(|rest| {
                rest.is_empty() || (rest.starts_with('/') && exclusion.subtree)
            });
            if pattern == exclusion.pattern || under {
                exclusion.used = true;
                excluded = true;
            }
        }
        excluded
    }
}

/// `path` checked as a path known only at start-up: no parameter.
fn literal(path: &str, what: &str) -> Result<String, Error> {
    nestish_path::check_literal(path).map_err(|reason| Error::InvalidPath {
        what: what.to_owned(),
        path: path.to_owned(),
        reason,
    })
}

/// A final path as the `&'static str` that logs, metrics labels and errors name routes by.
/// Each distinct path is stored once per process: their number is bounded by the app's routes
/// times the prefix and version settings it is built with, however many times it is built.
fn intern(path: String) -> &'static str {
    static PATHS: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut paths = PATHS.lock().unwrap_or_else(PoisonError::into_inner);
    let paths = paths.get_or_insert_with(HashSet::new);
    if let Some(known) = paths.get(path.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(path.into_boxed_str());
    paths.insert(leaked);
    leaked
}

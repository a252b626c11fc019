//! Route paths as written in attributes: the literal, checked by the rules the runtime applies
//! too (the `nestish-path` crate), with its span for errors.

use syn::LitStr;

pub(crate) use nestish_path::{Pattern, join};

/// A path as written in an attribute (a controller's prefix, a route's path), checked: its value
/// without leading or trailing slashes, and the literal itself for error spans (`None` when the
/// attribute gives no path).
#[derive(Clone, Default)]
pub(crate) struct PathLit {
    pub(crate) value: String,
    pub(crate) lit: Option<LitStr>,
}

impl PathLit {
    /// Checks `lit` (see `nestish_path::check`).
    pub(crate) fn parse(lit: LitStr) -> syn::Result<Self> {
        let value = lit.value();
        let checked = nestish_path::check(&value).map_err(|problem| {
            syn::Error::new(
                lit.span(),
                format!("invalid route path {value:?}: {problem}"),
            )
        })?;
        Ok(Self {
            value: checked,
            lit: Some(lit),
        })
    }
}

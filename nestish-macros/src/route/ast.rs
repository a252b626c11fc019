//! [`Route`]: the typed model of one route method, as written. It keeps the syn nodes (the path
//! literals, each argument's attribute and type, the signature) that validation points at.

use syn::{Attribute, ImplItemFn, Path, Signature};

use super::RouteKind;
use super::attr::RouteArgs;
use super::params::{self, Param};
use crate::diag::Errors;
use crate::marker;
use crate::path::{self, PathLit, Pattern};

/// A route method, parsed but not yet checked (see `valid.rs`).
pub(crate) struct Route {
    pub(crate) kind: RouteKind,
    /// The route attribute as written, before `#[controller]` marked it as read.
    pub(crate) attr: Attribute,
    pub(crate) args: RouteArgs,
    /// The controller's prefix.
    pub(crate) prefix: PathLit,
    /// The full path, NestJS style (`/cats/:id`).
    pub(crate) full_path: String,
    pub(crate) pattern: Pattern,
    /// The method's signature, its parameter attributes removed.
    pub(crate) sig: Signature,
    pub(crate) params: Vec<Param>,
    /// The route's own guards (`#[use_guards]` on the method), in order.
    pub(crate) guards: Vec<Path>,
    /// The route's own interceptors and filters (set after parsing, as read with its guards).
    pub(crate) advice: crate::advice::Advice,
    /// The method's doc comment, for the OpenAPI document's summary and description.
    pub(crate) docs: String,
}

/// The text of the `///` lines among `attrs`, one line each, their leading space removed.
fn docs(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect();
    lines.join("\n").trim().to_owned()
}

impl Route {
    /// Reads the route attribute `attr` of `method` (marking it as read) and the method's
    /// parameter attributes (removing them). Fails when they cannot be read at all; what they
    /// say is checked by [`Route::validate`].
    pub(crate) fn parse(
        kind: RouteKind,
        attr: &mut Attribute,
        method: &mut ImplItemFn,
        prefix: &PathLit,
        guards: Vec<Path>,
    ) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let written = attr.clone();
        let args = errors.ok(RouteArgs::parse(kind, attr));
        marker::mark_read(attr);
        let params = params::read(&mut method.sig.inputs, &mut errors);
        errors.finish()?;
        let args = args.unwrap_or_default();
        let full_path = path::join(&prefix.value, &args.path.value);
        let pattern = Pattern::of(&full_path);
        Ok(Self {
            kind,
            attr: written,
            args,
            prefix: prefix.clone(),
            full_path,
            pattern,
            sig: method.sig.clone(),
            params,
            guards,
            advice: Default::default(),
            docs: docs(&method.attrs),
        })
    }

    /// Whether the route answers a method without a body (`GET`, `DELETE`, a `GET` stream).
    pub(crate) fn is_body_less(&self) -> bool {
        match self.kind {
            RouteKind::Sse => !self.args.post,
            RouteKind::Get | RouteKind::Delete => true,
            _ => false,
        }
    }
}

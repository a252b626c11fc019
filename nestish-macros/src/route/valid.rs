//! The checks on a parsed [`Route`]: its signature, its path, and its arguments against both.
//! Every mistake is reported, each pointing at what the user wrote.

use syn::{FnArg, LitStr, ReturnType, Type};

use super::RouteKind;
use super::ast::Route;
use super::params::Source;
use crate::diag::Errors;
use crate::path::Pattern;

impl Route {
    pub(crate) fn validate(&self) -> syn::Result<()> {
        let mut errors = Errors::default();
        errors.ok(self.check_signature());
        errors.ok(self.check_pattern());
        self.check_arguments(&mut errors);
        errors.finish()
    }

    /// A route method takes `&self` first, is not generic, and (for `#[sse]`) returns a stream.
    fn check_signature(&self) -> syn::Result<()> {
        let sig = &self.sig;
        if !sig.generics.params.is_empty() {
            return Err(syn::Error::new_spanned(
                &sig.generics,
                "a route method cannot be generic: nestish calls it with concrete types",
            ));
        }
        if let Some(unsafety) = &sig.unsafety {
            return Err(syn::Error::new_spanned(
                unsafety,
                "a route method cannot be `unsafe`: nestish calls it for every request",
            ));
        }
        match sig.inputs.first() {
            Some(FnArg::Receiver(receiver))
                if receiver.reference.is_some()
                    && receiver.mutability.is_none()
                    && receiver.colon_token.is_none() => {}
            Some(FnArg::Receiver(receiver)) => {
                return Err(syn::Error::new_spanned(
                    receiver,
                    "a route method takes `&self`: one controller instance serves all requests at once",
                ));
            }
            _ => {
                return Err(syn::Error::new_spanned(
                    &sig.ident,
                    format!(
                        "a route method takes `&self`: write `fn {}(&self, ...)`",
                        sig.ident
                    ),
                ));
            }
        }
        if self.kind == RouteKind::Sse {
            check_stream_return(&sig.output, &sig.ident)?;
        }
        Ok(())
    }

    /// A wildcard only at the end, each parameter name once.
    fn check_pattern(&self) -> syn::Result<()> {
        let full_path = &self.full_path;
        let segments: Vec<&str> = full_path.split('/').collect();
        if let Some(pos) = segments.iter().position(|s| s.starts_with('*')) {
            if pos + 1 != segments.len() {
                // Each literal checks its own wildcard, so this one ends the prefix.
                return Err(self.error_at(
                    self.prefix.lit.as_ref(),
                    format!(
                        "in {full_path}, the wildcard `{}` must be the last segment",
                        segments[pos]
                    ),
                ));
            }
        }
        let params = &self.pattern.params;
        let in_prefix = Pattern::of(&crate::path::join(&self.prefix.value, ""))
            .params
            .len();
        for (i, name) in params.iter().enumerate() {
            let Some(first) = params[..i].iter().position(|p| p == name) else {
                continue;
            };
            let literal = |index: usize| {
                if index < in_prefix {
                    self.prefix.lit.as_ref()
                } else {
                    self.args.path.lit.as_ref()
                }
            };
            let mut error = self.error_at(
                literal(i),
                format!("in {full_path}, the parameter `{name}` appears twice; give each parameter its own name"),
            );
            if (first < in_prefix) != (i < in_prefix) {
                error.combine(self.error_at(
                    literal(first),
                    format!("the first `:{name}` of {full_path} is here"),
                ));
            }
            return Err(error);
        }
        Ok(())
    }

    /// One body, on a route whose method has one; `#[signal]` on streams only; `#[req]` a
    /// borrow; every `#[param]` named in the path.
    fn check_arguments(&self, errors: &mut Errors) {
        let mut bodies = self
            .params
            .iter()
            .filter(|p| matches!(p.source, Source::Body));
        if let Some(body) = bodies.next() {
            if self.is_body_less() {
                errors.push(syn::Error::new_spanned(
                    &body.attr,
                    "#[body] belongs on a POST, PUT or PATCH route (for a stream: #[sse(\"path\", method = \"POST\")])",
                ));
            }
        }
        for extra in bodies {
            errors.push(syn::Error::new_spanned(
                &extra.attr,
                "a route has one body: only one argument can be #[body]",
            ));
        }
        for param in &self.params {
            match &param.source {
                Source::Signal if self.kind != RouteKind::Sse => {
                    errors.push(syn::Error::new_spanned(
                        &param.attr,
                        "#[signal] tells an #[sse] route that its stream is over; this is not an #[sse] route",
                    ));
                }
                // The request's parts stay the shim's; the method borrows them. The form of the
                // type (a reference), not its name, is what is read here.
                Source::Req if !matches!(param.ty, Type::Reference(_)) => {
                    errors.push(syn::Error::new_spanned(
                        &param.ty,
                        "#[req] borrows the request's parts: write `#[req] req: &RequestParts`",
                    ));
                }
                Source::Param { name } => errors.ok(self.check_in_path(name)).unwrap_or(()),
                _ => {}
            }
        }
    }

    fn check_in_path(&self, name: &LitStr) -> syn::Result<()> {
        let path_params = &self.pattern.params;
        if path_params.iter().any(|p| *p == name.value()) {
            return Ok(());
        }
        let declared = if path_params.is_empty() {
            "it declares none".to_owned()
        } else {
            format!(
                "it declares {}",
                path_params
                    .iter()
                    .map(|p| format!("`:{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Err(syn::Error::new(
            name.span(),
            format!(
                "the route path has no parameter `:{}`: {declared}",
                name.value()
            ),
        ))
    }

    /// An error on a path literal, or on the route attribute when there is none.
    fn error_at(&self, lit: Option<&LitStr>, message: String) -> syn::Error {
        match lit {
            Some(lit) => syn::Error::new(lit.span(), message),
            None => syn::Error::new_spanned(&self.attr, message),
        }
    }
}

const STREAM_SHAPE: &str = "an #[sse] method must return a stream of events: \
     `impl Stream<Item = MessageEvent> + Send + 'static`";

/// Catches the return types that are plainly not a stream; named types are left to the trait
/// check in the generated code.
fn check_stream_return(output: &ReturnType, ident: &syn::Ident) -> syn::Result<()> {
    match output {
        ReturnType::Default => Err(syn::Error::new_spanned(ident, STREAM_SHAPE)),
        ReturnType::Type(_, ty) => {
            check_stream_type(crate::types::type_argument(ty, "Result").unwrap_or(ty))
        }
    }
}

fn check_stream_type(ty: &Type) -> syn::Result<()> {
    match ty {
        Type::ImplTrait(impl_trait) => {
            let is_stream = impl_trait.bounds.iter().any(|bound| match bound {
                syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| {
                    s.ident == "Stream"
                        || s.ident == "TryStream"
                        || s.ident == "SseStream"
                        || s.ident == "IntoSse"
                }),
                _ => false,
            });
            if is_stream {
                Ok(())
            } else {
                Err(syn::Error::new_spanned(ty, STREAM_SHAPE))
            }
        }
        Type::Tuple(tuple) if tuple.elems.is_empty() => {
            Err(syn::Error::new_spanned(ty, STREAM_SHAPE))
        }
        _ => Ok(()),
    }
}

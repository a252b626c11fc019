//! The checks on a route method's signature.

use syn::{FnArg, ImplItemFn, ReturnType, Type};

use super::RouteKind;

/// A route method takes `&self` first, is not generic, and (for `#[sse]`) returns a stream.
pub(super) fn check_signature(kind: RouteKind, method: &ImplItemFn) -> syn::Result<()> {
    let sig = &method.sig;
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
    if kind == RouteKind::Sse {
        check_stream_return(&sig.output, &sig.ident)?;
    }
    Ok(())
}

const STREAM_SHAPE: &str = "an #[sse] method must return a stream of events: \
     `impl Stream<Item = MessageEvent> + Send + 'static`";

/// The `T` of a return type spelled `Result<T, E>`: an `#[sse]` method may fail before streaming.
pub(super) fn result_ok_type(ty: &Type) -> Option<&Type> {
    crate::types::type_argument(ty, "Result")
}

/// Catches the return types that are plainly not a stream; named types are left to the trait
/// check in the generated code.
fn check_stream_return(output: &ReturnType, ident: &syn::Ident) -> syn::Result<()> {
    match output {
        ReturnType::Default => Err(syn::Error::new_spanned(ident, STREAM_SHAPE)),
        ReturnType::Type(_, ty) => check_stream_type(result_ok_type(ty).unwrap_or(ty)),
    }
}

fn check_stream_type(ty: &Type) -> syn::Result<()> {
    match ty {
        Type::ImplTrait(impl_trait) => {
            let is_stream = impl_trait.bounds.iter().any(|bound| match bound {
                syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| {
                    s.ident == "Stream" || s.ident == "TryStream" || s.ident == "SseStream"
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

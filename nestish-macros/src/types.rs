//! Reading the shape of a type as written: the `Result<T, E>` of a fallible `#[sse]` method.

use syn::Type;

/// The first type argument of `ty` when `ty` is spelled `<wrapper><T, ...>` (any path ending in
/// `wrapper`): `Option<u32>` → `u32`.
pub(crate) fn type_argument<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

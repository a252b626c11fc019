//! The one mark `#[controller]` leaves on the attributes it has read (`#[get]`, `#[sse]`,
//! `#[inject]`, `#[use_guards]`...), and how those attributes tell they are ours.
//!
//! Each of them is a real attribute macro too: once `#[controller]` has read one, it rewrites its
//! arguments to [`READ_MARKER`], so the attribute, expanding afterwards, knows it is inside a
//! controller and leaves the method alone. Met on its own, it is an error saying where it belongs.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Attribute, Path};

const READ_MARKER: &str = "__nestish_read_by_controller";

/// Rewrites an attribute's arguments to the read marker.
pub(crate) fn mark_read(attr: &mut Attribute) {
    let marker = format_ident!("{}", READ_MARKER);
    attr.meta = syn::Meta::List(syn::MetaList {
        path: attr.path().clone(),
        delimiter: syn::MacroDelimiter::Paren(Default::default()),
        tokens: quote!(#marker),
    });
}

/// The expansion of one of our attributes met on its own: the item untouched when
/// `#[controller]` has read the attribute, the item and `message` as an error otherwise.
pub(crate) fn expand_alone(args: TokenStream, item: TokenStream, message: &str) -> TokenStream {
    if is_read(&args) {
        return item;
    }
    let error = syn::Error::new(Span::call_site(), message).to_compile_error();
    quote!(#error #item)
}

/// Whether an attribute's arguments are the read marker.
pub(crate) fn is_read(args: &TokenStream) -> bool {
    syn::parse2::<syn::Ident>(args.clone()).is_ok_and(|ident| ident == READ_MARKER)
}

/// The name of an attribute when it is one of nestish's: a bare name (`get`, as imported from
/// `nestish_core`) or one spelled through the crate (`nestish_core::get`). Another crate's
/// attribute that happens to share a name (`#[other::get]`) is not ours and is left alone.
pub(crate) fn our_name(path: &Path) -> Option<String> {
    let segments = &path.segments;
    let ours = match segments.len() {
        1 => path.leading_colon.is_none(),
        2 => segments[0].ident == "nestish_core" || segments[0].ident == "nestish",
        _ => false,
    };
    ours.then(|| segments.last().map(|segment| segment.ident.to_string()))
        .flatten()
}

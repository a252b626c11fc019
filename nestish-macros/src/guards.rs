//! `#[use_guards(A, B)]`: the guards of a controller (on its impl) or of one route (on the
//! method). `#[controller]` reads both and marks them as read; the route records name the guards.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, ItemImpl, Path, Token};

use crate::diag::Errors;
use crate::marker;
use crate::private::Private;

const NAME: &str = "use_guards";

fn is_use_guards(attr: &Attribute) -> bool {
    marker::our_name(attr.path()).is_some_and(|name| name == NAME)
}

/// `#[use_guards]` where `#[controller]` has not read it: above `#[controller]` on an impl
/// (attributes expand top-down, so it moves itself below, where `#[controller]` reads it), or
/// anywhere else, an error that says where it belongs.
pub(crate) fn expand_alone(args: TokenStream, item: TokenStream) -> TokenStream {
    if marker::is_read(&args) {
        return item;
    }
    if let Ok(mut item) = syn::parse2::<ItemImpl>(item.clone()) {
        let is_controller = item
            .attrs
            .iter()
            .any(|attr| marker::our_name(attr.path()).is_some_and(|name| name == "controller"));
        if is_controller {
            item.attrs
                .push(syn::parse_quote!(#[::nestish_core::use_guards(#args)]));
            return quote!(#item);
        }
    }
    marker::expand_alone(
        args,
        item,
        "#[use_guards] goes on a #[controller] impl (guarding every route) or on a route method of one",
    )
}

/// Reads the `#[use_guards]` attributes of `attrs` (marking them as read), returning the
/// guards they name, in order.
pub(crate) fn take(attrs: &mut [Attribute], errors: &mut Errors) -> Vec<Path> {
    let mut guards = Vec::new();
    for attr in attrs.iter_mut().filter(|attr| is_use_guards(attr)) {
        if let Some(paths) = errors.ok(parse(attr)) {
            guards.extend(paths);
        }
        marker::mark_read(attr);
    }
    guards
}

fn parse(attr: &Attribute) -> syn::Result<Vec<Path>> {
    let usage = "#[use_guards] names the guards to run, like #[use_guards(AuthGuard, RolesGuard)]";
    path_list(attr, usage)
}

/// The non-empty list of paths in `attr`'s parentheses (`#[use_guards(A, B)]`, and the
/// interceptors' and filters' attributes); `usage` is the error for anything else.
pub(crate) fn path_list(attr: &Attribute, usage: &str) -> syn::Result<Vec<Path>> {
    let syn::Meta::List(_) = &attr.meta else {
        return Err(syn::Error::new_spanned(attr, usage));
    };
    let paths = attr
        .parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
        .map_err(|error| syn::Error::new(error.span(), usage))?;
    if paths.is_empty() {
        return Err(syn::Error::new_spanned(attr, usage));
    }
    Ok(paths.into_iter().collect())
}

/// The route record's `guards`: each guard's reference, spanned on its name, so that a type
/// that is not a guard is reported there.
pub(crate) fn expand<'a>(guards: impl Iterator<Item = &'a Path>) -> TokenStream {
    let refs = guards.map(|path| {
        let private = Private::at(path.span());
        quote_spanned! {path.span()=> #private::GuardRef::of::<#path>() }
    });
    quote!(&[#(#refs),*])
}

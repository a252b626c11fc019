//! `#[use_interceptors(A, B)]` and `#[use_filters(F)]`: the interceptors and exception filters
//! of a controller (on its impl) or of one route (on the method). `#[controller]` reads them,
//! as it reads `#[use_guards]`, and the route records name them.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, ItemImpl, Path};

use crate::diag::Errors;
use crate::marker;

/// One of the two attributes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Interceptors,
    Filters,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Interceptors => "use_interceptors",
            Self::Filters => "use_filters",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Self::Interceptors => {
                "#[use_interceptors] names the interceptors to run, like #[use_interceptors(Timing, Cache)]"
            }
            Self::Filters => {
                "#[use_filters] names the exception filters to try, like #[use_filters(HttpErrors)]"
            }
        }
    }

    fn of(attr: &Attribute) -> Option<Self> {
        match marker::our_name(attr.path())?.as_str() {
            "use_interceptors" => Some(Self::Interceptors),
            "use_filters" => Some(Self::Filters),
            _ => None,
        }
    }
}

/// The interceptors and filters one impl or one method names.
#[derive(Default)]
pub(crate) struct Advice {
    pub(crate) interceptors: Vec<Path>,
    pub(crate) filters: Vec<Path>,
}

impl Advice {
    /// Reads the attributes of `attrs` (marking them as read).
    pub(crate) fn take(attrs: &mut [Attribute], errors: &mut Errors) -> Self {
        let mut advice = Self::default();
        for attr in attrs.iter_mut() {
            let Some(kind) = Kind::of(attr) else {
                continue;
            };
            if let Some(paths) = errors.ok(parse(attr, kind)) {
                match kind {
                    Kind::Interceptors => advice.interceptors.extend(paths),
                    Kind::Filters => advice.filters.extend(paths),
                }
            }
            marker::mark_read(attr);
        }
        advice
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.interceptors.is_empty() && self.filters.is_empty()
    }

    /// The route record's `interceptors` (the controller's, then the route's: the order they
    /// run in) and `filters` (the route's, then the controller's: the order they are tried in),
    /// each reference spanned on its name, so that a type that is neither is reported there.
    pub(crate) fn expand(controller: &Self, route: &Self) -> (TokenStream, TokenStream) {
        let interceptors = controller
            .interceptors
            .iter()
            .chain(&route.interceptors)
            .map(|path| {
                quote_spanned! {path.span()=>
                    ::nestish_core::intercept::InterceptorRef::of::<#path>()
                }
            });
        let filters = route.filters.iter().chain(&controller.filters).map(|path| {
            quote_spanned! {path.span()=> ::nestish_core::filter::FilterRef::of::<#path>() }
        });
        (quote!(&[#(#interceptors),*]), quote!(&[#(#filters),*]))
    }
}

fn parse(attr: &Attribute, kind: Kind) -> syn::Result<Vec<Path>> {
    crate::guards::path_list(attr, kind.usage())
}

/// The attribute where `#[controller]` has not read it: above `#[controller]` on an impl (it
/// moves itself below, where `#[controller]` reads it), or anywhere else, an error that says
/// where it belongs.
pub(crate) fn expand_alone(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    if marker::is_read(&args) {
        return item;
    }
    if let Ok(mut item) = syn::parse2::<ItemImpl>(item.clone()) {
        let is_controller = item
            .attrs
            .iter()
            .any(|attr| marker::our_name(attr.path()).is_some_and(|name| name == "controller"));
        if is_controller {
            let name = syn::Ident::new(kind.name(), proc_macro2::Span::call_site());
            item.attrs
                .push(syn::parse_quote!(#[::nestish_core::#name(#args)]));
            return quote!(#item);
        }
    }
    let message = format!(
        "#[{}] goes on a #[controller] impl (every route of it) or on a route method of one",
        kind.name()
    );
    marker::expand_alone(args, item, &message)
}

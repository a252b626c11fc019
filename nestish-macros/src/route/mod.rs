//! One route method, as a pipeline: [`ast`] reads the route attribute and the method into a
//! typed [`Route`] that keeps the original syn nodes for spans, [`valid`] checks it, [`expand`]
//! emits the handler shim and the route record.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Attribute;

use crate::marker;

mod ast;
mod attr;
mod expand;
mod params;
mod valid;

pub(crate) use ast::Route;

/// Which attribute declared the route.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteKind {
    Sse,
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl RouteKind {
    /// The kind of a route attribute of nestish's; `None` for any other attribute.
    pub(crate) fn of(attr: &Attribute) -> Option<Self> {
        Some(match marker::our_name(attr.path())?.as_str() {
            "sse" => Self::Sse,
            "get" => Self::Get,
            "post" => Self::Post,
            "put" => Self::Put,
            "patch" => Self::Patch,
            "delete" => Self::Delete,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sse => "sse",
            Self::Get => "get",
            Self::Post => "post",
            Self::Put => "put",
            Self::Patch => "patch",
            Self::Delete => "delete",
        }
    }

    fn verb(self) -> TokenStream {
        let verb = match self {
            Self::Sse | Self::Get => quote!(Get),
            Self::Post => quote!(Post),
            Self::Put => quote!(Put),
            Self::Patch => quote!(Patch),
            Self::Delete => quote!(Delete),
        };
        let private = crate::private::Private::here();
        quote!(#private::Verb::#verb)
    }
}

/// A route attribute used on its own: fine when `#[controller]` has read it, an error otherwise.
pub(crate) fn expand_alone(kind: RouteKind, args: TokenStream, item: TokenStream) -> TokenStream {
    let name = kind.name();
    marker::expand_alone(
        args,
        item,
        &format!(
            "#[{name}] only works on a method of a #[controller] impl block; \
             add #[controller] to the impl (`#[controller] impl MyController {{ ... }}`)"
        ),
    )
}

//! One route method: its attribute (`#[sse("path")]`, `#[get]`, ...), its signature checks, and
//! the handler shim and route record emitted for it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, ImplItemFn, ReturnType, Type};

use crate::path;

mod args;
mod signature;

use args::RouteArgs;

/// The ident `#[controller]` writes into each route attribute it has read, so that the attribute,
/// expanding afterwards, knows it is inside a controller and leaves the method alone.
const READ_MARKER: &str = "__nestish_read_by_controller";

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
    pub(crate) fn of(attr: &Attribute) -> Option<Self> {
        let name = attr.path().segments.last()?.ident.to_string();
        Some(match name.as_str() {
            "sse" => Self::Sse,
            "get" => Self::Get,
            "post" => Self::Post,
            "put" => Self::Put,
            "patch" => Self::Patch,
            "delete" => Self::Delete,
            _ => return None,
        })
    }

    pub(super) fn name(self) -> &'static str {
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
        quote!(::nestish_core::__private::Verb::#verb)
    }
}

/// A route attribute used on its own: fine when `#[controller]` has read it, an error otherwise.
pub(crate) fn expand_alone(kind: RouteKind, args: TokenStream, item: TokenStream) -> TokenStream {
    let read = syn::parse2::<syn::Ident>(args).is_ok_and(|ident| ident == READ_MARKER);
    if read {
        return item;
    }
    let name = kind.name();
    let error = syn::Error::new(
        Span::call_site(),
        format!(
            "#[{name}] only works on a method of a #[controller] impl block; \
             add #[controller] to the impl (`#[controller] impl MyController {{ ... }}`)"
        ),
    );
    let error = error.to_compile_error();
    quote!(#error #item)
}

/// A validated route method.
pub(crate) struct Route {
    kind: RouteKind,
    args: RouteArgs,
    method: syn::Ident,
    is_async: bool,
    output: ReturnType,
}

impl Route {
    /// Reads the route attribute `attr` of `method`, then marks it as read.
    pub(crate) fn parse(
        kind: RouteKind,
        attr: &mut Attribute,
        method: &ImplItemFn,
    ) -> syn::Result<Self> {
        let parsed = RouteArgs::parse(kind, attr);
        mark_read(attr);
        let args = parsed?;
        signature::check_signature(kind, method)?;
        Ok(Self {
            kind,
            args,
            method: method.sig.ident.clone(),
            is_async: method.sig.asyncness.is_some(),
            output: method.sig.output.clone(),
        })
    }

    /// The handler shim and the `inventory::submit!` of the route record.
    pub(crate) fn expand(&self, self_ty: &Type, controller: &str, prefix: &str) -> TokenStream {
        let full_path = path::join(prefix, &self.args.path);
        let method = &self.method;
        let method_name = method.to_string();
        let verb = self.kind.verb();
        let sse = self.kind == RouteKind::Sse;
        let kind = if sse { quote!(Sse) } else { quote!(Plain) };
        let request = if sse {
            format_ident!("__request")
        } else {
            format_ident!("_request")
        };
        let sse_options = if sse {
            self.args.sse_options()
        } else {
            quote!(::nestish_core::__private::SseOptions::DEFAULT)
        };
        // The return value goes through a trait-bounded function spanned on the return type,
        // so a wrong return type is reported there, with the trait's explanation.
        let output_span = match &self.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => method.span(),
        };
        let respond = if sse {
            quote_spanned! {output_span=>
                ::nestish_core::__private::sse(__value, &__request, __sse)
            }
        } else {
            quote_spanned! {output_span=> ::nestish_core::__private::respond(__value) }
        };
        let sse_config = sse.then(|| quote!(let __sse = __context.sse();));
        let body = if self.is_async {
            quote! {
                let ::core::option::Option::Some(__this) =
                    ::nestish_core::__private::instance_arc::<#self_ty>(__context)
                else {
                    return ::nestish_core::__private::wrong_controller(#full_path);
                };
                #sse_config
                ::nestish_core::__private::HandlerFuture::boxed(async move {
                    let __value = <#self_ty>::#method(&*__this).await;
                    #respond
                })
            }
        } else {
            quote! {
                let ::core::option::Option::Some(__this) =
                    ::nestish_core::__private::instance::<#self_ty>(__context)
                else {
                    return ::nestish_core::__private::wrong_controller(#full_path);
                };
                #sse_config
                let __value = <#self_ty>::#method(__this);
                ::nestish_core::__private::HandlerFuture::ready(#respond)
            }
        };
        let construct =
            quote_spanned! {self_ty.span()=> ::nestish_core::__private::construct::<#self_ty> };
        let line = quote_spanned! {method.span()=> ::core::line!() };
        quote! {
            const _: () = {
                fn __nestish_handler(
                    __context: &::nestish_core::__private::RouteContext,
                    #request: ::nestish_core::Request,
                ) -> ::nestish_core::__private::HandlerFuture {
                    #body
                }
                ::nestish_core::__private::inventory::submit! {
                    ::nestish_core::__private::RouteRecord {
                        verb: #verb,
                        path: #full_path,
                        kind: ::nestish_core::__private::RouteKind::#kind,
                        source: ::nestish_core::__private::RouteSource {
                            controller: #controller,
                            method: #method_name,
                            file: ::core::file!(),
                            line: #line,
                        },
                        controller_type: ::nestish_core::__private::controller_type::<#self_ty>,
                        construct: #construct,
                        handler: __nestish_handler,
                        sse: #sse_options,
                    }
                }
            };
        }
    }
}

/// Rewrites a route attribute's arguments to the read marker.
pub(crate) fn mark_read(attr: &mut Attribute) {
    let marker = format_ident!("{}", READ_MARKER);
    attr.meta = syn::Meta::List(syn::MetaList {
        path: attr.path().clone(),
        delimiter: syn::MacroDelimiter::Paren(Default::default()),
        tokens: quote!(#marker),
    });
}

//! One route method: its attribute (`#[sse("path")]`, `#[get]`, ...), its signature checks, and
//! the handler shim and route record emitted for it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItemFn, LitStr, ReturnType, Token, Type};

use crate::path;

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

    fn name(self) -> &'static str {
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
    /// The route's own path, without leading or trailing slashes.
    path: String,
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
        let parsed = parse_path_arg(kind, attr);
        mark_read(attr);
        let path = parsed?;
        check_signature(kind, method)?;
        Ok(Self {
            kind,
            path,
            method: method.sig.ident.clone(),
            is_async: method.sig.asyncness.is_some(),
            output: method.sig.output.clone(),
        })
    }

    /// The handler shim and the `inventory::submit!` of the route record.
    pub(crate) fn expand(&self, self_ty: &Type, controller: &str, prefix: &str) -> TokenStream {
        let full_path = path::join(prefix, &self.path);
        let method = &self.method;
        let method_name = method.to_string();
        let verb = self.kind.verb();
        let (kind, request) = match self.kind {
            RouteKind::Sse => (quote!(Sse), format_ident!("__request")),
            _ => (quote!(Plain), format_ident!("_request")),
        };
        // The return value goes through a trait-bounded function spanned on the return type,
        // so a wrong return type is reported there, with the trait's explanation.
        let output_span = match &self.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => method.span(),
        };
        let respond = match self.kind {
            RouteKind::Sse => quote_spanned! {output_span=>
                ::nestish_core::__private::sse(__value, &__request, #full_path)
            },
            _ => quote_spanned! {output_span=> ::nestish_core::__private::respond(__value) },
        };
        let body = if self.is_async {
            quote! {
                let ::core::option::Option::Some(__this) =
                    ::nestish_core::__private::instance_arc::<#self_ty>(__controller)
                else {
                    return ::nestish_core::__private::wrong_controller(#full_path);
                };
                ::nestish_core::__private::HandlerFuture::boxed(async move {
                    let __value = <#self_ty>::#method(&*__this).await;
                    #respond
                })
            }
        } else {
            quote! {
                let ::core::option::Option::Some(__this) =
                    ::nestish_core::__private::instance::<#self_ty>(__controller)
                else {
                    return ::nestish_core::__private::wrong_controller(#full_path);
                };
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
                    __controller: &::nestish_core::__private::Controller,
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
                    }
                }
            };
        }
    }
}

/// `#[sse]`, `#[sse("path")]`: the path, checked, without leading or trailing slashes.
fn parse_path_arg(kind: RouteKind, attr: &Attribute) -> syn::Result<String> {
    let name = kind.name();
    match &attr.meta {
        syn::Meta::Path(_) => Ok(String::new()),
        syn::Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            nv,
            format!("write the path in parentheses: #[{name}(\"path\")]"),
        )),
        syn::Meta::List(_) => attr.parse_args_with(|input: ParseStream| {
            let mut path = String::new();
            let starts_with_key = input.peek(syn::Ident) && input.peek2(Token![=]);
            if input.peek(LitStr) {
                path = path::segment_path(&input.parse()?)?;
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            } else if !input.is_empty() && !starts_with_key {
                return Err(input.error(format!(
                    "expected the route path as a string literal, like #[{name}(\"events\")]"
                )));
            }
            if !input.is_empty() {
                let key: syn::Ident = input.parse()?;
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{key}`: #[{name}] takes only a path, like #[{name}(\"events\")]"),
                ));
            }
            Ok(path)
        }),
    }
}

pub(crate) fn mark_read(attr: &mut Attribute) {
    let marker = format_ident!("{}", READ_MARKER);
    attr.meta = syn::Meta::List(syn::MetaList {
        path: attr.path().clone(),
        delimiter: syn::MacroDelimiter::Paren(Default::default()),
        tokens: quote!(#marker),
    });
}

/// A route method takes `&self` and nothing else, is not generic, and (for `#[sse]`) returns a
/// stream.
fn check_signature(kind: RouteKind, method: &ImplItemFn) -> syn::Result<()> {
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
    if let Some(extra) = sig.inputs.iter().nth(1) {
        return Err(syn::Error::new_spanned(
            extra,
            "nestish cannot fill this argument: route methods take only `&self` for now",
        ));
    }
    if kind == RouteKind::Sse {
        check_stream_return(&sig.output, &sig.ident)?;
    }
    Ok(())
}

const STREAM_SHAPE: &str = "an #[sse] method must return a stream of events: \
     `impl Stream<Item = MessageEvent> + Send + 'static`";

/// Catches the return types that are plainly not a stream; named types are left to the trait
/// check in the generated code.
fn check_stream_return(output: &ReturnType, ident: &syn::Ident) -> syn::Result<()> {
    match output {
        ReturnType::Default => Err(syn::Error::new_spanned(ident, STREAM_SHAPE)),
        ReturnType::Type(_, ty) => match &**ty {
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
        },
    }
}

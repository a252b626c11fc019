//! A validated [`Route`] → its handler shim and the `inventory::submit!` of its route record.
//!
//! Code that a user's type flows through is emitted with `quote_spanned!` on that type, every
//! path spelled out in full inside it, so that a trait error points at the user's code alone.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ReturnType;
use syn::spanned::Spanned;

use super::RouteKind;
use super::ast::Route;
use super::params::{Param, Source};
use crate::controller::Owner;
use crate::guards;
use crate::types::type_argument;
use crate::version::Version;

impl Route {
    fn verb(&self) -> TokenStream {
        if self.kind == RouteKind::Sse && self.args.post {
            RouteKind::Post.verb()
        } else {
            self.kind.verb()
        }
    }

    /// The handler shim and the `inventory::submit!` of the route record.
    pub(crate) fn expand(&self, owner: &Owner<'_>) -> TokenStream {
        let Owner {
            self_ty,
            name: controller,
            construct,
            ..
        } = owner;
        let guards = guards::expand(owner.guards.iter().chain(&self.guards));
        let private = quote!(::nestish_core::__private);
        let path = &self.args.path.value;
        let prefix = &owner.prefix;
        let version = Version::expand(self.args.version.as_ref(), owner.version);
        let method = &self.sig.ident;
        let method_name = method.to_string();
        let handler = format_ident!("__nestish_handler_{}", method);
        let verb = self.verb();
        let sse = self.kind == RouteKind::Sse;
        let kind = if sse { quote!(Sse) } else { quote!(Plain) };
        let sse_options = if sse {
            self.args.sse_options()
        } else {
            quote!(#private::SseOptions::DEFAULT)
        };
        let is_async = self.sig.asyncness.is_some();
        let reads_body = self.params.iter().any(|p| matches!(p.source, Source::Body));
        let boxed = is_async || reads_body;
        let sse_setup = sse.then(|| quote!(let mut __sse = __context.sse();));

        let respond = self.respond(sse);
        let reject = if boxed {
            quote!(return #private::rejection(__error))
        } else {
            quote!(return #private::HandlerFuture::ready(#private::rejection(__error)))
        };
        let mut bindings = Vec::new();
        let mut args = Vec::new();
        for (i, param) in self.params.iter().enumerate() {
            let arg = format_ident!("__arg{}", i);
            let expr = self.extraction(param);
            bindings.push(quote! {
                let #arg = match #expr {
                    ::core::result::Result::Ok(__value) => __value,
                    ::core::result::Result::Err(__error) => #reject,
                };
            });
            args.push(arg);
        }
        let call = if is_async {
            quote!(<#self_ty>::#method(&*__this, #(#args),*).await)
        } else if boxed {
            quote!(<#self_ty>::#method(&*__this, #(#args),*))
        } else {
            quote!(<#self_ty>::#method(__this, #(#args),*))
        };
        let instance = if boxed {
            quote!(instance_arc)
        } else {
            quote!(instance)
        };
        let run = quote! {
            #(#bindings)*
            let __value = #call;
            #respond
        };
        let run = if boxed {
            quote!(#private::HandlerFuture::boxed(async move { #run }))
        } else {
            quote!(#private::HandlerFuture::ready({ #run }))
        };
        let line = quote_spanned! {method.span()=> ::core::line!() };
        quote! {
            #[allow(unused_variables, unused_mut)]
            fn #handler(
                __context: &#private::RouteContext,
                __request: #private::Request,
                __params: #private::PathParams,
            ) -> #private::HandlerFuture {
                let ::core::option::Option::Some(__this) =
                    #private::#instance::<#self_ty>(__context)
                else {
                    return #private::wrong_controller(#method_name);
                };
                #sse_setup
                let __limit = __context.body_limit();
                let (__parts, __body) = __request.into_parts();
                #run
            }
            #private::inventory::submit! {
                #private::RouteRecord {
                    verb: #verb,
                    prefix: #prefix,
                    path: #path,
                    version: #version,
                    kind: #private::RouteKind::#kind,
                    source: #private::RouteSource {
                        controller: #controller,
                        method: #method_name,
                        file: ::core::file!(),
                        line: #line,
                    },
                    controller_type: #private::controller_type::<#self_ty>,
                    construct: #construct,
                    dependencies: __nestish_dependencies,
                    handler: #handler,
                    sse: #sse_options,
                    guards: #guards,
                }
            }
        }
    }

    /// The return value as the response. It goes through a trait-bounded function spanned on
    /// the return type, so a wrong return type is reported there, with the trait's explanation.
    fn respond(&self, sse: bool) -> TokenStream {
        let (span, fallible, with_head) = match &self.sig.output {
            ReturnType::Type(_, ty) => {
                let ok = type_argument(ty, "Result");
                // `Sse<S>`: the stream with a status and headers of its own.
                let with_head = type_argument(ok.unwrap_or(ty), "Sse").is_some();
                (ty.span(), ok.is_some(), with_head)
            }
            ReturnType::Default => (self.sig.ident.span(), false, false),
        };
        match (sse, fallible, with_head) {
            (true, false, false) => {
                quote_spanned! {span=> ::nestish_core::__private::sse(__value, __sse) }
            }
            (true, true, false) => {
                quote_spanned! {span=> ::nestish_core::__private::sse_result(__value, __sse) }
            }
            (true, false, true) => {
                quote_spanned! {span=> ::nestish_core::__private::sse_head(__value, __sse) }
            }
            (true, true, true) => quote_spanned! {span=>
                ::nestish_core::__private::sse_head_result(__value, __sse)
            },
            _ => quote_spanned! {span=> ::nestish_core::__private::respond(__value) },
        }
    }

    /// An expression of type `Result<T, HttpError>` for one argument: spanned on its type, so
    /// a type the source cannot give is reported on it.
    fn extraction(&self, param: &Param) -> TokenStream {
        let ty = &param.ty;
        let span = ty.span();
        let label = &param.label;
        let option = type_argument(ty, "Option");
        match (&param.source, option) {
            (Source::Param { name }, _) => {
                // Validation has checked that the path declares it.
                let index = self
                    .pattern
                    .params
                    .iter()
                    .position(|p| *p == name.value())
                    .unwrap_or_default();
                quote_spanned! {span=>
                    ::nestish_core::__private::path_param::<#ty>(&__params, #index, #name)
                }
            }
            (Source::Query { name: Some(name) }, Some(inner)) => quote_spanned! {span=>
                ::nestish_core::__private::query_value_opt::<#inner>(&__parts, #name)
            },
            (Source::Query { name: Some(name) }, None) => quote_spanned! {span=>
                ::nestish_core::__private::query_value::<#ty>(&__parts, #name)
            },
            (Source::Query { name: None }, _) if type_argument(ty, "Valid").is_some() => {
                let inner = type_argument(ty, "Valid");
                quote_spanned! {span=> ::nestish_core::__private::query_valid::<#inner>(&__parts) }
            }
            (Source::Query { name: None }, _) => quote_spanned! {span=>
                ::nestish_core::__private::query_all::<#ty>(&__parts, #label)
            },
            (Source::Header { name }, Some(inner)) => quote_spanned! {span=>
                ::nestish_core::__private::header_opt::<#inner>(&__parts, #name)
            },
            (Source::Header { name }, None) => quote_spanned! {span=>
                ::nestish_core::__private::header::<#ty>(&__parts, #name)
            },
            (Source::Cookie { name }, Some(inner)) => quote_spanned! {span=>
                ::nestish_core::__private::cookie_opt::<#inner>(&__parts, #name)
            },
            (Source::Cookie { name }, None) => quote_spanned! {span=>
                ::nestish_core::__private::cookie::<#ty>(&__parts, #name)
            },
            (Source::Custom, _) => quote_spanned! {span=>
                ::nestish_core::__private::custom::<#ty>(&__parts)
            },
            (Source::LastEventId, Some(inner)) => quote_spanned! {span=>
                ::nestish_core::__private::last_event_id_opt::<#inner>(&__parts)
            },
            (Source::LastEventId, None) => quote_spanned! {span=>
                ::nestish_core::__private::last_event_id::<#ty>(&__parts)
            },
            (Source::Req, _) => quote_spanned! {span=>
                ::nestish_core::__private::request_parts(&__parts)
            },
            (Source::Signal, _) => quote_spanned! {span=>
                ::nestish_core::__private::close_signal(&mut __sse)
            },
            (Source::Body, _) => {
                // Reading is not generic; the conversion, spanned on the type, is where a
                // wrong body type is reported.
                let convert = quote_spanned! {span=>
                    ::nestish_core::__private::from_body::<#ty>(&__parts, __bytes)
                };
                quote! {
                    ::nestish_core::__private::body_bytes(__body, &__parts, __limit)
                        .await
                        .and_then(|__bytes| #convert)
                }
            }
        }
    }
}

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
use crate::advice::Advice;
use crate::controller::Owner;
use crate::guards;
use crate::private::Private;
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
        let (interceptors, filters) = Advice::expand(owner.advice, &self.advice);
        let private = Private::here();
        let path = &self.args.path.value;
        let prefix = &owner.prefix;
        let version = Version::expand(self.args.version.as_ref(), owner.version);
        let method = &self.sig.ident;
        let method_name = method.to_string();
        let handler = format_ident!("__nestish_handler_{}", method);
        let verb = self.verb();
        let sse = self.kind == RouteKind::Sse;
        let sse_options = if sse {
            let options = self.args.sse_options();
            quote!(::core::option::Option::Some(#options))
        } else {
            quote!(::core::option::Option::None)
        };
        let is_async = self.sig.asyncness.is_some();
        let reads_body = self.params.iter().any(|p| matches!(p.source, Source::Body));
        let boxed = is_async || reads_body;
        let sse_setup = sse.then(|| quote!(let mut __sse = __context.sse();));

        let respond = self.respond(sse);
        let rejection = quote!(::nestish_core::IntoResponse::into_response(__error));
        let reject = if boxed {
            quote!(return #rejection)
        } else {
            quote!(return #private::HandlerFuture::ready(#rejection))
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
        // The controller, borrowed by a synchronous method, shared with an `async` one's future.
        let instance = if boxed {
            quote!(::std::sync::Arc::clone(__context.controller()).downcast::<#self_ty>().ok())
        } else {
            quote!(__context.controller().downcast_ref::<#self_ty>())
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
        let doc = format_ident!("__nestish_doc_{}", method);
        let describe = self.describe(owner, &doc);
        quote! {
            #[allow(unused_variables, unused_mut)]
            fn #handler(
                __context: &#private::RouteContext,
                __parts: ::nestish_core::RequestParts,
                __body: ::nestish_core::RequestBody,
                __params: #private::PathParams,
            ) -> #private::HandlerFuture {
                let ::core::option::Option::Some(__this) = #instance else {
                    return #private::HandlerFuture::wrong_controller(#method_name);
                };
                #sse_setup
                let __limit = __context.body_limit();
                #run
            }
            #describe
            #private::inventory::submit! {
                #private::RouteRecord {
                    verb: #verb,
                    prefix: #prefix,
                    path: #path,
                    version: #version,
                    source: ::nestish_core::RouteSource {
                        controller: #controller,
                        method: #method_name,
                        file: ::core::file!(),
                        line: #line,
                    },
                    controller_type: ::core::any::TypeId::of::<#self_ty>,
                    construct: #construct,
                    dependencies: __nestish_dependencies,
                    handler: #handler,
                    sse: #sse_options,
                    guards: #guards,
                    interceptors: #interceptors,
                    filters: #filters,
                    doc: #private::doc::cfg!(ref #doc),
                }
            }
        }
    }

    /// The route's description function (feature `openapi` of nestish-core; nothing without
    /// it): each argument describes itself through the trait of its source, spanned on its
    /// type, so a type without a schema is reported at the argument; the return type through
    /// the trait of the route's kind, spanned on it. The method is named, not called, in a
    /// closure that is never called, so its return type (an `impl Stream` too) is a type
    /// parameter of the function that reads it.
    fn describe(&self, owner: &Owner<'_>, name: &syn::Ident) -> TokenStream {
        let private = Private::here();
        let extract = quote!(::nestish_core::extract);
        let self_ty = owner.self_ty;
        let method = &self.sig.ident;
        let mut arguments = Vec::new();
        for param in &self.params {
            let ty = &param.ty;
            let span = ty.span();
            let location = |place: &str| {
                let place = format_ident!("{}", place);
                quote!(#private::doc::Location::#place)
            };
            arguments.push(match &param.source {
                Source::Param { name } => quote_spanned! {span=>
                    let __schema = <#ty as #extract::FromParam>::describe(__doc.schemas());
                    __doc.path(#name, __schema);
                },
                Source::Query { name: Some(name) } => {
                    let query = location("Query");
                    quote_spanned! {span=>
                        let __value = <#ty as #extract::FromQueryParam<_>>::describe(__doc.schemas());
                        __doc.value(#query, #name, __value);
                    }
                }
                Source::Query { name: None } => quote_spanned! {span=>
                    let __schema = <#ty as #extract::FromQuery>::describe(__doc.schemas());
                    __doc.query(__schema);
                },
                Source::Header { name } => {
                    let header = location("Header");
                    quote_spanned! {span=>
                        let __value = <#ty as #extract::FromHeader<_>>::describe(__doc.schemas());
                        __doc.value(#header, #name, __value);
                    }
                }
                Source::Cookie { name } => {
                    let cookie = location("Cookie");
                    quote_spanned! {span=>
                        let __value = <#ty as #extract::FromCookie<_>>::describe(__doc.schemas());
                        __doc.value(#cookie, #name, __value);
                    }
                }
                Source::LastEventId => quote_spanned! {span=>
                    let __value = <#ty as #extract::FromLastEventId<_>>::describe(__doc.schemas());
                    __doc.last_event_id(__value);
                },
                Source::Body => quote_spanned! {span=>
                    let __body = <#ty as #extract::FromBody>::describe(__doc.schemas());
                    __doc.body(__body);
                },
                // What reads itself, the request head and the close signal are not parameters.
                Source::Custom | Source::Req | Source::Signal => quote!(),
            });
        }
        let never = std::iter::repeat_n(quote!(#private::doc::never()), self.params.len() + 1);
        let call = quote!(|| <#self_ty>::#method(#(#never),*));
        let (span, fallible) = match &self.sig.output {
            ReturnType::Type(_, ty) => (ty.span(), type_argument(ty, "Result").is_some()),
            ReturnType::Default => (self.sig.ident.span(), false),
        };
        let reader = match (
            self.kind == RouteKind::Sse,
            fallible,
            self.sig.asyncness.is_some(),
        ) {
            (false, _, false) => "responds",
            (false, _, true) => "responds_later",
            (true, false, false) => "streams",
            (true, false, true) => "streams_later",
            (true, true, false) => "streams_or",
            (true, true, true) => "streams_or_later",
        };
        let reader = format_ident!("{}", reader, span = span);
        let answers = quote_spanned! {span=> #private::doc::#reader(__doc, #call); };
        let docs = &self.docs;
        let docs = (!docs.is_empty()).then(|| quote!(__doc.docs(#docs);));
        quote! {
            #private::doc::cfg! {
                #[allow(unreachable_code, clippy::diverging_sub_expression)]
                fn #name(__doc: &mut #private::doc::RouteDescriber<'_>) {
                    #docs
                    #(#arguments)*
                    #answers
                }
            }
        }
    }

    /// The return value as the response, through the trait of the route's kind (`IntoSse` or
    /// `IntoResponse`), spanned on the return type, so that a wrong return type is reported
    /// there, with the trait's explanation. A fallible `#[sse]` method (its return type written
    /// `Result<..>`) answers its error instead: a stream type cannot tell the compiler it is not
    /// a `Result`, so this one shape is read from the signature.
    fn respond(&self, sse: bool) -> TokenStream {
        let (span, fallible) = match &self.sig.output {
            ReturnType::Type(_, ty) => (ty.span(), type_argument(ty, "Result").is_some()),
            ReturnType::Default => (self.sig.ident.span(), false),
        };
        match (sse, fallible) {
            (true, false) => quote_spanned! {span=> __sse.respond(__value) },
            (true, true) => quote_spanned! {span=>
                match __value {
                    ::core::result::Result::Ok(__ok) => __sse.respond(__ok),
                    ::core::result::Result::Err(__error) => {
                        ::nestish_core::IntoResponse::into_response(__error)
                    }
                }
            },
            (false, _) => {
                quote_spanned! {span=> ::nestish_core::IntoResponse::into_response(__value) }
            }
        }
    }

    /// An expression of type `Result<T, HttpError>` for one argument: the trait of its source,
    /// called on its type and spanned on it, so that a type the source cannot give is reported
    /// there, with the trait's explanation. The macro reads nothing of the type itself.
    fn extraction(&self, param: &Param) -> TokenStream {
        let ty = &param.ty;
        let span = ty.span();
        let label = &param.label;
        let extract = quote!(::nestish_core::extract);
        match &param.source {
            Source::Param { name } => {
                // Validation has checked that the path declares it.
                let index = self
                    .pattern
                    .params
                    .iter()
                    .position(|p| *p == name.value())
                    .unwrap_or_default();
                let convert = quote_spanned! {span=>
                    <#ty as #extract::FromParam>::from_param(&__text, #name)
                };
                quote!(__params.decoded(#index, #name).and_then(|__text| #convert))
            }
            Source::Query { name: Some(name) } => quote_spanned! {span=>
                <#ty as #extract::FromQueryParam<_>>::from_query_param(
                    #extract::RequestPartsExt::query_param(&__parts, #name).as_deref(),
                    #name,
                )
            },
            Source::Query { name: None } => quote_spanned! {span=>
                <#ty as #extract::FromQuery>::from_query(
                    __parts.uri.query().unwrap_or_default(),
                    #label,
                )
            },
            Source::Header { name } => quote_spanned! {span=>
                <#ty as #extract::FromHeader<_>>::from_header(__parts.headers.get(#name), #name)
            },
            Source::Cookie { name } => quote_spanned! {span=>
                <#ty as #extract::FromCookie<_>>::from_cookie(
                    #extract::RequestPartsExt::cookie(&__parts, #name),
                    #name,
                )
            },
            Source::LastEventId => quote_spanned! {span=>
                <#ty as #extract::FromLastEventId<_>>::from_last_event_id(
                    __parts.headers.get("last-event-id"),
                )
            },
            Source::Custom => quote_spanned! {span=>
                <#ty as #extract::CustomArgument>::from_parts(&__parts)
            },
            Source::Req => quote_spanned! {span=>
                ::core::result::Result::<#ty, ::nestish_core::HttpError>::Ok(&__parts)
            },
            Source::Signal => quote_spanned! {span=>
                ::core::result::Result::<#ty, ::nestish_core::HttpError>::Ok(__sse.close_signal())
            },
            Source::Body => {
                // Reading is not generic; the conversion, spanned on the type, is where a
                // wrong body type is reported.
                let convert = quote_spanned! {span=>
                    <#ty as #extract::FromBody>::from_body(&__parts, __bytes)
                };
                quote! {
                    __limit.read(__body, &__parts).await.and_then(|__bytes| #convert)
                }
            }
        }
    }
}

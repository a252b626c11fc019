//! One route method: its attribute (`#[sse("path")]`, `#[get]`, ...), its signature checks, and
//! the handler shim and route record emitted for it.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, ImplItemFn, ReturnType, Type};

use crate::diag::Errors;
use crate::path::{self, Pattern};

mod args;
mod params;
mod signature;

use args::RouteArgs;
use params::{Param, Source};

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
    /// The full path, NestJS style (`/cats/:id`).
    full_path: String,
    pattern: Pattern,
    method: syn::Ident,
    is_async: bool,
    output: ReturnType,
    params: Vec<Param>,
    /// How each argument is extracted, in order: `Some(expr)` evaluating to
    /// `Result<T, HttpError>`, or `None` for the body, which is read asynchronously.
    extractions: Vec<Option<TokenStream>>,
}

impl Route {
    /// Reads the route attribute `attr` of `method` (marking it as read) and the method's
    /// parameter attributes (removing them), and checks them all against the full path.
    pub(crate) fn parse(
        kind: RouteKind,
        attr: &mut Attribute,
        method: &mut ImplItemFn,
        prefix: &str,
    ) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let parsed = RouteArgs::parse(kind, attr);
        mark_read(attr);
        let args = errors.ok(parsed);
        errors.ok(signature::check_signature(kind, method));
        let params = params::read(&mut method.sig.inputs, &mut errors);
        let args = args.unwrap_or_default();
        let full_path = path::join(prefix, &args.path);
        let pattern = Pattern::of(&full_path);
        errors.ok(check_pattern(&full_path, &pattern, attr));
        let verb_is_body_less = match kind {
            RouteKind::Sse => !args.post,
            RouteKind::Get | RouteKind::Delete => true,
            _ => false,
        };
        let mut bodies = params.iter().filter(|p| matches!(p.source, Source::Body));
        if let Some(body) = bodies.next() {
            if verb_is_body_less {
                errors.push(syn::Error::new_spanned(
                    &body.attr,
                    "#[body] belongs on a POST, PUT or PATCH route (for a stream: #[sse(\"path\", method = \"POST\")])",
                ));
            }
        }
        for extra in bodies {
            errors.push(syn::Error::new_spanned(
                &extra.attr,
                "a route has one body: only one argument can be #[body]",
            ));
        }
        if kind != RouteKind::Sse {
            for signal in params.iter().filter(|p| matches!(p.source, Source::Signal)) {
                errors.push(syn::Error::new_spanned(
                    &signal.attr,
                    "#[signal] tells an #[sse] route that its stream is over; this is not an #[sse] route",
                ));
            }
        }
        let extractions = params
            .iter()
            .filter_map(|p| errors.ok(p.extract(&pattern.params)))
            .collect();
        errors.finish()?;
        Ok(Self {
            kind,
            args,
            full_path,
            pattern,
            method: method.sig.ident.clone(),
            is_async: method.sig.asyncness.is_some(),
            output: method.sig.output.clone(),
            params,
            extractions,
        })
    }

    fn verb(&self) -> TokenStream {
        if self.kind == RouteKind::Sse && self.args.post {
            RouteKind::Post.verb()
        } else {
            self.kind.verb()
        }
    }

    /// The handler shim and the `inventory::submit!` of the route record. `construct` is the
    /// path of the controller's constructor shim.
    pub(crate) fn expand(
        &self,
        self_ty: &Type,
        controller: &str,
        construct: &TokenStream,
    ) -> TokenStream {
        let private = quote!(::nestish_core::__private);
        let full_path = &self.full_path;
        let pattern = &self.pattern.pattern;
        let method = &self.method;
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
        let boxed = self.is_async || self.extractions.iter().any(Option::is_none);
        let sse_setup = sse.then(|| quote!(let mut __sse = __context.sse();));

        // The return value goes through a trait-bounded function spanned on the return type,
        // so a wrong return type is reported there, with the trait's explanation.
        let (output_span, fallible) = match &self.output {
            ReturnType::Type(_, ty) => (ty.span(), signature::result_ok_type(ty).is_some()),
            ReturnType::Default => (method.span(), false),
        };
        let respond = match (sse, fallible) {
            (true, false) => {
                quote_spanned! {output_span=> #private::sse(__value, __sse) }
            }
            (true, true) => {
                quote_spanned! {output_span=> #private::sse_result(__value, __sse) }
            }
            _ => quote_spanned! {output_span=> #private::respond(__value) },
        };

        let reject = if boxed {
            quote!(return #private::rejection(__error))
        } else {
            quote!(return #private::HandlerFuture::ready(#private::rejection(__error)))
        };
        let mut bindings = Vec::new();
        let mut args = Vec::new();
        for (i, (param, extraction)) in self.params.iter().zip(&self.extractions).enumerate() {
            let arg = format_ident!("__arg{}", i);
            let ty = &param.ty;
            let expr = match extraction {
                Some(expr) => expr.clone(),
                None => {
                    // Reading is not generic; the conversion, spanned on the type, is where a
                    // wrong body type is reported.
                    let convert =
                        quote_spanned! {ty.span()=> #private::from_body::<#ty>(&__parts, __bytes) };
                    quote! {
                        #private::body_bytes(__body, &__parts, __limit)
                            .await
                            .and_then(|__bytes| #convert)
                    }
                }
            };
            bindings.push(quote! {
                let #arg = match #expr {
                    ::core::result::Result::Ok(__value) => __value,
                    ::core::result::Result::Err(__error) => #reject,
                };
            });
            args.push(arg);
        }
        let call = if self.is_async {
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
                    return #private::wrong_controller(#full_path);
                };
                #sse_setup
                let __limit = __context.body_limit();
                let (__parts, __body) = __request.into_parts();
                #run
            }
            #private::inventory::submit! {
                #private::RouteRecord {
                    verb: #verb,
                    path: #full_path,
                    pattern: #pattern,
                    kind: #private::RouteKind::#kind,
                    source: #private::RouteSource {
                        controller: #controller,
                        method: #method_name,
                        file: ::core::file!(),
                        line: #line,
                    },
                    controller_type: #private::controller_type::<#self_ty>,
                    construct: #construct,
                    handler: #handler,
                    sse: #sse_options,
                }
            }
        }
    }
}

/// A wildcard only at the end, each parameter name once.
fn check_pattern(full_path: &str, pattern: &Pattern, attr: &Attribute) -> syn::Result<()> {
    let segments: Vec<&str> = full_path.split('/').collect();
    if let Some(pos) = segments.iter().position(|s| s.starts_with('*')) {
        if pos + 1 != segments.len() {
            return Err(syn::Error::new_spanned(
                attr,
                format!(
                    "in {full_path}, the wildcard `{}` must be the last segment",
                    segments[pos]
                ),
            ));
        }
    }
    for (i, name) in pattern.params.iter().enumerate() {
        if pattern.params[..i].contains(name) {
            return Err(syn::Error::new_spanned(
                attr,
                format!("in {full_path}, the parameter `{name}` appears twice"),
            ));
        }
    }
    Ok(())
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

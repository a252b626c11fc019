//! `#[controller]`: parse the impl, read every route method, emit the impl and the routes.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{ParseStream, Parser};
use syn::{ImplItem, ItemImpl, LitStr, Type};

use crate::diag::Errors;
use crate::guards;
use crate::inject;
use crate::marker::mark_read;
use crate::path::PathLit;
use crate::route::{Route, RouteKind};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut item = match syn::parse2::<ItemImpl>(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[controller] goes on an impl block: `#[controller] impl MyController { ... }`",
            );
            let error = error.to_compile_error();
            return quote!(#error #input);
        }
    };
    match try_expand(args, &mut item) {
        Ok(routes) => quote!(#item #routes),
        // The impl is still emitted (its route attributes marked as read), so the rest of the
        // crate type-checks and only our errors are reported.
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#item #error)
        }
    }
}

/// Parse → validate → expand; every error of the impl is reported together.
fn try_expand(args: TokenStream, item: &mut ItemImpl) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let prefix = errors.ok(parse_prefix.parse2(args)).unwrap_or_default();
    if let Some((_, trait_path, _)) = &item.trait_ {
        errors.push(syn::Error::new_spanned(
            trait_path,
            "#[controller] goes on an inherent impl block (`impl MyController`), not a trait impl",
        ));
    }
    if !item.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &item.generics,
            "a #[controller] impl cannot be generic: nestish builds exactly one instance of each controller",
        ));
    }
    let controller = errors.ok(controller_name(&item.self_ty));
    let controller_guards = guards::take(&mut item.attrs, &mut errors);
    let constructor = inject::find(item, &mut errors);
    let routes = read_routes(item, &prefix, &mut errors);
    errors.finish()?;

    let controller = controller.unwrap_or_default();
    let self_ty = &item.self_ty;
    let construct = inject::expand(self_ty, constructor.as_ref());
    let routes = routes.iter().map(|route| {
        route.expand(
            self_ty,
            &controller,
            &quote!(__nestish_construct),
            &controller_guards,
        )
    });
    Ok(quote! {
        const _: () = {
            #construct
            #(#routes)*
        };
    })
}

/// `#[controller]` or `#[controller("prefix")]`.
fn parse_prefix(input: ParseStream) -> syn::Result<PathLit> {
    if input.is_empty() {
        return Ok(PathLit::default());
    }
    let lit: LitStr = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            "expected the route prefix as a string literal, like #[controller(\"cats\")]",
        )
    })?;
    let prefix = PathLit::parse(lit)?;
    if !input.is_empty() {
        input.parse::<syn::Token![,]>()?;
        if !input.is_empty() {
            let key: syn::Ident = input.parse()?;
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown argument `{key}`: #[controller] takes only a prefix, like #[controller(\"cats\")]"
                ),
            ));
        }
    }
    Ok(prefix)
}

/// The controller's name for messages and logs: the last segment of the type's path.
fn controller_name(self_ty: &Type) -> syn::Result<String> {
    match self_ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string())
            .ok_or_else(|| syn::Error::new_spanned(self_ty, "expected a controller type")),
        _ => Err(syn::Error::new_spanned(
            self_ty,
            "#[controller] goes on the impl of a named type, like `impl AppController`",
        )),
    }
}

/// Every method with a route attribute, parsed and validated; each attribute is marked as read.
fn read_routes(item: &mut ItemImpl, prefix: &PathLit, errors: &mut Errors) -> Vec<Route> {
    let mut routes = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let mut attrs = std::mem::take(&mut method.attrs);
        let route_guards = guards::take(&mut attrs, errors);
        let is_route = attrs.iter().any(|attr| RouteKind::of(attr).is_some());
        if !route_guards.is_empty() && !is_route {
            errors.push(syn::Error::new_spanned(
                &method.sig.ident,
                "#[use_guards] guards a route; this method has no route attribute (#[get], #[sse], ...)",
            ));
        }
        let mut route_guards = Some(route_guards);
        let mut first: Option<RouteKind> = None;
        for attr in &mut attrs {
            let Some(kind) = RouteKind::of(attr) else {
                continue;
            };
            if first.is_some() {
                errors.push(syn::Error::new_spanned(
                    &*attr,
                    "a method can have only one route attribute; move this route to a method of its own",
                ));
                mark_read(attr);
                continue;
            }
            first = Some(kind);
            let guards = route_guards.take().unwrap_or_default();
            let Some(route) = errors.ok(Route::parse(kind, attr, method, prefix, guards)) else {
                continue;
            };
            if errors.ok(route.validate()).is_some() {
                routes.push(route);
            }
        }
        method.attrs = attrs;
    }
    routes
}

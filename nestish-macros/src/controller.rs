//! `#[controller]`: parse the impl, read every route method, emit the impl and the routes.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl, LitStr, Token, Type};

use crate::advice::Advice;
use crate::diag::Errors;
use crate::guards;
use crate::inject;
use crate::marker::mark_read;
use crate::path::PathLit;
use crate::private::Private;
use crate::route::{Route, RouteKind};
use crate::version::Version;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(mut item) = syn::parse2::<ItemImpl>(input.clone()) else {
        let error = syn::Error::new(
            proc_macro2::Span::call_site(),
            "#[controller] goes on an impl block: `#[controller] impl MyController { ... }`",
        );
        let error = error.to_compile_error();
        return quote!(#error #input);
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

/// What every route of a controller shares, for its expansion.
pub(crate) struct Owner<'a> {
    pub(crate) self_ty: &'a Type,
    /// The controller's name, for messages.
    pub(crate) name: &'a str,
    /// The path of its constructor shim.
    pub(crate) construct: TokenStream,
    /// The guards of its impl.
    pub(crate) guards: &'a [syn::Path],
    /// The interceptors and filters of its impl.
    pub(crate) advice: &'a Advice,
    /// The route record's `Prefix`.
    pub(crate) prefix: TokenStream,
    /// Its version, which a route's own overrides.
    pub(crate) version: Option<&'a Version>,
}

/// Parse → validate → expand; every error of the impl is reported together.
fn try_expand(args: TokenStream, item: &mut ItemImpl) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let args = errors.ok(parse_args.parse2(args)).unwrap_or_default();
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
    let controller_advice = Advice::take(&mut item.attrs, &mut errors);
    let constructor = inject::find(item, &mut errors);
    let routes = read_routes(item, &args.prefix.literal(), &mut errors);
    errors.finish()?;

    let controller = controller.unwrap_or_default();
    let self_ty = &item.self_ty;
    let construct = inject::expand(self_ty, constructor.as_ref());
    let owner = Owner {
        self_ty,
        name: &controller,
        construct: quote!(__nestish_construct),
        guards: &controller_guards,
        advice: &controller_advice,
        prefix: args.prefix.expand(),
        version: args.version.as_ref(),
    };
    let routes = routes.iter().map(|route| route.expand(&owner));
    Ok(quote! {
        const _: () = {
            #construct
            #(#routes)*
        };
    })
}

/// What `#[controller(...)]` says: its prefix and its version.
#[derive(Default)]
pub(crate) struct ControllerArgs {
    pub(crate) prefix: Prefix,
    pub(crate) version: Option<Version>,
}

/// A controller's prefix: a literal, checked now, or a `const`, checked at start-up by the
/// same rules (`nestish-path`).
pub(crate) enum Prefix {
    Literal(PathLit),
    Const(syn::Path),
}

impl Default for Prefix {
    fn default() -> Self {
        Self::Literal(PathLit::default())
    }
}

impl Prefix {
    /// The literal prefix, empty for a `const` one (whose parameters the runtime refuses).
    pub(crate) fn literal(&self) -> PathLit {
        match self {
            Self::Literal(lit) => lit.clone(),
            Self::Const(_) => PathLit::default(),
        }
    }

    /// The route record's `Prefix`; a `const` is spanned on itself, so a const of another type
    /// is reported there.
    pub(crate) fn expand(&self) -> TokenStream {
        match self {
            Self::Literal(lit) => {
                let value = &lit.value;
                let private = Private::here();
                quote!(#private::Prefix::Literal(#value))
            }
            Self::Const(path) => {
                let private = Private::at(path.span());
                quote_spanned! {path.span()=> #private::Prefix::Const(#path) }
            }
        }
    }
}

const TAKES: &str = "#[controller] takes a prefix and a version, like #[controller(\"cats\", version = \"1\")], #[controller(CATS)] or #[controller(path = CATS)]";

/// `#[controller]`, `#[controller("prefix")]`, `#[controller(PREFIX)]`, then `path = ...` and
/// `version = ...` in any order.
fn parse_args(input: ParseStream) -> syn::Result<ControllerArgs> {
    let mut args = ControllerArgs::default();
    let mut prefix_given = false;
    let starts_with_key = input.peek(syn::Ident) && input.peek2(Token![=]);
    if !input.is_empty() && !starts_with_key {
        args.prefix = parse_prefix(input)?;
        prefix_given = true;
    }
    while !input.is_empty() {
        if prefix_given || args.version.is_some() || input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if input.is_empty() {
            break;
        }
        let key: syn::Ident = input.parse()?;
        let duplicate = || syn::Error::new(key.span(), format!("`{key}` is given twice"));
        match key.to_string().as_str() {
            "path" => {
                input.parse::<Token![=]>()?;
                if prefix_given {
                    return Err(syn::Error::new(
                        key.span(),
                        "the prefix is given twice: write it once, as #[controller(\"cats\")] or #[controller(path = CATS)]",
                    ));
                }
                args.prefix = parse_prefix(input)?;
                prefix_given = true;
            }
            "version" => {
                input.parse::<Token![=]>()?;
                if args.version.is_some() {
                    return Err(duplicate());
                }
                args.version = Some(Version::parse(input)?);
            }
            _ => {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{key}`: {TAKES}"),
                ));
            }
        }
    }
    Ok(args)
}

/// A prefix: a string literal, or the path of a `const &str`.
fn parse_prefix(input: ParseStream) -> syn::Result<Prefix> {
    if input.peek(LitStr) {
        return Ok(Prefix::Literal(PathLit::parse(input.parse()?)?));
    }
    if input.peek(syn::Ident) || input.peek(Token![::]) {
        return Ok(Prefix::Const(input.parse()?));
    }
    Err(input.error(format!(
        "expected the route prefix as a string literal or a const: {TAKES}"
    )))
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
        let mut route_advice = Some(Advice::take(&mut attrs, errors));
        let is_route = attrs.iter().any(|attr| RouteKind::of(attr).is_some());
        if route_advice
            .as_ref()
            .is_some_and(|advice| !advice.is_empty())
            && !is_route
        {
            errors.push(syn::Error::new_spanned(
                &method.sig.ident,
                "#[use_interceptors] and #[use_filters] apply to a route; this method has no route attribute (#[get], #[sse], ...)",
            ));
        }
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
            let Some(mut route) = errors.ok(Route::parse(kind, attr, method, prefix, guards))
            else {
                continue;
            };
            route.advice = route_advice.take().unwrap_or_default();
            if errors.ok(route.validate()).is_some() {
                routes.push(route);
            }
        }
        method.attrs = attrs;
    }
    routes
}

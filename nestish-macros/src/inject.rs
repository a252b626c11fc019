//! `#[inject]`: the constructor through which a controller receives its providers.
//!
//! Like the route attributes, `#[inject]` is read by `#[controller]`, which marks it as read;
//! on its own it is an error that says where it belongs.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, Type};

use crate::diag::Errors;
use crate::marker;

/// `#[inject]` outside a `#[controller]` impl.
pub(crate) fn expand_alone(args: TokenStream, item: TokenStream) -> TokenStream {
    marker::expand_alone(
        args,
        item,
        "#[inject] marks the constructor of a #[controller] impl; add #[controller] to the impl",
    )
}

/// A validated constructor: its name and argument types.
pub(crate) struct Constructor {
    ident: syn::Ident,
    args: Vec<Type>,
}

/// Finds the `#[inject]` method of the impl, if any, and marks its attribute as read.
pub(crate) fn find(item: &mut ItemImpl, errors: &mut Errors) -> Option<Constructor> {
    let mut found: Option<Constructor> = None;
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let Some(attr) = method
            .attrs
            .iter_mut()
            .find(|attr| marker::our_name(attr.path()).is_some_and(|name| name == "inject"))
        else {
            continue;
        };
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            errors.push(syn::Error::new_spanned(
                &*attr,
                "#[inject] takes no arguments",
            ));
        }
        marker::mark_read(attr);
        if found.is_some() {
            errors.push(syn::Error::new_spanned(
                &method.sig.ident,
                "a controller has one #[inject] constructor; remove #[inject] from the others",
            ));
            continue;
        }
        if let Some(constructor) = errors.ok(check(method)) {
            found = Some(constructor);
        }
    }
    found
}

fn check(method: &ImplItemFn) -> syn::Result<Constructor> {
    let sig = &method.sig;
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new_spanned(
            receiver,
            "an #[inject] constructor builds the controller, so it takes no `self`: `fn new(service: Arc<Service>) -> Self`",
        ));
    }
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new_spanned(
            asyncness,
            "an #[inject] constructor runs once at start-up and cannot be `async`",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "an #[inject] constructor cannot be generic",
        ));
    }
    let args = sig
        .inputs
        .iter()
        .filter_map(|arg| match arg {
            FnArg::Typed(typed) => Some((*typed.ty).clone()),
            FnArg::Receiver(_) => None,
        })
        .collect();
    Ok(Constructor {
        ident: sig.ident.clone(),
        args,
    })
}

/// `__nestish_construct`, which builds the controller from the providers, through the `#[inject]`
/// constructor or, without one, `Default`; and `__nestish_dependencies`, the providers it takes.
pub(crate) fn expand(self_ty: &Type, constructor: Option<&Constructor>) -> TokenStream {
    let dependencies = constructor.map_or_else(Vec::new, |c| c.args.clone());
    let body = match constructor {
        Some(Constructor { ident, args }) => {
            let args = args.iter().map(|ty| {
                quote_spanned! {ty.span()=> <#ty as ::nestish_core::Inject>::inject(__providers)? }
            });
            quote!(<#self_ty>::#ident(#(#args),*))
        }
        None => {
            let private = crate::private::Private::at(self_ty.span());
            quote_spanned! {self_ty.span()=> <#self_ty as #private::Construct>::construct() }
        }
    };
    quote! {
        #[allow(unused_variables)]
        fn __nestish_construct(
            __providers: &::nestish_core::Providers,
        ) -> ::core::result::Result<
            ::std::sync::Arc<dyn ::core::any::Any + ::core::marker::Send + ::core::marker::Sync>,
            ::nestish_core::NotProvided,
        > {
            ::core::result::Result::Ok(::std::sync::Arc::new(#body))
        }

        fn __nestish_dependencies() -> ::std::vec::Vec<::nestish_core::Dependency> {
            let __all: ::std::vec::Vec<::core::option::Option<::nestish_core::Dependency>> =
                ::std::vec![#(<#dependencies as ::nestish_core::Inject>::dependency()),*];
            __all.into_iter().flatten().collect()
        }
    }
}

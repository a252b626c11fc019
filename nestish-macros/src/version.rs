//! `version = ...` on `#[controller]` and on route attributes: NestJS's URI versioning.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::ParseStream;
use syn::{LitStr, Token};

/// A version as written: `"1"`, `["1", "2"]`, or `VERSION_NEUTRAL` (served without a version
/// segment, whatever the app's default version).
#[derive(Clone)]
pub(crate) enum Version {
    Neutral,
    List(Vec<LitStr>),
}

const HOW: &str = "version takes a string like version = \"1\", a list like version = [\"1\", \"2\"], or VERSION_NEUTRAL";

impl Version {
    /// The value after `version =`.
    pub(crate) fn parse(input: ParseStream) -> syn::Result<Self> {
        let versions = if input.peek(LitStr) {
            vec![input.parse::<LitStr>()?]
        } else if input.peek(syn::token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            let list =
                content.parse_terminated(syn::parse::ParseBuffer::parse::<LitStr>, Token![,])?;
            if list.is_empty() {
                return Err(syn::Error::new(content.span(), HOW));
            }
            list.into_iter().collect()
        } else if input.peek(syn::Ident) || input.peek(Token![::]) {
            let path: syn::Path = input.parse()?;
            if path
                .segments
                .last()
                .is_some_and(|s| s.ident == "VERSION_NEUTRAL")
            {
                return Ok(Self::Neutral);
            }
            return Err(syn::Error::new_spanned(path, HOW));
        } else {
            return Err(input.error(HOW));
        };
        for (i, version) in versions.iter().enumerate() {
            nestish_path::check_version(&version.value()).map_err(|problem| {
                syn::Error::new(version.span(), format!("invalid version: {problem}"))
            })?;
            if versions[..i].iter().any(|v| v.value() == version.value()) {
                return Err(syn::Error::new(
                    version.span(),
                    format!(
                        "version {:?} is listed twice; list each version once",
                        version.value()
                    ),
                ));
            }
        }
        Ok(Self::List(versions))
    }

    /// The route record's `Version`: the route's own, else its controller's, else the app's
    /// default.
    pub(crate) fn expand(route: Option<&Self>, controller: Option<&Self>) -> TokenStream {
        let private = crate::private::Private::here();
        match route.or(controller) {
            None => quote!(#private::Version::AppDefault),
            Some(Self::Neutral) => quote!(#private::Version::Neutral),
            Some(Self::List(list)) => quote!(#private::Version::Of(&[#(#list),*])),
        }
    }
}

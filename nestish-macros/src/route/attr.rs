//! Parsing a route attribute's arguments: `#[sse("path", keep_alive = "5s", retry = "3s")]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::ParseStream;
use syn::{Attribute, LitStr, Token};

use super::RouteKind;
use crate::path::PathLit;
use crate::version::Version;

/// What a route attribute says.
#[derive(Default)]
pub(crate) struct RouteArgs {
    /// The path, as written and checked.
    pub(crate) path: PathLit,
    /// `keep_alive = "15s"` (milliseconds) or `keep_alive = false` (`Some(None)`).
    keep_alive: Option<Option<u64>>,
    /// `retry = "3s"`, in milliseconds.
    retry: Option<u64>,
    /// `method = "POST"` on an `#[sse]` route (NestJS v12's option): the stream answers a POST.
    pub(crate) post: bool,
    /// `shutdown_event = "..."`: the data of the `event: shutdown` sent when the server stops.
    shutdown_event: Option<LitStr>,
    /// `version = "2"`: the route's own version, over its controller's.
    pub(crate) version: Option<Version>,
    /// `max_per_principal = 3`: the most streams of the route one principal holds open.
    max_per_principal: Option<u32>,
    /// `max_per_address = 20`: the most streams of the route one client address holds open.
    max_per_address: Option<u32>,
}

impl RouteArgs {
    /// `#[sse]`, `#[sse("path")]`, `#[sse("path", keep_alive = ..., retry = ...)]`.
    pub(crate) fn parse(kind: RouteKind, attr: &Attribute) -> syn::Result<Self> {
        let name = kind.name();
        match &attr.meta {
            syn::Meta::Path(_) => Ok(Self::default()),
            syn::Meta::NameValue(nv) => Err(syn::Error::new_spanned(
                nv,
                format!("write the path in parentheses: #[{name}(\"path\")]"),
            )),
            syn::Meta::List(_) => attr.parse_args_with(|input: ParseStream| {
                let mut args = Self::default();
                let starts_with_key = input.peek(syn::Ident) && input.peek2(Token![=]);
                if input.peek(LitStr) {
                    args.path = PathLit::parse(input.parse()?)?;
                } else if !input.is_empty() && !starts_with_key {
                    return Err(input.error(format!(
                        "expected the route path as a string literal, like #[{name}(\"events\")]"
                    )));
                }
                while !input.is_empty() {
                    if args.path.lit.is_some() || input.peek(Token![,]) {
                        input.parse::<Token![,]>()?;
                    }
                    if input.is_empty() {
                        break;
                    }
                    args.parse_option(kind, input)?;
                }
                Ok(args)
            }),
        }
    }

    fn parse_option(&mut self, kind: RouteKind, input: ParseStream) -> syn::Result<()> {
        let key: syn::Ident = input.parse()?;
        let name = kind.name();
        let duplicate = || syn::Error::new(key.span(), format!("`{key}` is given twice"));
        match key.to_string().as_str() {
            "version" => {
                input.parse::<Token![=]>()?;
                if self.version.is_some() {
                    return Err(duplicate());
                }
                self.version = Some(Version::parse(input)?);
            }
            "keep_alive" if kind == RouteKind::Sse => {
                input.parse::<Token![=]>()?;
                if self.keep_alive.is_some() {
                    return Err(duplicate());
                }
                self.keep_alive = Some(match input.parse()? {
                    syn::Lit::Bool(flag) if !flag.value => None,
                    syn::Lit::Str(lit) => match millis(&lit, "keep_alive")? {
                        0 => {
                            return Err(syn::Error::new(
                                lit.span(),
                                "keep_alive must be longer than zero; write `keep_alive = false` to switch heartbeats off",
                            ));
                        }
                        ms => Some(ms),
                    },
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "keep_alive takes an interval like \"15s\", or `false` to switch heartbeats off",
                        ));
                    }
                });
            }
            "method" if kind == RouteKind::Sse => {
                input.parse::<Token![=]>()?;
                let method: LitStr = input.parse()?;
                match method.value().as_str() {
                    "GET" => self.post = false,
                    "POST" => self.post = true,
                    _ => {
                        return Err(syn::Error::new(
                            method.span(),
                            "an #[sse] route answers method = \"GET\" (the default, what EventSource sends) or method = \"POST\"",
                        ));
                    }
                }
            }
            "shutdown_event" if kind == RouteKind::Sse => {
                input.parse::<Token![=]>()?;
                if self.shutdown_event.is_some() {
                    return Err(duplicate());
                }
                self.shutdown_event = Some(input.parse().map_err(|error: syn::Error| {
                    syn::Error::new(error.span(), "shutdown_event takes the event's data as a string, like shutdown_event = \"restarting\"")
                })?);
            }
            "max_per_principal" | "max_per_address" if kind == RouteKind::Sse => {
                input.parse::<Token![=]>()?;
                let slot = if key == "max_per_principal" {
                    &mut self.max_per_principal
                } else {
                    &mut self.max_per_address
                };
                if slot.is_some() {
                    return Err(duplicate());
                }
                *slot = Some(cap(&key, input)?);
            }
            "retry" if kind == RouteKind::Sse => {
                input.parse::<Token![=]>()?;
                if self.retry.is_some() {
                    return Err(duplicate());
                }
                self.retry = Some(match input.parse()? {
                    syn::Lit::Str(lit) => millis(&lit, "retry")?,
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "retry takes a duration like \"3s\" or \"1500ms\"",
                        ));
                    }
                });
            }
            _ => {
                let takes = if kind == RouteKind::Sse {
                    "a path, `keep_alive`, `retry`, `method`, `shutdown_event`, `max_per_principal`, `max_per_address` and `version`, like #[sse(\"events\", keep_alive = \"15s\", retry = \"3s\")]".to_owned()
                } else {
                    format!("a path and a `version`, like #[{name}(\"events\", version = \"2\")]")
                };
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{key}`: #[{name}] takes {takes}"),
                ));
            }
        }
        Ok(())
    }

    /// The route record's `SseOptions`.
    pub(crate) fn sse_options(&self) -> TokenStream {
        let duration = |ms: u64| quote!(::core::time::Duration::from_millis(#ms));
        let keep_alive = match self.keep_alive {
            None => quote!(AppDefault),
            Some(None) => quote!(Off),
            Some(Some(ms)) => {
                let every = duration(ms);
                quote!(Every(#every))
            }
        };
        let retry = match self.retry {
            None => quote!(::core::option::Option::None),
            Some(ms) => {
                let retry = duration(ms);
                quote!(::core::option::Option::Some(#retry))
            }
        };
        let shutdown_event = match &self.shutdown_event {
            None => quote!(::core::option::Option::None),
            Some(text) => quote!(::core::option::Option::Some(#text)),
        };
        let private = crate::private::Private::here();
        let cap = |cap: Option<u32>| match cap {
            None => quote!(::core::option::Option::None),
            Some(n) => quote!(::core::option::Option::Some(#n)),
        };
        let (max_per_principal, max_per_address) =
            (cap(self.max_per_principal), cap(self.max_per_address));
        quote! {
            #private::SseOptions {
                keep_alive: #private::KeepAlive::#keep_alive,
                retry: #retry,
                shutdown_event: #shutdown_event,
                max_per_principal: #max_per_principal,
                max_per_address: #max_per_address,
            }
        }
    }
}

/// `max_per_principal = 3`: a whole number of streams, at least 1.
fn cap(key: &syn::Ident, input: ParseStream) -> syn::Result<u32> {
    let help = format!(
        "{key} takes the most streams as a whole number of at least 1, like {key} = 3; leave it out for no cap"
    );
    let lit: syn::Lit = input
        .parse()
        .map_err(|error| syn::Error::new(error.span(), &help))?;
    let syn::Lit::Int(lit) = lit else {
        return Err(syn::Error::new(lit.span(), help));
    };
    match lit.base10_parse::<u32>() {
        Ok(n) if n > 0 && lit.suffix().is_empty() => Ok(n),
        _ => Err(syn::Error::new(lit.span(), help)),
    }
}

/// `"500ms"`, `"15s"`, `"2m"` → milliseconds.
fn millis(lit: &LitStr, what: &str) -> syn::Result<u64> {
    let value = lit.value();
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits_end);
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => 0,
    };
    number
        .parse::<u64>()
        .ok()
        .filter(|_| factor > 0)
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!("{what} takes a duration like \"500ms\", \"15s\" or \"2m\""),
            )
        })
}

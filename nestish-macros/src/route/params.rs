//! A route method's arguments after `&self`: each names where its value comes from with one
//! attribute (`#[param("id")]`, `#[query]`, `#[body]`, ...), which is read here and removed, or
//! has none and is a type of the user's that reads itself from the request head.

use quote::quote;
use syn::{Attribute, FnArg, LitStr, PatType, Type};

use crate::diag::Errors;

/// Where one argument's value comes from.
pub(crate) enum Source {
    /// `#[param("id")]`: a parameter of the path.
    Param { name: LitStr },
    /// `#[query("page")]` (`Some`) or `#[query]` (the whole query string).
    Query { name: Option<LitStr> },
    /// `#[header("x-tenant")]`.
    Header { name: LitStr },
    /// `#[cookie("session")]`.
    Cookie { name: LitStr },
    /// `#[last_event_id]`.
    LastEventId,
    /// `#[body]`.
    Body,
    /// `#[req]`.
    Req,
    /// `#[signal]` (SSE routes only).
    Signal,
    /// No attribute: the type's own `CustomArgument` (what a guard stored, say).
    Custom,
}

/// One argument, read.
pub(crate) struct Param {
    pub(crate) source: Source,
    pub(crate) ty: Type,
    /// The attribute, for error spans (`None` for a custom argument).
    pub(crate) attr: Option<Attribute>,
    /// The argument's name, for messages.
    pub(crate) label: String,
}

const ATTRIBUTES: &str = "#[param(\"name\")], #[query(\"name\")], #[query], #[header(\"name\")], \
     #[cookie(\"name\")], #[last_event_id], #[body], #[req] or (on an #[sse] route) #[signal]";

/// Attributes the compiler itself handles on parameters; left alone.
fn is_builtin(attr: &Attribute) -> bool {
    ["cfg", "cfg_attr", "allow", "warn", "deny", "expect", "doc"]
        .iter()
        .any(|name| attr.path().is_ident(name))
}

/// Reads (and strips) the parameter attributes of every argument after `&self`.
pub(crate) fn read(
    inputs: &mut syn::punctuated::Punctuated<FnArg, syn::Token![,]>,
    errors: &mut Errors,
) -> Vec<Param> {
    let mut params = Vec::new();
    for input in inputs.iter_mut().skip(1) {
        let FnArg::Typed(arg) = input else {
            continue;
        };
        if let Some(param) = errors.ok(read_one(arg)) {
            params.push(param);
        }
    }
    params
}

fn read_one(arg: &mut PatType) -> syn::Result<Param> {
    let label = match &*arg.pat {
        syn::Pat::Ident(ident) => ident.ident.to_string(),
        other => quote!(#other).to_string(),
    };
    let mut found: Option<(Source, Attribute)> = None;
    let mut errors = Errors::default();
    let mut kept = Vec::new();
    for attr in std::mem::take(&mut arg.attrs) {
        if is_builtin(&attr) {
            kept.push(attr);
            continue;
        }
        let Some(name) = attr.path().get_ident().map(ToString::to_string) else {
            errors.push(unknown(&attr));
            continue;
        };
        let source = match name.as_str() {
            "param" => name_arg(&attr, "param").map(|name| Source::Param { name }),
            "query" => optional_name_arg(&attr).map(|name| Source::Query { name }),
            "header" => name_arg(&attr, "header").map(|name| Source::Header { name }),
            "cookie" => name_arg(&attr, "cookie").map(|name| Source::Cookie { name }),
            "last_event_id" => no_args(&attr).map(|()| Source::LastEventId),
            "body" => no_args(&attr).map(|()| Source::Body),
            "req" => no_args(&attr).map(|()| Source::Req),
            "signal" => no_args(&attr).map(|()| Source::Signal),
            _ => Err(unknown(&attr)),
        };
        match errors.ok(source) {
            Some(_) if found.is_some() => errors.push(syn::Error::new_spanned(
                &attr,
                "an argument takes its value from one place: remove one of its attributes",
            )),
            Some(source) => found = Some((source, attr.clone())),
            None => {}
        }
    }
    arg.attrs = kept;
    errors.finish()?;
    let (source, attr) = match found {
        Some((source, attr)) => (source, Some(attr)),
        // The compiler checks that the type reads itself (`CustomArgument`), and says
        // which attributes would do otherwise.
        None => (Source::Custom, None),
    };
    Ok(Param {
        source,
        ty: (*arg.ty).clone(),
        attr,
        label,
    })
}

fn unknown(attr: &Attribute) -> syn::Error {
    syn::Error::new_spanned(
        attr,
        format!("unknown parameter attribute; a route argument takes one of {ATTRIBUTES}"),
    )
}

fn name_arg(attr: &Attribute, what: &str) -> syn::Result<LitStr> {
    let missing = || {
        syn::Error::new_spanned(
            attr,
            format!("#[{what}] takes the name, like #[{what}(\"id\")]"),
        )
    };
    let syn::Meta::List(_) = &attr.meta else {
        return Err(missing());
    };
    let name: LitStr = attr.parse_args().map_err(|_| missing())?;
    if name.value().is_empty() {
        return Err(missing());
    }
    Ok(name)
}

fn optional_name_arg(attr: &Attribute) -> syn::Result<Option<LitStr>> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(None),
        _ => name_arg(attr, "query").map(Some),
    }
}

fn no_args(attr: &Attribute) -> syn::Result<()> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(()),
        _ => Err(syn::Error::new_spanned(
            attr,
            format!(
                "#[{}] takes no arguments",
                attr.path()
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
        )),
    }
}

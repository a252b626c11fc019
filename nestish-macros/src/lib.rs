//! Procedural macros for nestish. Use them through `nestish_core`, which re-exports them and
//! documents them: `#[controller]`, `#[sse]`, `#[get]`, `#[post]`, `#[put]`, `#[patch]`, `#[delete]`.
//!
//! `#[controller]` does all the work: it reads the route attributes on the methods of its impl,
//! validates them, and emits a handler shim and an `inventory::submit!` of a route record for
//! each. The route attributes themselves only exist to be read by it: left on their own, they
//! fail with an error that says where they belong.

mod advice;
mod controller;
mod diag;
mod event;
mod guards;
mod inject;
mod marker;
mod path;
mod private;
mod route;
mod types;
mod version;

use proc_macro::TokenStream;

use route::RouteKind;

/// See `nestish_core::controller`.
#[proc_macro_attribute]
pub fn controller(args: TokenStream, input: TokenStream) -> TokenStream {
    controller::expand(args.into(), input.into()).into()
}

/// See `nestish_core::sse`.
#[proc_macro_attribute]
pub fn sse(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand_alone(RouteKind::Sse, args.into(), input.into()).into()
}

/// See `nestish_core::get`.
#[proc_macro_attribute]
pub fn get(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand_alone(RouteKind::Get, args.into(), input.into()).into()
}

/// See `nestish_core::post`.
#[proc_macro_attribute]
pub fn post(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand_alone(RouteKind::Post, args.into(), input.into()).into()
}

/// See `nestish_core::put`.
#[proc_macro_attribute]
pub fn put(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand_alone(RouteKind::Put, args.into(), input.into()).into()
}

/// See `nestish_core::patch`.
#[proc_macro_attribute]
pub fn patch(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand_alone(RouteKind::Patch, args.into(), input.into()).into()
}

/// See `nestish_core::delete`.
#[proc_macro_attribute]
pub fn delete(args: TokenStream, input: TokenStream) -> TokenStream {
    route::expand_alone(RouteKind::Delete, args.into(), input.into()).into()
}

/// See `nestish_core::use_guards`.
#[proc_macro_attribute]
pub fn use_guards(args: TokenStream, input: TokenStream) -> TokenStream {
    guards::expand_alone(args.into(), input.into()).into()
}

/// See `nestish_core::use_interceptors`.
#[proc_macro_attribute]
pub fn use_interceptors(args: TokenStream, input: TokenStream) -> TokenStream {
    advice::expand_alone(advice::Kind::Interceptors, args.into(), input.into()).into()
}

/// See `nestish_core::use_filters`.
#[proc_macro_attribute]
pub fn use_filters(args: TokenStream, input: TokenStream) -> TokenStream {
    advice::expand_alone(advice::Kind::Filters, args.into(), input.into()).into()
}

/// See `nestish_core::inject`.
#[proc_macro_attribute]
pub fn inject(args: TokenStream, input: TokenStream) -> TokenStream {
    inject::expand_alone(args.into(), input.into()).into()
}

/// See `nestish_core::SseEvent`.
#[proc_macro_derive(SseEvent, attributes(event))]
pub fn derive_sse_event(input: TokenStream) -> TokenStream {
    event::derive(input.into()).into()
}

//! The OpenAPI documents, built once at start-up from the route records: each route's
//! generated description function fills a [`RouteDescriber`], this module adds what the
//! framework itself answers (400, 401/403, 404, 413/415), writes the result as OpenAPI 3.2 and
//! 3.1 JSON, and hands the routing layer the bytes to serve.

mod build;
mod page;
pub(crate) mod shims;
mod write;

use bytes::Bytes;

use crate::guard::GuardRef;
use crate::openapi::{Api, OpenApi};
use crate::routing::builtin::Document;
use crate::routing::record::RouteRecord;

/// The description of `routes` (each with its full path), without a document to serve.
pub(crate) fn api(
    routes: &[(&'static str, &'static RouteRecord)],
    global_guards: &[GuardRef],
    global_filters: bool,
) -> Api {
    build::api(routes, global_guards, global_filters)
}

/// The documents of `routes` (each with its full path), as `config` says where to serve them.
pub(crate) fn documents(
    config: &OpenApi,
    routes: &[(&'static str, &'static RouteRecord)],
    global_guards: &[GuardRef],
    global_filters: bool,
) -> (Api, Vec<Document>) {
    let api = build::api(routes, global_guards, global_filters);
    let json = |spec| Bytes::from(write::document(&api, config, spec).to_string());
    let mut served = vec![
        Document::new(
            &config.json_path,
            "application/json",
            json(write::Spec::V3_2),
        ),
        Document::new(
            &config.json_31_path,
            "application/json",
            json(write::Spec::V3_1),
        ),
    ];
    if let Some(docs) = &config.docs_path {
        served.extend(page::documents(docs, &config.json_path, &config.title));
    }
    (api, served)
}

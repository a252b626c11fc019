//! The route records → [`Api`]: each route's own description, and what nestish answers for it.

use std::collections::{BTreeMap, HashSet};

use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::guard::GuardRef;
use crate::openapi::{
    Api, Content, ERROR_BODY, EventData, LAST_EVENT_ID, Location, Operation, Parameter,
    RouteDescriber, ValueDoc, error_body, errors,
};
use crate::routing::record::RouteRecord;

/// Every route, described; `routes` pairs each record with a full path it is served at;
/// `global_filters`: whether the app has exception filters of its own.
pub(super) fn api(
    routes: &[(&'static str, &'static RouteRecord)],
    global: &[GuardRef],
    global_filters: bool,
) -> Api {
    // What a request carries is described as it deserialises (an `Option` field may be
    // absent), what an answer carries as it serialises (a `skip_serializing_if` field may be
    // absent). References point into the document's components, and the meta-schema is the
    // document's own (OpenAPI's dialect).
    let settings = SchemaSettings::draft2020_12().with(|settings| {
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
    });
    let mut inputs = settings.clone().for_deserialize().into_generator();
    let mut outputs = settings.for_serialize().into_generator();
    let mut api = Api::default();
    let mut ids = HashSet::new();
    for &(path, record) in routes {
        let mut described = RouteDescriber::new(&mut inputs, &mut outputs);
        (record.doc)(&mut described);
        let sse = record.sse.is_some();
        if sse && !described.parameters.iter().any(|p| p.name == LAST_EVENT_ID) {
            // Sent on every reconnect; a route that does not read it never refuses it.
            let rejects = described.rejects;
            let text = schemars::json_schema!({ "type": "string" });
            described.last_event_id(ValueDoc::optional(text));
            described.rejects = rejects;
        }
        let guards: Vec<&GuardRef> = global.iter().chain(record.guards).collect();
        let mut security = Vec::new();
        for scheme in guards.iter().filter_map(|g| g.security_scheme()) {
            if !security.contains(&scheme.name.to_owned()) {
                security.push(scheme.name.to_owned());
            }
            api.security_schemes.insert(scheme.name.to_owned(), scheme);
        }
        let json_body = described
            .body
            .as_ref()
            .is_some_and(|b| b.media_type == "application/json");
        let mut responses = std::mem::take(&mut described.responses);
        responses.extend(errors(&described, !guards.is_empty(), json_body));
        if global_filters || !record.filters.is_empty() {
            filtered(&mut responses);
        }
        // One answer per status: the first says it (a route's own before nestish's).
        let mut seen = HashSet::new();
        responses.retain(|r| seen.insert(r.status));
        responses.sort_by_key(|r| r.status);
        let mut operation_id = format!("{}_{}", record.source.controller, record.source.method);
        let mut n = 2;
        while !ids.insert(operation_id.clone()) {
            operation_id = format!("{}_{}_{n}", record.source.controller, record.source.method);
            n += 1;
        }
        let (summary, description) = match described.docs {
            Some(docs) => {
                let (first, rest) = docs.split_once("\n\n").unwrap_or((docs, ""));
                let rest = rest.trim();
                (
                    first.replace('\n', " "),
                    (!rest.is_empty()).then(|| rest.to_owned()),
                )
            }
            None => (record.source.method.replace('_', " "), None),
        };
        api.operations.push(Operation {
            summary,
            description,
            method: record.verb.as_str(),
            path: openapi_path(path),
            operation_id,
            controller: record.source.controller,
            handler: record.source.method,
            parameters: order(std::mem::take(&mut described.parameters)),
            body: described.body.take(),
            responses,
            events: described.events.take(),
            security,
        });
    }
    api.operations
        .sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
    api.schemas = merge(
        &mut api,
        inputs.take_definitions(true),
        outputs.take_definitions(true),
    );
    api.schemas.insert(ERROR_BODY.to_owned(), error_body());
    bound_integers(&mut api);
    api
}

/// A route whose errors go through exception filters answers them with whatever body a filter
/// writes (or NestJS's, for an error no filter catches): its error answers are any JSON, not
/// NestJS's body, which a filter of the app's own format would contradict.
fn filtered(responses: &mut [crate::openapi::ResponseDoc]) {
    use crate::openapi::Status;
    for response in responses {
        let error = match response.status {
            Status::Code(code) => code >= 400,
            Status::Class(class) => class >= 4,
            Status::Default => false,
        };
        if error && response.content.is_some() {
            response.content = Some(Content::json(schemars::json_schema!(true)));
            response
                .description
                .push_str(", with the body the app's exception filter writes");
        }
    }
}

/// Every integer schema with its Rust type's bounds: schemars writes `u64` as an integer of
/// format `uint64` from 0 up, and a client that sends more than it holds gets a 400 the
/// document did not foresee.
fn bound_integers(api: &mut Api) {
    for schema in api.schemas.values_mut() {
        bounds(schema);
    }
    for operation in &mut api.operations {
        for parameter in &mut operation.parameters {
            bounds(&mut parameter.schema);
        }
        if let Some(body) = &mut operation.body {
            bounds(&mut body.schema);
        }
        for answer in &mut operation.responses {
            if let Some(Content::Of { schema, .. }) = &mut answer.content {
                bounds(schema);
            }
        }
        for event in operation.events.iter_mut().flatten() {
            if let EventData::Json(schema) = &mut event.data {
                bounds(schema);
            }
        }
    }
}

fn bounds(schema: &mut schemars::Schema) {
    schemars::transform::transform_subschemas(&mut bounds, schema);
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let range: (Value, Value) = match object.get("format").and_then(Value::as_str) {
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("uint8") => (0.into(), u8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("uint16") => (0.into(), u16::MAX.into()),
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint32") => (0.into(), u32::MAX.into()),
        // `isize` and `usize` are schemars's `int` and `uint`: 64 bits on the targets served.
        Some("int64" | "int") => (i64::MIN.into(), i64::MAX.into()),
        Some("uint64" | "uint") => (0.into(), u64::MAX.into()),
        _ => return,
    };
    object.entry("minimum").or_insert(range.0);
    object.entry("maximum").or_insert(range.1);
}

/// One set of named schemas from the two: a type whose schema is the same either way is
/// named once; one that reads differently from how it writes (an `Option` field is required
/// when written, not when read) is `NameInput` on the request side, its references renamed.
fn merge(
    api: &mut Api,
    inputs: serde_json::Map<String, Value>,
    outputs: serde_json::Map<String, Value>,
) -> BTreeMap<String, schemars::Schema> {
    let renamed: Vec<(String, String)> = inputs
        .iter()
        .filter(|(name, schema)| outputs.get(*name).is_some_and(|other| other != *schema))
        .map(|(name, _)| {
            let mut input = format!("{name}Input");
            while outputs.contains_key(&input) || inputs.contains_key(&input) {
                input.push('_');
            }
            (name.clone(), input)
        })
        .collect();
    let rename = |value: &mut Value| {
        if !renamed.is_empty() {
            rename_refs(value, &renamed);
        }
    };
    let mut schemas = BTreeMap::new();
    for (name, mut schema) in inputs {
        rename(&mut schema);
        let name = renamed
            .iter()
            .find(|(old, _)| *old == name)
            .map_or(name, |(_, new)| new.clone());
        if let Ok(schema) = schemars::Schema::try_from(schema) {
            schemas.insert(name, schema);
        }
    }
    for (name, schema) in outputs {
        if let Ok(schema) = schemars::Schema::try_from(schema) {
            schemas.insert(name, schema);
        }
    }
    for operation in &mut api.operations {
        for parameter in &mut operation.parameters {
            rename_schema(&mut parameter.schema, &renamed);
        }
        if let Some(body) = &mut operation.body {
            rename_schema(&mut body.schema, &renamed);
        }
    }
    schemas
}

fn rename_schema(schema: &mut schemars::Schema, renamed: &[(String, String)]) {
    if let Some(object) = schema.as_object_mut() {
        let mut value = Value::Object(std::mem::take(object));
        rename_refs(&mut value, renamed);
        if let Value::Object(value) = value {
            *object = value;
        }
    }
}

/// Every `$ref` to one of `renamed`'s old names, pointed at its new one.
fn rename_refs(value: &mut Value, renamed: &[(String, String)]) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "$ref" {
                    if let Some(target) = inner
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                        .and_then(|name| renamed.iter().find(|(old, _)| old == name))
                    {
                        *inner = Value::from(format!("#/components/schemas/{}", target.1));
                    }
                } else {
                    rename_refs(inner, renamed);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rename_refs(item, renamed);
            }
        }
        _ => {}
    }
}

/// Path parameters first, in the path's order, then the rest as the arguments come.
fn order(mut parameters: Vec<Parameter>) -> Vec<Parameter> {
    parameters.sort_by_key(|p| p.location != Location::Path);
    parameters
}

/// `/orders/:id/*rest` → `/orders/{id}/{rest}`.
fn openapi_path(path: &str) -> String {
    let path: Vec<String> = path
        .split('/')
        .map(|segment| match segment.strip_prefix([':', '*']) {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_owned(),
        })
        .collect();
    let path = path.join("/");
    if path.is_empty() {
        "/".to_owned()
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::openapi_path;

    #[test]
    fn parameters_are_written_in_braces() {
        assert_eq!(openapi_path("/orders/:id/events"), "/orders/{id}/events");
        assert_eq!(openapi_path("/files/*rest"), "/files/{rest}");
        assert_eq!(openapi_path("/"), "/");
    }
}

//! [`Api`] → the OpenAPI document, as 3.2 (events under `itemSchema`, as the specification's
//! "Special Considerations for Server-Sent Events" and its "Server-Sent Event Streams" example
//! write them) or 3.1 (the same item schema under `schema`, the events in `x-events`).

use serde_json::{Map, Value, json};

use crate::openapi::{Api, Content, EventData, EventDoc, OpenApi, Operation, ResponseDoc};

/// Which OpenAPI the document is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Spec {
    V3_2,
    V3_1,
}

/// The whole document.
pub(super) fn document(api: &Api, config: &OpenApi, spec: Spec) -> Value {
    let mut info = json!({ "title": config.title, "version": config.version });
    if let Some(description) = &config.description {
        info["description"] = json!(description);
    }
    let mut paths = Map::new();
    for operation in &api.operations {
        let item = paths
            .entry(operation.path.clone())
            .or_insert_with(|| json!({}));
        item[operation.method.to_ascii_lowercase()] = self::operation(operation, spec);
    }
    let schemas: Map<String, Value> = api
        .schemas
        .iter()
        .map(|(name, schema)| (name.clone(), object(schema)))
        .collect();
    let mut components = json!({ "schemas": schemas });
    if !api.security_schemes.is_empty() {
        let schemes: Map<String, Value> = api
            .security_schemes
            .iter()
            .map(|(name, scheme)| (name.clone(), scheme.scheme.clone()))
            .collect();
        components["securitySchemes"] = Value::Object(schemes);
    }
    json!({
        "openapi": match spec { Spec::V3_2 => "3.2.0", Spec::V3_1 => "3.1.1" },
        "info": info,
        // The origin the document is served from.
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": components,
    })
}

fn operation(operation: &Operation, spec: Spec) -> Value {
    let mut out = json!({
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.controller],
    });
    if let Some(description) = &operation.description {
        out["description"] = json!(description);
    }
    if !operation.parameters.is_empty() {
        let parameters: Vec<Value> = operation
            .parameters
            .iter()
            .map(|p| {
                let mut parameter = json!({
                    "name": p.name,
                    "in": p.location.as_str(),
                    "required": p.required,
                    "schema": object(&p.schema),
                });
                if let Some(description) = &p.description {
                    parameter["description"] = json!(description);
                }
                parameter
            })
            .collect();
        out["parameters"] = Value::Array(parameters);
    }
    if let Some(body) = &operation.body {
        out["requestBody"] = json!({
            "required": true,
            "content": { body.media_type: { "schema": object(&body.schema) } },
        });
    }
    let mut responses = Map::new();
    for answer in &operation.responses {
        responses.insert(answer.status.key(), response(answer, operation, spec));
    }
    out["responses"] = Value::Object(responses);
    // Any one of the schemes the guards declare; none (`[]`, said outright) for a route that
    // asks for no credentials.
    let alternatives: Vec<Value> = operation
        .security
        .iter()
        .map(|name| json!({ name.clone(): [] }))
        .collect();
    out["security"] = Value::Array(alternatives);
    out
}

fn response(answer: &ResponseDoc, operation: &Operation, spec: Spec) -> Value {
    let mut out = json!({ "description": answer.description });
    match &answer.content {
        None => {}
        Some(Content::Of { media_type, schema }) => {
            out["content"] = json!({ *media_type: { "schema": object(schema) } });
        }
        Some(Content::EventStream) => {
            let events = operation.events.as_deref().unwrap_or_default();
            let item = item_schema(events);
            let media = match spec {
                Spec::V3_2 => json!({ "itemSchema": item }),
                Spec::V3_1 => json!({ "schema": item, "x-events": event_list(events) }),
            };
            out["content"] = json!({ "text/event-stream": media });
        }
    }
    out
}

/// One event as OpenAPI 3.2 models it: an object of the event's fields (`data`, `event`, `id`,
/// `retry`), every field a string but `retry`; then one `oneOf` branch per event, its `event`
/// a `const` and its JSON `data` described by `contentMediaType` and `contentSchema`.
pub(super) fn item_schema(events: &[EventDoc]) -> Value {
    let fixed: Vec<&str> = events
        .iter()
        .filter(|e| e.name_fixed)
        .map(|e| e.name.as_deref().unwrap_or("message"))
        .collect();
    let branches: Vec<Value> = events.iter().map(|event| branch(event, &fixed)).collect();
    let mut item = json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": { "type": "string" },
            "event": { "type": "string" },
            "id": { "type": "string" },
            "retry": { "type": "integer", "minimum": 0 },
        },
    });
    if !branches.is_empty() {
        item["oneOf"] = Value::Array(branches);
    }
    item
}

fn branch(event: &EventDoc, fixed: &[&str]) -> Value {
    let data = match &event.data {
        EventData::Json(schema) => json!({
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": object(schema),
        }),
        EventData::Text => json!({ "type": "string" }),
    };
    let mut required = vec!["data"];
    let name = match (&event.name, event.name_fixed) {
        // An event sent without `event:` is dispatched as `message`; a reader that fills the
        // default in sees that name, one that does not sees none.
        (None, true) => json!({ "const": "message" }),
        (Some(name), true) => {
            required.push("event");
            json!({ "const": name })
        }
        // Untyped: any name but the typed events' own, so that exactly one branch matches.
        (_, false) if fixed.is_empty() => json!({ "type": "string" }),
        (_, false) => json!({ "type": "string", "not": { "enum": fixed } }),
    };
    if event.has_id && event.name_fixed {
        required.push("id");
    }
    let mut out = json!({
        "properties": { "event": name, "data": data },
        "required": required,
    });
    if let (Some(name), true) = (&event.name, event.name_fixed) {
        out["title"] = json!(name);
    }
    if event.ends_stream {
        out["description"] = json!("The last event: the stream ends after it.");
    }
    out
}

/// The 3.1 form's `x-events`: each event's name, data and whether it ends the stream, for tools
/// that read neither `itemSchema` nor `oneOf` branches.
fn event_list(events: &[EventDoc]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|event| {
                let data = match &event.data {
                    EventData::Json(schema) => json!({ "contentMediaType": "application/json", "contentSchema": object(schema) }),
                    _ => json!({ "type": "string" }),
                };
                json!({
                    "event": if event.name_fixed { json!(event.name.as_deref().unwrap_or("message")) } else { Value::Null },
                    "data": data,
                    "id": event.has_id,
                    "endsStream": event.ends_stream,
                })
            })
            .collect(),
    )
}

/// `schema` as an object: JSON Schema's `true` (any value: a `serde_json::Value`) is `{}`, and
/// `false` is `{"not": {}}`, since OpenAPI's Schema Object positions are read as objects.
fn object(schema: &schemars::Schema) -> Value {
    match schema.as_bool() {
        Some(true) => json!({}),
        Some(false) => json!({ "not": {} }),
        None => schema.as_value().clone(),
    }
}

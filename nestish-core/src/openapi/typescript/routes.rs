//! Each route as a method of the client: its arguments' type, its answer's or events' type, and
//! the data the runtime reads to make the request.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::types::{Names, camel, doc, key, literal, pascal, ts, unique};
use crate::openapi::{Content, EventData, Location, Operation, Status};

/// What one route adds to the file: its types (before the client class) and its method (in it).
pub(super) struct Route {
    pub(super) types: String,
    pub(super) method: String,
}

/// The name of each operation's method: `chatEvents` for `ChatController::events`, distinct.
pub(super) fn method_names(operations: &[Operation], taken: &[String]) -> Vec<String> {
    let mut used: Vec<String> = taken.to_vec();
    operations
        .iter()
        .map(|operation| {
            let controller = operation
                .controller
                .strip_suffix("Controller")
                .filter(|c| !c.is_empty())
                .unwrap_or(operation.controller);
            let name = unique(camel(&format!("{controller}_{}", operation.handler)), &used);
            used.push(name.clone());
            used.push(pascal(&name) + "Args");
            used.push(pascal(&name) + "Event");
            used.push(pascal(&name) + "Answer");
            used.push(pascal(&name) + "Error");
            name
        })
        .collect()
}

/// The route's types and method, its method named `name`.
pub(super) fn route(operation: &Operation, name: &str, names: &Names) -> Route {
    let type_base = pascal(name);
    let streams = operation.events.is_some();
    let mut types = String::new();
    let mut spec = json!({
        "method": operation.method,
        "path": operation.path,
        "params": [],
    });

    // The arguments: every parameter by its name (the same name in two places is told apart
    // by its place), the body as `body`. The stream's Last-Event-ID is the subscription's.
    let mut args = String::new();
    let mut keys: Vec<String> = Vec::new();
    let mut all_optional = true;
    for parameter in &operation.parameters {
        if streams
            && parameter.location == Location::Header
            && parameter.name.eq_ignore_ascii_case("last-event-id")
        {
            continue;
        }
        let mut arg = parameter.name.clone();
        if keys.contains(&arg) || arg == "body" {
            arg = format!("{}_{}", parameter.location.as_str(), parameter.name);
        }
        keys.push(arg.clone());
        all_optional &= !parameter.required;
        args.push_str(&doc(parameter.description.as_deref(), "  "));
        let _ = writeln!(
            args,
            "  {}{}: {};",
            key(&arg),
            if parameter.required { "" } else { "?" },
            ts(parameter.schema.as_value(), names, 1)
        );
        if let Some(Value::Array(params)) = spec.get_mut("params") {
            params.push(json!({
                "name": parameter.name,
                "key": arg,
                "in": parameter.location.as_str(),
            }));
        }
    }
    if let Some(body) = &operation.body {
        all_optional = false;
        let ty = match body.media_type {
            "application/json" => ts(body.schema.as_value(), names, 1),
            "text/plain" => "string".to_owned(),
            _ => "BodyInit".to_owned(),
        };
        let _ = writeln!(args, "  body: {ty};");
        spec["body"] = json!(body.media_type);
    }
    let has_args = !args.is_empty();
    if has_args {
        let _ = writeln!(
            types,
            "/** The arguments of `{name}`. */\nexport type {type_base}Args = {{\n{args}}};\n"
        );
    }
    let args_param = match (has_args, all_optional) {
        (false, _) => String::new(),
        (true, true) => format!("args: {type_base}Args = {{}}, "),
        (true, false) => format!("args: {type_base}Args, "),
    };
    let args_value = if has_args { "args" } else { "{}" };

    let mut summary = operation.summary.clone();
    if let Some(description) = &operation.description {
        summary.push_str("\n\n");
        summary.push_str(description);
    }
    let mut method = doc(
        Some(&format!(
            "{summary}\n\n`{} {}`",
            operation.method, operation.path
        )),
        "  ",
    );

    let error = answer_type(operation, names, false);
    let _ = writeln!(
        types,
        "/** What `{name}` answers when it fails. */\nexport type {type_base}Error = {error};\n"
    );
    if let Some(events) = &operation.events {
        let mut branches = Vec::new();
        let mut table = serde_json::Map::new();
        let mut untyped = false;
        for event in events {
            if !event.name_fixed {
                untyped = true;
                branches.push("{ event: string; data: string; id?: string }".to_owned());
                continue;
            }
            let event_name = event.name.clone().unwrap_or_else(|| "message".to_owned());
            let (data, is_json) = match &event.data {
                EventData::Json(schema) => (ts(schema.as_value(), names, 1), true),
                EventData::Text => ("string".to_owned(), false),
            };
            let id = if event.has_id { "id" } else { "id?" };
            branches.push(format!(
                "{{ event: {}; data: {data}; {id}: string }}",
                literal(&Value::String(event_name.clone()))
            ));
            table
                .entry(event_name)
                .or_insert_with(|| json!({ "json": is_json, "end": event.ends_stream }));
        }
        spec["events"] = Value::Object(table);
        spec["untyped"] = json!(untyped);
        let union = if branches.is_empty() {
            "never".to_owned()
        } else {
            branches
                .iter()
                .map(|b| format!("\n  | {b}"))
                .collect::<String>()
        };
        let _ = writeln!(
            types,
            "/** One event of `{name}`'s stream, told apart by `event`. */\nexport type {type_base}Event ={union};\n"
        );
        let _ = writeln!(
            method,
            "  {name}({args_param}options?: SubscribeOptions): Subscription<{type_base}Event> {{\n    \
             return subscribe<{type_base}Event>(this.options, {spec} as StreamSpec, {args_value}, options);\n  }}"
        );
    } else {
        let answer = answer_type(operation, names, true);
        let _ = writeln!(
            types,
            "/** What `{name}` answers when it succeeds. */\nexport type {type_base}Answer = {answer};\n"
        );
        let _ = writeln!(
            method,
            "  {name}({args_param}options?: RequestOptions): Promise<Result<{type_base}Answer, {type_base}Error>> {{\n    \
             return request<{type_base}Answer, {type_base}Error>(this.options, {spec} as OperationSpec, {args_value}, options);\n  }}"
        );
    }
    Route { types, method }
}

/// The type of the route's successful answers (`success`) or of its errors.
fn answer_type(operation: &Operation, names: &Names, success: bool) -> String {
    let mut types: Vec<String> = Vec::new();
    for response in &operation.responses {
        let is_success = match response.status {
            Status::Code(code) => (200..300).contains(&code),
            Status::Class(class) => class == 2,
            Status::Default => true,
        };
        if is_success != success {
            continue;
        }
        let ty = match &response.content {
            None => "undefined".to_owned(),
            Some(Content::Of { media_type, schema }) if media_type.ends_with("json") => {
                ts(schema.as_value(), names, 0)
            }
            Some(Content::Of { .. }) => "string".to_owned(),
            Some(Content::EventStream) => continue,
        };
        if !types.contains(&ty) {
            types.push(ty);
        }
    }
    match types.len() {
        0 => "unknown".to_owned(),
        _ if types.iter().any(|t| t == "unknown") => "unknown".to_owned(),
        _ => types
            .into_iter()
            .map(|t| {
                if t.contains('|') || t.contains('&') {
                    format!("({t})")
                } else {
                    t
                }
            })
            .collect::<Vec<_>>()
            .join(" | "),
    }
}

#[cfg(test)]
mod tests {
    use schemars::json_schema;

    use super::*;
    use crate::openapi::{EventDoc, Parameter, ResponseDoc};

    fn operation(controller: &'static str, handler: &'static str) -> Operation {
        Operation {
            method: "GET",
            path: "/jobs/{id}/events".to_owned(),
            operation_id: format!("{controller}_{handler}"),
            controller,
            handler,
            summary: handler.to_owned(),
            description: None,
            parameters: vec![
                Parameter {
                    name: "id".to_owned(),
                    location: Location::Path,
                    required: true,
                    schema: json_schema!({ "type": "integer" }),
                    description: None,
                },
                Parameter {
                    name: "Last-Event-ID".to_owned(),
                    location: Location::Header,
                    required: false,
                    schema: json_schema!({ "type": "string" }),
                    description: None,
                },
            ],
            body: None,
            responses: vec![ResponseDoc::new(
                Status::Code(200),
                "the stream",
                Some(Content::EventStream),
            )],
            events: Some(vec![
                EventDoc::new(
                    Some("progress"),
                    EventData::Json(json_schema!({ "type": "integer" })),
                )
                .with_id(),
                EventDoc::new(Some("done"), EventData::Text).ending(),
            ]),
            security: Vec::new(),
        }
    }

    #[test]
    fn methods_are_named_for_controller_and_handler_and_distinct() {
        let operations = [
            operation("JobsController", "events"),
            operation("Jobs", "events"),
            operation("Controller", "list"),
        ];
        let names = method_names(&operations, &["jobsEventsArgs".to_owned()]);
        assert_eq!(names, ["jobsEvents", "jobsEvents2", "controllerList"]);
    }

    #[test]
    fn a_streams_method_subscribes_to_its_events_and_leaves_last_event_id_to_the_subscription() {
        let names = Names::new(std::iter::empty(), &[]);
        let route = route(&operation("JobsController", "events"), "jobsEvents", &names);
        assert!(
            route.types.contains(
                "export type JobsEventsEvent =\n  | { event: \"progress\"; data: number; id: string }\n  | { event: \"done\"; data: string; id?: string };"
            ),
            "{}",
            route.types
        );
        assert!(
            route
                .types
                .contains("export type JobsEventsArgs = {\n  id: number;\n};")
        );
        assert!(!route.types.contains("Last-Event-ID"), "{}", route.types);
        assert!(route.method.contains(
            "jobsEvents(args: JobsEventsArgs, options?: SubscribeOptions): Subscription<JobsEventsEvent>"
        ));
        assert!(
            route.method.contains(r#""done":{"end":true,"json":false}"#),
            "{}",
            route.method
        );
    }
}

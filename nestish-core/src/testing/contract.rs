//! The contract check: each answer and each event a test reads is validated against what its
//! route's description says of it (feature `openapi`), so a handler and its document cannot
//! drift apart unnoticed. Without `openapi` there is no description, and every check here is
//! an empty function the compiler removes.

#[cfg(feature = "openapi")]
use std::collections::{BTreeMap, HashMap};
#[cfg(feature = "openapi")]
use std::sync::{Arc, Mutex};

use http::{HeaderMap, Method, StatusCode};

#[cfg(feature = "openapi")]
use crate::extract::media::is_json;
#[cfg(feature = "openapi")]
use crate::openapi::{Api, Content, EventData, Status};

use super::parse::Event;

/// The app's description, shared by its clients; empty when unchecked.
#[derive(Clone, Debug, Default)]
pub(super) struct Contract {
    #[cfg(feature = "openapi")]
    checker: Option<Arc<Checker>>,
}

impl Contract {
    /// Checks against `api`.
    #[cfg(feature = "openapi")]
    pub(super) fn new(api: Arc<Api>) -> Self {
        Self {
            checker: Some(Arc::new(Checker::new(api))),
        }
    }

    /// No check at all (a request or an app that switched it off).
    pub(super) fn off(&mut self) {
        #[cfg(feature = "openapi")]
        {
            self.checker = None;
        }
    }

    /// Fails the test when `body`, answered with `status` to `method path`, does not match the
    /// route's schema for that status.
    #[cfg_attr(not(feature = "openapi"), allow(clippy::unused_self))]
    pub(super) fn response(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) {
        #[cfg(feature = "openapi")]
        if let Some(checker) = &self.checker {
            if let Err(mismatch) = checker.response(method, path, status, headers, body) {
                panic!("{mismatch}");
            }
        }
        #[cfg(not(feature = "openapi"))]
        let _ = (method, path, status, headers, body);
    }

    /// The check of each event of the stream answered to `method path`.
    #[cfg_attr(not(feature = "openapi"), allow(clippy::unused_self))]
    pub(super) fn stream(&self, method: &Method, path: &str, headers: &HeaderMap) -> EventCheck {
        #[cfg(feature = "openapi")]
        {
            let is_stream = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            let route = self.checker.as_ref().filter(|_| is_stream).and_then(|c| {
                let operation = c.operation(method, path)?;
                Some((Arc::clone(c), operation))
            });
            EventCheck {
                route,
                request: format!("{method} {path}"),
                index: 0,
            }
        }
        #[cfg(not(feature = "openapi"))]
        {
            let _ = (method, path, headers);
            EventCheck {}
        }
    }
}

/// Checks each event of one stream, counting them.
#[derive(Debug)]
pub(super) struct EventCheck {
    #[cfg(feature = "openapi")]
    route: Option<(Arc<Checker>, usize)>,
    #[cfg(feature = "openapi")]
    request: String,
    #[cfg(feature = "openapi")]
    index: usize,
}

impl EventCheck {
    /// Fails the test when `event` is not one of the route's events, or its data does not
    /// match that event's schema.
    #[cfg_attr(not(feature = "openapi"), allow(clippy::unused_self))]
    pub(super) fn event(&mut self, event: &Event) {
        #[cfg(feature = "openapi")]
        {
            let index = self.index;
            self.index += 1;
            if let Some((checker, operation)) = &self.route {
                if let Err(mismatch) = checker.event(*operation, &self.request, index, event) {
                    panic!("{mismatch}");
                }
            }
        }
        #[cfg(not(feature = "openapi"))]
        let _ = event;
    }
}

/// Which schema of a route: an answer's (by status) or an event's (by its place in the route's
/// list of events).
#[cfg(feature = "openapi")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Part {
    Answer(Status),
    Event(usize),
}

/// The description, its routes by path, and each schema's validator once compiled.
#[cfg(feature = "openapi")]
pub(super) struct Checker {
    api: Arc<Api>,
    /// Each documented path, with the operations on it.
    paths: matchit::Router<Vec<usize>>,
    /// `{"schemas": ...}`: where every `$ref` of a schema points.
    components: serde_json::Value,
    /// Compiled on first use: a test reads only a few of the app's routes.
    validators: Mutex<HashMap<(usize, Part), Arc<jsonschema::Validator>>>,
}

#[cfg(feature = "openapi")]
impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("operations", &self.api.operations.len())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "openapi")]
impl Checker {
    fn new(api: Arc<Api>) -> Self {
        let mut by_path: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, operation) in api.operations.iter().enumerate() {
            by_path.entry(&operation.path).or_default().push(i);
        }
        let mut paths = matchit::Router::new();
        for (path, operations) in by_path {
            // Documented paths are unique and OpenAPI's `{name}` is matchit's own syntax; a
            // path matchit refuses is left unchecked rather than failing every test.
            let _ = paths.insert(path, operations);
        }
        let schemas: serde_json::Map<String, serde_json::Value> = api
            .schemas
            .iter()
            .map(|(name, schema)| (name.clone(), schema.as_value().clone()))
            .collect();
        Self {
            api,
            paths,
            components: serde_json::json!({ "schemas": schemas }),
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The operation `method path` is served by, if the description has it.
    fn operation(&self, method: &Method, path: &str) -> Option<usize> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        // A request path with one trailing slash finds the route without it.
        let path = match path.strip_suffix('/') {
            Some(trimmed) if !trimmed.is_empty() => trimmed,
            _ => path,
        };
        let found = self.paths.at(path).ok()?;
        found
            .value
            .iter()
            .copied()
            .find(|&i| self.api.operations[i].method == method.as_str())
    }

    fn response(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), String> {
        if method == Method::HEAD {
            return Ok(());
        }
        let Some(index) = self.operation(method, path) else {
            return Ok(());
        };
        let operation = &self.api.operations[index];
        let code = status.as_u16();
        // OpenAPI's precedence: the status itself, then its class, then `default`.
        let documented = [
            Status::Code(code),
            Status::Class(u8::try_from(code / 100).unwrap_or(0)),
            Status::Default,
        ]
        .into_iter()
        .find_map(|key| operation.responses.iter().find(|r| r.status == key));
        let Some(documented) = documented else {
            return Ok(());
        };
        let Some(Content::Of { media_type, schema }) = &documented.content else {
            return Ok(());
        };
        let answered = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let encoded = headers
            .get(http::header::CONTENT_ENCODING)
            .is_some_and(|v| v != "identity");
        // Only JSON is checked against a schema; text is any string, and a compressed body
        // (a compression layer's) is not read here.
        if !is_json(media_type) || !is_json(answered) || encoded {
            return Ok(());
        }
        let what = || {
            format!(
                "contract check: {method} {path} (route {}, {} {}): the {} answer's body",
                operation.operation_id,
                operation.method,
                operation.path,
                status.as_u16()
            )
        };
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
            format!(
                "{} is not JSON ({error}): {}",
                what(),
                String::from_utf8_lossy(body)
            )
        })?;
        let validator = self.validator(index, Part::Answer(documented.status), schema, &what)?;
        check(&validator, &value, &what)
    }

    fn event(
        &self,
        operation: usize,
        request: &str,
        index: usize,
        event: &Event,
    ) -> Result<(), String> {
        let route = &self.api.operations[operation];
        let Some(events) = &route.events else {
            return Ok(());
        };
        // An untyped event (`MessageEvent`) may carry any name and any data.
        if events.iter().any(|e| !e.name_fixed) {
            return Ok(());
        }
        let what = || {
            format!(
                "contract check: {request} (route {}, {} {}): event \"{}\" (index {index})",
                route.operation_id, route.method, route.path, event.event
            )
        };
        let Some(doc_index) = events.iter().position(|e| name_of(e) == event.event) else {
            let names: Vec<String> = events
                .iter()
                .map(|e| format!("\"{}\"", name_of(e)))
                .collect();
            return Err(format!(
                "{} is not one of the route's events ({}); data: {}",
                what(),
                names.join(", "),
                event.data
            ));
        };
        let EventData::Json(schema) = &events[doc_index].data else {
            return Ok(());
        };
        let value: serde_json::Value = serde_json::from_str(&event.data).map_err(|error| {
            format!("{}: its data is not JSON ({error}): {}", what(), event.data)
        })?;
        let validator = self.validator(operation, Part::Event(doc_index), schema, &what)?;
        check(&validator, &value, &what)
    }

    /// The validator of `schema`, compiled once, with the description's components beside it
    /// so that its `$ref`s resolve.
    fn validator(
        &self,
        operation: usize,
        part: Part,
        schema: &schemars::Schema,
        what: &dyn Fn() -> String,
    ) -> Result<Arc<jsonschema::Validator>, String> {
        let mut validators = self
            .validators
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(validator) = validators.get(&(operation, part)) {
            return Ok(Arc::clone(validator));
        }
        let root = serde_json::json!({
            "allOf": [schema.as_value()],
            "components": self.components,
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&root)
            .map_err(|error| format!("{}: its schema does not compile: {error}", what()))?;
        let validator = Arc::new(validator);
        validators.insert((operation, part), Arc::clone(&validator));
        Ok(validator)
    }
}

/// The name an `EventSource` dispatches an event of `doc` under.
#[cfg(feature = "openapi")]
fn name_of(doc: &crate::openapi::EventDoc) -> &str {
    doc.name.as_deref().unwrap_or("message")
}

/// Every place where `value` does not match, with what was expected there.
#[cfg(feature = "openapi")]
fn check(
    validator: &jsonschema::Validator,
    value: &serde_json::Value,
    what: &dyn Fn() -> String,
) -> Result<(), String> {
    let failures: Vec<String> = validator
        .iter_errors(value)
        .map(|error| {
            let at = error.instance_path().as_str();
            let at = if at.is_empty() { "/" } else { at };
            format!("\n  at {at}: {error}")
        })
        .collect();
    if failures.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} does not match its schema:{}\n  value: {value}",
        what(),
        failures.concat()
    ))
}

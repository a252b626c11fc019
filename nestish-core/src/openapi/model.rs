//! The application's routes as data: what each route takes and answers, in types a document
//! writer or a client generator walks, before anything is written as JSON.

use std::collections::BTreeMap;

pub(super) use schemars::Schema;

/// Every documented route of an application, with the named schemas they refer to
/// (`{"$ref": "#/components/schemas/Name"}`): what [`AppBuilder::openapi`](crate::AppBuilder::openapi)
/// writes the document from, built once at start-up.
///
/// ```standalone_crate
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let app = nestish_core::NestFactory::create()
///     .openapi(nestish_core::openapi::OpenApi::new("Orders", "1.0.0"))
///     .build()
///     .expect("the app builds");
/// let api = app.api().expect("the document is served");
/// for operation in &api.operations {
///     println!("{} {}", operation.method, operation.path);
/// }
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Api {
    /// One per route and method, sorted by path then method.
    pub operations: Vec<Operation>,
    /// The named schemas, by name, as JSON Schema 2020-12.
    pub schemas: BTreeMap<String, Schema>,
    /// The security schemes the routes' guards declare, by name.
    pub security_schemes: BTreeMap<String, SecurityScheme>,
}

/// One route: a method on a path.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Operation {
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// The path as OpenAPI writes it: `/orders/{id}`, global prefix and version included.
    pub path: String,
    /// `Controller_method`, unique in the application (NestJS's `operationId`).
    pub operation_id: String,
    /// The controller's type name, also the operation's tag.
    pub controller: &'static str,
    /// The route method's name.
    pub handler: &'static str,
    /// The first line of the method's doc comment, else its name.
    pub summary: String,
    /// The rest of the method's doc comment, if any.
    pub description: Option<String>,
    /// Path, query, header and cookie parameters, in the order of the method's arguments.
    pub parameters: Vec<Parameter>,
    /// The request body, for a route with a `#[body]` argument.
    pub body: Option<RequestBody>,
    /// Every answer the route may give, successes and errors, by status.
    pub responses: Vec<ResponseDoc>,
    /// For an `#[sse]` route: the events its stream may carry.
    pub events: Option<Vec<EventDoc>>,
    /// The security schemes one of which the route's guards require.
    pub security: Vec<String>,
}

/// Where a parameter is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A segment of the path (`#[param("id")]`).
    Path,
    /// The query string (`#[query("page")]`, or each field of a `#[query]` struct).
    Query,
    /// A request header (`#[header("x-tenant")]`, `#[last_event_id]`).
    Header,
    /// A cookie (`#[cookie("session")]`).
    Cookie,
}

impl Location {
    /// The name OpenAPI's `in` field gives it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

/// One parameter of a route.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Parameter {
    /// Its name in its location (the header's, the cookie's, ...).
    pub name: String,
    /// Where it is read from.
    pub location: Location,
    /// Whether a request without it is refused (400); path parameters always are.
    pub required: bool,
    /// Its value's schema (as text it parses from).
    pub schema: Schema,
    /// What it is for, when nestish knows (`Last-Event-ID`).
    pub description: Option<String>,
}

/// What one parameter's type says of it: its schema, and whether it may be absent.
///
/// The [`FromQueryParam`](crate::extract::FromQueryParam), [`FromHeader`](crate::extract::FromHeader),
/// [`FromCookie`](crate::extract::FromCookie) and [`FromLastEventId`](crate::extract::FromLastEventId)
/// traits return it from their `describe` (feature `openapi`).
///
/// ```
/// use nestish_core::openapi::ValueDoc;
///
/// use nestish_core::openapi::schemars::generate::SchemaSettings;
///
/// let mut generator = SchemaSettings::draft2020_12().into_generator();
/// let page = ValueDoc::required(generator.subschema_for::<u32>());
/// assert!(page.required);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ValueDoc {
    /// The schema of a present value.
    pub schema: Schema,
    /// Whether it must be present.
    pub required: bool,
}

impl ValueDoc {
    /// A value that must be present.
    #[must_use]
    pub fn required(schema: Schema) -> Self {
        Self {
            schema,
            required: true,
        }
    }

    /// A value that may be absent (an `Option`): `null` is taken out of its schema, since an
    /// absent parameter is not a `null` one.
    #[must_use]
    pub fn optional(schema: Schema) -> Self {
        Self {
            schema: super::schema::without_null(schema),
            required: false,
        }
    }
}

/// A request body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestBody {
    /// `application/json`, `text/plain` or `application/octet-stream`.
    pub media_type: &'static str,
    /// The body's schema.
    pub schema: Schema,
}

impl RequestBody {
    /// A body of `media_type` with `schema`.
    ///
    /// ```
    /// use nestish_core::openapi::RequestBody;
    /// use nestish_core::openapi::schemars::json_schema;
    ///
    /// let body = RequestBody::new("text/plain", json_schema!({ "type": "string" }));
    /// assert_eq!(body.media_type, "text/plain");
    /// ```
    #[must_use]
    pub fn new(media_type: &'static str, schema: Schema) -> Self {
        Self { media_type, schema }
    }
}

/// The status of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// One status code.
    Code(u16),
    /// Any status of a class: `Class(4)` is OpenAPI's `4XX`.
    Class(u8),
    /// Any status the route chooses at run time (a `(StatusCode, T)` or a raw `Response`).
    Default,
}

impl Status {
    /// The key OpenAPI's `responses` map gives it: `200`, `4XX`, `default`.
    #[must_use]
    pub fn key(self) -> String {
        match self {
            Self::Code(code) => code.to_string(),
            Self::Class(class) => format!("{class}XX"),
            Self::Default => "default".to_owned(),
        }
    }
}

/// One answer a route may give.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ResponseDoc {
    /// Its status.
    pub status: Status,
    /// Why a route answers it.
    pub description: String,
    /// Its body; `None` for an empty one.
    pub content: Option<Content>,
}

impl ResponseDoc {
    /// An answer with `status`, `description` and `content`.
    ///
    /// ```
    /// use nestish_core::openapi::{Content, ResponseDoc, Status};
    ///
    /// let ok = ResponseDoc::new(Status::Code(200), "the order", Some(Content::text("text/plain")));
    /// assert_eq!(ok.status.key(), "200");
    /// ```
    #[must_use]
    pub fn new(status: Status, description: impl Into<String>, content: Option<Content>) -> Self {
        Self {
            status,
            description: description.into(),
            content,
        }
    }
}

/// A response's body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Content {
    /// Of a media type, with the body's schema.
    Of {
        /// `application/json`, `text/plain`, `text/html`, ...
        media_type: &'static str,
        /// The body's schema.
        schema: Schema,
    },
    /// `text/event-stream`: the route's [`Operation::events`].
    EventStream,
}

impl Content {
    /// JSON of `schema`.
    #[must_use]
    pub fn json(schema: Schema) -> Self {
        Self::Of {
            media_type: "application/json",
            schema,
        }
    }

    /// Text of `media_type` (`text/plain`, `text/html`), any string.
    #[must_use]
    pub fn text(media_type: &'static str) -> Self {
        Self::Of {
            media_type,
            schema: schemars::json_schema!({ "type": "string" }),
        }
    }
}

/// One kind of event an SSE route's stream may carry.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EventDoc {
    /// Its `event:` name; `None` for an event sent without one, which the browser dispatches as
    /// `message`, or whose name the type does not fix ([`MessageEvent`](crate::MessageEvent)).
    pub name: Option<String>,
    /// Whether the name is fixed: `false` for an untyped [`MessageEvent`](crate::MessageEvent),
    /// which may carry any name.
    pub name_fixed: bool,
    /// Its `data:`.
    pub data: EventData,
    /// Whether it carries an `id:`.
    pub has_id: bool,
    /// Whether the stream ends after it.
    pub ends_stream: bool,
}

impl EventDoc {
    /// An event named `name` (or unnamed) whose data is `data`, without id, that does not end the
    /// stream.
    ///
    /// ```
    /// use nestish_core::openapi::{EventData, EventDoc};
    ///
    /// let tick = EventDoc::new(Some("tick"), EventData::Text);
    /// assert_eq!(tick.name.as_deref(), Some("tick"));
    /// ```
    #[must_use]
    pub fn new(name: Option<&str>, data: EventData) -> Self {
        Self {
            name: name.map(str::to_owned),
            name_fixed: true,
            data,
            has_id: false,
            ends_stream: false,
        }
    }

    /// Any event at all, as a [`MessageEvent`](crate::MessageEvent) may be: any name, any id,
    /// text data.
    #[must_use]
    pub fn untyped() -> Self {
        Self {
            name: None,
            name_fixed: false,
            data: EventData::Text,
            has_id: true,
            ends_stream: false,
        }
    }

    /// The same event, carrying an `id:`.
    #[must_use]
    pub fn with_id(mut self) -> Self {
        self.has_id = true;
        self
    }

    /// The same event, after which the stream ends.
    #[must_use]
    pub fn ending(mut self) -> Self {
        self.ends_stream = true;
        self
    }
}

/// What an event's `data:` holds.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum EventData {
    /// JSON of this schema.
    Json(Schema),
    /// Text, untyped.
    Text,
}

/// How a guard's route is authenticated, as OpenAPI's security scheme object says it.
///
/// ```
/// use nestish_core::openapi::SecurityScheme;
///
/// let session = SecurityScheme::cookie("session", "session");
/// assert_eq!(session.name, "session");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SecurityScheme {
    /// The scheme's name in `components.securitySchemes`.
    pub name: &'static str,
    /// The security scheme object.
    pub scheme: serde_json::Value,
}

impl SecurityScheme {
    /// `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer(name: &'static str) -> Self {
        Self {
            name,
            scheme: serde_json::json!({ "type": "http", "scheme": "bearer" }),
        }
    }

    /// A key in the cookie `cookie`.
    #[must_use]
    pub fn cookie(name: &'static str, cookie: &str) -> Self {
        Self {
            name,
            scheme: serde_json::json!({ "type": "apiKey", "in": "cookie", "name": cookie }),
        }
    }

    /// A key in the header `header`.
    #[must_use]
    pub fn header(name: &'static str, header: &str) -> Self {
        Self {
            name,
            scheme: serde_json::json!({ "type": "apiKey", "in": "header", "name": header }),
        }
    }
}

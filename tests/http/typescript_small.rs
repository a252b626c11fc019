//! A small app's TypeScript client (`nestish_core::openapi::typescript`): the schema shapes
//! schemars writes (a tagged enum, a tuple, a map, a nullable field) as TypeScript types that
//! `tsc --strict` holds a program to, and from Node.js a GET route's answer and error as values
//! and a POST token stream read with a bearer token, ended by its terminal event or by the reader.

use crate::support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use nestish_core::openapi::{OpenApi, SecurityScheme, typescript};
use nestish_core::{
    Guard, GuardRequest, HttpError, Json, NestFactory, SseEvent, controller, get, sse, use_guards,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use support::typescript::run_check;

/// A shape, tagged by `kind`.
#[derive(Clone, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    Circle { radius: f64 },
    Square { side: u32 },
}

/// A drawing.
#[derive(Serialize, JsonSchema)]
pub struct Drawing {
    id: u64,
    /// Absent until named.
    title: Option<String>,
    shapes: Vec<Shape>,
    tags: BTreeMap<String, u32>,
    corner: (String, i64),
}

#[derive(Deserialize, JsonSchema)]
pub struct Prompt {
    text: String,
    /// How many tokens; 0 for an endless stream.
    count: u32,
}

#[derive(SseEvent)]
pub enum TokenEvents {
    Token(String),
    #[event(end)]
    Done,
}

/// Lets a request through with the right bearer token.
pub struct TokenGuard;

impl Guard for TokenGuard {
    async fn can_activate(&self, request: &mut GuardRequest<'_>) -> Result<(), HttpError> {
        match request.header("authorization") {
            Some("Bearer s3cret") => Ok(()),
            _ => Err(HttpError::unauthorized("a token is needed")),
        }
    }

    fn security_scheme() -> Option<SecurityScheme> {
        Some(SecurityScheme::bearer("token"))
    }
}

#[derive(Default)]
pub struct DrawingsController;

#[controller("drawings")]
impl DrawingsController {
    /// One drawing; 404 for id 0.
    #[get(":id")]
    fn one(
        &self,
        #[param("id")] id: u64,
        #[query("zoom")] zoom: Option<u8>,
    ) -> Result<Json<Drawing>, HttpError> {
        if id == 0 {
            return Err(HttpError::not_found("no drawing 0"));
        }
        Ok(Json(Drawing {
            id,
            title: None,
            shapes: vec![Shape::Circle { radius: 1.5 }, Shape::Square { side: 2 }],
            tags: BTreeMap::from([("zoom".to_owned(), u32::from(zoom.unwrap_or(1)))]),
            corner: ("top".to_owned(), -3),
        }))
    }

    /// The prompt's tokens, then `done` (an endless stream for count 0).
    #[sse("tokens", method = "POST")]
    #[use_guards(TokenGuard)]
    fn tokens(
        &self,
        #[body] prompt: Json<Prompt>,
    ) -> impl Stream<Item = TokenEvents> + Send + 'static {
        let Prompt { text, count } = prompt.0;
        let tokens = stream::iter(1..)
            .take_while(move |n| std::future::ready(count == 0 || *n <= count))
            .then(move |n| {
                let token = format!("{text}{n}");
                async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    TokenEvents::Token(token)
                }
            });
        tokens.chain(stream::iter([TokenEvents::Done]))
    }
}

fn drawings() -> nestish_core::AppBuilder {
    NestFactory::create()
        .controllers::<(DrawingsController,)>()
        .provide(TokenGuard)
        .openapi(OpenApi::new("Drawings", "1.0.0"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_apps_client_types_its_schemas_and_reads_a_post_stream_with_a_bearer_token() {
    let app = drawings().build().expect("the app builds");
    let client = typescript(app.api().expect("the app describes itself"));
    for export in [
        "export type Shape = {",
        "export type Drawing = {",
        "  corner: [string, number];",
        "  tags: Record<string, number>;",
        "  title: string | null;",
        "export type Shape = {\n  kind: \"circle\";\n  radius: number;\n} | {",
        "export type DrawingsTokensEvent =",
        "drawingsTokens(args: DrawingsTokensArgs, options?: SubscribeOptions): Subscription<DrawingsTokensEvent>",
    ] {
        assert!(client.contains(export), "{export} in:\n{client}");
    }
    let addr = support::start_with(drawings()).await;
    let Some(summary) = run_check(
        "small-node",
        &client,
        "small_client_check.ts",
        &[("BASE_URL", format!("http://{addr}"))],
    )
    .await
    else {
        return;
    };
    assert_eq!(summary["kinds"], serde_json::json!(["circle", "square"]));
    assert_eq!(summary["missing"], 404);
    assert_eq!(
        summary["finite"],
        serde_json::json!(["token:hi1", "token:hi2", "token:hi3", "done:null"])
    );
    assert_eq!(
        summary["finiteConnections"], 1,
        "the terminal event is not reopened"
    );
    assert_eq!(
        summary["handled"],
        serde_json::json!(["token:yo1", "token:yo2", "done:null"])
    );
    assert_eq!(summary["endless"].as_array().map(Vec::len), Some(3));
    assert_eq!(summary["endlessConnections"], 1);
    assert_eq!(summary["refusedWith"], 401);
}

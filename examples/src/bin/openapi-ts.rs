//! The OpenAPI document and a TypeScript client, both from the handlers' own types: serves
//! `/openapi.json` (OpenAPI 3.2, each SSE route's events as an `itemSchema`), its 3.1 form and
//! a documentation page at `/docs`; given a file name, writes the app's TypeScript client there
//! instead, with a typed method per route.
//!
//! ```sh
//! cargo run -p nestish-examples --bin openapi-ts             # open http://127.0.0.1:3000/docs
//! cargo run -p nestish-examples --bin openapi-ts -- client.ts
//! ```
//!
//! ```ts
//! import { ApiClient } from "./client";
//! const api = new ApiClient({ baseUrl: "http://127.0.0.1:3000" });
//! for await (const event of api.buildsEvents({ id: 7 })) {
//!   if (event.event === "progress") console.log(event.data.percent); // data: Progress
//! } // `finished` ends the stream, and the loop
//! ```

use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use nestish_core::openapi::OpenApi;
use nestish_core::{HttpError, Json, NestFactory, SseEvent, controller, get, sse};

/// `JsonSchema` gives each type its schema, from the same serde attributes the wire follows.
/// Doc comments become the schema's descriptions.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Build {
    /// The build's number.
    id: u32,
    /// Which branch it builds.
    branch: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Progress {
    step: u32,
    percent: u8,
}

/// One `oneOf` branch per variant in the document, one union member per variant in
/// TypeScript, told apart by `event`.
#[derive(SseEvent)]
enum BuildEvents {
    #[event(id = step)]
    Progress(Progress),
    LogLine(String),
    #[event(end)]
    Finished,
}

#[derive(Default)]
struct BuildsController;

#[controller("builds")]
impl BuildsController {
    // The `Result`'s error adds a 404 to the route's documented answers, with NestJS's body.
    #[get(":id")]
    fn one(&self, #[param("id")] id: u32) -> Result<Json<Build>, HttpError> {
        match id {
            0 => Err(HttpError::not_found("no build 0")),
            id => Ok(Json(Build {
                id,
                branch: "main".to_owned(),
            })),
        }
    }

    #[sse(":id/events")]
    fn events(&self, #[param("id")] _id: u32) -> impl Stream<Item = BuildEvents> + Send + 'static {
        let steps = nestish_core::interval(Duration::from_millis(200))
            .take(5)
            .enumerate();
        let progress = steps.map(|(step, _)| {
            let step = step as u32 + 1;
            BuildEvents::Progress(Progress {
                step,
                percent: (step * 20) as u8,
            })
        });
        stream::iter([BuildEvents::LogLine("compiling".to_owned())])
            .chain(progress)
            .chain(stream::iter([BuildEvents::Finished]))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let app = NestFactory::create()
        .openapi(OpenApi::new("Builds", "1.0.0"))
        .build();
    let Some(path) = std::env::args_os().nth(1) else {
        return nestish_examples::serve(app, 3000).await;
    };
    // The same description the app serves, as data: `app.api()`.
    let client = app.map(|app| app.api().map(nestish_core::openapi::typescript));
    match client.map(|client| std::fs::write(&path, client.unwrap_or_default())) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            eprintln!("error: cannot write {}: {error}", path.to_string_lossy());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

//! Hello SSE: NestJS's `@Sse()` in nestish. `GET /sse` sends `{"hello":"world"}` every second,
//! and `GET /` is a page that shows them.
//!
//! ```sh
//! cargo run -p nestish-examples --bin hello-sse   # then open http://127.0.0.1:3000
//! curl -N http://127.0.0.1:3000/sse               # or read the stream raw
//! ```

use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{Html, Json, NestFactory, controller, get, sse};

/// The data of each event: serialised as JSON straight into the frame, no `String` in between.
/// (`JsonSchema` because this crate has nestish's `openapi` feature on, for another example: a
/// route's types then describe it. Without the feature, `Serialize` alone is enough.)
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Hello {
    hello: &'static str,
}

// A controller is built once, with `Default`, and shared by every request.
#[derive(Default)]
struct AppController;

// `#[controller]` registers its routes through `inventory`: `NestFactory::create()` finds them,
// with no list to keep up to date.
#[controller]
impl AppController {
    #[get("/")]
    fn index(&self) -> Html<&'static str> {
        Html(
            "<ul id=list></ul><script>new EventSource('/sse').onmessage = (e) => \
             list.append(Object.assign(document.createElement('li'), { textContent: e.data }))\
             </script>",
        )
    }

    // The stream belongs to its connection: when the browser goes, it is dropped and the
    // interval stops. Heartbeats (every 15 s of silence) keep proxies from closing it.
    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = Json<Hello>> + Send + 'static {
        nestish_core::interval(Duration::from_secs(1)).map(|_| Json(Hello { hello: "world" }))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    nestish_examples::serve(NestFactory::create().build(), 3000).await
}

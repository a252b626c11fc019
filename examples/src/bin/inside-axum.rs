//! nestish inside an axum app: an `App` is a `tower::Service`, so axum's `nest_service` mounts
//! all of its routes under `/api`, beside axum's own, on axum's server.
//!
//! ```sh
//! cargo run -p nestish-examples --bin inside-axum
//! curl http://127.0.0.1:3000/health          # axum's route
//! curl -N http://127.0.0.1:3000/api/sse      # nestish's stream
//! ```
//!
//! The stream's guarantees come along (heartbeats, typed events, a clean end on shutdown);
//! the connection's (nestish's connection cap, timeouts, HTTP/2 settings) are the server's,
//! so axum's here.

use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{NestFactory, controller, sse};
use tokio::signal::unix::{SignalKind, signal};

#[derive(Default)]
struct TicksController;

#[controller]
impl TicksController {
    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = String> + Send + 'static {
        let ticks = nestish_core::interval(Duration::from_secs(1)).enumerate();
        ticks.map(|(tick, _)| format!("tick {tick}"))
    }
}

/// SIGINT or SIGTERM: axum's server leaves the signals to the app.
async fn signalled() {
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let served = async {
        let app = NestFactory::create().build()?;
        // Kept before the app moves into the router: a shutdown through it still ends every
        // nestish stream cleanly, which axum's graceful shutdown would otherwise wait on.
        let handle = app.handle();
        let router = axum::Router::new()
            .route("/health", axum::routing::get(|| async { "ok" }))
            .nest_service("/api", app);
        let port = nestish_examples::port(3000);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on {}", listener.local_addr()?);
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                signalled().await;
                handle.shutdown();
            })
            .await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

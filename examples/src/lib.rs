//! What every example's `main` shares: the port to serve on, and the `listening on` line.
//!
//! In an app of your own, `app.listen("127.0.0.1:3000").await` is all of it.

use std::process::ExitCode;

use nestish_core::{App, Error, Server};

/// The port from `PORT` (`0` for any free one), or `default`.
#[must_use]
pub fn port(default: u16) -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(default)
}

/// Serves `app` on 127.0.0.1 (`PORT`, or `default_port`) until SIGINT or SIGTERM, which nestish
/// handles itself: it stops accepting, ends every stream cleanly and returns, so the process
/// exits 0.
pub async fn serve(app: Result<App, Error>, default_port: u16) -> ExitCode {
    let addr = ("127.0.0.1", port(default_port));
    run(async { app?.bind(addr).await }).await
}

/// Runs the server `bound` gives (plain or TLS): prints `listening on ADDR` once its port is
/// bound, for a person or a test to read, serves until a signal, and says how it ended.
pub async fn run(bound: impl Future<Output = Result<Server, Error>>) -> ExitCode {
    let served = async {
        let server = bound.await?;
        println!("listening on {}", server.local_addr());
        server.serve().await
    };
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

//! `cargo run -p nestish-sample`: serves the 28-sse sample on http://127.0.0.1:3000
//! (the `PORT` environment variable picks another port). With `TLS_CERT` and `TLS_KEY` (PEM
//! files) it serves https://127.0.0.1:3000 instead, where browsers speak HTTP/2. With
//! `REDIS_URL` set (`redis://127.0.0.1:6379`), the chat's hub is on Redis, so several instances
//! act as one. `SAMPLE_USERS` (`name:password,...`) says who may log in (see
//! `nestish_sample::config`). With `METRICS_TOKEN` set, `GET /metrics` answers a scraper that
//! sends it as `Authorization: Bearer <token>`; without it, the metrics are off.

use std::process::ExitCode;

use nestish_core::hub::Hub;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let port = match std::env::var("PORT") {
        Ok(port) => match port.parse::<u16>() {
            Ok(port) => port,
            Err(_) => {
                eprintln!("PORT must be a port number, not {port:?}");
                return ExitCode::FAILURE;
            }
        },
        Err(_) => 3000,
    };
    let mut app = match nestish_sample::app() {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(url) = std::env::var("REDIS_URL") {
        let hub = Hub::redis(url).classify(nestish_sample::metrics::topic_class);
        match hub.connect().await {
            Ok(hub) => {
                tracing::info!(
                    "the chat's hub is on Redis (REDIS_URL): instances on it act as one"
                );
                app = app.provide(hub);
            }
            Err(error) => {
                eprintln!("error: REDIS_URL: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    if !nestish_sample::metrics::MetricsGuard::from_env().is_on() {
        tracing::info!("/metrics is off: set METRICS_TOKEN to scrape it with that bearer token");
    }
    let result = async {
        let tls = nestish_sample::tls(std::env::var_os("TLS_CERT"), std::env::var_os("TLS_KEY"))?;
        let app = app.build()?;
        let addr = ("127.0.0.1", port);
        let (server, scheme) = match tls {
            Some(tls) => (app.bind_tls(addr, tls).await?, "https"),
            None => (app.bind(addr).await?, "http"),
        };
        let addr = server.local_addr();
        println!(
            "nestish sample: open {scheme}://{addr}/ (and {scheme}://{addr}/jobs, \
             {scheme}://{addr}/chat)"
        );
        server.serve().await
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

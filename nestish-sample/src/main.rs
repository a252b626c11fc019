//! `cargo run -p nestish-sample`: serves the 28-sse sample on http://127.0.0.1:3000
//! (the `PORT` environment variable picks another port). With `TLS_CERT` and `TLS_KEY` (PEM
//! files) it serves https://127.0.0.1:3000 instead, where browsers speak HTTP/2. With
//! `REDIS_URL` set (`redis://127.0.0.1:6379`), the chat's hub is on Redis, so several instances
//! act as one (`PRESENCE_EXPIRY_SECS` says how long the users of an instance that died stay
//! online for the others: 15 s by default). `SAMPLE_USERS` (`name:password,...`) says who may log in (see
//! `nestish_sample::config`). With `METRICS_TOKEN` set, `GET /metrics` answers a scraper that
//! sends it as `Authorization: Bearer <token>`; without it, the metrics are off. The variables
//! may also be in a `.env` file; a bad one fails start-up naming it.

use std::process::ExitCode;
use std::sync::Arc;

use nestish_core::ConfigSource;
use nestish_sample::metrics::MetricsGuard;
use nestish_sample::modules::{SampleConfig, app_module};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let result = async {
        let config = Arc::new(ConfigSource::new().read_validated::<SampleConfig>()?);
        if !MetricsGuard::new(config.metrics_token.as_deref()).is_on() {
            tracing::info!(
                "/metrics is off: set METRICS_TOKEN to scrape it with that bearer token"
            );
        }
        let tls = nestish_sample::tls(
            config.tls_cert.clone().map(Into::into),
            config.tls_key.clone().map(Into::into),
        )?;
        let app = app_module(Arc::clone(&config)).init().await?;
        let addr = ("127.0.0.1", config.port);
        let (server, scheme) = match tls {
            Some(tls) => (app.bind_tls(addr, tls).await?, "https"),
            None => (app.bind(addr).await?, "http"),
        };
        let addr = server.local_addr();
        println!(
            "nestish sample: open {scheme}://{addr}/ (and {scheme}://{addr}/jobs, {scheme}://{addr}/assistant, \
             {scheme}://{addr}/chat, {scheme}://{addr}/dashboard)"
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

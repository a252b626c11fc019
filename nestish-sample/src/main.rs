//! `cargo run -p nestish-sample`: serves the 28-sse sample on http://127.0.0.1:3000
//! (the `PORT` environment variable picks another port).

use std::process::ExitCode;

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
    let result = async {
        let server = nestish_sample::app()
            .build()?
            .bind(("127.0.0.1", port))
            .await?;
        let addr = server.local_addr();
        println!(
            "nestish sample: open http://{addr}/ (and http://{addr}/jobs, http://{addr}/chat)"
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

//! `cargo run -p nestish-sample --bin sample-client -- client.ts`: writes the sample's TypeScript
//! client (`nestish_core::openapi::typescript`) to the file given, or to standard output without
//! one. The file imports `eventsource-parser` (npm) for the streams it reads with `fetch`, when it
//! first reads one so: reading only GET streams over a browser's `EventSource` needs none.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let app = match nestish_sample::app().map(nestish_core::AppBuilder::build) {
        Ok(Ok(app)) => app,
        Ok(Err(error)) => {
            eprintln!("error: the sample does not build: {error}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Some(api) = app.api() else {
        eprintln!("error: the sample serves no OpenAPI document");
        return ExitCode::FAILURE;
    };
    let client = nestish_core::openapi::typescript(api);
    match std::env::args_os().nth(1) {
        Some(path) => match std::fs::write(&path, client) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: cannot write {}: {error}", path.to_string_lossy());
                ExitCode::FAILURE
            }
        },
        None => {
            print!("{client}");
            ExitCode::SUCCESS
        }
    }
}

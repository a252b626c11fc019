//! HTTPS and HTTP/2 on nestish's own server: browsers speak HTTP/2 over TLS (ALPN), where all
//! of a page's `EventSource`s share one connection, instead of HTTP/1.1's six per origin. The
//! same port answers HTTP/1.1 clients too.
//!
//! ```sh
//! openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
//!     -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem
//! TLS_CERT=cert.pem TLS_KEY=key.pem cargo run -p nestish-examples --bin tls-http2
//! curl -N --http2 --cacert cert.pem https://localhost:3443/sse   # `< HTTP/2 200` with -v
//! ```
//!
//! Browsers will warn about a self-signed certificate; for local work, `mkcert` makes one they
//! trust. Behind a proxy that ends TLS, serve plain HTTP instead (`App::listen`): the proxy
//! speaks HTTP/2 to the browsers.

use std::process::ExitCode;
use std::time::Duration;

use futures::{Stream, StreamExt};
use nestish_core::{NestFactory, TlsConfig, controller, sse};

#[derive(Default)]
struct ClockController;

#[controller]
impl ClockController {
    // Nothing TLS-specific in a route: the transport is the server's business.
    #[sse("sse")]
    fn sse(&self) -> impl Stream<Item = String> + Send + 'static {
        let ticks = nestish_core::interval(Duration::from_secs(1)).enumerate();
        ticks.map(|(tick, _)| format!("tick {tick}"))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (Some(cert), Some(key)) = (std::env::var_os("TLS_CERT"), std::env::var_os("TLS_KEY"))
    else {
        eprintln!("error: set TLS_CERT and TLS_KEY to PEM files (see this example's top)");
        return ExitCode::FAILURE;
    };
    let addr = ("127.0.0.1", nestish_examples::port(3443));
    nestish_examples::run(async {
        // A bad file fails here, naming it. rustls serves TLS 1.2 and 1.3, and ALPN offers
        // `h2` then `http/1.1`. HTTP/2's limits (streams per connection, flow-control windows,
        // a ping that finds dead peers) are `AppBuilder` settings with safe defaults.
        let tls = TlsConfig::from_pem_files(cert, key)?;
        NestFactory::create().build()?.bind_tls(addr, tls).await
    })
    .await
}

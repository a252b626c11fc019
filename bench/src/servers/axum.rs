//! axum 0.8, idiomatic: `Sse` over a stream of `Event::default().json_data(...)`.

use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Error, Router};
use futures::{Stream, StreamExt, stream};
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use super::{Config, Flood, FloodQuery, HELLO};

/// A hub publication: its number and its JSON, serialised once for every subscriber.
type Published = (u64, Arc<str>);

#[derive(Clone)]
struct AppState {
    tick: Duration,
    hub: broadcast::Sender<Published>,
}

async fn sse(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Error>>> {
    Sse::new(super::ticks(state.tick).map(|()| Event::default().json_data(HELLO)))
}

async fn hub(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    Sse::new(
        super::hub_subscription(state.hub.subscribe())
            .map(|(n, json)| Ok(Event::default().id(n.to_string()).data(&*json))),
    )
}

async fn flood(
    Query(FloodQuery { n }): Query<FloodQuery>,
) -> Sse<impl Stream<Item = Result<Event, Error>>> {
    Sse::new(stream::iter(
        (0..n).map(|i| Event::default().json_data(Flood::new(i))),
    ))
}

pub(super) fn serve(config: Config) -> io::Result<()> {
    let state = AppState {
        tick: config.tick,
        hub: super::hub_channel(),
    };
    let publisher = state.hub.clone();
    let app = Router::new()
        .route("/sse", get(sse))
        .route("/flood", get(flood))
        .route("/hub", get(hub))
        .with_state(state);
    super::current_thread_runtime()?.block_on(async {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        if let Some(period) = config.hub {
            tokio::spawn(super::publish_stamps(period, move |stamp| {
                // No subscriber is not an error.
                let _ = publisher.send((stamp.n, super::stamp_json(stamp)));
                std::future::ready(())
            }));
        }
        if let Some(files) = &config.tls {
            return serve_tls(listener, files, app).await;
        }
        super::announce(listener.local_addr()?)?;
        // axum leaves Nagle on unless asked; every other server here turns it off.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app).await
    })
}

/// HTTPS as axum's users add it: axum-server with its rustls acceptor (ALPN h2, http/1.1),
/// `TCP_NODELAY` set as on every other server here.
async fn serve_tls(
    listener: TcpListener,
    files: &crate::tls::Files,
    app: Router,
) -> io::Result<()> {
    use axum_server::accept::{TcpConfigAcceptor, TcpSocketConfig};
    use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

    let config = RustlsConfig::from_pem_file(&files.cert, &files.key).await?;
    let listener = listener.into_std()?;
    super::announce(listener.local_addr()?)?;
    let nodelay = TcpConfigAcceptor::new(TcpSocketConfig::new().nodelay(true));
    axum_server::from_tcp(listener)?
        .acceptor(RustlsAcceptor::new(config).acceptor(nodelay))
        .serve(app.into_make_service())
        .await
}

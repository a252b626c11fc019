//! actix-web 4 with actix-web-lab's `sse`: `Sse::from_stream` over `sse::Data::new_json(...)`.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use actix_web_lab::sse;
use futures::{Stream, StreamExt, stream};
use tokio::sync::broadcast;

use super::{Config, Flood, FloodQuery, HELLO};

/// A hub publication: its number and its JSON, serialised once for every subscriber.
type Published = (u64, Arc<str>);

async fn sse(
    tick: web::Data<Duration>,
) -> sse::Sse<impl Stream<Item = Result<sse::Event, serde_json::Error>>> {
    sse::Sse::from_stream(
        super::ticks(**tick).map(|()| sse::Data::new_json(HELLO).map(sse::Event::from)),
    )
}

async fn flood(
    query: web::Query<FloodQuery>,
) -> sse::Sse<impl Stream<Item = Result<sse::Event, serde_json::Error>>> {
    let n = query.n;
    sse::Sse::from_stream(stream::iter(
        (0..n).map(|i| sse::Data::new_json(Flood::new(i)).map(sse::Event::from)),
    ))
}

async fn hub(
    hub: web::Data<broadcast::Sender<Published>>,
) -> sse::Sse<impl Stream<Item = Result<sse::Event, Infallible>>> {
    sse::Sse::from_stream(
        super::hub_subscription(hub.subscribe())
            .map(|(n, json)| Ok(sse::Data::new(&*json).id(n.to_string()).into())),
    )
}

pub(super) fn serve(config: Config) -> io::Result<()> {
    let tick = web::Data::new(config.tick);
    let hub_sender = web::Data::new(super::hub_channel::<Published>());
    actix_web::rt::System::new().block_on(async move {
        let publisher = hub_sender.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(tick.clone())
                .app_data(hub_sender.clone())
                .route("/sse", web::get().to(sse))
                .route("/flood", web::get().to(flood))
                .route("/hub", web::get().to(hub))
        })
        // One worker thread serves every connection; actix adds its acceptor thread and the
        // system thread, all pinned to the same CPU by the harness.
        .workers(1)
        .tcp_nodelay(true)
        .disable_signals()
        .bind(("127.0.0.1", config.port))?;
        let addr = server.addrs().first().copied();
        if let Some(period) = config.hub {
            actix_web::rt::spawn(super::publish_stamps(period, move |stamp| {
                // No subscriber is not an error.
                let _ = publisher.send((stamp.n, super::stamp_json(stamp)));
                std::future::ready(())
            }));
        }
        super::announce(addr.ok_or_else(|| io::Error::other("actix bound no address"))?)?;
        server.run().await
    })
}

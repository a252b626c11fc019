//! The floor: hyper 1 with nothing on top, a hand-written body that encodes events straight
//! into the bytes it sends.
//!
//! It batches ready events the way nestish does (at most 64 events or 16 KiB per frame), so the
//! gap between nestish and this server is what nestish's layers cost (the user's stream and its
//! items, routing, the boxed body, per-connection bookkeeping), not a difference in write policy.

use std::convert::Infallible;
use std::io;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures::Stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::sync::broadcast;

use super::{Config, Flood, HELLO, Stamp, Ticks};

const MAX_FRAME_EVENTS: u64 = 64;
const MAX_FRAME_BYTES: usize = 16 * 1024;

/// The response body of every route.
enum EventBody {
    /// `GET /sse`: one event per tick, forever.
    Ticks(Ticks),
    /// `GET /flood`: events `next..end`, then the end of the body.
    Flood { next: u64, end: u64 },
    /// `GET /hub`: every publication from now on, each encoded once for all subscribers.
    Hub(Pin<Box<dyn Stream<Item = Bytes> + Send>>),
    /// An error status: no body.
    Empty,
}

/// Appends `data: <json>\n\n`; the JSON has no line break, so one `data:` line is the event.
fn encode(value: &impl Serialize, buf: &mut BytesMut) {
    buf.put_slice(b"data: ");
    serde_json::to_writer(buf.writer(), value).expect("the payloads always serialise");
    buf.put_slice(b"\n\n");
}

impl Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let mut buf = BytesMut::new();
        match &mut *self {
            Self::Ticks(ticks) => {
                ready!(Pin::new(ticks).poll_next(cx));
                buf.reserve(32);
                encode(&HELLO, &mut buf);
            }
            Self::Flood { next, end } => {
                if next == end {
                    return Poll::Ready(None);
                }
                let stop = (*end).min(*next + MAX_FRAME_EVENTS);
                buf.reserve(MAX_FRAME_BYTES.min(48 * (stop - *next) as usize));
                while *next < stop && buf.len() < MAX_FRAME_BYTES {
                    encode(&Flood::new(*next), &mut buf);
                    *next += 1;
                }
            }
            Self::Hub(events) => {
                return events
                    .as_mut()
                    .poll_next(cx)
                    .map(|event| event.map(|bytes| Ok(Frame::data(bytes))));
            }
            Self::Empty => return Poll::Ready(None),
        }
        Poll::Ready(Some(Ok(Frame::data(buf.freeze()))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Ticks(_) | Self::Hub(_) => false,
            Self::Flood { next, end } => next == end,
            Self::Empty => true,
        }
    }
}

/// `n` from a query string such as `n=200000`.
fn flood_n(query: Option<&str>) -> Option<u64> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("n="))
        .and_then(|n| n.parse().ok())
}

/// `id: n` and `data: {"t":...,"n":n}`, the event a hub subscriber receives.
fn encode_stamp(stamp: Stamp) -> Bytes {
    let mut buf = BytesMut::with_capacity(64);
    buf.put_slice(format!("id: {}\n", stamp.n).as_bytes());
    encode(&stamp, &mut buf);
    buf.freeze()
}

fn route(
    request: &Request<Incoming>,
    tick: Duration,
    hub: &broadcast::Sender<Bytes>,
) -> Response<EventBody> {
    let body = match request.uri().path() {
        "/sse" => EventBody::Ticks(super::ticks(tick)),
        "/hub" => EventBody::Hub(Box::pin(super::hub_subscription(hub.subscribe()))),
        "/flood" => match flood_n(request.uri().query()) {
            Some(end) => EventBody::Flood { next: 0, end },
            None => return status(StatusCode::BAD_REQUEST),
        },
        _ => return status(StatusCode::NOT_FOUND),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn status(status: StatusCode) -> Response<EventBody> {
    let mut response = Response::new(EventBody::Empty);
    *response.status_mut() = status;
    response
}

pub(super) fn serve(config: Config) -> io::Result<()> {
    super::current_thread_runtime()?.block_on(async {
        // As nestish's: a backlog of 1,024, and SO_REUSEPORT when several processes share the
        // port (c100k-procs).
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(config.reuse_port)?;
        socket.bind((Ipv4Addr::LOCALHOST, config.port).into())?;
        let listener = socket.listen(1_024)?;
        let hub = super::hub_channel::<Bytes>();
        if let Some(period) = config.hub {
            let publisher = hub.clone();
            tokio::spawn(super::publish_stamps(period, move |stamp| {
                // No subscriber is not an error.
                let _ = publisher.send(encode_stamp(stamp));
                std::future::ready(())
            }));
        }
        super::announce(listener.local_addr()?)?;
        loop {
            // An accept error concerns one connection (or a momentary fd shortage): go on.
            let Ok((tcp, _peer)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (tick, hub) = (config.tick, hub.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let response = route(&request, tick, &hub);
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    })
}

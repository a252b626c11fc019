//! hyper's HTTP/1.1 client, for tests that read a response as a client library would (decoded
//! chunks, a body of frames) rather than byte by byte.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};

use super::PATIENCE;

/// `GET path` with `headers` on a new connection; the response with its body still streaming.
pub async fn get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> http::Response<hyper::body::Incoming> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
        .await
        .expect("a handshake");
    tokio::spawn(conn);
    let mut request = http::Request::get(path).header("host", "localhost");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Empty::<Bytes>::new())
        .expect("a valid request");
    tokio::time::timeout(PATIENCE, send.send_request(request))
        .await
        .expect("a response head in time")
        .expect("a response")
}

/// Reads `body`'s data frames until they end with `suffix`; all of them, as text.
pub async fn read_until<B>(body: &mut B, suffix: &str) -> String
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Debug,
{
    let mut text = String::new();
    while !text.ends_with(suffix) {
        let frame = tokio::time::timeout(PATIENCE, body.frame())
            .await
            .expect("a frame in time")
            .unwrap_or_else(|| panic!("the body ended before {suffix:?}; got {text:?}"))
            .expect("a frame, not an error");
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).expect("UTF-8"));
        }
    }
    text
}

/// Whether `body` ends cleanly (no more frames, no error) within [`PATIENCE`].
pub async fn ends_cleanly<B>(body: &mut B) -> bool
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: std::fmt::Debug,
{
    let next = tokio::time::timeout(PATIENCE, body.frame())
        .await
        .expect("the body ends in time");
    next.is_none()
}

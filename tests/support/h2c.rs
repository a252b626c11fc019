//! An HTTP/2 client over h2c (prior knowledge), on the `h2` crate that hyper's own HTTP/2 is
//! built on: a real client, with its flow control in the test's hands.

use std::net::SocketAddr;

use bytes::Bytes;
use h2::RecvStream;
use h2::client::SendRequest;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use super::PATIENCE;

/// One HTTP/2 connection: send requests on it; `conn` is the task driving it, which ends when
/// the server closes the connection (`Ok` after a graceful GOAWAY).
pub struct H2 {
    pub send: SendRequest<Bytes>,
    pub conn: JoinHandle<Result<(), h2::Error>>,
}

/// Connects with the client's default settings.
pub async fn connect(addr: SocketAddr) -> H2 {
    connect_with(addr, &h2::client::Builder::new()).await
}

/// Connects with `builder`'s settings (window sizes, say).
pub async fn connect_with(addr: SocketAddr, builder: &h2::client::Builder) -> H2 {
    let tcp = TcpStream::connect(addr).await.expect("connects");
    let (send, conn) = builder.handshake(tcp).await.expect("an HTTP/2 handshake");
    H2 {
        send,
        conn: tokio::spawn(conn),
    }
}

impl H2 {
    /// Sends `GET path` (ending the request stream) and waits for the response head.
    pub async fn get(&mut self, path: &str) -> (http::response::Parts, RecvStream) {
        let request = http::Request::get(format!("http://localhost{path}"))
            .body(())
            .expect("a valid request");
        self.send(request).await
    }

    /// Sends `request`, without a body (ending the request stream), and waits for the
    /// response head.
    pub async fn send(
        &mut self,
        request: http::Request<()>,
    ) -> (http::response::Parts, RecvStream) {
        let send = self
            .send
            .clone()
            .ready()
            .await
            .expect("the connection takes a stream");
        let mut send = send;
        let (response, _) = send
            .send_request(request, true)
            .expect("the request is sent");
        let response = tokio::time::timeout(PATIENCE, response)
            .await
            .expect("a response head in time")
            .expect("a response, not a reset");
        let (parts, body) = response.into_parts();
        (parts, body)
    }
}

/// The next DATA frame's bytes (its flow-control capacity released, as a reading client does),
/// or `None` at the end of the stream; panics after [`PATIENCE`].
pub async fn next_data(body: &mut RecvStream) -> Option<Bytes> {
    let data = tokio::time::timeout(PATIENCE, body.data())
        .await
        .expect("a DATA frame or the end in time")?
        .expect("a DATA frame, not a reset");
    body.flow_control()
        .release_capacity(data.len())
        .expect("capacity released");
    Some(data)
}

/// Reads DATA frames until their bytes, together, end with `suffix`; returns them all.
pub async fn read_until(body: &mut RecvStream, suffix: &str) -> String {
    let mut text = String::new();
    while !text.ends_with(suffix) {
        let Some(data) = next_data(body).await else {
            panic!("the stream ended before {suffix:?}; got {text:?}");
        };
        text.push_str(std::str::from_utf8(&data).expect("UTF-8"));
    }
    text
}

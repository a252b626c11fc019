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

/// HTTP/2 frame types (RFC 9113 §6) the raw client reads and writes.
pub mod kind {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const PRIORITY: u8 = 0x2;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const PING: u8 = 0x6;
    pub const GOAWAY: u8 = 0x7;
    pub const WINDOW_UPDATE: u8 = 0x8;
}

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// HTTP/2 error codes (RFC 9113 §7).
pub mod code {
    pub const CANCEL: u32 = 0x8;
    pub const REFUSED_STREAM: u32 = 0x7;
    pub const ENHANCE_YOUR_CALM: u32 = 0xb;
}

/// One frame as read off the wire.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// The error code of a RST_STREAM frame, or of a GOAWAY frame (after its last stream id).
    pub fn error_code(&self) -> u32 {
        let at = if self.kind == kind::GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.payload[at..at + 4].try_into().expect("4 bytes"))
    }

    /// The value of SETTINGS parameter `id` in a SETTINGS frame, if it is set.
    pub fn setting(&self, id: u16) -> Option<u32> {
        self.payload.chunks_exact(6).find_map(|entry| {
            (u16::from_be_bytes([entry[0], entry[1]]) == id)
                .then(|| u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]))
        })
    }
}

/// A frame's bytes: the 9-byte header, then `payload`.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("a small payload");
    let mut bytes = len.to_be_bytes()[1..].to_vec();
    bytes.extend([kind, flags]);
    bytes.extend(stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// A HEADERS frame opening stream `stream` with `GET path` and ending it (END_STREAM,
/// END_HEADERS). HPACK by hand: `:method GET` and `:scheme http` from the static table, `:path`
/// and `:authority` as literals without indexing (no Huffman), so no state is kept.
pub fn get_request(stream: u32, path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86];
    for (name_index, value) in [(0x04u8, path), (0x01, "localhost")] {
        let len = u8::try_from(value.len()).expect("a short value");
        assert!(len < 0x7f, "a value the one-byte length prefix holds");
        block.extend([name_index, len]);
        block.extend_from_slice(value.as_bytes());
    }
    frame(kind::HEADERS, 0x1 | 0x4, stream, &block)
}

/// The preface and an empty SETTINGS frame: what a client sends first.
pub fn opening() -> Vec<u8> {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(frame(kind::SETTINGS, 0, 0, &[]));
    bytes
}

/// The frames the server sends on `io` until it closes the connection (its end, or a reset),
/// for a client that reads and answers nothing; panics if it is still open after [`PATIENCE`]
/// without a frame.
pub async fn until_closed(io: &mut (impl tokio::io::AsyncRead + Unpin)) -> Vec<Frame> {
    use tokio::io::AsyncReadExt;
    let mut frames = Vec::new();
    loop {
        let mut header = [0u8; 9];
        let read = tokio::time::timeout(PATIENCE, io.read_exact(&mut header))
            .await
            .unwrap_or_else(|_| panic!("the connection is still open; frames so far: {frames:?}"));
        if read.is_err() {
            return frames;
        }
        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let mut payload = vec![0; len];
        if io.read_exact(&mut payload).await.is_err() {
            return frames;
        }
        frames.push(Frame {
            kind: header[3],
            flags: header[4],
            stream: u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & 0x7fff_ffff,
            payload,
        });
    }
}

/// A RST_STREAM frame ending stream `stream` with `code`.
pub fn rst_stream(stream: u32, code: u32) -> Vec<u8> {
    frame(kind::RST_STREAM, 0, stream, &code.to_be_bytes())
}

/// An HTTP/2 connection spoken frame by frame, for what the `h2` crate will not send: a stream
/// past the server's limit, or streams reset as fast as they are opened.
pub struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    /// Connects, sends the preface and empty SETTINGS, and returns with the server's SETTINGS
    /// frame (acknowledged).
    pub async fn connect(addr: SocketAddr) -> (Self, Frame) {
        let stream = TcpStream::connect(addr).await.expect("connects");
        let mut raw = Self {
            stream,
            buf: Vec::new(),
        };
        raw.send(&opening()).await;
        let settings = raw
            .next_frame()
            .await
            .expect("the server's SETTINGS before any close");
        assert_eq!(settings.kind, kind::SETTINGS, "{settings:?}");
        raw.send(&frame(kind::SETTINGS, 0x1, 0, &[])).await;
        (raw, settings)
    }

    /// The connection's socket, to write to as the test pleases.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Writes `bytes` (frames) in one write.
    pub async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(bytes).await.expect("frames are sent");
    }

    /// The next frame, or `None` when the server has closed the connection; panics after
    /// [`PATIENCE`] without either.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        use tokio::io::AsyncReadExt;
        loop {
            if self.buf.len() >= 9 {
                let len = u32::from_be_bytes([0, self.buf[0], self.buf[1], self.buf[2]]) as usize;
                if self.buf.len() >= 9 + len {
                    let head: Vec<u8> = self.buf.drain(..9).collect();
                    return Some(Frame {
                        kind: head[3],
                        flags: head[4],
                        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]])
                            & 0x7fff_ffff,
                        payload: self.buf.drain(..len).collect(),
                    });
                }
            }
            let mut chunk = [0u8; 16 * 1024];
            let read = tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk))
                .await
                .expect("a frame or a close in time");
            match read {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Reads frames until one of `kind` on stream `stream`, and returns it; panics if the
    /// connection closes first.
    pub async fn until(&mut self, kind: u8, stream: u32) -> Frame {
        loop {
            let frame = self.next_frame().await.unwrap_or_else(|| {
                panic!("the connection closed before a frame of type {kind} on stream {stream}")
            });
            if frame.kind == kind && frame.stream == stream {
                return frame;
            }
        }
    }
}

//! Raw HTTP/2 frames on a socket, for clients no library is: one that sends the preface and
//! nothing else, one that never answers a PING, one that floods frames that do no work.

use tokio::io::{AsyncRead, AsyncReadExt};

use super::PATIENCE;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const SETTINGS: u8 = 0x4;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const END_STREAM: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

/// One frame as it goes on the wire.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("a small payload");
    let mut bytes = len.to_be_bytes()[1..].to_vec();
    bytes.extend([kind, flags]);
    bytes.extend(stream.to_be_bytes());
    bytes.extend(payload);
    bytes
}

/// The preface and an empty SETTINGS frame: what a client sends first.
pub fn opening() -> Vec<u8> {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(frame(SETTINGS, 0, 0, &[]));
    bytes
}

/// A HEADERS frame for `GET path` on `stream`, ending the request, in HPACK without Huffman or
/// the dynamic table.
pub fn get(stream: u32, path: &str) -> Vec<u8> {
    // :method GET, :scheme http (static table entries 2 and 6), then :path and :authority as
    // literals with an indexed name (entries 4 and 1).
    let mut block = vec![
        0x82,
        0x86,
        0x04,
        u8::try_from(path.len()).expect("a short path"),
    ];
    block.extend(path.as_bytes());
    block.extend([0x01, 9]);
    block.extend(b"localhost");
    frame(HEADERS, END_HEADERS | END_STREAM, stream, &block)
}

/// A frame the server sent.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A GOAWAY's error code.
    pub fn error_code(&self) -> Option<u32> {
        (self.kind == GOAWAY && self.payload.len() >= 8)
            .then(|| u32::from_be_bytes(self.payload[4..8].try_into().expect("four bytes")))
    }
}

/// The server's frames until it closes the connection (its end, or a reset); panics if it is
/// still open after [`PATIENCE`] without a frame.
pub async fn until_closed(io: &mut (impl AsyncRead + Unpin)) -> Vec<Frame> {
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
            stream: u32::from_be_bytes(header[5..9].try_into().expect("four bytes")) & 0x7fff_ffff,
            payload,
        });
    }
}

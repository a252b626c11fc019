//! [`FrameGuard`]: a cap on the frames an HTTP/2 client sends that do no work.
//!
//! h2 bounds the floods that cost the server state (resets, CONTINUATION, SETTINGS, PINGs
//! awaiting their answer), but answers PRIORITY frames, WINDOW_UPDATEs on closed streams, empty
//! DATA frames and unknown frame types by doing nothing, as the protocol says, for as long as the
//! client sends them: CPU spent in proportion to what the attacker sends, with no end. Neither
//! h2 nor hyper has a knob for it, so this wrapper, below hyper (over TLS, above it: it sees the
//! plaintext either way), reads the 9-byte header of every frame in each direction.
//!
//! The budget is earned, not timed: a connection starts with [`Limits::http2_noop_frame_budget`]
//! credits; a frame that does no work costs one; each frame the server sends (a browser's
//! WINDOW_UPDATEs, PING and SETTINGS acknowledgements answer those) and each HEADERS or
//! non-empty DATA frame the client sends earns one back, up to the budget. A browser, whose
//! control frames follow the server's, never runs out; a flood does, whatever its speed. Then
//! the server sends GOAWAY with `ENHANCE_YOUR_CALM` and closes the connection.
//!
//! [`Limits::http2_noop_frame_budget`]: crate::Limits::http2_noop_frame_budget

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::streams::Shared;

/// The client connection preface (RFC 9113 §3.4): read before the first frame.
const PREFACE_LEN: u32 = 24;

/// HTTP/2's frame types (RFC 9113 §6) that can do work when a client sends them.
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const GOAWAY: u8 = 0x7;
const CONTINUATION: u8 = 0x9;
/// DATA's END_STREAM flag.
const END_STREAM: u8 = 0x1;
/// GOAWAY's error code for "the peer may be generating excessive load" (RFC 9113 §7).
const ENHANCE_YOUR_CALM: u32 = 0xb;
/// At most this much of a flood already received is read and thrown away before the GOAWAY, so
/// that closing a socket with unread bytes (which makes the kernel answer with a reset, and the
/// client lose the GOAWAY) is less likely.
const DRAIN: usize = 64 * 1024;

/// One frame header, as far as the cap needs it.
#[derive(Clone, Copy)]
struct Header {
    len: u32,
    kind: u8,
    flags: u8,
    stream: u32,
}

/// Finds the frame headers in a byte stream fed in pieces of any size.
#[derive(Default)]
struct Frames {
    header: [u8; 9],
    have: u8,
    /// Bytes of payload (or preface) still to pass before the next header.
    skip: u32,
}

impl Frames {
    fn after_preface() -> Self {
        Self {
            skip: PREFACE_LEN,
            ..Self::default()
        }
    }

    /// Whether the bytes fed so far end exactly at a frame's end.
    fn at_boundary(&self) -> bool {
        self.have == 0 && self.skip == 0
    }

    /// Feeds `bytes`, calling `each` with every header completed; stops early, returning
    /// `false`, when `each` does.
    fn feed(&mut self, mut bytes: &[u8], mut each: impl FnMut(Header) -> bool) -> bool {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = bytes.len().min(self.skip as usize);
                bytes = &bytes[n..];
                self.skip -= n as u32;
                continue;
            }
            let have = usize::from(self.have);
            let n = bytes.len().min(9 - have);
            self.header[have..have + n].copy_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            self.have += n as u8;
            if self.have == 9 {
                self.have = 0;
                let h = &self.header;
                let header = Header {
                    len: u32::from_be_bytes([0, h[0], h[1], h[2]]),
                    kind: h[3],
                    flags: h[4],
                    stream: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
                };
                self.skip = header.len;
                if !each(header) {
                    return false;
                }
            }
        }
        true
    }
}

/// The credits, and what the connection has seen.
struct Budget {
    credit: u32,
    max: u32,
    /// The highest stream the client opened: GOAWAY's last stream.
    last_stream: u32,
}

impl Budget {
    fn earn(&mut self) {
        self.credit = (self.credit + 1).min(self.max);
    }

    /// Counts a frame the client sent; `false` once the budget is spent.
    fn received(&mut self, frame: Header) -> bool {
        match frame.kind {
            HEADERS => {
                self.last_stream = self.last_stream.max(frame.stream);
                self.earn();
            }
            DATA if frame.len > 0 || frame.flags & END_STREAM != 0 => self.earn(),
            // Part of a HEADERS frame's work; RST_STREAM and GOAWAY are h2's to bound.
            CONTINUATION | RST_STREAM | GOAWAY => {}
            // PRIORITY, SETTINGS, PING, WINDOW_UPDATE, PUSH_PROMISE, empty DATA, unknown types.
            _ => {
                self.credit = self.credit.saturating_sub(1);
                return self.credit > 0;
            }
        }
        true
    }
}

/// An HTTP/2 connection's I/O, with the cap on frames that do no work.
pub(crate) struct FrameGuard<T> {
    inner: T,
    read: Frames,
    written: Frames,
    budget: Budget,
    /// Set once the budget is spent: the connection is over.
    spent: bool,
    shared: Arc<Shared>,
}

impl<T> FrameGuard<T> {
    pub(crate) fn new(inner: T, budget: u32, shared: Arc<Shared>) -> Self {
        Self {
            inner,
            read: Frames::after_preface(),
            written: Frames::default(),
            budget: Budget {
                credit: budget,
                max: budget,
                last_stream: 0,
            },
            spent: false,
            shared,
        }
    }

    fn wrote(&mut self, bytes: &[u8]) {
        let budget = &mut self.budget;
        self.written.feed(bytes, |_| {
            budget.earn();
            true
        });
    }

    fn spent_error() -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the client sent too many HTTP/2 frames that do no work",
        )
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> FrameGuard<T> {
    /// The budget is spent: what the client already sent is thrown away (up to [`DRAIN`]), and
    /// GOAWAY is written if the server is between two frames of its own; else the connection
    /// is only closed (a client that floods and does not read gets no goodbye).
    fn goodbye(&mut self, cx: &mut Context<'_>) {
        self.spent = true;
        tracing::debug!(
            target: "nestish::connection",
            "HTTP/2 client sent too many frames that do no work: GOAWAY"
        );
        let mut scratch = [0u8; 4096];
        let mut drained = 0;
        while drained < DRAIN {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => drained += buf.filled().len(),
                _ => break,
            }
        }
        if !self.written.at_boundary() {
            return;
        }
        let mut goaway = [0u8; 17];
        goaway[..9].copy_from_slice(&[0, 0, 8, GOAWAY, 0, 0, 0, 0, 0]);
        goaway[9..13].copy_from_slice(&self.budget.last_stream.to_be_bytes());
        goaway[13..].copy_from_slice(&ENHANCE_YOUR_CALM.to_be_bytes());
        if let Poll::Ready(Ok(17)) = Pin::new(&mut self.inner).poll_write(cx, &goaway) {
            let _ = Pin::new(&mut self.inner).poll_flush(cx);
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for FrameGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.spent {
            return Poll::Ready(Err(Self::spent_error()));
        }
        let before = buf.filled().len();
        let this = &mut *self;
        std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let budget = &mut this.budget;
        if this
            .read
            .feed(&buf.filled()[before..], |frame| budget.received(frame))
        {
            return Poll::Ready(Ok(()));
        }
        // The frames before the one that spent the budget are not handed on either: the
        // connection ends here.
        buf.set_filled(before);
        this.goodbye(cx);
        Poll::Ready(Err(Self::spent_error()))
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for FrameGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.spent {
            return Poll::Ready(Err(Self::spent_error()));
        }
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        match &polled {
            Poll::Ready(Ok(n)) => self.wrote(&buf[..*n]),
            Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::TimedOut => {
                self.shared.stalled();
            }
            _ => {}
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.spent {
            return Poll::Ready(Err(Self::spent_error()));
        }
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        match &polled {
            Poll::Ready(Ok(n)) => {
                let mut left = *n;
                for slice in bufs {
                    if left == 0 {
                        break;
                    }
                    let take = left.min(slice.len());
                    self.wrote(&slice[..take]);
                    left -= take;
                }
            }
            Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::TimedOut => {
                self.shared.stalled();
            }
            _ => {}
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        if let Poll::Ready(Err(error)) = &polled {
            if error.kind() == io::ErrorKind::TimedOut {
                self.shared.stalled();
            }
        }
        polled
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len() as u32;
        let mut bytes = len.to_be_bytes()[1..].to_vec();
        bytes.extend([kind, flags]);
        bytes.extend(stream.to_be_bytes());
        bytes.extend(payload);
        bytes
    }

    #[test]
    fn headers_are_found_in_pieces_of_any_size() {
        let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        wire.extend(frame(0x4, 0, 0, &[0; 6]));
        wire.extend(frame(HEADERS, 0x4, 1, &[0x82; 5]));
        wire.extend(frame(DATA, END_STREAM, 1, b""));
        for piece in [1, 2, 7, 9, 10, wire.len()] {
            let mut frames = Frames::after_preface();
            let mut seen = Vec::new();
            for chunk in wire.chunks(piece) {
                frames.feed(chunk, |h| {
                    seen.push((h.kind, h.len, h.stream));
                    true
                });
            }
            assert_eq!(
                seen,
                [(0x4, 6, 0), (HEADERS, 5, 1), (DATA, 0, 1)],
                "{piece}"
            );
            assert!(frames.at_boundary());
        }
    }

    #[test]
    fn frames_that_do_no_work_spend_the_budget_and_work_earns_it_back() {
        let mut budget = Budget {
            credit: 3,
            max: 3,
            last_stream: 0,
        };
        let priority = Header {
            len: 5,
            kind: 0x2,
            flags: 0,
            stream: 3,
        };
        let headers = Header {
            kind: HEADERS,
            ..priority
        };
        assert!(budget.received(priority));
        assert!(budget.received(headers));
        assert_eq!(budget.last_stream, 3);
        assert!(budget.received(priority));
        assert!(budget.received(priority));
        assert!(
            !budget.received(priority),
            "the third in a row spends the last credit"
        );
        // Earned credit never goes past the budget.
        for _ in 0..10 {
            budget.earn();
        }
        assert_eq!(budget.credit, 3);
    }
}

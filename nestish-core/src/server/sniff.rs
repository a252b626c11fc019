//! Telling HTTP/2 with prior knowledge (h2c) from HTTP/1.1 on a plain connection, by its first
//! bytes, and handing those bytes back to hyper.
//!
//! hyper-util's `auto` builder does the same, but its read of the first bytes has no timeout (a
//! client that connects and sends nothing would hold its connection for ever, where the header
//! read timeout must close it) and its owned connection keeps a copy of the builder; here the
//! bytes are read under the connection's header timeout and kept inline, 24 bytes at most.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The HTTP version a connection speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    Http1,
    Http2,
}

/// What every HTTP/2 client sends first (RFC 9113 §3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The first bytes of a connection, read until they are (or cannot be) HTTP/2's preface.
#[derive(Default)]
pub(crate) struct Sniff {
    buf: [u8; 24],
    filled: u8,
}

impl Sniff {
    /// Reads from `io` until the protocol is known; `None` when the client closed before
    /// sending anything.
    pub(crate) fn poll_protocol<I: AsyncRead + Unpin>(
        &mut self,
        io: &mut I,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Option<Protocol>>> {
        loop {
            let filled = usize::from(self.filled);
            let mut read = ReadBuf::new(&mut self.buf[filled..]);
            ready!(Pin::new(&mut *io).poll_read(cx, &mut read))?;
            let got = read.filled().len();
            if got == 0 {
                // Closed early: nothing to serve, or a partial head for hyper to answer.
                return Poll::Ready(Ok((filled > 0).then_some(Protocol::Http1)));
            }
            let filled = filled + got;
            // At most 24, the buffer's size.
            self.filled = u8::try_from(filled).unwrap_or(u8::MAX);
            if self.buf[..filled] != PREFACE[..filled] {
                return Poll::Ready(Ok(Some(Protocol::Http1)));
            }
            if filled == PREFACE.len() {
                return Poll::Ready(Ok(Some(Protocol::Http2)));
            }
        }
    }

    /// `io` with the bytes read so far put back in front of it.
    pub(crate) fn rewind<I>(self, io: I) -> Rewind<I> {
        Rewind {
            inner: io,
            prefix: self.buf,
            start: 0,
            end: self.filled,
        }
    }
}

/// An I/O whose first reads return the sniffed bytes.
pub(crate) struct Rewind<I> {
    inner: I,
    prefix: [u8; 24],
    start: u8,
    end: u8,
}

impl<I: AsyncRead + Unpin> AsyncRead for Rewind<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.start < self.end {
            let (start, end) = (usize::from(self.start), usize::from(self.end));
            let n = buf.remaining().min(end - start);
            buf.put_slice(&self.prefix[start..start + n]);
            self.start += u8::try_from(n).unwrap_or(u8::MAX);
            // The rest of what the client sent in the same read, if it is there: hyper sizes its
            // read buffer by what each read returns, and a read of the sniffed bytes alone would
            // make it grow its 8 KiB buffer to 16 KiB on the next, for every connection. An
            // error or nothing yet is for the next read to see.
            if buf.remaining() > 0 {
                let _ = Pin::new(&mut self.inner).poll_read(cx, buf);
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Rewind<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    async fn sniff(sent: &[u8]) -> (Option<Protocol>, Vec<u8>) {
        let (mut client, mut server) = tokio::io::duplex(64);
        let sent = sent.to_vec();
        let writer = tokio::spawn(async move {
            for byte in sent {
                // One byte a write: the sniffer must cope with a preface in pieces.
                tokio::io::AsyncWriteExt::write_all(&mut client, &[byte])
                    .await
                    .unwrap();
            }
        });
        let mut sniff = Sniff::default();
        let protocol = std::future::poll_fn(|cx| sniff.poll_protocol(&mut server, cx))
            .await
            .unwrap();
        writer.await.unwrap();
        let mut replayed = vec![0; usize::from(sniff.filled)];
        sniff
            .rewind(server)
            .read_exact(&mut replayed)
            .await
            .unwrap();
        (protocol, replayed)
    }

    #[tokio::test]
    async fn the_preface_in_pieces_is_http2_and_is_replayed() {
        let (protocol, replayed) = sniff(PREFACE).await;
        assert_eq!(protocol, Some(Protocol::Http2));
        assert_eq!(replayed, PREFACE);
    }

    #[tokio::test]
    async fn a_request_line_is_http1_from_its_first_differing_byte() {
        let line = b"PUT /x HTTP/1.1\r\n";
        let (protocol, replayed) = sniff(line).await;
        assert_eq!(protocol, Some(Protocol::Http1));
        // "P" matches the preface, "U" does not: at least both were read, and all that was
        // read is handed back in order.
        assert!(replayed.len() >= 2, "{replayed:?}");
        assert_eq!(replayed, line[..replayed.len()]);
    }
}

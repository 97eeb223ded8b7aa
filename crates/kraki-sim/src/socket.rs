//! A client's stream as the simulator holds it: the slot it takes under
//! the connection cap, the bytes hyper read past a WebSocket upgrade
//! request, and a lingering close.
//!
//! Why linger: when the simulator refuses a request early (a 431 for a
//! head too large, a 413 before the body is read), the client is usually
//! still sending. Closing a socket with unread bytes makes the kernel
//! answer with a reset, and a reset that overtakes the answer makes the
//! client see "connection reset" instead of the status. So a dropped
//! stream is first shut down for writing (the client sees the end of the
//! answer), then read and discarded for a short while, in a task of its
//! own that still holds the connection's slot.

use bytes::{Buf, Bytes};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;

/// How long a closed HTTP connection is drained before it is dropped.
const LINGER: Duration = Duration::from_secs(2);

/// A stream with its connection slot and bytes to replay before it.
pub(crate) struct SimSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `None` once handed to the lingering task (in `drop`).
    stream: Option<S>,
    /// Bytes already read from the stream, read again first.
    replay: Bytes,
    /// The connection's slot under `Simulator::max_connections`, given
    /// back when the stream is finally dropped.
    permit: Option<OwnedSemaphorePermit>,
    /// Whether dropping drains first (HTTP) or just closes (a WebSocket,
    /// whose faults model a dropped connection).
    linger: bool,
}

impl<S> SimSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    pub(crate) fn new(stream: S, permit: Option<OwnedSemaphorePermit>) -> Self {
        SimSocket {
            stream: Some(stream),
            replay: Bytes::new(),
            permit,
            linger: true,
        }
    }

    /// The same connection carrying a WebSocket: `replay` (what hyper had
    /// buffered past the upgrade request) is read before the stream, and
    /// dropping it closes at once.
    pub(crate) fn into_websocket(mut self, replay: Bytes) -> Self {
        self.linger = false;
        // Nothing else was replayed before: only an upgrade sets it.
        self.replay = replay;
        self
    }

    fn stream(&mut self) -> io::Result<&mut S> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl<S> AsyncRead for SimSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.replay.is_empty() {
            let n = self.replay.len().min(buf.remaining());
            buf.put_slice(&self.replay[..n]);
            self.replay.advance(n);
            return Poll::Ready(Ok(()));
        }
        match self.stream() {
            Ok(stream) => Pin::new(stream).poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<S> AsyncWrite for SimSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.stream() {
            Ok(stream) => Pin::new(stream).poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.stream() {
            Ok(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(S::is_write_vectored)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stream() {
            Ok(stream) => Pin::new(stream).poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stream() {
            Ok(stream) => Pin::new(stream).poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<S> Drop for SimSocket<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn drop(&mut self) {
        let Some(mut stream) = self.stream.take() else {
            return;
        };
        let permit = self.permit.take();
        if !self.linger {
            return;
        }
        // Outside a runtime (or while it shuts down) there is nothing to
        // linger on: the stream is simply dropped.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let _permit = permit;
            let drain = async {
                let _ = stream.shutdown().await;
                let mut sink = [0u8; 8192];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            };
            let _ = tokio::time::timeout(LINGER, drain).await;
        });
    }
}

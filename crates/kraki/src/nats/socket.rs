//! The publisher connection's byte stream: TCP, or TLS over it. Plain
//! TCP keeps its cheap paths (a read or write tried without waiting,
//! one system call, no timer); TLS goes through tokio-rustls.

use futures_util::FutureExt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

pub(crate) enum Socket {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Socket {
    /// Waits for bytes and reads what there is; 0 when the peer closed.
    /// Cancel-safe: a read not completed has taken nothing (rustls keeps
    /// what it decrypted for the next read).
    pub(crate) async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Socket::Plain(tcp) => tcp.read(buf).await,
            Socket::Tls(tls) => tls.read(buf).await,
        }
    }

    /// Reads what is there without waiting; `None` when nothing was.
    pub(crate) fn try_read(&mut self, buf: &mut [u8]) -> std::io::Result<Option<usize>> {
        match self {
            Socket::Plain(tcp) => match tcp.try_read(buf) {
                Ok(n) => Ok(Some(n)),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(None),
                Err(e) => Err(e),
            },
            // One poll: rustls's buffered plaintext, or what the socket
            // has. A pending read leaves nothing behind.
            Socket::Tls(tls) => tls.read(buf).now_or_never().transpose(),
        }
    }

    /// Writes all of `out`. A peer that takes nothing for `timeout`
    /// (stopped, or gone without closing the socket) is a `TimedOut`
    /// error; one that closed, `WriteZero`.
    pub(crate) async fn write_all(&mut self, out: &[u8], timeout: Duration) -> std::io::Result<()> {
        use std::io::{Error, ErrorKind};
        let stalled = |_| Error::from(ErrorKind::TimedOut);
        match self {
            Socket::Plain(tcp) => {
                let mut written = 0;
                while written < out.len() {
                    match tcp.try_write(&out[written..]) {
                        Ok(0) => return Err(ErrorKind::WriteZero.into()),
                        Ok(n) => written += n,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            tokio::time::timeout(timeout, tcp.writable())
                                .await
                                .map_err(stalled)??;
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Socket::Tls(tls) => {
                // Each call returns once rustls or the socket took some
                // bytes; the timer runs only while neither can.
                let mut written = 0;
                while written < out.len() {
                    match tokio::time::timeout(timeout, tls.write(&out[written..]))
                        .await
                        .map_err(stalled)??
                    {
                        0 => return Err(ErrorKind::WriteZero.into()),
                        n => written += n,
                    }
                }
                tokio::time::timeout(timeout, tls.flush())
                    .await
                    .map_err(stalled)?
            }
        }
    }
}

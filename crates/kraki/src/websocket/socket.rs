//! A client WebSocket that reads server frames straight out of its own
//! read buffer: one system call fills it with hundreds of book updates,
//! and each text frame is handed out as a `&str` into it, with no copy
//! and no allocation.

use super::frame::{self, BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use super::handshake;
use super::stream::Stream;
use crate::transport_error::{Oversized, TransportError};
use http::Uri;
use ring::rand::{SecureRandom, SystemRandom};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes asked of the kernel per read: a few hundred depth-10 book
/// updates, so a fast feed costs one system call per few hundred frames.
const READ_SIZE: usize = 64 << 10;
/// Largest handshake answer accepted.
const MAX_HANDSHAKE: usize = 16 << 10;
/// How long a close frame may take to leave before the socket is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// What one frame brought.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame<'a> {
    /// A text message, or a binary one that is valid UTF-8.
    Text(&'a str),
    /// A pong, or a binary message that is not UTF-8 (which Kraken does
    /// not send).
    Other,
    /// A ping: [`Socket::answer_ping`] answers it.
    Ping,
    /// The server's close frame, described (code and reason). The caller
    /// answers it with [`Socket::close`].
    Close(String),
}

/// An open WebSocket, client side.
pub(crate) struct Socket {
    stream: Stream,
    /// Bytes read and not yet taken are `buf[start..end]`. Every byte of
    /// `buf` is initialised; its length is the space to read into.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// A fragmented message being put together, and its opcode.
    message: Vec<u8>,
    message_opcode: Option<u8>,
    /// `message` was handed out whole; it is cleared on the next call.
    message_taken: bool,
    /// The payload of the latest ping, which the pong must echo.
    ping: Vec<u8>,
    /// Frames being written (reused).
    out: Vec<u8>,
    random: SystemRandom,
    max_payload: usize,
}

impl Socket {
    /// Performs the opening handshake for `url` over `stream`. Messages
    /// (and frames) over `max_payload` bytes are refused.
    pub(crate) async fn upgrade(
        stream: Stream,
        url: &Uri,
        max_payload: usize,
    ) -> Result<Self, TransportError> {
        let random = SystemRandom::new();
        let key = handshake::new_key(&random)?;
        let mut socket = Socket {
            stream,
            buf: vec![0; READ_SIZE],
            start: 0,
            end: 0,
            message: Vec::new(),
            message_opcode: None,
            message_taken: false,
            ping: Vec::new(),
            out: Vec::new(),
            random,
            max_payload,
        };
        socket
            .write(handshake::request(url, &key).as_bytes())
            .await?;
        let head_end = loop {
            if let Some(at) = find(&socket.buf[..socket.end], b"\r\n\r\n") {
                break at;
            }
            if socket.end >= MAX_HANDSHAKE {
                return Err(TransportError::TooLarge {
                    what: Oversized::HandshakeAnswer,
                    limit: MAX_HANDSHAKE,
                });
            }
            if socket.read_more(MAX_HANDSHAKE).await? == 0 {
                return Err(TransportError::Handshake(
                    "the server closed the connection during the handshake".to_owned(),
                ));
            }
        };
        let head = std::str::from_utf8(&socket.buf[..head_end]).map_err(|_| {
            TransportError::Handshake("the server's handshake answer is not UTF-8".to_owned())
        })?;
        handshake::check_response(head, &key)?;
        // Frames sent right behind the answer stay buffered.
        socket.start = head_end + 4;
        Ok(socket)
    }

    /// Waits until a whole frame is buffered, reading as needed. Cancel
    /// safe: a read that is dropped loses nothing. The error describes
    /// why the connection is unusable (the peer closed it without a close
    /// frame, a broken frame, an I/O error).
    pub(crate) async fn ready(&mut self) -> Result<(), TransportError> {
        loop {
            let buffered = &self.buf[self.start..self.end];
            // Enough room for the longest head until the head is known.
            let need = match frame::read_head(buffered, self.max_payload)? {
                Some(head) if head.frame_len() <= buffered.len() => return Ok(()),
                Some(head) => head.frame_len(),
                None => 14,
            };
            if self.read_more(need).await? == 0 {
                return Err(TransportError::ClosedByServer { close: None });
            }
        }
    }

    /// The next whole frame already buffered, without waiting: `Ok(None)`
    /// when there is none (call [`Self::ready`]). Fragments are put
    /// together and handed out as one message. Errors are breaches of
    /// RFC 6455, named.
    pub(crate) fn next_buffered(&mut self) -> Result<Option<Frame<'_>>, TransportError> {
        if self.message_taken {
            self.message.clear();
            self.message_taken = false;
        }
        loop {
            let buffered = &self.buf[self.start..self.end];
            let head = match frame::read_head(buffered, self.max_payload)? {
                Some(head) if head.frame_len() <= buffered.len() => head,
                _ => return Ok(None),
            };
            let payload = self.start + head.head_len..self.start + head.frame_len();
            self.start = payload.end;
            match (head.opcode, self.message_opcode) {
                (TEXT | BINARY, None) if head.fin => {
                    return text(&self.buf[payload], head.opcode).map(Some);
                }
                (TEXT | BINARY, None) => {
                    self.message_opcode = Some(head.opcode);
                    self.message.extend_from_slice(&self.buf[payload]);
                }
                (TEXT | BINARY, Some(_)) => {
                    return Err(TransportError::Protocol(
                        "a new message began inside a fragmented one".to_owned(),
                    ));
                }
                (CONTINUATION, None) => {
                    return Err(TransportError::Protocol(
                        "a continuation frame with no message".to_owned(),
                    ));
                }
                (CONTINUATION, Some(opcode)) => {
                    if self.message.len() + payload.len() > self.max_payload {
                        return Err(TransportError::TooLarge {
                            what: Oversized::Message,
                            limit: self.max_payload,
                        });
                    }
                    self.message.extend_from_slice(&self.buf[payload]);
                    if head.fin {
                        self.message_opcode = None;
                        self.message_taken = true;
                        return text(&self.message, opcode).map(Some);
                    }
                }
                (PING, _) => {
                    self.ping.clear();
                    self.ping.extend_from_slice(&self.buf[payload]);
                    return Ok(Some(Frame::Ping));
                }
                (PONG, _) => return Ok(Some(Frame::Other)),
                (CLOSE, _) => {
                    return Ok(Some(Frame::Close(frame::describe_close(
                        &self.buf[payload],
                    ))));
                }
                // `read_head` lets no other opcode through.
                _ => {
                    return Err(TransportError::Protocol(format!(
                        "opcode {:#x}",
                        head.opcode
                    )));
                }
            }
        }
    }

    /// The payloads of the whole, unfragmented text frames buffered
    /// next, as bytes, not checked: for looking ahead at what is coming
    /// (to warm the caches for it), never for reading. Stops at anything
    /// else.
    pub(crate) fn buffered_texts(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut at = self.start;
        let whole_messages = self.message_opcode.is_none();
        std::iter::from_fn(move || {
            let bytes = self.buf.get(at..self.end).filter(|_| whole_messages)?;
            let head = frame::read_head(bytes, self.max_payload).ok()??;
            if head.opcode != TEXT || !head.fin {
                return None;
            }
            let payload = bytes.get(head.head_len..head.frame_len())?;
            at += head.frame_len();
            Some(payload)
        })
    }

    /// Sends a text message.
    pub(crate) async fn send_text(&mut self, text: &str) -> Result<(), TransportError> {
        self.send(frame::TEXT, text.as_bytes()).await
    }

    /// Answers the latest ping with a pong echoing its payload.
    pub(crate) async fn answer_ping(&mut self) -> Result<(), TransportError> {
        let ping = std::mem::take(&mut self.ping);
        let sent = self.send(frame::PONG, &ping).await;
        self.ping = ping;
        sent
    }

    /// Sends a close frame (normal closure) and shuts the stream down, as
    /// far as that is possible within a second; for a clean end, and as
    /// the answer to the server's close.
    pub(crate) async fn close(&mut self) {
        let close = async {
            let _ = self.send(frame::CLOSE, &1000u16.to_be_bytes()).await;
            let _ = self.stream.shutdown().await;
        };
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, close).await;
    }

    async fn send(&mut self, opcode: u8, payload: &[u8]) -> Result<(), TransportError> {
        let mut mask = [0u8; 4];
        self.random
            .fill(&mut mask)
            .map_err(|_| TransportError::NoRandomness("a frame mask"))?;
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        frame::write_frame(&mut out, opcode, payload, mask);
        let written = self.write(&out).await;
        self.out = out;
        written
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(TransportError::io("sending"))?;
        // TLS keeps what it was given until flushed.
        self.stream
            .flush()
            .await
            .map_err(TransportError::io("sending"))
    }

    /// Reads once, into a buffer with room for `need` bytes from the first
    /// one not yet taken; `need` must be more than is buffered. Returns the
    /// bytes read: 0 at the end of the stream.
    async fn read_more(&mut self, need: usize) -> Result<usize, TransportError> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            // A huge snapshot grew the buffer; the steady feed needs no more.
            if self.buf.len() > 4 * READ_SIZE {
                self.buf = vec![0; READ_SIZE];
            }
        } else if self.start > 0 {
            // The tail of a frame cut by the previous read, usually a few
            // hundred bytes: moved to the front to read the rest after it.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        // Callers need more than is buffered, so this leaves room to read.
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        let n = self
            .stream
            .read(&mut self.buf[self.end..])
            .await
            .map_err(TransportError::io("receiving"))?;
        self.end += n;
        Ok(n)
    }
}

/// A finished message as a frame: text (or UTF-8 binary) as `&str`.
fn text(payload: &[u8], opcode: u8) -> Result<Frame<'_>, TransportError> {
    if let Ok(text) = simdutf8::basic::from_utf8(payload) {
        return Ok(Frame::Text(text));
    }
    // Not UTF-8: std's check says where, for the error.
    match std::str::from_utf8(payload) {
        Ok(text) => Ok(Frame::Text(text)),
        Err(_) if opcode == BINARY => Ok(Frame::Other),
        Err(e) => Err(TransportError::InvalidText(e)),
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket holding `wire` as read and not yet taken.
    fn holding(wire: Vec<u8>) -> Socket {
        Socket {
            stream: Stream::Memory(tokio::io::duplex(64).0),
            start: 0,
            end: wire.len(),
            buf: wire,
            message: Vec::new(),
            message_opcode: None,
            message_taken: false,
            ping: Vec::new(),
            out: Vec::new(),
            random: SystemRandom::new(),
            max_payload: 1 << 20,
        }
    }

    /// An unmasked server frame of fewer than 126 bytes.
    fn frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![
            if fin { 0x80 | opcode } else { opcode },
            payload.len() as u8,
        ];
        frame.extend_from_slice(payload);
        frame
    }

    fn text_of(socket: &mut Socket) -> String {
        match socket.next_buffered() {
            Ok(Some(Frame::Text(text))) => text.to_owned(),
            other => panic!("not a text: {other:?}"),
        }
    }

    /// Looking ahead shows the whole text frames buffered next, in order,
    /// takes nothing, and stops at a frame of another kind, a fragment or
    /// a frame not all there.
    #[test]
    fn buffered_texts_look_ahead_without_taking() {
        let mut wire = Vec::new();
        for (opcode, fin, payload) in [
            (TEXT, true, &b"one"[..]),
            (TEXT, true, b"two"),
            (PING, true, b"p"),
            (TEXT, true, b"three"),
            (TEXT, false, b"frag"),
            (CONTINUATION, true, b"ment"),
        ] {
            wire.extend(frame(opcode, fin, payload));
        }
        let cut = frame(TEXT, true, b"cut short");
        wire.extend_from_slice(&cut[..cut.len() - 1]);
        let mut socket = holding(wire);
        let ahead: Vec<&[u8]> = socket.buffered_texts().collect();
        assert_eq!(ahead, [&b"one"[..], b"two"]);
        assert_eq!(text_of(&mut socket), "one");
        let ahead: Vec<&[u8]> = socket.buffered_texts().collect();
        assert_eq!(ahead, [&b"two"[..]]);
        assert_eq!(text_of(&mut socket), "two");
        assert_eq!(socket.buffered_texts().count(), 0, "a ping comes next");
        assert!(matches!(socket.next_buffered(), Ok(Some(Frame::Ping))));
        let ahead: Vec<&[u8]> = socket.buffered_texts().collect();
        assert_eq!(ahead, [&b"three"[..]], "stops at the fragment");
        assert_eq!(text_of(&mut socket), "three");
        assert_eq!(text_of(&mut socket), "fragment");
        assert_eq!(socket.buffered_texts().count(), 0, "the last is cut short");
        assert!(matches!(socket.next_buffered(), Ok(None)));
    }

    #[test]
    fn text_frames_must_be_utf8_and_binary_ones_may_not_be() {
        // Long enough for the vector path, with a multi-byte character
        // and a break at the end, in the middle, at the start.
        let good = format!("{}€{}", "a".repeat(70), "b".repeat(7));
        assert!(matches!(text(good.as_bytes(), TEXT), Ok(Frame::Text(t)) if t == good));
        assert!(matches!(text(good.as_bytes(), BINARY), Ok(Frame::Text(_))));
        for at in [good.len() - 1, 71, 0] {
            let mut bad = good.clone().into_bytes();
            bad[at] = 0xff;
            match text(&bad, TEXT) {
                // The three bytes of '€' from 70: a break in them
                // leaves what comes before it.
                Err(TransportError::InvalidText(e)) => {
                    let whole = if (70..73).contains(&at) { 70 } else { at };
                    assert_eq!(e.valid_up_to(), whole);
                }
                _ => panic!("a text frame broken at {at} must be refused"),
            }
            assert!(matches!(text(&bad, BINARY), Ok(Frame::Other)));
        }
    }
}

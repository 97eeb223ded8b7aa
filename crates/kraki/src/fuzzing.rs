//! Entry points for the fuzz targets (`fuzz/`, feature `fuzzing`): every
//! reader that takes bytes from the network, fed from memory instead of a
//! socket. Each returns what the reader made of the bytes, or its error
//! as text (the targets check outcomes, not error types); none may panic,
//! whatever the bytes.

use crate::rest::http1;
use crate::transport_error::TransportError;
use crate::websocket::{Frame, Socket, Stream, handshake};
use bytes::Bytes;
use http::Uri;
use http_body_util::Full;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// Room in the in-memory pipe: small, so long answers arrive in pieces.
const PIPE: usize = 4096;

/// What one message of the WebSocket reader was.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message, with its length in bytes.
    Text(usize),
    /// A ping, pong or binary message.
    Other,
    /// The server's close frame.
    Close,
}

/// The client's handshake against a server that answers the upgrade
/// request with `answer`, verbatim: `Ok` only for a valid 101.
pub async fn handshake_answer(answer: &[u8]) -> Result<(), String> {
    let (client, mut server) = tokio::io::duplex(PIPE);
    let serve = async move {
        let _ = read_request(&mut server).await;
        let _ = server.write_all(answer).await;
    };
    let (socket, ()) = tokio::join!(connect(client, 1 << 20), serve);
    socket.map(drop).map_err(|e| e.to_string())
}

/// The client's WebSocket reader after a valid handshake, fed `frames`
/// (what a server sends after its 101) in pieces of the sizes in `cuts`
/// (cycled; 0 means 1), with messages capped at `max_payload`. Returns
/// every message read until the first error or the end of the bytes.
pub async fn websocket_frames(
    frames: &[u8],
    cuts: &[usize],
    max_payload: usize,
) -> (Vec<Message>, Option<String>) {
    let (client, mut server) = tokio::io::duplex(PIPE);
    let serve = async move {
        let Ok(key) = read_request(&mut server).await else {
            return;
        };
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            handshake::accept_for(&key)
        );
        if server.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
        let mut rest = frames;
        let mut sizes = cuts.iter().cycle();
        while !rest.is_empty() {
            let size = sizes
                .next()
                .map_or(rest.len(), |&n| n.max(1))
                .min(rest.len());
            let (piece, after) = rest.split_at(size);
            if server.write_all(piece).await.is_err() {
                return;
            }
            rest = after;
        }
    };
    let read = async {
        let mut socket = match connect(client, max_payload).await {
            Ok(socket) => socket,
            Err(e) => return (Vec::new(), Some(format!("handshake: {e}"))),
        };
        let mut messages = Vec::new();
        loop {
            // The look-ahead the reader warms the caches with sees, of
            // the frames buffered, only what reading them gives: the
            // next whole text frame's payload, within the bound.
            let ahead = socket.buffered_texts().map(<[u8]>::len).collect::<Vec<_>>();
            assert!(ahead.iter().all(|&len| len <= max_payload));
            let next = socket.next_buffered();
            if let Some(&len) = ahead.first() {
                assert!(
                    matches!(&next, Ok(Some(Frame::Text(text))) if text.len() == len)
                        || next.is_err(),
                    "looked ahead at a text of {len} bytes, read {next:?}"
                );
            }
            match next {
                Ok(Some(Frame::Text(text))) => messages.push(Message::Text(text.len())),
                Ok(Some(Frame::Other | Frame::Ping)) => messages.push(Message::Other),
                Ok(Some(Frame::Close(_))) => {
                    messages.push(Message::Close);
                    return (messages, None);
                }
                Ok(None) => {
                    if let Err(e) = socket.ready().await {
                        return (messages, Some(e.to_string()));
                    }
                }
                Err(e) => return (messages, Some(e.to_string())),
            }
        }
    };
    let (read, ()) = tokio::join!(read, serve);
    read
}

/// The client's REST exchange against a server that answers with
/// `answer` and then closes: the status and body length, or the error.
pub async fn http_response(answer: &[u8]) -> Result<(u16, usize), String> {
    let (client, mut server) = tokio::io::duplex(PIPE);
    let serve = async move {
        let mut request = [0; 1024];
        let _ = server.read(&mut request).await;
        let _ = server.write_all(answer).await;
    };
    let request = http1::build(
        "POST",
        "/0/private/GetWebSocketsToken",
        "api.kraken.com",
        &[],
        b"nonce=1".to_vec(),
    )
    .map_err(|e| e.to_string())?;
    let exchange = async {
        let request: http::Request<Full<Bytes>> = request;
        http1::exchange(client, request).await
    };
    let (response, ()) = tokio::join!(exchange, serve);
    response
        .map(|r| (r.status, r.body.len()))
        .map_err(|e| e.to_string())
}

/// The proxy's answer to `CONNECT`, read by the client.
pub async fn proxy_answer(answer: &[u8]) -> Result<(), String> {
    let mut stream = answer;
    crate::proxy::read_answer(&mut stream, "proxy:3128", "ws.kraken.com:443")
        .await
        .map_err(|e| e.to_string())
}

async fn connect(client: DuplexStream, max_payload: usize) -> Result<Socket, TransportError> {
    let url: Uri = Uri::from_static("ws://ws.kraken.com/v2");
    Socket::upgrade(Stream::Memory(client), &url, max_payload).await
}

/// Reads the client's upgrade request; its `Sec-WebSocket-Key`.
async fn read_request(server: &mut DuplexStream) -> Result<String, ()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        if server.read(&mut byte).await.unwrap_or(0) == 0 {
            return Err(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).map_err(drop)?;
    head.lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .map(str::to_owned)
        .ok_or(())
}

/// The relay publisher's reader of the NATS protocol fed `bytes` (what
/// a server sends) in pieces of the sizes in `cuts` (cycled; 0 means 1),
/// kept in one buffer as the connection keeps them. Returns each frame
/// read, as its `Debug` text, until the first error or the end of the
/// bytes, and that error.
#[cfg(feature = "nats")]
pub fn nats_frames(bytes: &[u8], cuts: &[usize]) -> (Vec<String>, Option<String>) {
    use crate::nats::wire;
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    let mut start = 0;
    let mut rest = bytes;
    let mut cuts = cuts.iter().copied().cycle();
    while !rest.is_empty() {
        let cut = cuts.next().unwrap_or(usize::MAX).max(1).min(rest.len());
        let (piece, tail) = rest.split_at(cut);
        buf.extend_from_slice(piece);
        rest = tail;
        loop {
            match wire::parse(buf.get(start..).unwrap_or_default()) {
                Ok(Some((frame, used))) => {
                    frames.push(format!("{frame:?}"));
                    start += used;
                }
                Ok(None) => break,
                Err(e) => return (frames, Some(e.to_string())),
            }
        }
    }
    (frames, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_entry_reads_a_good_input_and_names_a_bad_one() {
        assert_eq!(
            handshake_answer(b"HTTP/1.1 403 Forbidden\r\n\r\n").await,
            Err(
                "the server answered \"HTTP/1.1 403 Forbidden\" instead of switching to WebSocket"
                    .to_owned()
            )
        );
        // "hi" as two fragments, a ping, then a close, cut into 1-byte pieces.
        let frames = [
            &[0x01, 0x01, b'h'][..],
            &[0x89, 0x00],
            &[0x80, 0x01, b'i'],
            &[0x88, 0x02, 0x03, 0xE8],
        ]
        .concat();
        assert_eq!(
            websocket_frames(&frames, &[1], 1 << 20).await,
            (vec![Message::Other, Message::Text(2), Message::Close], None)
        );
        let huge = [0x81, 0x7F, 0, 0, 0, 0, 0, 0, 1, 0];
        let (messages, error) = websocket_frames(&huge, &[3], 16).await;
        assert!(messages.is_empty());
        assert_eq!(
            error.as_deref(),
            Some("a frame of 256 bytes is over the 16-byte limit")
        );
        assert_eq!(
            http_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").await,
            Ok((200, 2))
        );
        assert!(
            http_response(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
                .await
                .is_err()
        );
        #[cfg(feature = "nats")]
        {
            let acks = b"PING\r\nMSG _INBOX.x.0.1 1 2\r\nok\r\nNOPE\r\n";
            let (frames, error) = nats_frames(acks, &[1]);
            assert_eq!(frames.len(), 2, "{frames:?}");
            assert_eq!(error.as_deref(), Some("unknown operation \"NOPE\""));
            assert_eq!(nats_frames(acks, &[usize::MAX]), (frames, error));
        }
        assert_eq!(proxy_answer(b"HTTP/1.1 200 OK\r\n\r\n").await, Ok(()));
        assert!(proxy_answer(b"HTTP/1.1 407 No\r\n\r\n").await.is_err());
    }
}

//! The WebSocket client against a hand-driven server on a real loopback
//! socket: every frame form, frames cut anywhere, pings, closes and
//! every breach of the protocol a server could commit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::frame::{BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use super::handshake::accept_for;
use super::{Frame, Socket, Stream};
use http::Uri;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LIMIT: usize = 1 << 20;

/// A frame as a server writes it: unmasked.
fn server_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 | opcode } else { opcode }];
    match payload.len() {
        len @ 0..=125 => out.push(len as u8),
        len @ 126..=65535 => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// A frame as the client wrote it, unmasked: opcode and payload.
async fn read_client_frame(server: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    server.read_exact(&mut head).await.unwrap();
    assert!(head[1] & 0x80 != 0, "client frames are masked");
    let len = match head[1] & 0x7F {
        126 => usize::from(server.read_u16().await.unwrap()),
        127 => server.read_u64().await.unwrap() as usize,
        len => usize::from(len),
    };
    let mut mask = [0u8; 4];
    server.read_exact(&mut mask).await.unwrap();
    let mut payload = vec![0u8; len];
    server.read_exact(&mut payload).await.unwrap();
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
    (head[0] & 0x0F, payload)
}

/// Accepts one client, reads its upgrade request and returns the stream
/// and the answer a correct server gives.
async fn accept(listener: &TcpListener) -> (TcpStream, String) {
    let (mut server, _) = listener.accept().await.unwrap();
    let mut request = Vec::new();
    while !request.ends_with(b"\r\n\r\n") {
        request.push(server.read_u8().await.unwrap());
    }
    let request = String::from_utf8(request).unwrap();
    assert!(request.starts_with("GET /v2 HTTP/1.1\r\n"), "{request}");
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        accept_for(key)
    );
    (server, answer)
}

async fn listener() -> (TcpListener, Uri) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v2", listener.local_addr().unwrap());
    (listener, url.parse().unwrap())
}

async fn connect(url: &Uri) -> Result<Socket, String> {
    let host = url.authority().unwrap().as_str();
    let tcp = TcpStream::connect(host).await.unwrap();
    Socket::upgrade(Stream::Plain(tcp), url, LIMIT)
        .await
        .map_err(|e| e.to_string())
}

/// What a frame brought, owned.
#[derive(Debug, PartialEq)]
enum Got {
    Text(String),
    Other,
    Ping,
    Close(String),
}

/// The next frame, owned; an error as its message, which is what these
/// tests check.
async fn next(socket: &mut Socket) -> Result<Got, String> {
    loop {
        if let Some(frame) = socket.next_buffered().map_err(|e| e.to_string())? {
            return Ok(match frame {
                Frame::Text(text) => Got::Text(text.to_owned()),
                Frame::Other => Got::Other,
                Frame::Ping => Got::Ping,
                Frame::Close(why) => Got::Close(why),
            });
        }
        socket.ready().await.map_err(|e| e.to_string())?;
    }
}

#[tokio::test]
async fn every_frame_form_arrives_whole_when_cut_into_small_pieces() {
    let (listener, url) = listener().await;
    let big = "x".repeat(200_000);
    let medium = "y".repeat(300);
    let expected = vec![
        Got::Text("first, behind the handshake".to_owned()),
        Got::Text(medium.clone()),
        Got::Text(big.clone()),
        Got::Ping,
        // The pong between the fragments.
        Got::Other,
        Got::Text("joined from three fragments".to_owned()),
        Got::Text("binary but UTF-8".to_owned()),
        Got::Other,
        Got::Close("code 1001, \"going away\"".to_owned()),
    ];
    let server = tokio::spawn(async move {
        let (mut server, answer) = accept(&listener).await;
        let mut wire = answer.into_bytes();
        wire.extend(server_frame(TEXT, true, b"first, behind the handshake"));
        wire.extend(server_frame(TEXT, true, medium.as_bytes()));
        wire.extend(server_frame(TEXT, true, big.as_bytes()));
        wire.extend(server_frame(PING, true, b"p"));
        wire.extend(server_frame(TEXT, false, b"joined "));
        wire.extend(server_frame(CONTINUATION, false, b"from three "));
        // Control frames may come between fragments.
        wire.extend(server_frame(PONG, true, b""));
        wire.extend(server_frame(CONTINUATION, true, b"fragments"));
        wire.extend(server_frame(BINARY, true, b"binary but UTF-8"));
        wire.extend(server_frame(BINARY, true, &[0xFF, 0xFE]));
        wire.extend(server_frame(CLOSE, true, b"\x03\xE9going away"));
        // Odd-sized pieces, each flushed on its own: heads and payloads
        // are cut everywhere.
        for piece in wire.chunks(7).take(40) {
            server.write_all(piece).await.unwrap();
            server.flush().await.unwrap();
            tokio::task::yield_now().await;
        }
        let rest: Vec<u8> = wire.chunks(7).skip(40).flatten().copied().collect();
        server.write_all(&rest).await.unwrap();
        // The client's pong and its answer to the close.
        let pong = read_client_frame(&mut server).await;
        let close = read_client_frame(&mut server).await;
        (pong, close)
    });
    let mut socket = connect(&url).await.unwrap();
    let mut got = Vec::new();
    while got.len() < expected.len() {
        let frame = next(&mut socket).await.unwrap();
        match frame {
            Got::Ping => socket.answer_ping().await.unwrap(),
            Got::Close(_) => socket.close().await,
            _ => {}
        }
        got.push(frame);
    }
    // Long texts compared by value, shown by length.
    let shown = |frames: &[Got]| -> Vec<String> {
        frames
            .iter()
            .map(|f| match f {
                Got::Text(t) if t.len() > 40 => format!("{} bytes of {:?}", t.len(), &t[..1]),
                other => format!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(shown(&got), shown(&expected));
    assert!(got == expected, "a long text differs");
    let (pong, close) = server.await.unwrap();
    assert_eq!(pong, (PONG, b"p".to_vec()));
    assert_eq!(close, (CLOSE, 1000u16.to_be_bytes().to_vec()));
}

#[tokio::test]
async fn text_sent_is_masked_and_whole() {
    let (listener, url) = listener().await;
    let server = tokio::spawn(async move {
        let (mut server, answer) = accept(&listener).await;
        server.write_all(answer.as_bytes()).await.unwrap();
        let small = read_client_frame(&mut server).await;
        let large = read_client_frame(&mut server).await;
        (small, large)
    });
    let mut socket = connect(&url).await.unwrap();
    let large = "z".repeat(70_000);
    socket.send_text(r#"{"method":"ping"}"#).await.unwrap();
    socket.send_text(&large).await.unwrap();
    let (small, got_large) = server.await.unwrap();
    assert_eq!(small, (TEXT, br#"{"method":"ping"}"#.to_vec()));
    assert_eq!(got_large, (TEXT, large.into_bytes()));
}

/// A server that writes `frames` after a correct handshake; the client's
/// error reading them.
async fn error_reading(frames: Vec<u8>) -> String {
    let (listener, url) = listener().await;
    let _server = tokio::spawn(async move {
        let (mut server, answer) = accept(&listener).await;
        server.write_all(answer.as_bytes()).await.unwrap();
        server.write_all(&frames).await.unwrap();
        // Held open: the error must come from the frames, not the end.
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    });
    let mut socket = connect(&url).await.unwrap();
    loop {
        match next(&mut socket).await {
            Ok(_) => {}
            Err(e) => return e,
        }
    }
}

#[tokio::test]
async fn breaches_of_the_protocol_are_named() {
    let mut masked = server_frame(TEXT, true, b"hi");
    masked[1] |= 0x80;
    masked.splice(2..2, [1, 2, 3, 4]);
    assert!(error_reading(masked).await.contains("masked"));

    let bad_utf8 = server_frame(TEXT, true, &[b'a', 0xC3]);
    assert!(error_reading(bad_utf8).await.contains("not valid UTF-8"));

    let orphan = server_frame(CONTINUATION, true, b"x");
    assert!(
        error_reading(orphan)
            .await
            .contains("continuation frame with no message")
    );

    let mut interleaved = server_frame(TEXT, false, b"a");
    interleaved.extend(server_frame(TEXT, true, b"b"));
    assert!(
        error_reading(interleaved)
            .await
            .contains("new message began")
    );

    let mut too_long = server_frame(TEXT, false, &vec![b'a'; LIMIT - 10]);
    too_long.extend(server_frame(CONTINUATION, true, &[b'b'; 20]));
    assert!(
        error_reading(too_long)
            .await
            .contains("over the 1048576-byte limit")
    );

    let over = server_frame(TEXT, true, &vec![b'a'; LIMIT + 1]);
    assert!(
        error_reading(over)
            .await
            .contains("over the 1048576-byte limit")
    );
}

#[tokio::test]
async fn an_end_without_a_close_frame_is_an_error_after_the_frames_before_it() {
    let (listener, url) = listener().await;
    tokio::spawn(async move {
        let (mut server, answer) = accept(&listener).await;
        server.write_all(answer.as_bytes()).await.unwrap();
        server
            .write_all(&server_frame(TEXT, true, b"last words"))
            .await
            .unwrap();
        // Dropped: the connection ends.
    });
    let mut socket = connect(&url).await.unwrap();
    assert_eq!(
        next(&mut socket).await,
        Ok(Got::Text("last words".to_owned()))
    );
    assert_eq!(
        next(&mut socket).await,
        Err("closed by the server without a close frame".to_owned())
    );
}

#[tokio::test]
async fn refused_upgrades_are_named() {
    for (answer, wanted) in [
        (
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".to_owned(),
            "answered \"HTTP/1.1 403 Forbidden\"",
        ),
        (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n"
                .to_owned(),
            "does not match",
        ),
        (String::new(), "closed the connection during the handshake"),
        // One endless header line: cut at the head limit, not read whole.
        (
            format!("HTTP/1.1 101 Switching Protocols\r\nX-Long: {}", "a".repeat(1 << 20)),
            "the server's handshake answer is over 16384 bytes",
        ),
    ] {
        let (listener, url) = listener().await;
        tokio::spawn(async move {
            let (mut server, _) = accept(&listener).await;
            // The client may leave before the endless answer is written.
            let _ = server.write_all(answer.as_bytes()).await;
        });
        let err = connect(&url).await.err().unwrap();
        assert!(err.contains(wanted), "{err}");
    }
}

/// Numbers below the argument, from a xorshift generator: a fixed seed
/// keeps failures reproducible.
fn xorshift(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |below| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as usize
    }
}

/// Random messages (text, binary, fragmented, with control frames between
/// fragments) written in random pieces: each arrives whole and in order,
/// whatever the cuts. A fixed seed keeps failures reproducible.
#[tokio::test]
async fn random_messages_in_random_pieces_arrive_whole() {
    let mut next_random = xorshift(0x9E37_79B9_7F4A_7C15_u64);
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..300 {
        let len = match next_random(10) {
            0 => 70_000 + next_random(100_000),
            1..=3 => 126 + next_random(3_000),
            _ => next_random(126),
        };
        let text: String = (0..len)
            .map(|j| char::from(b'a' + ((i + j) % 26) as u8))
            .collect();
        let fragments = 1 + next_random(4);
        let mut rest = text.as_bytes();
        for f in 0..fragments {
            let last = f + 1 == fragments;
            let take = if last {
                rest.len()
            } else {
                next_random(rest.len() + 1)
            };
            let (piece, tail) = rest.split_at(take);
            rest = tail;
            let opcode = if f == 0 { TEXT } else { CONTINUATION };
            wire.extend(server_frame(opcode, last, piece));
            if !last && next_random(2) == 0 {
                wire.extend(server_frame(PONG, true, b"between"));
                expected.push(Got::Other);
            }
        }
        expected.push(Got::Text(text));
    }
    let (listener, url) = listener().await;
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < wire.len() {
        let piece = 1 + next_random(4_000);
        cuts.push(at..(at + piece).min(wire.len()));
        at += piece;
    }
    let count = expected.len();
    tokio::spawn(async move {
        let (mut server, answer) = accept(&listener).await;
        server.write_all(answer.as_bytes()).await.unwrap();
        for cut in cuts {
            server.write_all(&wire[cut]).await.unwrap();
            server.flush().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    });
    let mut socket = connect(&url).await.unwrap();
    for (n, want) in expected.into_iter().enumerate() {
        let got = next(&mut socket).await.unwrap();
        assert!(got == want, "message {n} of {count} differs");
    }
}

/// Random bytes after the handshake, some shaped like frame heads: the
/// reader hands out what parses, then ends with an error naming the
/// problem (or the end of the stream), and never panics or hangs.
#[tokio::test]
async fn random_bytes_end_in_an_error_never_a_panic() {
    let mut next_random = xorshift(0x2545_F491_4F6C_DD1D_u64);
    for _ in 0..100 {
        let mut wire = Vec::new();
        for _ in 0..next_random(20) {
            if next_random(2) == 0 {
                // A plausible head: any opcode, any length form.
                wire.push(next_random(256) as u8 & 0x8F);
                wire.push([5u8, 126, 127, 0][next_random(4)]);
            }
            for _ in 0..next_random(300) {
                wire.push(next_random(256) as u8);
            }
        }
        let (listener, url) = listener().await;
        tokio::spawn(async move {
            let (mut server, answer) = accept(&listener).await;
            server.write_all(answer.as_bytes()).await.unwrap();
            let _ = server.write_all(&wire).await;
            // Dropped: the stream ends after the bytes.
        });
        let mut socket = connect(&url).await.unwrap();
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                match next(&mut socket).await {
                    Ok(Got::Close(_)) => return "close".to_owned(),
                    Ok(_) => {}
                    Err(e) => return e,
                }
            }
        })
        .await
        .expect("neither an error nor an end within 5 s");
        let named = [
            "close",
            "protocol error",
            "over the",
            "not valid UTF-8",
            "closed by the server without a close frame",
        ];
        assert!(
            named.iter().any(|n| outcome.contains(n)),
            "an unnamed outcome: {outcome}"
        );
    }
}

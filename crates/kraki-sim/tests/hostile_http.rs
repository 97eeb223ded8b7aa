//! The simulator's HTTP side against hostile clients: raw bytes over real
//! sockets on loopback, each case answered with an exact status, memory
//! bounded, and the simulator still serving others afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::{SinkExt, StreamExt};
use kraki_sim::{DEMO_API_KEY, DEMO_API_SECRET, SimHandle, Simulator};
use ring::{digest, hmac};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_websockets::{CloseCode, Message};

const TIME: &str = "GET /0/public/Time HTTP/1.1\r\nHost: sim\r\n\r\n";

async fn sim() -> SimHandle {
    Simulator::builder().paused(true).spawn().await.unwrap()
}

/// A sim whose requests must be complete within a second.
async fn sim_timing_out_after_1s() -> SimHandle {
    Simulator::builder()
        .paused(true)
        .request_timeout(Duration::from_secs(1))
        .spawn()
        .await
        .unwrap()
}

/// One response off `tcp`: status, head (lower-cased) and body. Stops at
/// the end of the body, or at the end of the stream for a body without a
/// length.
async fn read_response(tcp: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = tokio::time::timeout(Duration::from_secs(20), tcp.read(&mut buf))
            .await
            .expect("no response within 20 s")
            .expect("the response could not be read");
        assert!(n > 0, "closed before a complete head: {bytes:?}");
        bytes.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |l| l.trim().parse().unwrap());
    let mut body = bytes[head_end..].to_vec();
    while body.len() < length {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed inside the body");
        body.extend_from_slice(&buf[..n]);
    }
    (status, head, body)
}

/// Sends `raw` on a new connection and reads the response.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> (u16, String, Vec<u8>) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(raw).await.unwrap();
    read_response(&mut tcp).await
}

/// Whether the connection ends (cleanly or with a reset) within `within`.
async fn closes_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(within, tcp.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// The simulator still answers a plain request on a new connection.
async fn still_serves(addr: SocketAddr) {
    let (status, _, body) = exchange(addr, TIME.as_bytes()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
}

fn error_of(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["error"][0].as_str().unwrap().to_owned()
}

fn resident_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// A chunk of 2^64 − 1 bytes is a size hyper reads without overflow; the
/// simulator then counts what arrives of it: past 64 KiB it is a 413, and
/// a sender that stalls inside it gets a 408 once the request time is up.
#[tokio::test]
async fn a_chunk_size_of_sixteen_fs_is_a_413_or_a_408_and_the_sim_serves_on() {
    let sim = sim_timing_out_after_1s().await;
    let head = "POST /0/public/Time HTTP/1.1\r\nHost: sim\r\nTransfer-Encoding: chunked\r\n\r\n\
                FFFFFFFFFFFFFFFF\r\n";
    let mut big = head.as_bytes().to_vec();
    big.extend_from_slice(&[b'a'; 70 << 10]);
    let (status, head_seen, body) = exchange(sim.addr(), &big).await;
    assert_eq!(status, 413);
    assert!(head_seen.contains("connection: close"), "{head_seen}");
    assert_eq!(
        error_of(&body),
        "EGeneral:Invalid arguments:request body larger than 65536 bytes"
    );

    let stalled = format!("{head}nonce\r\n0\r\n\r\n");
    let start = Instant::now();
    let (status, _, _) = exchange(sim.addr(), stalled.as_bytes()).await;
    assert_eq!(status, 408);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    still_serves(sim.addr()).await;
}

/// One hex digit more than a `u64` holds: hyper's checked arithmetic
/// refuses it at once.
#[tokio::test]
async fn a_chunk_size_of_seventeen_digits_is_a_400() {
    let sim = sim().await;
    let raw = "POST /0/public/Time HTTP/1.1\r\nHost: sim\r\nTransfer-Encoding: chunked\r\n\r\n\
               10000000000000000\r\nnonce\r\n0\r\n\r\n";
    let (status, head, body) = exchange(sim.addr(), raw.as_bytes()).await;
    assert_eq!(status, 400);
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(
        error_of(&body),
        "EGeneral:Invalid arguments:malformed request body: error reading a body from connection: invalid chunk size: overflow"
    );
    still_serves(sim.addr()).await;
}

#[tokio::test]
async fn chunks_past_64_kib_are_a_413() {
    let sim = sim().await;
    let mut raw =
        b"POST /0/public/Time HTTP/1.1\r\nHost: sim\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20 {
        raw.extend_from_slice(b"1000\r\n");
        raw.extend_from_slice(&[b'a'; 0x1000]);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let (status, _, body) = exchange(sim.addr(), &raw).await;
    assert_eq!(status, 413);
    assert_eq!(
        error_of(&body),
        "EGeneral:Invalid arguments:request body larger than 65536 bytes"
    );
}

#[tokio::test]
async fn a_header_line_of_64_mib_is_a_431_with_memory_bounded() {
    let sim = sim().await;
    let before = resident_kib();
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let (mut reader, mut writer) = tcp.split();
    let send = async {
        let line = vec![b'a'; 1 << 20];
        writer
            .write_all(b"GET /0/public/Time HTTP/1.1\r\nHost: sim\r\nX-Big: ")
            .await?;
        for _ in 0..64 {
            writer.write_all(&line).await?;
        }
        writer.write_all(b"\r\n\r\n").await
    };
    let receive = async {
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = reader.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
        }
        answer
    };
    let (_, answer) = tokio::join!(send, receive);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{answer}"
    );
    if let (Some(before), Some(after)) = (before, resident_kib()) {
        assert!(
            after.saturating_sub(before) < 16 << 10,
            "resident memory grew from {before} to {after} KiB"
        );
    }
    still_serves(sim.addr()).await;
}

#[tokio::test]
async fn more_than_64_header_fields_is_a_431() {
    let sim = sim().await;
    let with_fields = |n: usize| {
        let mut raw = String::from("GET /0/public/Time HTTP/1.1\r\nHost: sim\r\n");
        for i in 1..n {
            raw.push_str(&format!("X-Field-{i}: {i}\r\n"));
        }
        raw + "\r\n"
    };
    let (status, _, _) = exchange(sim.addr(), with_fields(64).as_bytes()).await;
    assert_eq!(status, 200);
    let (status, _, _) = exchange(sim.addr(), with_fields(65).as_bytes()).await;
    assert_eq!(status, 431);
}

#[tokio::test]
async fn a_huge_content_length_is_a_413_before_the_body() {
    let sim = sim().await;
    let start = Instant::now();
    let raw = "POST /0/private/GetWebSocketsToken HTTP/1.1\r\nHost: sim\r\n\
               Content-Length: 1000000000000000\r\n\r\nnonce=1";
    let (status, head, body) = exchange(sim.addr(), raw.as_bytes()).await;
    assert_eq!(status, 413);
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(
        error_of(&body),
        "EGeneral:Invalid arguments:request body larger than 65536 bytes"
    );
    // Answered at once, not after waiting for the body.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn a_slow_body_is_a_408_within_the_request_timeout() {
    let sim = sim_timing_out_after_1s().await;
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let start = Instant::now();
    tcp.write_all(b"POST /0/public/Time HTTP/1.1\r\nHost: sim\r\nContent-Length: 100\r\n\r\npair=")
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut tcp).await;
    let took = start.elapsed();
    assert_eq!(status, 408);
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(
        error_of(&body),
        "EGeneral:Invalid arguments:request not complete within 1s"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(closes_within(&mut tcp, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_slow_head_is_closed_within_the_request_timeout() {
    let sim = sim_timing_out_after_1s().await;
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    let start = Instant::now();
    tcp.write_all(b"GET /0/public/Time HTTP/1.1\r\nHost: ")
        .await
        .unwrap();
    assert!(closes_within(&mut tcp, Duration::from_secs(5)).await);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn the_513th_connection_is_refused_while_the_others_work() {
    let sim = sim().await;
    let mut open = Vec::new();
    for _ in 0..512 {
        let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
        tcp.write_all(TIME.as_bytes()).await.unwrap();
        let (status, _, _) = read_response(&mut tcp).await;
        assert_eq!(status, 200);
        open.push(tcp);
    }
    let mut refused = TcpStream::connect(sim.addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), refused.read(&mut buf))
        .await
        .expect("neither data nor an end within 5 s");
    assert_eq!(
        read.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
    // The open ones are still served.
    for i in [0, 511] {
        let tcp = &mut open[i];
        tcp.write_all(TIME.as_bytes()).await.unwrap();
        assert_eq!(read_response(tcp).await.0, 200);
    }
    // A closed one gives its slot back.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    still_serves(sim.addr()).await;
}

#[tokio::test]
async fn a_small_connection_cap_counts_websockets_too() {
    let sim = Simulator::builder()
        .paused(true)
        .max_connections(1)
        .spawn()
        .await
        .unwrap();
    let mut ws = common::connect(&sim.public_url()).await;
    let _status = common::next_text(&mut ws).await;
    let mut refused = TcpStream::connect(sim.addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), refused.read(&mut buf))
        .await
        .unwrap();
    assert_eq!(
        read.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionReset)
    );
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_400() {
    let sim = sim().await;
    // The start of a TLS ClientHello, as a client that meant https sends.
    let (status, head, _) = exchange(
        sim.addr(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    )
    .await;
    assert_eq!(status, 400, "{head}");
    let (status, _, _) = exchange(sim.addr(), b"HELLO\r\n\r\n").await;
    assert_eq!(status, 400);
    still_serves(sim.addr()).await;
}

#[tokio::test]
async fn http_1_0_keeps_alive_only_when_asked() {
    let sim = sim().await;
    let mut tcp = TcpStream::connect(sim.addr()).await.unwrap();
    for _ in 0..2 {
        tcp.write_all(b"GET /0/public/Time HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await
            .unwrap();
        let (status, head, _) = read_response(&mut tcp).await;
        assert_eq!(status, 200);
        assert!(head.starts_with("http/1.0 200"), "{head}");
        assert!(head.contains("connection: keep-alive"), "{head}");
    }
    tcp.write_all(b"GET /0/public/Time HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut tcp).await.0, 200);
    assert!(closes_within(&mut tcp, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn a_websocket_message_over_64_kib_is_closed_with_1009() {
    let sim = sim().await;
    let mut ws = common::connect(&sim.public_url()).await;
    let _status = common::next_text(&mut ws).await;
    ws.send(Message::text("x".repeat((64 << 10) + 1)))
        .await
        .unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("no close within 5 s")
            .expect("closed without a close frame")
            .unwrap();
        if let Some((code, _)) = msg.as_close() {
            assert_eq!(code, CloseCode::MESSAGE_TOO_BIG);
            break;
        }
    }
}

/// §8.3: base64(HMAC-SHA512(secret, path || SHA256(nonce || body))).
fn sign(path: &str, nonce: &str, body: &str) -> String {
    let hash = digest::digest(&digest::SHA256, format!("{nonce}{body}").as_bytes());
    let mut message = path.as_bytes().to_vec();
    message.extend_from_slice(hash.as_ref());
    let key = hmac::Key::new(hmac::HMAC_SHA512, &BASE64.decode(DEMO_API_SECRET).unwrap());
    BASE64.encode(hmac::sign(&key, &message).as_ref())
}

#[tokio::test]
async fn tokens_are_random() {
    let sim = sim().await;
    let path = "/0/private/GetWebSocketsToken";
    let mut tokens = Vec::new();
    for nonce in ["1", "2"] {
        let body = format!("nonce={nonce}");
        let raw = format!(
            "POST {path} HTTP/1.1\r\nHost: sim\r\nAPI-Key: {DEMO_API_KEY}\r\nAPI-Sign: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            sign(path, nonce, &body),
            body.len()
        );
        let (status, _, answer) = exchange(sim.addr(), raw.as_bytes()).await;
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        let token = v["result"]["token"].as_str().unwrap().to_owned();
        assert_eq!(token.len(), 43, "{v}");
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);
    // Not one shared prefix either, as a counter or a clock would leave.
    assert_ne!(tokens[0][..8], tokens[1][..8]);
}

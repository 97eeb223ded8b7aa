//! REST answers from a hostile or broken server, written here on
//! loopback: each ends in the exact error, never a panic, with memory
//! bounded by the limits (the 64 MiB header line is measured in
//! `rest_memory.rs`, a process of its own).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki::rest::RestClient;
use kraki::{Credentials, Error};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does once it has read the request head.
type Answer = fn(TcpStream) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server that answers every connection with `answer`; its base URL.
async fn server(answer: Answer) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    let mut byte = [0];
                    if tcp.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                answer(tcp).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn demo() -> Credentials {
    Credentials::new(kraki_sim::DEMO_API_KEY, kraki_sim::DEMO_API_SECRET).unwrap()
}

/// The error of a token request (a signed POST, as at every connect of
/// the authenticated socket) against `answer`.
async fn token_error(answer: Answer) -> String {
    let base = server(answer).await;
    let rest = RestClient::new(&base)
        .unwrap()
        .timeout(Duration::from_secs(2));
    let err = rest.websockets_token(&demo()).await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
    err.to_string()
}

/// Writes `bytes` then closes, ignoring a peer that left first.
async fn send(mut tcp: TcpStream, bytes: impl AsRef<[u8]>) {
    let _ = tcp.write_all(bytes.as_ref()).await;
    let _ = tcp.shutdown().await;
}

const CHUNKED: &str = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

#[tokio::test]
async fn a_chunk_of_u64_max_bytes_is_an_error_not_a_panic() {
    let err = token_error(|tcp| {
        Box::pin(send(
            tcp,
            format!("{CHUNKED}2\r\n{{}}\r\nFFFFFFFFFFFFFFFF\r\nabc"),
        ))
    })
    .await;
    assert_eq!(
        err,
        "REST: HTTP: error reading a body from connection: end of file before message length reached"
    );
}

#[tokio::test]
async fn a_chunk_size_past_u64_is_an_overflow_error() {
    let err =
        token_error(|tcp| Box::pin(send(tcp, format!("{CHUNKED}1FFFFFFFFFFFFFFFF\r\n")))).await;
    assert_eq!(
        err,
        "REST: HTTP: error reading a body from connection: invalid chunk size: overflow"
    );
}

#[tokio::test]
async fn a_header_line_past_the_head_limit_is_refused_by_its_limit() {
    let err = token_error(|mut tcp| {
        Box::pin(async move {
            let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\nX-Long: ").await;
            let line = vec![b'a'; 64 << 10];
            for _ in 0..16 {
                if tcp.write_all(&line).await.is_err() {
                    return;
                }
            }
        })
    })
    .await;
    assert_eq!(
        err,
        "REST: HTTP: message head is too large (limits: 16384 bytes, 64 header fields)"
    );
}

#[tokio::test]
async fn too_many_headers_are_refused() {
    let err = token_error(|tcp| {
        Box::pin(async move {
            let mut head = String::from("HTTP/1.1 200 OK\r\n");
            for i in 0..100 {
                head.push_str(&format!("X-{i}: 1\r\n"));
            }
            head.push_str("Content-Length: 2\r\n\r\n{}");
            send(tcp, head).await;
        })
    })
    .await;
    assert_eq!(
        err,
        "REST: HTTP: message head is too large (limits: 16384 bytes, 64 header fields)"
    );
}

#[tokio::test]
async fn an_announced_body_over_the_limit_is_refused_before_it_is_read() {
    let err = token_error(|tcp| {
        Box::pin(send(
            tcp,
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{",
        ))
    })
    .await;
    assert_eq!(
        err,
        "REST: HTTP: the answer announces a body over the 32 MiB limit"
    );
    // u64::MAX itself is past what hyper reads as a length at all.
    let err = token_error(|tcp| {
        Box::pin(send(
            tcp,
            b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n{",
        ))
    })
    .await;
    assert_eq!(
        err,
        "REST: HTTP: message head is too large (limits: 16384 bytes, 64 header fields)"
    );
}

#[tokio::test]
async fn a_body_that_never_ends_stops_at_the_limit() {
    let err = token_error(|mut tcp| {
        Box::pin(async move {
            let _ = tcp.write_all(CHUNKED.as_bytes()).await;
            let chunk = format!("10000\r\n{}\r\n", "a".repeat(1 << 16));
            // 48 MiB offered; the client stops at 32.
            for _ in 0..768 {
                if tcp.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
        })
    })
    .await;
    assert_eq!(err, "REST: HTTP: the body is over the 32 MiB limit");
}

#[tokio::test]
async fn endless_trailers_are_cut_at_their_limit() {
    let err = token_error(|mut tcp| {
        Box::pin(async move {
            let _ = tcp
                .write_all(format!("{CHUNKED}2\r\n{{}}\r\n0\r\n").as_bytes())
                .await;
            let line = format!("X-Trailer: {}\r\n", "t".repeat(1000));
            for _ in 0..1000 {
                if tcp.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
            }
        })
    })
    .await;
    assert!(
        err.starts_with("REST: HTTP: error reading a body from connection: chunk trailers"),
        "{err}"
    );
}

#[tokio::test]
async fn an_answer_that_never_comes_times_out() {
    let err = token_error(|tcp| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(tcp);
        })
    })
    .await;
    assert!(
        err.starts_with("REST: no answer from 127.0.0.1:") && err.ends_with("within 2s"),
        "{err}"
    );
}

#[tokio::test]
async fn something_that_is_not_http_is_named() {
    let err = token_error(|tcp| Box::pin(send(tcp, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"))).await;
    assert_eq!(err, "REST: HTTP: invalid HTTP version parsed");
}

#[tokio::test]
async fn a_server_that_closes_at_once_is_named() {
    let err = token_error(|tcp| Box::pin(send(tcp, b""))).await;
    assert_eq!(
        err,
        "REST: HTTP: connection closed before message completed"
    );
}

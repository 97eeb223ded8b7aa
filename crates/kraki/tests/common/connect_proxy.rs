//! A `CONNECT` proxy on loopback, as the client meets one in a network
//! whose way out is a proxy.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy was asked: per tunnel, its target and the
/// `Proxy-Authorization` header.
pub(crate) type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A `CONNECT` proxy on 127.0.0.1. With `refusal`, every request gets that
/// answer; otherwise a tunnel to the target.
pub(crate) async fn proxy(refusal: Option<&'static str>) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(tunnel(client, refusal, log.clone()));
        }
    });
    (port, seen)
}

async fn tunnel(mut client: TcpStream, refusal: Option<&'static str>, seen: Seen) {
    // The head, a byte at a time: what follows it belongs to the tunnel.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        if client.read(&mut byte).await.unwrap_or(0) == 0 {
            return;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let mut lines = head.lines();
    let request: Vec<&str> = lines.next().unwrap().split(' ').collect();
    assert_eq!(request[0], "CONNECT", "{head}");
    assert!(
        head.contains(&format!("\r\nHost: {}\r\n", request[1])),
        "{head}"
    );
    let authorization = lines
        .find_map(|l| l.strip_prefix("Proxy-Authorization: "))
        .map(str::to_owned);
    seen.lock()
        .unwrap()
        .push((request[1].to_owned(), authorization));
    if let Some(answer) = refusal {
        let _ = client.write_all(answer.as_bytes()).await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(request[1]).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .unwrap();
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

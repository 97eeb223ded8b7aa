//! A REST answer with one 64 MiB header line leaves the process small:
//! the head is cut at its limit while it is read, not measured once read
//! whole. Alone in its test binary, so the peak resident size
//! (`VmHWM`) is this test's own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki::rest::RestClient;
use kraki::{Credentials, Error};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Peak resident memory of this process, in bytes (Linux).
fn peak_resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

#[tokio::test]
async fn a_64_mib_header_line_leaves_the_process_under_40_mb() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = [0; 4096];
        let _ = tcp.read(&mut request).await;
        let _ = tcp.write_all(b"HTTP/1.1 200 OK\r\nX-Long: ").await;
        let piece = vec![b'a'; 1 << 20];
        let mut sent = 0;
        for _ in 0..64 {
            if tcp.write_all(&piece).await.is_err() {
                break;
            }
            sent += piece.len();
        }
        sent
    });
    let credentials =
        Credentials::new(kraki_sim::DEMO_API_KEY, kraki_sim::DEMO_API_SECRET).unwrap();
    let rest = RestClient::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .timeout(Duration::from_secs(20));
    let err = rest.websockets_token(&credentials).await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
    assert!(
        err.to_string().contains("message head is too large"),
        "{err}"
    );
    let sent = sent.await.unwrap();
    assert!(
        sent < 64 << 20,
        "the client read the whole line: {sent} bytes"
    );
    let peak = peak_resident();
    eprintln!("peak resident size: {} KiB", peak >> 10);
    assert!(peak < 40 << 20, "peak resident size {peak} bytes");
}

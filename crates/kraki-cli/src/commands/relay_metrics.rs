//! `kraki relay --metrics ADDR`: the relay's counters in Prometheus' text
//! format at `http://ADDR/metrics`. A plain TCP responder: one scrape is
//! one small GET, and the relay needs no HTTP server crate for it.

use kraki::nats::{BEHIND, PUBLISH_LATENCY_BUCKETS, RelayCounters, RelayStats};
use std::fmt::Write;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Binds `addr` (errors now, not later) and serves in the background.
pub(crate) async fn serve(addr: &str, counters: RelayCounters) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e}"))?;
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                continue;
            };
            let counters = counters.clone();
            tokio::spawn(async move {
                // Only the request line matters; a slow or silent client
                // is given up on.
                let mut request = vec![0u8; 4096];
                let mut read = 0;
                while read < request.len() {
                    let n = match tokio::time::timeout(
                        Duration::from_secs(5),
                        socket.read(&mut request[read..]),
                    )
                    .await
                    {
                        Ok(Ok(n)) if n > 0 => n,
                        _ => return,
                    };
                    read += n;
                    if request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let line = String::from_utf8_lossy(&request[..read]);
                let response = if line.starts_with("GET /metrics ") || line.starts_with("GET / ") {
                    let body = render(&counters);
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        .to_owned()
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Ok(())
}

/// A counter family: name, help, and its value in a channel's stats.
type Family = (&'static str, &'static str, fn(&RelayStats) -> u64);

/// The counters in Prometheus' text format.
pub(crate) fn render(counters: &RelayCounters) -> String {
    let channels = counters.by_channel();
    let mut out = String::new();
    let families: [Family; 10] = [
        ("received_total", "Items received from Kraken.", |s| {
            s.received
        }),
        ("published_total", "Messages JetStream stored.", |s| {
            s.published
        }),
        (
            "duplicates_total",
            "Messages JetStream already had, stored once.",
            |s| s.duplicates,
        ),
        (
            "verified_total",
            "Book items whose checksum verified.",
            |s| s.verified,
        ),
        (
            "mismatched_total",
            "Book items whose checksum did not verify (never published).",
            |s| s.mismatches,
        ),
        ("resyncs_total", "Fresh snapshots asked of Kraken.", |s| {
            s.resyncs
        }),
        (
            "kraken_reconnects_total",
            "Kraken connections re-established.",
            |s| s.reconnects,
        ),
        (
            "dropped_total",
            "Messages dropped because the buffer towards NATS was full.",
            |s| s.dropped,
        ),
        (
            "publish_errors_total",
            "Publish attempts that failed and were retried.",
            |s| s.publish_errors,
        ),
        (
            "conflicts_total",
            "Book updates refused because another relay's message came first.",
            |s| s.conflicts,
        ),
    ];
    for (name, help, value) in families {
        family(&mut out, &channels, name, "counter", help, value);
    }
    family(
        &mut out,
        &channels,
        "buffered",
        "gauge",
        "Messages waiting in the buffers towards NATS.",
        |s| s.queued,
    );
    let behind_help = format!(
        "Subjects holding more than {BEHIND} messages: JetStream acks them more slowly than Kraken updates them."
    );
    family(
        &mut out,
        &channels,
        "pairs_behind",
        "gauge",
        &behind_help,
        |s| s.behind,
    );
    let _ = writeln!(
        out,
        "# HELP kraki_relay_publish_latency_seconds Time from publish to JetStream's ack."
    );
    let _ = writeln!(out, "# TYPE kraki_relay_publish_latency_seconds histogram");
    for (channel, stats) in &channels {
        let mut cumulative = 0;
        for (bound, count) in PUBLISH_LATENCY_BUCKETS.iter().zip(stats.publish_latency) {
            cumulative += count;
            let _ = writeln!(
                out,
                "kraki_relay_publish_latency_seconds_bucket{{channel=\"{channel}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let total: u64 = stats.publish_latency.iter().sum();
        let _ = writeln!(
            out,
            "kraki_relay_publish_latency_seconds_bucket{{channel=\"{channel}\",le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(
            out,
            "kraki_relay_publish_latency_seconds_sum{{channel=\"{channel}\"}} {}",
            stats.publish_nanos as f64 / 1e9
        );
        let _ = writeln!(
            out,
            "kraki_relay_publish_latency_seconds_count{{channel=\"{channel}\"}} {total}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP kraki_relay_nats_reconnects_total NATS connections re-established after a loss."
    );
    let _ = writeln!(out, "# TYPE kraki_relay_nats_reconnects_total counter");
    let whole = counters.snapshot();
    let _ = writeln!(
        out,
        "kraki_relay_nats_reconnects_total {}",
        whole.nats_reconnects
    );
    let _ = writeln!(
        out,
        "# HELP kraki_relay_buffered_bytes Bytes the messages waiting towards NATS take, about (bounded by --buffer-bytes)."
    );
    let _ = writeln!(out, "# TYPE kraki_relay_buffered_bytes gauge");
    let _ = writeln!(out, "kraki_relay_buffered_bytes {}", whole.buffered_bytes);
    out
}

/// One family of per-channel samples: its `HELP` and `TYPE` lines, then
/// a sample per channel.
fn family(
    out: &mut String,
    channels: &[(String, RelayStats)],
    name: &str,
    kind: &str,
    help: &str,
    value: impl Fn(&RelayStats) -> u64,
) {
    let _ = writeln!(out, "# HELP kraki_relay_{name} {help}");
    let _ = writeln!(out, "# TYPE kraki_relay_{name} {kind}");
    for (channel, stats) in channels {
        let _ = writeln!(
            out,
            "kraki_relay_{name}{{channel=\"{channel}\"}} {}",
            value(stats)
        );
    }
}

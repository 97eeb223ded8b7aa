//! Book checksums recomputed independently of kraki-proto: the wire
//! number text (which must carry exactly the pair's precision), a naive
//! book per side and a bitwise CRC-32. Two client books are kept: one that
//! truncates after each whole message, as the docs describe, and one that
//! truncates after every single level, which only stays right when each
//! side lists deletes, then refills, then new levels (Kraken's order).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{connect, drain, next_response, send};
use kraki_sim::Simulator;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Deserialize)]
struct Frame {
    channel: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    data: Vec<BookMsg>,
}

#[derive(Deserialize)]
struct BookMsg {
    bids: Vec<Level>,
    asks: Vec<Level>,
    checksum: u32,
}

#[derive(Deserialize)]
struct Level {
    price: Box<RawValue>,
    qty: Box<RawValue>,
}

/// The wire text of a number, checked to have exactly `decimals` places.
fn text(raw: &RawValue, decimals: usize) -> String {
    let t = raw.get().to_owned();
    let places = t.split_once('.').map_or(0, |(_, f)| f.len());
    assert_eq!(places, decimals, "{t} is not padded to {decimals} places");
    assert!(!t.contains(['e', 'E', '"']), "{t}");
    t
}

fn digits(t: &str) -> String {
    let d = t.replace('.', "");
    let d = d.trim_start_matches('0');
    if d.is_empty() { "0".into() } else { d.into() }
}

/// One side: key orders best first (asks ascending, bids descending).
#[derive(Default)]
struct Side {
    bids: bool,
    levels: BTreeMap<i128, (String, String)>,
}

impl Side {
    fn key(&self, price: &str) -> i128 {
        let units: i128 = price.replace('.', "").parse().unwrap();
        if self.bids { -units } else { units }
    }

    fn apply(&mut self, price: String, qty: String) {
        let key = self.key(&price);
        if digits(&qty) == "0" {
            self.levels.remove(&key);
        } else {
            self.levels.insert(key, (price, qty));
        }
    }

    fn truncate(&mut self, depth: usize) {
        while self.levels.len() > depth {
            self.levels.pop_last();
        }
    }

    fn checksum_text(&self) -> String {
        self.levels
            .values()
            .take(10)
            .map(|(p, q)| digits(p) + &digits(q))
            .collect()
    }
}

struct Book {
    asks: Side,
    bids: Side,
}

impl Book {
    fn new() -> Book {
        Book {
            asks: Side::default(),
            bids: Side {
                bids: true,
                ..Side::default()
            },
        }
    }

    fn checksum(&self) -> u32 {
        crc32fast::hash((self.asks.checksum_text() + &self.bids.checksum_text()).as_bytes())
    }
}

#[tokio::test]
async fn checksums_match_an_independent_book_at_every_depth() {
    let sim = Simulator::builder()
        .seed(11)
        .paused(true)
        .spawn()
        .await
        .unwrap();
    // (symbol, price decimals, qty decimals, depth)
    let cases = [
        ("BTC/USD", 1, 8, 10),
        ("SHIB/USD", 8, 2, 25),
        ("DOGE/USD", 7, 8, 100),
        ("ETH/BTC", 5, 8, 500),
        ("ETH/USD", 2, 8, 1000),
    ];
    let mut sockets = Vec::new();
    for (symbol, _, _, depth) in cases {
        let mut ws = connect(&sim.public_url()).await;
        send(
            &mut ws,
            &format!(r#"{{"method":"subscribe","params":{{"channel":"book","symbol":["{symbol}"],"depth":{depth}}}}}"#),
        )
        .await;
        assert_eq!(next_response(&mut ws).await["success"], true);
        sockets.push(ws);
    }
    sim.advance(1500).await;
    let drained = futures_util::future::join_all(
        sockets
            .iter_mut()
            .map(|ws| drain(ws, Duration::from_millis(500))),
    )
    .await;
    for ((symbol, price_dp, qty_dp, depth), frames) in cases.into_iter().zip(drained) {
        let mut whole = Book::new();
        let mut per_level = Book::new();
        let mut updates = 0;
        for frame in &frames {
            let f: Frame = serde_json::from_str(frame).unwrap();
            if f.channel != "book" {
                continue;
            }
            let msg = &f.data[0];
            if f.kind.as_deref() == Some("snapshot") {
                assert_eq!(msg.bids.len(), depth, "{symbol} snapshot");
                assert_eq!(msg.asks.len(), depth, "{symbol} snapshot");
            } else {
                updates += 1;
            }
            for (book_side, levels) in [(true, &msg.bids), (false, &msg.asks)] {
                for level in levels {
                    let (p, q) = (text(&level.price, price_dp), text(&level.qty, qty_dp));
                    let (w, l) = if book_side {
                        (&mut whole.bids, &mut per_level.bids)
                    } else {
                        (&mut whole.asks, &mut per_level.asks)
                    };
                    w.apply(p.clone(), q.clone());
                    l.apply(p, q);
                    l.truncate(depth);
                }
            }
            whole.bids.truncate(depth);
            whole.asks.truncate(depth);
            assert_eq!(whole.checksum(), msg.checksum, "{symbol}: {frame}");
            assert_eq!(
                per_level.checksum(),
                msg.checksum,
                "{symbol} per level: {frame}"
            );
            // A stale level (a change the feed failed to send) shows up
            // sooner or later as a crossed book.
            let best_bid = -whole.bids.levels.keys().next().unwrap();
            let best_ask = *whole.asks.levels.keys().next().unwrap();
            assert!(best_bid < best_ask, "{symbol} crossed: {frame}");
            // Refills keep the book at full depth.
            assert_eq!(whole.bids.levels.len(), depth, "{symbol}");
            assert_eq!(whole.asks.levels.len(), depth, "{symbol}");
            assert_eq!(per_level.bids.levels, whole.bids.levels, "{symbol}");
            assert_eq!(per_level.asks.levels, whole.asks.levels, "{symbol}");
        }
        assert!(updates > 20, "{symbol}: only {updates} updates");
    }
    sim.shutdown().await;
}

//! Apply + verify per book update at depth 10, 100 and 1000, beside a naive
//! implementation (sorted maps of decimals, every checksum level formatted
//! as a string) in the same run; and the same from frame text through the
//! allocation-free parser.
//!
//! `cargo bench -p kraki-proto --bench book -- --measurement-time 3`
//!
//! The update streams come from a small exchange model: a deep book per
//! side, changes mostly near the top (70 % within the ten best levels, the
//! rest anywhere in the window), deletes refilled from below the window as
//! Kraken does, and inserts pushing the last level out.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::live_frames;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kraki_proto::book::{FastFrame, FrameParser, L2Book, Precision};
use kraki_proto::channels::{BookData, PriceLevel};
use kraki_proto::{Decimal, Inbound, MessageType, decode};
use std::collections::BTreeMap;
use std::hint::black_box;

const PRECISION: Precision = Precision::new(1, 8);
const UPDATES: usize = 20_000;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The reference: a map of decimals per side, each checksum formatting
/// every level as a string, as a first implementation would.
#[derive(Clone)]
struct Naive {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    depth: usize,
}

impl Naive {
    fn apply(&mut self, kind: MessageType, data: &BookData) -> bool {
        if kind == MessageType::Snapshot {
            self.bids.clear();
            self.asks.clear();
        }
        for (side, levels) in [(&mut self.bids, &data.bids), (&mut self.asks, &data.asks)] {
            for l in levels {
                if l.qty.is_zero() {
                    side.remove(&l.price);
                } else {
                    side.insert(l.price, l.qty);
                }
            }
        }
        while self.bids.len() > self.depth {
            self.bids.pop_first();
        }
        while self.asks.len() > self.depth {
            self.asks.pop_last();
        }
        self.checksum() == data.checksum
    }

    fn checksum(&self) -> u32 {
        let fmt = |d: &Decimal, prec: u8| {
            let s = d.with_scale(prec).unwrap().to_string().replace('.', "");
            let s = s.trim_start_matches('0');
            if s.is_empty() {
                "0".to_owned()
            } else {
                s.to_owned()
            }
        };
        let mut text = String::new();
        for (p, q) in self.asks.iter().take(10) {
            text += &fmt(p, PRECISION.price);
            text += &fmt(q, PRECISION.qty);
        }
        for (p, q) in self.bids.iter().rev().take(10) {
            text += &fmt(p, PRECISION.price);
            text += &fmt(q, PRECISION.qty);
        }
        crc32fast::hash(text.as_bytes())
    }
}

struct Stream {
    snapshot: BookData,
    updates: Vec<BookData>,
    frames: Vec<String>,
}

/// A side of the model exchange: price units → qty units, ranked so that
/// index 0 is the best level.
struct ModelSide {
    levels: BTreeMap<i64, i64>,
    bid: bool,
}

impl ModelSide {
    fn ranked(&self) -> Vec<(i64, i64)> {
        let it = self.levels.iter().map(|(p, q)| (*p, *q));
        if self.bid {
            it.rev().collect()
        } else {
            it.collect()
        }
    }
}

fn level(price: i64, qty: i64) -> PriceLevel {
    PriceLevel {
        price: Decimal::new(price, PRECISION.price).unwrap(),
        qty: Decimal::new(qty, PRECISION.qty).unwrap(),
    }
}

fn frame(kind: &str, data: &BookData) -> String {
    let side = |levels: &[PriceLevel]| {
        levels
            .iter()
            .map(|l| format!(r#"{{"price":{},"qty":{}}}"#, l.price, l.qty))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"BTC/USD","bids":[{}],"asks":[{}],"checksum":{},"timestamp":"2023-07-30T15:29:58.343415Z"}}]}}"#,
        side(&data.bids),
        side(&data.asks),
        data.checksum
    )
}

fn generate(depth: usize, seed: u64) -> Stream {
    let mut rng = Rng(seed);
    let mut sides = [
        ModelSide {
            levels: BTreeMap::new(),
            bid: true,
        },
        ModelSide {
            levels: BTreeMap::new(),
            bid: false,
        },
    ];
    let mid = 294_300i64;
    let qty = |rng: &mut Rng| 1 + rng.below(500_000_000) as i64;
    let restock = |side: &mut ModelSide, rng: &mut Rng| {
        while side.levels.len() < depth + 64 {
            let worst = side.ranked().last().map(|l| l.0);
            let gap = 1 + rng.below(4) as i64;
            let price = match (worst, side.bid) {
                (None, true) => mid,
                (None, false) => mid + 1,
                (Some(p), true) => p - gap,
                (Some(p), false) => p + gap,
            };
            side.levels.insert(price, qty(rng));
        }
    };
    for side in &mut sides {
        restock(side, &mut rng);
    }
    let mut naive = Naive {
        bids: BTreeMap::new(),
        asks: BTreeMap::new(),
        depth,
    };
    let top = |side: &ModelSide| -> Vec<PriceLevel> {
        side.ranked()
            .into_iter()
            .take(depth)
            .map(|(p, q)| level(p, q))
            .collect()
    };
    let mut snapshot = BookData {
        symbol: "BTC/USD".into(),
        bids: top(&sides[0]),
        asks: top(&sides[1]),
        checksum: 0,
        timestamp: None,
    };
    naive.apply(MessageType::Snapshot, &snapshot);
    snapshot.checksum = naive.checksum();
    let mut frames = vec![frame("snapshot", &snapshot)];
    let mut updates = Vec::with_capacity(UPDATES);
    while updates.len() < UPDATES {
        let s = rng.below(2) as usize;
        let side = &mut sides[s];
        let ranked = side.ranked();
        let window = depth.min(ranked.len());
        let i = if rng.below(10) < 7 {
            rng.below(window.min(10) as u64) as usize
        } else {
            rng.below(window as u64) as usize
        };
        let (price, _) = ranked[i];
        let mut changes = Vec::new();
        match rng.below(4) {
            0 | 1 => {
                let q = qty(&mut rng);
                side.levels.insert(price, q);
                changes.push(level(price, q));
            }
            2 => {
                side.levels.remove(&price);
                changes.push(level(price, 0));
                // The refill: the level that now enters the window.
                if let Some(&(p, q)) = ranked.get(depth) {
                    changes.push(level(p, q));
                }
            }
            _ => {
                // A new level just behind level i, if there is room.
                let next = ranked.get(i + 1).map(|l| l.0);
                let candidate = if side.bid { price - 1 } else { price + 1 };
                if next != Some(candidate) {
                    let q = qty(&mut rng);
                    side.levels.insert(candidate, q);
                    changes.push(level(candidate, q));
                } else {
                    let q = qty(&mut rng);
                    side.levels.insert(price, q);
                    changes.push(level(price, q));
                }
            }
        }
        restock(side, &mut rng);
        let (bids, asks) = if s == 0 {
            (changes, Vec::new())
        } else {
            (Vec::new(), changes)
        };
        let mut data = BookData {
            symbol: "BTC/USD".into(),
            bids,
            asks,
            checksum: 0,
            timestamp: None,
        };
        naive.apply(MessageType::Update, &data);
        data.checksum = naive.checksum();
        frames.push(frame("update", &data));
        updates.push(data);
    }
    Stream {
        snapshot,
        updates,
        frames,
    }
}

fn bench_depths(c: &mut Criterion) {
    for depth in [10usize, 100, 1000] {
        let stream = generate(depth, 0x9E37_79B9_7F4A_7C15 ^ depth as u64);
        let mut book = L2Book::new("BTC/USD", PRECISION, depth);
        assert!(
            book.apply(MessageType::Snapshot, &stream.snapshot)
                .unwrap()
                .is_verified()
        );
        // Every generated checksum verifies before anything is timed.
        let mut check = book.clone();
        for u in &stream.updates {
            assert!(check.apply(MessageType::Update, u).unwrap().is_verified());
        }
        let mut naive = Naive {
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            depth,
        };
        assert!(naive.apply(MessageType::Snapshot, &stream.snapshot));

        let mut group = c.benchmark_group(format!("l2_depth_{depth}"));
        group.throughput(Throughput::Elements(UPDATES as u64));
        group.sample_size(10);
        group.bench_function("apply_verify", |b| {
            b.iter_batched(
                || book.clone(),
                |mut book| {
                    for u in &stream.updates {
                        black_box(book.apply(MessageType::Update, u).unwrap().is_verified());
                    }
                    book
                },
                BatchSize::LargeInput,
            );
        });
        group.bench_function("naive_apply_verify", |b| {
            b.iter_batched(
                || naive.clone(),
                |mut naive| {
                    for u in &stream.updates {
                        black_box(naive.apply(MessageType::Update, u));
                    }
                    naive
                },
                BatchSize::LargeInput,
            );
        });
        let frames = &stream.frames[1..];
        let mut parser = FrameParser::new();
        group.bench_function("parse_apply_verify", |b| {
            b.iter_batched(
                || book.clone(),
                |mut book| {
                    for f in frames {
                        let Some(FastFrame::Book(msg)) = parser.parse(f) else {
                            panic!("not parsed: {f}");
                        };
                        for u in msg.updates() {
                            black_box(book.apply_update(msg.kind(), &u).unwrap().is_verified());
                        }
                    }
                    book
                },
                BatchSize::LargeInput,
            );
        });
        if depth == 10 {
            group.bench_function("decode_apply_verify", |b| {
                b.iter_batched(
                    || book.clone(),
                    |mut book| {
                        for f in frames {
                            let Ok(Inbound::Book(msg)) = decode(f) else {
                                panic!("not a book frame: {f}");
                            };
                            for u in &msg.data {
                                black_box(book.apply(msg.kind, u).unwrap().is_verified());
                            }
                        }
                        book
                    },
                    BatchSize::LargeInput,
                );
            });
            group.bench_function("parse_only", |b| {
                b.iter(|| {
                    for f in frames {
                        black_box(parser.parse(f).is_some());
                    }
                });
            });
        }
        group.finish();
    }
}

fn bench_live(c: &mut Criterion) {
    let Some(frames) = live_frames() else {
        eprintln!("note: the live capture is absent; its benchmark is skipped");
        return;
    };
    let mut parser = FrameParser::new();
    let mut group = c.benchmark_group("l2_live_capture");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function("parse_apply_verify", |b| {
        b.iter(|| {
            let mut book = L2Book::new("BTC/USD", PRECISION, 10);
            for f in &frames {
                let Some(FastFrame::Book(msg)) = parser.parse(f) else {
                    panic!("not parsed: {f}");
                };
                for u in msg.updates() {
                    assert!(book.apply_update(msg.kind(), &u).unwrap().is_verified());
                }
            }
            book
        });
    });
    group.finish();
}

criterion_group!(benches, bench_depths, bench_live);
criterion_main!(benches);

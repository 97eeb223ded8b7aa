//! Exact typed decode of the common messages, beside the usual inexact
//! approach (serde derive into `f64` structs) in the same run.
//!
//! `cargo bench -p kraki-proto --bench decode`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BOOK_1, EXECUTION, TICKER, TRADE, book, decode_f64};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let book_10 = book(10, "update");
    let book_25 = book(25, "snapshot");
    let cases: [(&str, &str); 6] = [
        ("ticker", TICKER),
        ("book_update_1", BOOK_1),
        ("book_update_10", &book_10),
        ("book_snapshot_25", &book_25),
        ("trade_2", TRADE),
        ("executions_trade", EXECUTION),
    ];
    for (name, frame) in cases {
        assert!(kraki_proto::decode(frame).is_ok(), "{name}");
        assert!(decode_f64(name, frame), "{name} (baseline)");
        let mut group = c.benchmark_group(name);
        group.bench_function("kraki_exact", |b| {
            b.iter(|| kraki_proto::decode(black_box(frame)).unwrap())
        });
        if name.starts_with("book") {
            // As a reader that hands each message back once applied.
            group.bench_function("kraki_exact_recycled", |b| {
                b.iter(|| kraki_proto::recycle(kraki_proto::decode(black_box(frame)).unwrap()))
            });
        }
        group.bench_function("serde_f64_baseline", |b| {
            b.iter(|| decode_f64(name, black_box(frame)))
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);

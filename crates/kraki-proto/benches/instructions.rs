//! Instruction counts (gungraun, on valgrind): the same for the same binary
//! and input whatever else the machine does, so that the ratios hold on a
//! shared 2-core box. Exact decode beside the serde-into-`f64` baseline,
//! and decode + apply + verify of the live capture per message.
//!
//! Needs valgrind and the runner of the same version as the `gungraun`
//! dev-dependency: `cargo install gungraun-runner --version 0.20.0`, then
//! `cargo bench -p kraki-proto --features instruction-counts --bench instructions`
//! (the feature keeps plain `cargo bench` working without them).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use gungraun::{library_benchmark, library_benchmark_group, main};
use kraki_proto::book::{FastFrame, FrameParser, L2Book, Precision};
use std::hint::black_box;

/// Decodes `frame` once, unmeasured, and recycles the message, as a
/// running client does: the measured decode then finds the thread's
/// buffer pool and timestamp cache set up. In a fresh process the first
/// decode also pays for setting them up (about 1,400 instructions), which
/// a client pays once per thread, not per message.
fn warmed(frame: &'static str) -> &'static str {
    if let Ok(msg) = kraki_proto::decode(frame) {
        kraki_proto::recycle(msg);
    }
    frame
}

#[library_benchmark]
#[bench::ticker(args = (common::TICKER), setup = warmed)]
#[bench::book_update_1(args = (common::BOOK_1), setup = warmed)]
#[bench::trade_2(args = (common::TRADE), setup = warmed)]
#[bench::executions_trade(args = (common::EXECUTION), setup = warmed)]
fn kraki_exact(frame: &str) -> bool {
    kraki_proto::decode(black_box(frame)).is_ok()
}

#[library_benchmark]
#[bench::ticker("ticker")]
#[bench::book_update_1("book_update_1")]
#[bench::trade_2("trade_2")]
#[bench::executions_trade("executions_trade")]
fn serde_f64_baseline(name: &str) -> bool {
    let frame = match name {
        "ticker" => common::TICKER,
        "trade_2" => common::TRADE,
        "executions_trade" => common::EXECUTION,
        _ => common::BOOK_1,
    };
    common::decode_f64(name, black_box(frame))
}

/// The live capture's 510 frames (empty when the file is absent: the
/// benchmark then measures nothing and says so).
fn live_frames() -> Vec<String> {
    let frames = common::live_frames().unwrap_or_default();
    if frames.is_empty() {
        eprintln!("note: the live capture is absent; l2_live measures nothing");
    }
    frames
}

// Parse, apply and verify every frame of the capture on a depth-10 book;
// divide the count by 510 for a message. (A plain comment: the attribute
// macro takes no doc attribute.)
#[library_benchmark]
#[bench::capture_510_frames(setup = live_frames)]
fn l2_live(frames: Vec<String>) -> usize {
    let mut parser = FrameParser::new();
    let mut book = L2Book::new("BTC/USD", Precision::new(1, 8), 10);
    let mut verified = 0;
    for frame in &frames {
        let Some(FastFrame::Book(msg)) = parser.parse(black_box(frame)) else {
            panic!("not a book frame: {frame}");
        };
        for update in msg.updates() {
            verified += usize::from(
                book.apply_update(msg.kind(), &update)
                    .unwrap()
                    .is_verified(),
            );
        }
    }
    assert_eq!(verified, frames.len());
    verified
}

library_benchmark_group!(name = decode; benchmarks = kraki_exact, serde_f64_baseline);
library_benchmark_group!(name = book; benchmarks = l2_live);
main!(library_benchmark_groups = decode, book);

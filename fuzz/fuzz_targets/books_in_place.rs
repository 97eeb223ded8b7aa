//! Frames, one per line, applied to books twice: parsed in place (as the
//! client and `kraki verify` do) and decoded into owned messages. The two
//! must agree on every frame: the in-place parser may decline a frame
//! (the decoder then takes it), but never accept one the decoder rejects
//! or read it differently. The precisions and the depth are the input's
//! first three bytes. The lines are also kept one after another in one
//! parser, as `kraki verify` parses a block on its reading thread, and
//! read back: each frame as it parses alone.

#![no_main]

use kraki_proto::book::{FastFrame, FrameParser, L2Book, L3Book, Precision};
use kraki_proto::{Inbound, decode};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;

/// The depths Kraken's book channel offers.
const DEPTHS: [usize; 5] = [10, 25, 100, 500, 1000];

fuzz_target!(|data: &[u8]| {
    // The first three bytes choose the price and quantity precisions (any
    // u8: they come from the instrument channel, so from the wire too) and
    // the depth; BTC/USD's are 1, 8 and 10.
    let Some((&[price, qty, depth], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let precision = Precision::new(price, qty);
    let depth = DEPTHS[usize::from(depth) % DEPTHS.len()];
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut parser = FrameParser::new();
    let mut l2 = (
        L2Book::new("BTC/USD", precision, depth),
        L2Book::new("BTC/USD", precision, depth),
    );
    let mut l3 = (
        L3Book::new("BTC/USD", precision, depth),
        L3Book::new("BTC/USD", precision, depth),
    );
    for line in text.lines() {
        let decoded = decode(line);
        match (parser.parse(line), decoded) {
            (None, _) => {}
            (Some(FastFrame::Book(frame)), Ok(Inbound::Book(message))) => {
                assert_eq!(frame.kind(), message.kind, "{line:?}");
                assert_eq!(frame.updates().len(), message.data.len(), "{line:?}");
                for (update, data) in frame.updates().zip(&message.data) {
                    let in_place = l2.0.apply_update(frame.kind(), &update);
                    let owned = l2.1.apply(message.kind, data);
                    assert_eq!(in_place, owned, "{line:?}");
                    assert_eq!(l2.0.checksum(), l2.1.checksum(), "{line:?}");
                    assert_eq!(l2.0.is_in_sync(), l2.1.is_in_sync(), "{line:?}");
                }
            }
            (Some(FastFrame::Level3(frame)), Ok(Inbound::Level3(message))) => {
                assert_eq!(frame.kind(), message.kind, "{line:?}");
                assert_eq!(frame.updates().len(), message.data.len(), "{line:?}");
                for (update, data) in frame.updates().zip(&message.data) {
                    let in_place = l3.0.apply_update(frame.kind(), &update);
                    let owned = l3.1.apply(message.kind, data);
                    assert_eq!(in_place, owned, "{line:?}");
                    assert_eq!(l3.0.checksum(), l3.1.checksum(), "{line:?}");
                    assert_eq!(l3.0.is_in_sync(), l3.1.is_in_sync(), "{line:?}");
                }
            }
            (Some(_), other) => {
                panic!("parsed in place but decoded as {other:?}: {line:?}")
            }
        }
    }
    let mut alone = FrameParser::new();
    let mut kept = FrameParser::new();
    let mut frames = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let expected = alone
            .parse_prefix(&text[start..])
            .map(|(f, used)| (describe(f), used));
        let got = kept.keep_prefix(text, start);
        assert_eq!(
            got.as_ref().map(|(_, used)| *used),
            expected.as_ref().map(|(_, used)| *used),
            "{line:?}"
        );
        if let (Some((frame, _)), Some((described, _))) = (got, expected) {
            frames.push((frame, described));
        }
        start += line.len();
    }
    for (frame, described) in &frames {
        assert_eq!(&describe(kept.kept(text, frame)), described);
    }
});

/// Everything a parsed frame holds, exactly (`1.0` is not `1.00`).
fn describe(frame: FastFrame<'_>) -> String {
    let mut out = String::new();
    match frame {
        FastFrame::Book(f) => {
            let _ = write!(out, "book {:?}", f.kind());
            for (update, text) in f.updates().zip(f.item_texts()) {
                let _ = write!(out, " {update:?} {text}");
            }
        }
        FastFrame::Level3(f) => {
            let _ = write!(out, "level3 {:?}", f.kind());
            for (update, text) in f.updates().zip(f.item_texts()) {
                let (symbol, bids) = (update.symbol, update.bids.len());
                let _ = write!(
                    out,
                    " {symbol} {bids} {} {:?}",
                    update.checksum, update.timestamp
                );
                for order in update.bids.iter().chain(update.asks.iter()) {
                    let _ = write!(out, " {order:?}");
                }
                let _ = write!(out, " {text}");
            }
        }
    }
    out
}

//! Frames, one per line, applied to books twice: parsed in place (as the
//! client and `kraki verify` do) and decoded into owned messages. The two
//! must agree on every frame: the in-place parser may decline a frame
//! (the decoder then takes it), but never accept one the decoder rejects
//! or read it differently. The precisions and the depth are the input's
//! first three bytes.

#![no_main]

use kraki_proto::book::{FastFrame, FrameParser, L2Book, L3Book, Precision};
use kraki_proto::{Inbound, decode};
use libfuzzer_sys::fuzz_target;

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
});

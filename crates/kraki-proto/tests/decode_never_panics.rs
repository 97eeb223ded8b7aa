//! Property test: no input makes `decode` or `decode_request` panic.
//! Inputs are the fixtures, truncated, with bytes replaced, inserted or
//! deleted, and fully random text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::{decode, decode_request};
use proptest::prelude::*;

const INBOUND: &str = include_str!("fixtures/inbound.jsonl");
const OUTBOUND: &str = include_str!("fixtures/outbound.jsonl");

fn corpus() -> Vec<&'static str> {
    INBOUND.lines().chain(OUTBOUND.lines()).collect()
}

/// Structural characters and number pieces make mutations hit the
/// interesting paths more often than uniform bytes would.
const INTERESTING: &[u8] = b"{}[]\":,0123456789.eE+-ntfu\\ ";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn mutated_fixtures(
        index in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<prop::sample::Index>()), 0..6),
    ) {
        let all = corpus();
        let base = all[index.index(all.len())].as_bytes();
        let mut bytes = base[..cut.index(base.len() + 1)].to_vec();
        for (at, op, pick) in edits {
            let c = INTERESTING[pick.index(INTERESTING.len())];
            if bytes.is_empty() {
                bytes.push(c);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = c,
                1 => bytes.insert(i, c),
                _ => { bytes.remove(i); }
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = decode(&text);
        let _ = decode_request(&text);
    }

    #[test]
    fn random_text(text in "\\PC{0,200}") {
        let _ = decode(&text);
        let _ = decode_request(&text);
    }

    #[test]
    fn truncations_of_every_fixture_fail_cleanly(index in any::<prop::sample::Index>()) {
        let all = corpus();
        let frame = all[index.index(all.len())];
        for end in 0..frame.len() {
            if !frame.is_char_boundary(end) {
                continue;
            }
            let cut = &frame[..end];
            // A strict prefix of a JSON object is never a complete object.
            prop_assert!(decode(cut).is_err(), "{cut}");
        }
    }
}

//! The names a relay and its consumers agree on: streams, subjects,
//! headers and message ids. Any NATS client in any language can follow
//! them with this file and Kraken's documentation.

use super::msg_id::MsgId;

/// The stream of Kraken frames, one symbol's item per message.
pub const STREAM: &str = "KRAKI";
/// The subjects of [`STREAM`].
pub const STREAM_SUBJECTS: &str = "kraki.>";
/// The stream keeping the latest verified book per subject (one message
/// per subject), where a late consumer starts.
pub const SNAPSHOT_STREAM: &str = "KRAKI_SNAPSHOTS";
/// The subjects of [`SNAPSHOT_STREAM`]. Outside `kraki.>` on purpose: a
/// stream's per-subject limit applies to all its subjects, and the data
/// stream must keep every message.
pub const SNAPSHOT_SUBJECTS: &str = "kraki-snapshot.>";
/// On a snapshot kept in [`SNAPSHOT_STREAM`]: the sequence in [`STREAM`]
/// of the last message the snapshot includes. A consumer applies the
/// snapshot, then the subject's messages after that sequence.
pub const SEQ_HEADER: &str = "Kraki-Seq";
/// On book snapshots: the pair's price precision (decimals), which the
/// checksum needs.
pub const PRICE_PRECISION_HEADER: &str = "Kraki-Price-Precision";
/// On book snapshots: the pair's quantity precision (decimals).
pub const QTY_PRECISION_HEADER: &str = "Kraki-Qty-Precision";
/// On book snapshots: the subscription's depth, to which the book is cut.
pub const DEPTH_HEADER: &str = "Kraki-Depth";

/// `kraki.<channel>.<symbol with / as _>`, e.g. `kraki.book.BTC_USD`.
pub fn subject(channel: &str, symbol: &str) -> String {
    format!("kraki.{channel}.{}", token(symbol))
}

/// `kraki-snapshot.<channel>.<symbol with / as _>`: where the latest
/// verified book of [`subject`] is kept.
pub fn snapshot_subject(channel: &str, symbol: &str) -> String {
    format!("kraki-snapshot.{channel}.{}", token(symbol))
}

/// A symbol as one subject token: `/` (and anything else NATS gives a
/// meaning to, such as `.`, `*`, `>` or white space) becomes `_`.
fn token(symbol: &str) -> String {
    symbol
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A message id derived from the message alone, so that two relays on
/// the same feed (or one restarted) send the same id for the same frame
/// and JetStream stores it once: XXH3-128 of the payload, seeded with
/// XXH3-64 of the subject, in hex. Computed for every message, it must
/// be cheap (SHA-256 cost the relay four times as much CPU), and a
/// non-cryptographic hash is enough: the content is Kraken's, not chosen
/// to collide, and 128 bits make a chance collision within the duplicate
/// window negligible.
pub(crate) fn content_id(subject: &str, payload: &[u8]) -> MsgId {
    ContentIds::for_subject(subject).of(payload)
}

/// [`content_id`] for one subject's messages, its subject hashed once
/// rather than for every message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContentIds {
    seed: u64,
}

impl ContentIds {
    pub(crate) fn for_subject(subject: &str) -> Self {
        ContentIds {
            seed: xxhash_rust::xxh3::xxh3_64(subject.as_bytes()),
        }
    }

    pub(crate) fn of(self, payload: &[u8]) -> MsgId {
        let digest = xxhash_rust::xxh3::xxh3_128_with_seed(payload, self.seed).to_be_bytes();
        // Written into the id itself, two digits per byte from a table:
        // a `format!` per byte, or a string per id, was a measurable part
        // of the relay's CPU per message.
        let mut id = [0u8; 32];
        for (pair, byte) in id.chunks_exact_mut(2).zip(digest) {
            pair.copy_from_slice(&HEX_PAIRS[usize::from(byte)]);
        }
        MsgId::Content(id)
    }
}

/// Each byte's two lowercase hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [HEX[byte >> 4], HEX[byte & 0xf]];
        byte += 1;
    }
    pairs
};

/// A trade's message id: its pair and `trade_id` (unique per pair), so a
/// trade repeated by a later subscribe's snapshot is stored once.
pub(crate) fn trade_id(symbol: &str, trade_id: u64) -> String {
    format!("trade:{symbol}:{trade_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_channel_and_pair() {
        assert_eq!(subject("book", "BTC/USD"), "kraki.book.BTC_USD");
        assert_eq!(subject("trade", "A.B/C*D"), "kraki.trade.A_B_C_D");
        assert_eq!(
            snapshot_subject("book", "ETH/EUR"),
            "kraki-snapshot.book.ETH_EUR"
        );
    }

    #[test]
    fn content_ids_depend_on_subject_and_payload_only() {
        let a = content_id("kraki.book.BTC_USD", b"{}");
        assert_eq!(a, content_id("kraki.book.BTC_USD", b"{}"));
        // XXH3-128 of "{}" seeded with XXH3-64 of the subject, as Python's
        // `xxhash` package computes it too: relays on one feed must agree.
        assert_eq!(a.as_bytes(), b"f67bc03aee18350a63c0f96686bed3c1");
        assert_ne!(a, content_id("kraki.book.ETH_USD", b"{}"));
        assert_ne!(a, content_id("kraki.book.BTC_USD", b"{ }"));
        assert_eq!(trade_id("BTC/USD", 42), "trade:BTC/USD:42");
    }
}

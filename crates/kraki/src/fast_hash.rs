//! Hashing for the maps the socket reader consults on every frame. The
//! standard SipHash costs tens of nanoseconds per lookup, more than the
//! lookup itself; these maps hold the client's own subscription ids and
//! route hashes, not keys an attacker picks, and a collision costs a
//! comparison, never a wrong answer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// An odd constant with well-spread bits (the one FxHash uses).
const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

/// Folds one word into `hash`.
pub(crate) fn mix(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER)
}

/// Folds `bytes` into `hash` eight at a time, then their length, so that
/// "ab" + "c" and "a" + "bc" differ.
pub(crate) fn mix_bytes(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        hash = mix(hash, u64::from_le_bytes(w));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        hash = mix(hash, tail_word(rest));
    }
    mix(hash, bytes.len() as u64)
}

/// The last 1 to 7 bytes as one word, by at most two fixed-size loads (a
/// copy of a variable length would call `memcpy`, which costs more than
/// the whole hash). With the length mixed in after, overlapping loads
/// lose nothing.
fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let u32_at = |i: usize| {
        let mut w = [0; 4];
        w.copy_from_slice(&rest[i..i + 4]);
        u64::from(u32::from_le_bytes(w))
    };
    if n >= 4 {
        u32_at(0) | u32_at(n - 4) << 32
    } else {
        rest.iter().fold(0, |w, &b| w << 8 | u64::from(b))
    }
}

/// A hasher for keys that are one `u64` (ids, hashes): one multiply,
/// which spreads sequential ids over the high bits the table probes by.
#[derive(Default)]
pub(crate) struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = mix_bytes(self.0, bytes);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = mix(self.0, n);
    }
}

/// A map keyed by one `u64` (or a newtype of one).
pub(crate) type WordMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    #[test]
    fn sequential_ids_spread_and_split_strings_differ() {
        let build = BuildHasherDefault::<WordHasher>::default();
        let tags: std::collections::HashSet<u64> =
            (0..64u64).map(|id| build.hash_one(id) >> 57).collect();
        // 64 ids over 128 possible 7-bit tags: far from all alike.
        assert!(tags.len() > 30, "{}", tags.len());
        assert_ne!(
            mix_bytes(mix_bytes(0, b"ab"), b"c"),
            mix_bytes(mix_bytes(0, b"a"), b"bc")
        );
        let mut h = WordHasher::default();
        "BTC/USD".hash(&mut h);
        assert_ne!(h.finish(), 0);
    }
}

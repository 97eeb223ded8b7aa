//! The wire subscriptions of one connection, found by key and by route.
//!
//! Every data frame names a channel and a symbol; with hundreds of pairs
//! subscribed, scanning every subscription per frame would cost more than
//! decoding it. Entries are grouped by a hash of (channel, symbol), so the
//! reader finds a frame's subscriptions in one lookup plus a scan of the
//! few that differ only in params (depth, interval, trigger).
//!
//! The route hash is a word-at-a-time hash (two words for a typical
//! channel and symbol), seeded per table. Two routes that share a hash
//! share a bucket and are told apart by their keys, so a collision costs a
//! comparison, never a wrong route.

use crate::fast_hash::{WordMap, mix, mix_bytes};
use kraki_proto::{Channel, SubscribeParams};
use std::hash::{BuildHasher, RandomState};

/// One wire subscription: a channel, one symbol and the params that make
/// it distinct (what an unsubscribe must echo).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct WireKey {
    pub(crate) channel: Channel,
    pub(crate) symbol: Option<String>,
    pub(crate) depth: Option<u32>,
    pub(crate) interval: Option<u32>,
    pub(crate) event_trigger: Option<String>,
}

impl WireKey {
    /// One key per symbol of a (possibly multi-symbol) subscribe.
    pub(crate) fn split(params: &SubscribeParams) -> Vec<WireKey> {
        let base = |symbol: Option<String>| WireKey {
            channel: params.channel.clone(),
            symbol,
            depth: params.depth,
            interval: params.interval,
            event_trigger: params.event_trigger.as_ref().map(|t| t.as_str().to_owned()),
        };
        match &params.symbol {
            Some(symbols) => symbols
                .iter()
                .map(|s| base(Some(s.as_str().to_owned())))
                .collect(),
            None => vec![base(None)],
        }
    }
}

/// A key's symbol as a frame's route is compared with it, kept in the
/// entry itself: a symbol of up to [`SymbolHead::INLINE`] bytes (every
/// Kraken pair's) is compared without reading its string, which among
/// hundreds of pairs is a cache miss of its own for every frame.
#[derive(Clone, Copy)]
struct SymbolHead {
    /// The symbol's length, or [`SymbolHead::NONE`] or
    /// [`SymbolHead::LONG`].
    len: u8,
    bytes: [u8; SymbolHead::INLINE],
}

impl SymbolHead {
    const INLINE: usize = 22;
    const NONE: u8 = u8::MAX;
    const LONG: u8 = u8::MAX - 1;

    fn of(symbol: Option<&str>) -> SymbolHead {
        let mut head = SymbolHead {
            len: SymbolHead::NONE,
            bytes: [0; SymbolHead::INLINE],
        };
        match symbol {
            None => {}
            Some(s) if s.len() <= SymbolHead::INLINE => {
                head.bytes[..s.len()].copy_from_slice(s.as_bytes());
                head.len = s.len() as u8;
            }
            Some(_) => head.len = SymbolHead::LONG,
        }
        head
    }
}

/// One entry of a bucket: the key, what it maps to, and its symbol's head.
struct Entry<V> {
    head: SymbolHead,
    key: WireKey,
    value: V,
}

impl<V> Entry<V> {
    fn new(key: WireKey, value: V) -> Self {
        Entry {
            head: SymbolHead::of(key.symbol.as_deref()),
            key,
            value,
        }
    }

    fn routes_to(&self, channel: &str, symbol: Option<&[u8]>) -> bool {
        if self.key.channel.as_str() != channel {
            return false;
        }
        match (self.head.len, symbol) {
            (SymbolHead::NONE, None) => true,
            (SymbolHead::LONG, Some(symbol)) => {
                self.key.symbol.as_deref().map(str::as_bytes) == Some(symbol)
            }
            // The length first: a frame's symbol of 254 or 255 bytes must
            // not pass for the markers.
            (len, Some(symbol))
                if symbol.len() <= SymbolHead::INLINE && usize::from(len) == symbol.len() =>
            {
                self.head.bytes[..symbol.len()] == *symbol
            }
            _ => false,
        }
    }
}

/// A map from [`WireKey`] to `V`, also searchable by (channel, symbol).
pub(crate) struct WireTable<V> {
    seed: u64,
    /// Entries by the hash of their route; a bucket holds every entry of
    /// one route (and, rarely, of another route with the same hash).
    buckets: WordMap<u64, Vec<Entry<V>>>,
}

impl<V> Default for WireTable<V> {
    fn default() -> Self {
        WireTable {
            seed: RandomState::new().hash_one(0u8),
            buckets: WordMap::default(),
        }
    }
}

impl<V> WireTable<V> {
    fn route_hash(&self, channel: &str, symbol: Option<&[u8]>) -> u64 {
        let hash = mix_bytes(self.seed, channel.as_bytes());
        match symbol {
            Some(symbol) => mix_bytes(hash, symbol),
            // A length no symbol has.
            None => mix(hash, u64::MAX),
        }
    }

    fn key_hash(&self, key: &WireKey) -> u64 {
        self.route_hash(
            key.channel.as_str(),
            key.symbol.as_deref().map(str::as_bytes),
        )
    }

    pub(crate) fn get(&self, key: &WireKey) -> Option<&V> {
        let bucket = self.buckets.get(&self.key_hash(key))?;
        bucket.iter().find(|e| e.key == *key).map(|e| &e.value)
    }

    pub(crate) fn get_mut(&mut self, key: &WireKey) -> Option<&mut V> {
        let hash = self.key_hash(key);
        let bucket = self.buckets.get_mut(&hash)?;
        bucket
            .iter_mut()
            .find(|e| e.key == *key)
            .map(|e| &mut e.value)
    }

    /// The entry for `key`, made with `make` if there is none.
    pub(crate) fn get_or_insert_with(&mut self, key: &WireKey, make: impl FnOnce() -> V) -> &mut V {
        let hash = self.key_hash(key);
        let bucket = self.buckets.entry(hash).or_default();
        let i = match bucket.iter().position(|e| e.key == *key) {
            Some(i) => i,
            None => {
                bucket.push(Entry::new(key.clone(), make()));
                bucket.len() - 1
            }
        };
        &mut bucket[i].value
    }

    pub(crate) fn remove(&mut self, key: &WireKey) -> Option<V> {
        let hash = self.key_hash(key);
        let bucket = self.buckets.get_mut(&hash)?;
        let i = bucket.iter().position(|e| e.key == *key)?;
        let Entry { value, .. } = bucket.swap_remove(i);
        if bucket.is_empty() {
            self.buckets.remove(&hash);
        }
        Some(value)
    }

    pub(crate) fn clear(&mut self) {
        self.buckets.clear();
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&WireKey, &V)> {
        self.buckets.values().flatten().map(|e| (&e.key, &e.value))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.buckets.values().flatten().map(|e| &e.value)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.buckets.values_mut().flatten().map(|e| &mut e.value)
    }

    /// The entries a frame of `channel` and `symbol` (its bytes, as the
    /// frame has them) goes to, to look at.
    pub(crate) fn routed<'a>(
        &'a self,
        channel: &'a str,
        symbol: Option<&'a [u8]>,
    ) -> impl Iterator<Item = &'a V> + 'a {
        let hash = self.route_hash(channel, symbol);
        self.buckets
            .get(&hash)
            .into_iter()
            .flatten()
            .filter(move |e| e.routes_to(channel, symbol))
            .map(|e| &e.value)
    }

    /// The entries a frame of `channel` and `symbol` goes to.
    pub(crate) fn routed_mut<'a>(
        &'a mut self,
        channel: &'a str,
        symbol: Option<&'a str>,
    ) -> impl Iterator<Item = &'a mut V> + 'a {
        let symbol = symbol.map(str::as_bytes);
        let hash = self.route_hash(channel, symbol);
        self.buckets
            .get_mut(&hash)
            .into_iter()
            .flatten()
            .filter(move |e| e.routes_to(channel, symbol))
            .map(|e| &mut e.value)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(channel: &str, symbol: Option<&str>, depth: Option<u32>) -> WireKey {
        WireKey {
            channel: Channel::from(channel),
            symbol: symbol.map(str::to_owned),
            depth,
            interval: None,
            event_trigger: None,
        }
    }

    #[test]
    fn entries_are_found_by_key_and_by_route() {
        let mut table = WireTable::default();
        let book_10 = key("book", Some("BTC/USD"), Some(10));
        let book_100 = key("book", Some("BTC/USD"), Some(100));
        let eth = key("book", Some("ETH/USD"), Some(10));
        let instrument = key("instrument", None, None);
        for (i, k) in [&book_10, &book_100, &eth, &instrument]
            .into_iter()
            .enumerate()
        {
            *table.get_or_insert_with(k, || 0) += i + 1;
        }
        // Inserting again finds the entry rather than adding one.
        *table.get_or_insert_with(&book_10, || 100) += 10;
        assert_eq!(table.get(&book_10), Some(&11));
        assert_eq!(table.iter().count(), 4);

        let mut btc: Vec<usize> = table
            .routed_mut("book", Some("BTC/USD"))
            .map(|v| *v)
            .collect();
        btc.sort_unstable();
        assert_eq!(btc, [2, 11]);
        assert_eq!(table.routed_mut("instrument", None).count(), 1);
        assert_eq!(table.routed_mut("book", None).count(), 0);
        assert_eq!(table.routed_mut("ticker", Some("BTC/USD")).count(), 0);

        assert_eq!(table.remove(&book_100), Some(2));
        assert_eq!(table.remove(&book_100), None);
        assert_eq!(table.routed_mut("book", Some("BTC/USD")).count(), 1);
        for v in table.values_mut() {
            *v = 0;
        }
        assert!(table.values().all(|v| *v == 0));
        table.clear();
        assert_eq!(table.get(&eth), None);
    }

    #[test]
    fn short_long_and_no_symbols_route_only_to_their_own_entries() {
        let mut table = WireTable::default();
        let longest_inline = "A".repeat(SymbolHead::INLINE);
        let long = "B".repeat(SymbolHead::INLINE + 1);
        let keys = [
            key("book", Some("BTC/USD"), None),
            key("book", Some(&longest_inline), None),
            key("book", Some(&long), None),
            key("book", None, None),
        ];
        for (i, k) in keys.iter().enumerate() {
            *table.get_or_insert_with(k, || 0) = i + 1;
        }
        let routed = |table: &mut WireTable<usize>, symbol: Option<&str>| {
            table
                .routed_mut("book", symbol)
                .map(|v| *v)
                .collect::<Vec<_>>()
        };
        assert_eq!(routed(&mut table, Some("BTC/USD")), [1]);
        assert_eq!(routed(&mut table, Some(&longest_inline)), [2]);
        assert_eq!(routed(&mut table, Some(&long)), [3]);
        assert_eq!(routed(&mut table, None), [4]);
        // Near misses, and lengths that are the head's markers: a peer
        // picks the symbols of the frames it sends.
        for other in [
            "BTC/USE".to_owned(),
            "BTC/US".to_owned(),
            "A".repeat(SymbolHead::INLINE - 1),
            "B".repeat(SymbolHead::INLINE + 2),
            "C".repeat(usize::from(SymbolHead::LONG)),
            "C".repeat(usize::from(SymbolHead::NONE)),
            String::new(),
        ] {
            assert!(routed(&mut table, Some(&other)).is_empty(), "{other}");
        }
        assert!(table.routed_mut("ticker", Some("BTC/USD")).next().is_none());
        // Two routes meet in a bucket only when their hashes collide, so
        // the markers are checked on the entries themselves.
        for k in &keys[2..] {
            let entry = Entry::new(k.clone(), ());
            for len in [SymbolHead::LONG, SymbolHead::NONE] {
                let symbol = "C".repeat(usize::from(len));
                assert!(!entry.routes_to("book", Some(symbol.as_bytes())));
            }
        }
    }

    #[test]
    fn split_gives_one_key_per_symbol() {
        let params =
            SubscribeParams::with_symbols(kraki_proto::Channel::Book, ["BTC/USD", "ETH/USD"]);
        let keys = WireKey::split(&params);
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].symbol.as_deref(), Some("ETH/USD"));
        assert_eq!(keys[0].channel, Channel::Book);
    }
}

//! The engine's feeds, grouped by the market they follow.
//!
//! Every market event goes to the feeds of its own market only. With
//! hundreds of pairs (`kraki sim --pairs 500`), looking through every feed
//! at every event cost the simulator most of a core; a market's own feeds
//! are a handful.

/// One stream of frames that several connections can share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum FeedKey {
    Book { market: usize, depth: usize },
    Ticker { market: usize, bbo: bool },
    Trade { market: usize },
    Ohlc { market: usize, interval: u32 },
    Instrument,
    Level3 { market: usize, depth: usize },
}

impl FeedKey {
    /// The market (index) the feed follows; `None` for `instrument`.
    pub(crate) fn market(&self) -> Option<usize> {
        match self {
            FeedKey::Book { market, .. }
            | FeedKey::Ticker { market, .. }
            | FeedKey::Trade { market }
            | FeedKey::Ohlc { market, .. }
            | FeedKey::Level3 { market, .. } => Some(*market),
            FeedKey::Instrument => None,
        }
    }
}

/// Feeds by market, and those of no market (`instrument`).
pub(crate) struct FeedTable<F> {
    by_market: Vec<Vec<(FeedKey, F)>>,
    unmarketed: Vec<(FeedKey, F)>,
}

impl<F> FeedTable<F> {
    pub(crate) fn new(markets: usize) -> Self {
        FeedTable {
            by_market: (0..markets).map(|_| Vec::new()).collect(),
            unmarketed: Vec::new(),
        }
    }

    /// The feed of `key`, made with `make` if there is none.
    pub(crate) fn get_or_insert_with(&mut self, key: FeedKey, make: impl FnOnce() -> F) -> &mut F {
        let group = self.group_mut(key.market());
        let i = match group.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                group.push((key, make()));
                group.len() - 1
            }
        };
        &mut group[i].1
    }

    /// The feeds of `market` (or, for `None`, of no market), after
    /// dropping those `keep` refuses: a feed nobody listens to any more
    /// goes when its market next moves.
    pub(crate) fn group(
        &mut self,
        market: Option<usize>,
        keep: impl FnMut(&(FeedKey, F)) -> bool,
    ) -> &mut [(FeedKey, F)] {
        let group = self.group_mut(market);
        group.retain(keep);
        group
    }

    fn group_mut(&mut self, market: Option<usize>) -> &mut Vec<(FeedKey, F)> {
        match market {
            Some(m) => {
                // A market beyond those counted at the start has no
                // feeds yet: its group is made on first use.
                if m >= self.by_market.len() {
                    self.by_market.resize_with(m + 1, Vec::new);
                }
                &mut self.by_market[m]
            }
            None => &mut self.unmarketed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(table: &mut FeedTable<u32>, key: FeedKey) -> Option<u32> {
        let group = table.group(key.market(), |_| true);
        group.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
    }

    #[test]
    fn a_market_sees_only_its_own_feeds_and_closed_ones_go() {
        let mut table = FeedTable::new(3);
        *table.get_or_insert_with(FeedKey::Trade { market: 1 }, || 10) += 1;
        *table.get_or_insert_with(FeedKey::Trade { market: 1 }, || 99) += 1;
        table.get_or_insert_with(
            FeedKey::Book {
                market: 1,
                depth: 10,
            },
            || 20,
        );
        table.get_or_insert_with(
            FeedKey::Book {
                market: 2,
                depth: 10,
            },
            || 30,
        );
        table.get_or_insert_with(FeedKey::Instrument, || 40);
        // One feed per key: the second insert found the first.
        assert_eq!(feed(&mut table, FeedKey::Trade { market: 1 }), Some(12));

        let keys: Vec<FeedKey> = table
            .group(Some(1), |_| true)
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(
            keys,
            [
                FeedKey::Trade { market: 1 },
                FeedKey::Book {
                    market: 1,
                    depth: 10
                }
            ]
        );
        assert_eq!(table.group(None, |_| true).len(), 1);
        assert!(table.group(Some(0), |_| true).is_empty());

        // A market's closed feeds go when it moves; others stay.
        assert_eq!(table.group(Some(1), |(_, f)| *f != 12).len(), 1);
        assert_eq!(feed(&mut table, FeedKey::Trade { market: 1 }), None);
        let book = FeedKey::Book {
            market: 2,
            depth: 10,
        };
        assert_eq!(feed(&mut table, book), Some(30));
    }

    #[test]
    fn a_market_beyond_the_first_count_gets_its_group_on_first_use() {
        let mut table = FeedTable::new(0);
        table.get_or_insert_with(
            FeedKey::Level3 {
                market: 4,
                depth: 10,
            },
            || 1,
        );
        assert_eq!(table.group(Some(4), |_| true).len(), 1);
        assert!(table.group(Some(3), |_| true).is_empty());
        let unknown = FeedKey::Level3 {
            market: 9,
            depth: 10,
        };
        assert_eq!(feed(&mut table, unknown), None);
    }
}

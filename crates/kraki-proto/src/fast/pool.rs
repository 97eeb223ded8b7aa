//! Buffers of decoded book messages, handed back with [`crate::recycle`]
//! and reused by the next decode on the same thread, so that a reader
//! that decodes, applies and drops book frames allocates nothing per
//! frame. Per thread, so there is nothing to lock; bounded, so a burst of
//! large snapshots does not stay in memory.

use crate::channels::{BookData, PriceLevel};
use std::cell::RefCell;

/// Buffers kept per kind; a reader recycles one message at a time, so a
/// few cover it.
const KEEP: usize = 8;
/// Larger level lists (snapshots of deep books) are freed, not kept.
const MAX_LEVELS: usize = 64;
/// Longer strings are freed, not kept.
const MAX_TEXT: usize = 64;

struct Pool {
    levels: Vec<Vec<PriceLevel>>,
    books: Vec<Vec<BookData>>,
    texts: Vec<String>,
}

thread_local! {
    // Const-initialized: no lazy-init check on each of the few accesses
    // per frame.
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            levels: Vec::new(),
            books: Vec::new(),
            texts: Vec::new(),
        })
    };
}

/// An empty level list, reused when one was recycled.
#[inline]
pub(crate) fn levels() -> Vec<PriceLevel> {
    POOL.with_borrow_mut(|p| p.levels.pop())
        .unwrap_or_else(|| Vec::with_capacity(4))
}

/// An empty record list for book data, reused when one was recycled.
#[inline]
pub(crate) fn books() -> Vec<BookData> {
    POOL.with_borrow_mut(|p| p.books.pop())
        .unwrap_or_else(|| Vec::with_capacity(1))
}

/// `text` in a string reused when one was recycled.
#[inline]
pub(crate) fn text(text: &str) -> String {
    match POOL.with_borrow_mut(|p| p.texts.pop()) {
        Some(mut s) => {
            s.push_str(text);
            s
        }
        None => text.to_owned(),
    }
}

/// Keeps the buffers of `data` (emptied) for the next decodes.
pub(crate) fn give_back(mut data: Vec<BookData>) {
    POOL.with_borrow_mut(|p| {
        for book in data.drain(..) {
            for mut side in [book.bids, book.asks] {
                if side.capacity() > 0 && side.capacity() <= MAX_LEVELS && p.levels.len() < KEEP {
                    side.clear();
                    p.levels.push(side);
                }
            }
            let mut symbol = book.symbol.into_string();
            if symbol.capacity() <= MAX_TEXT && p.texts.len() < KEEP {
                symbol.clear();
                p.texts.push(symbol);
            }
        }
        if data.capacity() <= KEEP && p.books.len() < KEEP {
            p.books.push(data);
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::{Decimal, Symbol};

    fn book(levels: usize) -> BookData {
        let level = PriceLevel {
            price: Decimal::new(15, 1).unwrap(),
            qty: Decimal::new(2, 0).unwrap(),
        };
        BookData {
            symbol: Symbol::from("BTC/USD"),
            bids: vec![level; levels],
            asks: Vec::new(),
            checksum: 0,
            timestamp: None,
        }
    }

    #[test]
    fn buffers_come_back_empty_and_deep_ones_are_freed() {
        // A thread of its own: the pool is per thread.
        std::thread::spawn(|| {
            give_back(vec![book(3)]);
            let reused = levels();
            assert!(reused.is_empty());
            assert!(
                reused.capacity() >= 3,
                "the recycled list: {}",
                reused.capacity()
            );
            assert_eq!(text("ETH/USD"), "ETH/USD");
            assert!(books().is_empty());

            give_back(vec![book(1000)]);
            assert!(levels().capacity() < 1000, "a deep list is not kept");
            for _ in 0..2 * KEEP {
                give_back(vec![book(2)]);
            }
            POOL.with_borrow(|p| {
                assert!(p.levels.len() <= KEEP && p.books.len() <= KEEP && p.texts.len() <= KEEP);
            });
        })
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
    }
}

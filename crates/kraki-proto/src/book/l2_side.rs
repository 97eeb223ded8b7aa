//! One side of an L2 book: levels in integer units, and the checksum
//! digits of its top ten levels kept up to date at the least cost.

use super::checksum::{SLACK, write_units};
use std::collections::VecDeque;

/// Levels that enter the checksum, per side.
pub(super) const CHECKSUM_LEVELS: usize = 10;

/// The checksum digits of one side's top ten levels (at most twenty digits
/// each for price and quantity), with room to write past the end.
pub(super) const TEXT: usize = CHECKSUM_LEVELS * 40 + SLACK;

/// Checksum digits a level keeps with it; longer ones (beyond sixteen
/// digits of price and quantity each) are written when needed instead.
const LEVEL_TEXT: usize = 30;

/// Levels searched one by one from the best before a binary search: most
/// changes are near the top.
const LINEAR: usize = 16;

/// A level in integer units of the pair's precision, with its checksum
/// digits (price then quantity) rendered when it changes rather than at
/// every checksum. `key` is the price for bids and the negated price for
/// asks, so that both sides sort ascending with the best level last.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub(super) key: i64,
    pub(super) qty: i64,
    text: [u8; LEVEL_TEXT],
    /// Length of the price digits in `text`.
    price_len: u8,
    /// Length of all the digits in `text`, or 0 when they did not fit.
    len: u8,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}, {})", self.key, self.qty)
    }
}

impl Entry {
    /// Both values are non-negative: checked when converted. The price's
    /// and the quantity's digits are written one after the other into one
    /// buffer with room to write past the end, then kept by one copy of a
    /// fixed size.
    fn new(key: i64, price: i64, qty: i64) -> Entry {
        // At most twenty digits of price, then room for the quantity's.
        let mut digits = [0u8; 20 + SLACK];
        let price_len = write_units(&mut digits, 0, price.unsigned_abs());
        let end = write_units(&mut digits, price_len, qty.unsigned_abs());
        let mut entry = Entry {
            key,
            qty,
            text: [0; LEVEL_TEXT],
            price_len: 0,
            len: 0,
        };
        if end <= LEVEL_TEXT {
            entry.text.copy_from_slice(&digits[..LEVEL_TEXT]);
            entry.price_len = price_len as u8;
            entry.len = end as u8;
        } else if price_len <= LEVEL_TEXT {
            // The quantity's digits do not fit: the price's are kept for
            // a later quantity that does.
            entry.text.copy_from_slice(&digits[..LEVEL_TEXT]);
            entry.price_len = price_len as u8;
        }
        entry
    }

    /// A new quantity: only its digits are written again, after the
    /// price's in a copy with room to write past the end, which goes back
    /// whole: two copies of a fixed size instead of one of a length known
    /// only here.
    fn set_qty(&mut self, qty: i64) {
        self.qty = qty;
        let mut digits = [0u8; LEVEL_TEXT + SLACK];
        digits[..LEVEL_TEXT].copy_from_slice(&self.text);
        let end = write_units(&mut digits, usize::from(self.price_len), qty.unsigned_abs());
        self.len = if self.price_len > 0 && end <= LEVEL_TEXT {
            self.text.copy_from_slice(&digits[..LEVEL_TEXT]);
            end as u8
        } else {
            0
        };
    }
}

/// One side, worst level first and best last: most changes happen near the
/// top of the book, where inserting into the deque moves few entries, and
/// truncation drops from the front, which is free.
#[derive(Clone)]
pub(super) struct Side {
    pub(super) levels: VecDeque<Entry>,
    bid: bool,
    /// The checksum digits of the top ten levels as last written, and
    /// where each level's digits start (the last entry: the end).
    text: [u8; TEXT],
    starts: [u16; CHECKSUM_LEVELS + 1],
    /// Levels in `text`.
    written: usize,
    /// The best position (0 = best level) whose digits may have changed
    /// since; the ones above it are as written. `CHECKSUM_LEVELS` or more:
    /// nothing to write.
    dirty_from: usize,
}

impl std::fmt::Debug for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Side")
            .field("bid", &self.bid)
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

impl Side {
    pub(super) fn new(bid: bool, depth: usize) -> Self {
        Side {
            levels: VecDeque::with_capacity(depth + 1),
            bid,
            text: [0; TEXT],
            starts: [0; CHECKSUM_LEVELS + 1],
            written: 0,
            dirty_from: 0,
        }
    }

    /// The price of a level from its key.
    pub(super) fn price(&self, key: i64) -> i64 {
        if self.bid { key } else { -key }
    }

    pub(super) fn clear(&mut self) {
        self.levels.clear();
        self.dirty_from = 0;
    }

    /// Reads a byte of each cache line of the checksum digits written,
    /// and where the levels are (for `L2Book::warm_sides`).
    pub(super) fn warm_text(&self) -> (u8, usize) {
        let end = usize::from(self.starts.get(self.written).copied().unwrap_or(0));
        let digits = (0..end)
            .step_by(64)
            .fold(0, |all, i| all ^ self.text.get(i).copied().unwrap_or(0));
        (digits, self.levels.len())
    }

    /// Reads every level's key (for `L2Book::warm_levels`).
    pub(super) fn warm_levels(&self) -> i64 {
        // Slice by slice: the deque's own iterator costs more than the
        // loads.
        let (front, back) = self.levels.as_slices();
        let keys = |levels: &[Entry]| levels.iter().fold(0, |all, level| all ^ level.key);
        keys(front) ^ keys(back)
    }

    /// Whether the checksum digits need writing again.
    pub(super) fn is_dirty(&self) -> bool {
        self.dirty_from < CHECKSUM_LEVELS
    }

    /// Where `key` is, or would go, as an index of `levels`.
    #[inline]
    fn find(&self, key: i64) -> Result<usize, usize> {
        let len = self.levels.len();
        // The best first: the deque's back slice from its end, then the
        // front one's, which is cheaper than the deque's own iterator.
        let (front, back) = self.levels.as_slices();
        let mut n = 0;
        'linear: for part in [back, front] {
            for level in part.iter().rev() {
                if n == LINEAR {
                    break 'linear;
                }
                if level.key <= key {
                    return if level.key == key {
                        Ok(len - 1 - n)
                    } else {
                        Err(len - n)
                    };
                }
                n += 1;
            }
        }
        if len <= LINEAR {
            return Err(0);
        }
        // Below the levels just looked at, wherever the deque wraps.
        self.levels.binary_search_by_key(&key, |l| l.key)
    }

    /// Sets (or with `qty` 0 deletes) the level at `price`.
    #[inline]
    pub(super) fn set(&mut self, price: i64, qty: i64) {
        let key = self.price(price);
        let len = self.levels.len();
        match (self.find(key), qty) {
            (Ok(i), 0) => {
                self.dirty_from = self.dirty_from.min(len - 1 - i);
                self.levels.remove(i);
            }
            (Ok(i), _) => {
                if let Some(level) = self.levels.get_mut(i) {
                    if level.qty != qty {
                        level.set_qty(qty);
                        self.dirty_from = self.dirty_from.min(len - 1 - i);
                    }
                }
            }
            (Err(_), 0) => {}
            (Err(i), _) => {
                self.dirty_from = self.dirty_from.min(len - i);
                self.levels.insert(i, Entry::new(key, price, qty));
            }
        }
    }

    pub(super) fn truncate(&mut self, depth: usize) {
        let excess = self.levels.len().saturating_sub(depth);
        if excess > 0 {
            self.levels.drain(..excess);
            // Only levels past the depth went, which matters for the
            // checksum when the depth is under ten.
            self.dirty_from = self.dirty_from.min(depth);
        }
    }

    /// The checksum digits of the top ten levels, written again from the
    /// first level that changed.
    pub(super) fn text(&mut self) -> &[u8] {
        if self.is_dirty() {
            let from = self.dirty_from.min(self.written);
            self.written = write_levels(
                &self.levels,
                self.bid,
                from,
                &mut self.text,
                &mut self.starts,
            );
            self.dirty_from = CHECKSUM_LEVELS;
        }
        let end = self.starts.get(self.written).copied().unwrap_or(0);
        self.text.get(..usize::from(end)).unwrap_or_default()
    }

    /// The checksum digits of the top ten levels as they stand, written into
    /// `out`; for a side whose own copy is out of date.
    pub(super) fn write_text(&self, out: &mut [u8; TEXT]) -> usize {
        let mut starts = [0; CHECKSUM_LEVELS + 1];
        let written = write_levels(&self.levels, self.bid, 0, out, &mut starts);
        usize::from(starts.get(written).copied().unwrap_or(0))
    }
}

/// Writes the checksum digits of the top ten levels from position `from`
/// (whose start is in `starts`) into `out`, recording where each starts;
/// returns how many levels `out` then holds.
///
/// The levels are walked as the deque's two slices, each backwards (best
/// first), rather than by the deque's own iterator, which checks at each
/// step which slice it is in: this runs for nearly every message, over
/// five levels or so.
fn write_levels(
    levels: &VecDeque<Entry>,
    bid: bool,
    from: usize,
    out: &mut [u8; TEXT],
    starts: &mut [u16; CHECKSUM_LEVELS + 1],
) -> usize {
    let mut pos = usize::from(starts.get(from).copied().unwrap_or(0));
    let mut written = from;
    // Indexes of the deque to write, worst first: down to the tenth best,
    // up to the one at position `from`.
    let len = levels.len();
    let (low, high) = (
        len.saturating_sub(CHECKSUM_LEVELS),
        len.saturating_sub(from),
    );
    let (front, back) = levels.as_slices();
    let split = front.len();
    let front_part = front
        .get(low.min(split)..high.min(split))
        .unwrap_or_default();
    let back_part = back
        .get(low.max(split) - split..high.max(split) - split)
        .unwrap_or_default();
    for part in [back_part, front_part] {
        for l in part.iter().rev() {
            if let Some(start) = starts.get_mut(written) {
                *start = pos as u16;
            }
            if l.len > 0 {
                // A fixed-size copy is cheaper than one of the exact
                // length; `out` has the room for it.
                out[pos..pos + LEVEL_TEXT].copy_from_slice(&l.text);
                pos += usize::from(l.len);
            } else {
                let price = if bid { l.key } else { -l.key };
                pos = write_units(out, pos, price.unsigned_abs());
                pos = write_units(out, pos, l.qty.unsigned_abs());
            }
            written += 1;
        }
    }
    if let Some(end) = starts.get_mut(written) {
        *end = pos as u16;
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The digits kept from message to message, written again only
        /// from the first level that changed, are those written from
        /// scratch, whatever the changes: insertions, removals and new
        /// quantities at every position, sides shorter and longer than ten
        /// levels and than the depth, a deque wrapped around its buffer,
        /// and levels whose digits are too long to keep.
        #[test]
        fn text_kept_up_to_date_equals_text_written_anew(
            bid in any::<bool>(),
            // Large prices with large quantities have digits too long to
            // keep with the level.
            base in prop::sample::select(vec![1_000i64, 1_000_000_000_000_000]),
            depth in prop::sample::select(vec![3usize, 10, 12, 40]),
            changes in prop::collection::vec(
                (0i64..30, prop_oneof![2 => Just(0i64), 3 => 1i64..3000, 1 => Just(i64::MAX / 3)]),
                1..80,
            ),
            check_every in 1usize..4,
        ) {
            let mut side = Side::new(bid, depth);
            for (n, &(price, qty)) in changes.iter().enumerate() {
                side.set(base + price, qty);
                side.truncate(depth);
                if n % check_every == 0 {
                    let mut anew = [0; TEXT];
                    let len = side.write_text(&mut anew);
                    prop_assert_eq!(side.text(), &anew[..len]);
                    prop_assert!(!side.is_dirty());
                }
            }
        }
    }

    /// The reference the test above compares with, checked by hand: the
    /// top ten levels' digits, best first, the eleventh left out.
    #[test]
    fn text_is_the_top_ten_best_first() {
        let mut side = Side::new(true, 25);
        for price in 1..=12 {
            side.set(price * 10, price);
        }
        let mut out = [0; TEXT];
        let len = side.write_text(&mut out);
        let expected: String = (3..=12).rev().map(|p| format!("{}{p}", p * 10)).collect();
        assert_eq!(std::str::from_utf8(&out[..len]).unwrap(), expected);
        assert_eq!(side.text(), expected.as_bytes());
    }
}

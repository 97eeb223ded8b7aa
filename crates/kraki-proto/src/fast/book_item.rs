//! One item of a `book` or `level3` message — `symbol`, `bids`, `asks`,
//! `checksum`, `timestamp` — read in place. The caller reads the two sides,
//! into whatever it keeps them in: owned lists for a decoded message,
//! ranges of its buffers for the book parser.

use super::value::FastValue;
use crate::Timestamp;
use crate::scan::Cursor;
use crate::time_reader::TimeReader;
use std::ops::Range;

/// A data item, its sides as the caller read them.
#[derive(Debug, Clone)]
pub(crate) struct Item<S> {
    /// The pair, where it is in the frame (no escapes: it is the text).
    pub(crate) symbol: Range<usize>,
    pub(crate) bids: S,
    pub(crate) asks: S,
    pub(crate) checksum: u32,
    pub(crate) timestamp: Option<Timestamp>,
}

/// The members of a data item.
enum Key {
    Symbol,
    Bids,
    Asks,
    Checksum,
    Timestamp,
    Other,
}

/// Reads an item, each side by `side`; an absent side is empty
/// (`S::default()`), as in serde.
///
/// Kraken's member order (`symbol`, `bids`, `asks`, `checksum`,
/// `timestamp`) is tried first, each member once, by a constant compare;
/// whatever is left, or the whole item if it starts another way, is read
/// key by key.
#[inline(always)]
pub(crate) fn read<S: Default>(
    c: &mut Cursor<'_>,
    times: &mut TimeReader,
    mut side: impl FnMut(&mut Cursor<'_>, &mut TimeReader) -> Option<S>,
) -> Option<Item<S>> {
    let mut symbol = None;
    let mut bids = None;
    let mut asks = None;
    let mut checksum = None;
    let mut timestamp = None;
    c.eat(b'{')?;
    c.ws();
    if c.eat(b'}').is_none() {
        // Whether members remain, the cursor at a key.
        let mut open = true;
        if c.lit(br#""symbol":"#) {
            c.ws();
            symbol = Some(c.string_range()?);
            if c.lit(br#","bids":"#) {
                c.ws();
                bids = Some(side(c, times)?);
            }
            if c.lit(br#","asks":"#) {
                c.ws();
                asks = Some(side(c, times)?);
            }
            if c.lit(br#","checksum":"#) {
                c.ws();
                checksum = Some(read_checksum(c)?);
            }
            if c.lit(br#","timestamp":"#) {
                c.ws();
                timestamp = Some(c.optional_time(times)?);
            }
            open = c.comma_or_end(b'}')?;
        }
        while open {
            match key(c)? {
                Key::Symbol if symbol.is_none() => symbol = Some(c.string_range()?),
                Key::Bids if bids.is_none() => bids = Some(side(c, times)?),
                Key::Asks if asks.is_none() => asks = Some(side(c, times)?),
                Key::Checksum if checksum.is_none() => checksum = Some(read_checksum(c)?),
                Key::Timestamp if timestamp.is_none() => {
                    timestamp = Some(c.optional_time(times)?);
                }
                Key::Other => c.skip_value(1)?,
                // A repeated member: serde refuses those.
                _ => return None,
            }
            open = c.comma_or_end(b'}')?;
        }
    }
    Some(Item {
        symbol: symbol?,
        bids: bids.unwrap_or_default(),
        asks: asks.unwrap_or_default(),
        checksum: checksum?,
        timestamp: timestamp.flatten(),
    })
}

/// The checksum, as [`u32::read`] reads it. Kraken's form, a plain integer
/// (ten digits, mostly), is read inline here by `short_integer`; the call
/// and the other forms' checks cost about as much again as the digits.
#[inline(always)]
fn read_checksum(c: &mut Cursor<'_>) -> Option<u32> {
    match c.short_integer() {
        Some(value) => u32::try_from(value).ok(),
        None => u32::read(c),
    }
}

/// A member's key and the colon after it: the five known ones are
/// recognised by a direct comparison, anything else the long way.
#[inline]
fn key(c: &mut Cursor<'_>) -> Option<Key> {
    let known = match c.b.get(c.pos + 1) {
        Some(b's') if c.lit(br#""symbol":"#) => Some(Key::Symbol),
        Some(b'b') if c.lit(br#""bids":"#) => Some(Key::Bids),
        Some(b'a') if c.lit(br#""asks":"#) => Some(Key::Asks),
        Some(b'c') if c.lit(br#""checksum":"#) => Some(Key::Checksum),
        Some(b't') if c.lit(br#""timestamp":"#) => Some(Key::Timestamp),
        _ => None,
    };
    if let Some(key) = known {
        c.ws();
        return Some(key);
    }
    Some(match c.key()? {
        b"symbol" => Key::Symbol,
        b"bids" => Key::Bids,
        b"asks" => Key::Asks,
        b"checksum" => Key::Checksum,
        b"timestamp" => Key::Timestamp,
        _ => Key::Other,
    })
}

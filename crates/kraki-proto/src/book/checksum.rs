//! Kraken's book checksum (protocol reference §7): CRC32 over the top ten
//! levels, asks ascending then bids descending, each price and quantity
//! written with the pair's precision, point removed, leading zeros
//! stripped.
//!
//! Written with the precision, a value's digits without the point are
//! exactly its integer count of `10^-precision` units, so each number is
//! rendered from that integer: no decimal formatting, no allocation.

/// Bytes a caller must leave free after the write position for
/// [`write_units`]: digits are stored eight at a time, so a store may run
/// up to eight bytes past the last digit.
pub(crate) const SLACK: usize = 32;

const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `n < 10^8` as byte values `0..=9`, the most
/// significant in the lowest byte (first in memory when stored
/// little-endian). Two SWAR steps split the number into 4-digit, then
/// 2-digit, then 1-digit lanes: a handful of multiplications instead of a
/// division per digit.
#[inline]
fn eight_digits(n: u32) -> u64 {
    let merged = u64::from(n / 10_000) | (u64::from(n % 10_000) << 32);
    // x / 100 for x < 10^4 in each 32-bit lane: (x * 10486) >> 20.
    let top = ((merged * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let hundreds = ((merged - 100 * top) << 16) | top;
    // x / 10 for x < 100 in each 16-bit lane: (x * 103) >> 10.
    let tens = ((hundreds * 103) >> 10) & 0x000F_000F_000F_000F;
    ((hundreds - 10 * tens) << 8) | tens
}

/// Stores eight digit bytes at `out[pos..]` and returns the position after
/// the last one that counts. With `strip`, leading zeros are skipped (the
/// value must not be zero).
#[inline]
fn store8(out: &mut [u8], pos: usize, n: u32, strip: bool) -> usize {
    let digits = eight_digits(n);
    let skip = if strip {
        // Leading zero digits are the zero bytes at the low end.
        (digits.trailing_zeros() / 8) as usize
    } else {
        0
    };
    let ascii = (digits + ASCII_ZEROS) >> (8 * skip as u32 % 64);
    out[pos..pos + 8].copy_from_slice(&ascii.to_le_bytes());
    pos + 8 - skip
}

/// Writes the decimal digits of `units` (no leading zeros; `0` for zero)
/// at `out[pos..]` and returns the position after them. `out` must have
/// [`SLACK`] bytes free from `pos`; bytes after the returned position may
/// be overwritten.
#[inline]
pub(crate) fn write_units(out: &mut [u8], pos: usize, units: u64) -> usize {
    const E8: u64 = 100_000_000;
    if units == 0 {
        out[pos] = b'0';
        return pos + 1;
    }
    if units < E8 {
        return store8(out, pos, units as u32, true);
    }
    let low = (units % E8) as u32;
    let high = units / E8;
    let pos = if high < E8 {
        store8(out, pos, high as u32, true)
    } else {
        // At most four digits: u64::MAX is about 1.8 × 10^19.
        let pos = store8(out, pos, (high / E8) as u32, true);
        store8(out, pos, (high % E8) as u32, false)
    };
    store8(out, pos, low, false)
}

/// Digits are hashed in chunks of this size: large enough for crc32fast's
/// SIMD path, small enough to keep the struct cheap to create.
const BUFFER: usize = 256;

/// Collects the digits of the levels, then takes one CRC32 of them all:
/// one large update is several times faster than many small ones.
pub struct Checksum {
    buf: [u8; BUFFER + SLACK],
    len: usize,
    hasher: crc32fast::Hasher,
}

impl Default for Checksum {
    fn default() -> Self {
        Checksum::new()
    }
}

impl Checksum {
    /// An empty checksum.
    #[inline]
    #[must_use]
    pub fn new() -> Self {
        Checksum {
            buf: [0; BUFFER + SLACK],
            len: 0,
            hasher: crc32fast::Hasher::new(),
        }
    }

    /// Appends one value given in units of its precision (e.g. ticks).
    /// Zero is written as `0`.
    #[inline]
    pub fn push_units(&mut self, units: u64) {
        if self.len > BUFFER {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
        }
        self.len = write_units(&mut self.buf, self.len, units);
    }

    /// Appends a price level.
    #[inline]
    pub fn push_level(&mut self, price_units: u64, qty_units: u64) {
        self.push_units(price_units);
        self.push_units(qty_units);
    }

    /// Appends digits already written (e.g. a price shared by the orders
    /// of a level).
    #[inline]
    pub fn push_digits(&mut self, digits: &[u8]) {
        if self.len + digits.len() > BUFFER {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if digits.len() > BUFFER {
                self.hasher.update(digits);
                return;
            }
        }
        self.buf[self.len..self.len + digits.len()].copy_from_slice(digits);
        self.len += digits.len();
    }

    /// The CRC32.
    #[must_use]
    pub fn finish(mut self) -> u32 {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize()
    }
}

/// The level3 checksum (§7.3): like the book's, but every order of each of
/// the top ten price levels contributes its price and quantity, in queue
/// order. `asks` and `bids` yield `(price_units, [qty_units…])` per level,
/// best first.
#[must_use]
pub fn level3_checksum<'a>(
    asks: impl IntoIterator<Item = (u64, &'a [u64])>,
    bids: impl IntoIterator<Item = (u64, &'a [u64])>,
) -> u32 {
    let mut sum = Checksum::new();
    for (price, orders) in asks.into_iter().take(10) {
        for &qty in orders {
            sum.push_level(price, qty);
        }
    }
    for (price, orders) in bids.into_iter().take(10) {
        for &qty in orders {
            sum.push_level(price, qty);
        }
    }
    sum.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(n: u64) -> String {
        let mut buf = [0u8; 64];
        let end = write_units(&mut buf, 3, n);
        String::from_utf8(buf[3..end].to_vec()).unwrap()
    }

    #[test]
    fn digits_of_every_magnitude() {
        let mut n = 1u64;
        for _ in 0..20 {
            for m in [n.saturating_sub(1), n, n + 1, n.saturating_mul(7) / 3] {
                assert_eq!(written(m), m.to_string());
            }
            n = n.saturating_mul(10);
        }
        for n in [0u64, 7, 10, 99, 100, 101, 4_528_521, 99_999_999, u64::MAX] {
            assert_eq!(written(n), n.to_string());
            let mut c = Checksum::new();
            c.push_units(n);
            assert_eq!(c.finish(), crc32fast::hash(n.to_string().as_bytes()), "{n}");
        }
        // Long inputs flush through the buffer.
        let mut c = Checksum::new();
        let mut text = String::new();
        for n in 0..200u64 {
            c.push_units(n * 1_000_000_007);
            text += &(n * 1_000_000_007).to_string();
        }
        assert_eq!(c.finish(), crc32fast::hash(text.as_bytes()));
    }

    proptest::proptest! {
        #[test]
        fn digits_equal_to_string(n in proptest::prelude::any::<u64>(), shift in 0u32..64) {
            let n = n >> shift;
            proptest::prop_assert_eq!(written(n), n.to_string());
        }
    }

    #[test]
    fn crc_of_the_standard_check_string() {
        let mut c = Checksum::new();
        c.push_units(123_456_789);
        assert_eq!(c.finish(), 0xCBF4_3926);
        let mut c = Checksum::new();
        c.push_units(1234);
        c.push_digits(b"56789");
        assert_eq!(c.finish(), 0xCBF4_3926);
        let long = "7".repeat(300);
        let mut c = Checksum::new();
        c.push_units(12);
        c.push_digits(long.as_bytes());
        c.push_digits(b"3");
        assert_eq!(c.finish(), crc32fast::hash(format!("12{long}3").as_bytes()));
    }

    /// §7.3's docs example: 14 ask orders and 21 bid orders over ten price
    /// levels per side → 1063832831.
    #[test]
    fn level3_known_answer() {
        let frame = include_str!("../../tests/fixtures/level3-docs-snapshot.json");
        let Ok(crate::Inbound::Level3(message)) = crate::decode(frame) else {
            panic!("the fixture is a level3 frame")
        };
        let data = &message.data[0];
        // Orders grouped by price level, in queue order, as units.
        let levels = |orders: &[crate::channels::Level3Order]| -> Vec<(u64, Vec<u64>)> {
            let mut out: Vec<(u64, Vec<u64>)> = Vec::new();
            for o in orders {
                let price = o.limit_price.to_units(1).unwrap() as u64;
                let qty = o.order_qty.to_units(8).unwrap() as u64;
                match out.last_mut() {
                    Some((p, qtys)) if *p == price => qtys.push(qty),
                    _ => out.push((price, vec![qty])),
                }
            }
            out
        };
        let (bids, asks) = (levels(&data.bids), levels(&data.asks));
        assert_eq!((bids.len(), asks.len()), (10, 10));
        fn view(side: &[(u64, Vec<u64>)]) -> Vec<(u64, &[u64])> {
            side.iter().map(|(p, q)| (*p, q.as_slice())).collect()
        }
        assert_eq!(level3_checksum(view(&asks), view(&bids)), 1_063_832_831);
    }
}

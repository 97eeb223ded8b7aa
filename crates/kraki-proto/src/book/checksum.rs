//! Kraken's book checksum (protocol reference §7): CRC32 over the top ten
//! levels, asks ascending then bids descending, each price and quantity
//! written with the pair's precision, point removed, leading zeros
//! stripped.
//!
//! Written with the precision, a value's digits without the point are
//! exactly its integer count of `10^-precision` units, so each number is
//! rendered from that integer: no decimal formatting, no allocation.

/// Two-digit pairs "00".."99", so that digits come out two at a time.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Digits are hashed in chunks of this size: large enough for crc32fast's
/// SIMD path, small enough to keep the struct cheap to create.
const BUFFER: usize = 256;

/// Collects the digits of the levels, then takes one CRC32 of them all:
/// one large update is several times faster than many small ones.
pub struct Checksum {
    buf: [u8; BUFFER],
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
    pub fn new() -> Self {
        Checksum {
            buf: [0; BUFFER],
            len: 0,
            hasher: crc32fast::Hasher::new(),
        }
    }

    /// Appends one value given in units of its precision (e.g. ticks).
    /// Zero is written as `0`.
    pub fn push_units(&mut self, units: u64) {
        if self.len + 20 > BUFFER {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
        }
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = units;
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            i -= 2;
            digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if n >= 10 {
            let pair = n as usize * 2;
            i -= 2;
            digits[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            i -= 1;
            digits[i] = b'0' + n as u8;
        }
        let count = digits.len() - i;
        self.buf[self.len..self.len + count].copy_from_slice(&digits[i..]);
        self.len += count;
    }

    /// Appends a price level.
    pub fn push_level(&mut self, price_units: u64, qty_units: u64) {
        self.push_units(price_units);
        self.push_units(qty_units);
    }

    /// The CRC32.
    pub fn finish(mut self) -> u32 {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize()
    }
}

/// The level3 checksum (§7.3): like the book's, but every order of each of
/// the top ten price levels contributes its price and quantity, in queue
/// order. `asks` and `bids` yield `(price_units, [qty_units…])` per level,
/// best first.
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

    #[test]
    fn digits_of_every_magnitude() {
        for n in [0u64, 7, 10, 99, 100, 101, 4_528_521, u64::MAX] {
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

    #[test]
    fn crc_of_the_standard_check_string() {
        let mut c = Checksum::new();
        c.push_units(123_456_789);
        assert_eq!(c.finish(), 0xCBF4_3926);
    }

    /// §7.3's docs example: 14 ask orders and 21 bid orders over ten price
    /// levels per side → 1063832831.
    #[test]
    fn level3_known_answer() {
        let p = |s: &str| crate::Decimal::parse(s).unwrap().to_units(1).unwrap() as u64;
        let q = |s: &str| crate::Decimal::parse(s).unwrap().to_units(8).unwrap() as u64;
        let parse = |levels: &[(&str, &[&str])]| -> Vec<(u64, Vec<u64>)> {
            levels
                .iter()
                .map(|(price, qtys)| (p(price), qtys.iter().map(|s| q(s)).collect()))
                .collect()
        };
        let bids = parse(&[
            (
                "44939.4",
                &[
                    "0.88968699",
                    "0.45210000",
                    "0.10000000",
                    "0.14296323",
                    "0.25000000",
                    "0.10292988",
                    "0.33880000",
                    "1.28140860",
                ],
            ),
            ("44937.1", &["0.03346877"]),
            ("44934.7", &["0.35630000"]),
            (
                "44930.2",
                &[
                    "0.22734299",
                    "0.01000000",
                    "0.05550000",
                    "0.70000000",
                    "0.15000000",
                ],
            ),
            ("44928.0", &["0.00105240"]),
            ("44919.6", &["0.33870000"]),
            ("44919.5", &["0.07610000"]),
            ("44912.0", &["0.35630000"]),
            ("44909.7", &["0.06690000"]),
            ("44901.9", &["0.00088982"]),
        ]);
        let asks = parse(&[
            (
                "44939.5",
                &["4.52308393", "0.00111261", "0.00100000", "0.01000000"],
            ),
            ("44950.0", &["0.10334926"]),
            ("44953.0", &["0.00064537"]),
            ("44955.0", &["0.00250000"]),
            ("44959.6", &["0.35630000", "0.35630000"]),
            ("44960.1", &["0.00338072"]),
            ("44960.2", &["0.88967575"]),
            ("44967.0", &["3.14392283"]),
            ("44978.5", &["0.06778960"]),
            ("44979.2", &["0.35630000"]),
        ]);
        fn view(side: &[(u64, Vec<u64>)]) -> Vec<(u64, &[u64])> {
            side.iter().map(|(p, q)| (*p, q.as_slice())).collect()
        }
        assert_eq!(level3_checksum(view(&asks), view(&bids)), 1_063_832_831);
    }
}

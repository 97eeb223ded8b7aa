//! The byte-level reading under the fast frame parser: a cursor over the
//! frame that accepts exactly what JSON (and serde_json) accepts for the
//! values it reads, and gives `None` for anything else, which sends the
//! frame to `decode`. Digits and string contents are read eight bytes at a
//! time.

use crate::Decimal;
use crate::MessageType;
use crate::decimal::parse_raw_number;
use std::ops::Range;

/// Nesting deeper than this is left to `decode` (serde_json stops at 128).
const MAX_NESTING: u32 = 64;

/// A position in the frame. Every method returns `None` for anything it
/// does not accept, which sends the frame to `decode`.
pub(crate) struct Cursor<'a> {
    pub(crate) s: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    /// Line breaks are not whitespace here: the frame must be on one line.
    pub(crate) one_line: bool,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(text: &'a str, one_line: bool) -> Self {
        Cursor {
            s: text,
            b: text.as_bytes(),
            pos: 0,
            one_line,
        }
    }

    /// After the frame's closing brace: the position there for a frame on
    /// one line, else the end of the text, which must be only whitespace.
    pub(crate) fn end(&mut self) -> Option<usize> {
        if self.one_line {
            return Some(self.pos);
        }
        self.ws();
        (self.pos == self.b.len()).then_some(self.pos)
    }

    /// Text between two positions at ASCII bytes (always char boundaries).
    #[inline]
    pub(crate) fn text(&self, range: Range<usize>) -> Option<&'a str> {
        self.s.get(range)
    }

    /// The next eight bytes as one word, the first in the lowest byte.
    #[inline]
    pub(crate) fn chunk(&self) -> Option<u64> {
        let bytes = self.b.get(self.pos..)?.first_chunk::<8>()?;
        Some(u64::from_le_bytes(*bytes))
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Skips whitespace. Kraken sends none, so the check for it is
    /// inlined and the skipping is not.
    #[inline(always)]
    pub(crate) fn ws(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.skip_ws();
        }
    }

    #[inline(never)]
    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => {}
                b'\n' | b'\r' if !self.one_line => {}
                _ => return,
            }
            self.pos += 1;
        }
    }

    #[inline]
    pub(crate) fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// After a member or element: `true` at a comma, `false` at `close`.
    /// Inlined: a few instructions, at the end of every value.
    #[inline(always)]
    pub(crate) fn comma_or_end(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let b = self.peek()?;
        self.pos += 1;
        if b == b',' {
            self.ws();
            Some(true)
        } else {
            (b == close).then_some(false)
        }
    }

    /// A JSON array, each element read by `element`. Inlined into its
    /// caller, with the element reader.
    #[inline(always)]
    pub(crate) fn array(&mut self, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.array_open()? {
            self.array_elements(element)?;
        }
        Some(())
    }

    /// The start of a JSON array: whether elements follow (else the array
    /// was empty, and is consumed).
    #[inline(always)]
    pub(crate) fn array_open(&mut self) -> Option<bool> {
        self.eat(b'[')?;
        self.ws();
        Some(self.eat(b']').is_none())
    }

    /// The elements of an array after [`Cursor::array_open`] found some,
    /// each read by `element`, and the closing bracket.
    #[inline(always)]
    pub(crate) fn array_elements(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        loop {
            element(self)?;
            if !self.comma_or_end(b']')? {
                return Some(());
            }
        }
    }

    /// A string without escapes or control characters; its content's range.
    #[inline]
    pub(crate) fn string_range(&mut self) -> Option<Range<usize>> {
        self.eat(b'"')?;
        let start = self.pos;
        // Eight bytes at a time up to the first quote, backslash or control
        // character, then byte by byte.
        while let Some(chunk) = self.chunk() {
            let found = special_bytes(chunk);
            if found != 0 {
                self.pos += (found.trailing_zeros() / 8) as usize;
                break;
            }
            self.pos += 8;
        }
        loop {
            match self.peek()? {
                b'"' => break,
                b'\\' | 0..=0x1F => return None,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        Some(start..self.pos - 1)
    }

    #[inline]
    pub(crate) fn string(&mut self) -> Option<&'a [u8]> {
        let range = self.string_range()?;
        self.b.get(range)
    }

    /// A member's key and the colon after it.
    #[inline]
    pub(crate) fn key(&mut self) -> Option<&'a [u8]> {
        let key = self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(key)
    }

    /// Consumes `word` if the input continues with it. The length is known
    /// when compiling, so the comparison is a few word compares.
    #[inline]
    pub(crate) fn lit<const N: usize>(&mut self, word: &[u8; N]) -> bool {
        let found = self
            .b
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
            .is_some_and(|w| w == word);
        if found {
            self.pos += N;
        }
        found
    }

    /// `{"channel":"book","type":"update","data":` and the like, exactly
    /// as Kraken starts its frames: a few constant compares instead of
    /// three keys and two strings read. `channel` reads the channel's name
    /// with the `","type":"` after it, and gives the channel it names. The
    /// cursor is left after the head, or where it was if the frame starts
    /// any other way.
    #[inline(always)]
    pub(crate) fn canonical_head<C>(
        &mut self,
        channel: impl FnOnce(&mut Self) -> Option<C>,
    ) -> Option<(C, MessageType)> {
        let start = self.pos;
        let head = if self.lit(br#"{"channel":""#) {
            channel(self).and_then(|channel| {
                if self.lit(br#"update","data":"#) {
                    Some((channel, MessageType::Update))
                } else if self.lit(br#"snapshot","data":"#) {
                    Some((channel, MessageType::Snapshot))
                } else {
                    None
                }
            })
        } else {
            None
        };
        if head.is_none() {
            self.pos = start;
        }
        head
    }

    /// [`Cursor::lit`] for a constant slice (a `concat!`ed key): always
    /// inlined, so that the length is known and the comparison is a few
    /// word compares rather than a call to `memcmp`.
    #[inline(always)]
    pub(crate) fn lit_slice(&mut self, word: &[u8]) -> bool {
        let found = self
            .b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    /// A JSON number token, validated against JSON's grammar.
    #[inline]
    pub(crate) fn number_token(&mut self) -> Option<Range<usize>> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.one_or_more_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.one_or_more_digits()?;
        }
        Some(start..self.pos)
    }

    /// Consumes a run of digits, appending them to `acc` (wrapping: runs
    /// too long for it are rejected by the caller); returns how many.
    /// Eight bytes at a time where the input has them.
    #[inline]
    pub(crate) fn digits_into(&mut self, acc: &mut u64) -> u32 {
        let mut count = 0;
        while let Some(chunk) = self.chunk() {
            let (n, value) = leading_digits(chunk);
            if n == 0 {
                return count;
            }
            *acc = acc.wrapping_mul(POW10[n as usize]).wrapping_add(value);
            count += n;
            self.pos += n as usize;
            if n < 8 {
                return count;
            }
        }
        while let Some(d @ b'0'..=b'9') = self.peek() {
            *acc = acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            count += 1;
            self.pos += 1;
        }
        count
    }

    #[inline]
    pub(crate) fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    pub(crate) fn one_or_more_digits(&mut self) -> Option<()> {
        let start = self.pos;
        self.digits();
        (self.pos > start).then_some(())
    }

    /// A price or quantity: a number or a numeric string, read exactly as
    /// the `Deserialize` impl of [`Decimal`] reads it.
    #[inline(always)]
    pub(crate) fn decimal(&mut self) -> Option<Decimal> {
        match self.short_decimal() {
            Some(d) => Some(d),
            None => self.any_decimal(),
        }
    }

    /// The form of nearly every price and quantity Kraken sends: a
    /// non-negative number, up to seven digits before the point and up to
    /// eight after it, no exponent (`66786.5`, `0.10000000`). Two word
    /// loads and two SWAR digit reads, no loops; `None` (the cursor
    /// unmoved) for any other form, which `any_decimal` then reads.
    #[inline(always)]
    fn short_decimal(&mut self) -> Option<Decimal> {
        let rest = self.b.get(self.pos..)?;
        let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
        let (int_len, int) = leading_digits(word);
        // None, too many for one word, or a leading zero (`01`, not JSON).
        if int_len == 0 || int_len == 8 || (int_len > 1 && word & 0xFF == u64::from(b'0')) {
            return None;
        }
        let int_len = int_len as usize;
        let (mantissa, scale, len) = match rest.get(int_len)? {
            b'.' => {
                let fraction = rest.get(int_len + 1..)?.first_chunk::<8>()?;
                let (frac_len, frac) = leading_digits(u64::from_le_bytes(*fraction));
                if frac_len == 0 {
                    return None;
                }
                let len = int_len + 1 + frac_len as usize;
                // Below 10^7 · 10^8 + 10^8: well within an `i64`.
                let mantissa = int * POW10[frac_len as usize] + frac;
                (mantissa, frac_len as u8, len)
            }
            _ => (int, 0, int_len),
        };
        // A ninth fraction digit or an exponent: the long way.
        if let b'0'..=b'9' | b'e' | b'E' = rest.get(len)? {
            return None;
        }
        self.pos += len;
        Decimal::new(mantissa as i64, scale).ok()
    }

    /// A plain non-negative JSON integer of up to fifteen digits, the form
    /// of Kraken's checksums, trade ids and user references: at most two
    /// SWAR digit reads, no loop. `None` (the cursor unmoved) for any other
    /// form, which the caller then reads the long way.
    #[inline(always)]
    pub(crate) fn short_integer(&mut self) -> Option<u64> {
        let rest = self.b.get(self.pos..)?;
        let word = u64::from_le_bytes(*rest.first_chunk::<8>()?);
        let (mut len, mut value) = leading_digits(word);
        // None, or a leading zero (`01`, not JSON).
        if len == 0 || (len > 1 && word & 0xFF == u64::from(b'0')) {
            return None;
        }
        if len == 8 {
            let next = rest.get(8..)?.first_chunk::<8>()?;
            let (more, low) = leading_digits(u64::from_le_bytes(*next));
            if more == 8 {
                return None;
            }
            // Below 10^15: no overflow.
            value = value * POW10[more as usize] + low;
            len += more;
        }
        let len = len as usize;
        // A fraction or an exponent: not a plain integer.
        if let b'.' | b'e' | b'E' = rest.get(len)? {
            return None;
        }
        self.pos += len;
        Some(value)
    }

    /// Any number or numeric string, as `decimal`.
    #[inline(never)]
    fn any_decimal(&mut self) -> Option<Decimal> {
        let start = self.pos;
        if self.peek()? == b'"' {
            self.string_range()?;
            return parse_raw_number(self.text(start..self.pos)?).ok();
        }
        // The common case — no exponent, at most 18 digits — is read in
        // one pass here; it is exactly what `Decimal::parse` computes for
        // such text. Anything else goes the general way.
        let negative = self.peek() == Some(b'-');
        self.pos += usize::from(negative);
        let mut mantissa: u64 = 0;
        let int_start = self.pos;
        let mut digits = self.digits_into(&mut mantissa);
        // JSON has no leading zeros (`01`); none at all is no number.
        if digits == 0 || (digits > 1 && self.b.get(int_start) == Some(&b'0')) {
            return None;
        }
        let mut scale = 0;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            scale = self.digits_into(&mut mantissa);
            if scale == 0 {
                return None;
            }
            digits += scale;
        }
        if digits <= 18 && !matches!(self.peek(), Some(b'e' | b'E')) {
            // At most 18 digits: below 10^18, so the cast is exact.
            let mantissa = mantissa as i64;
            let mantissa = if negative { -mantissa } else { mantissa };
            return Decimal::new(mantissa, scale as u8).ok();
        }
        self.pos = start;
        let token = self.number_token()?;
        parse_raw_number(self.text(token)?).ok()
    }

    /// Skips any value, validating it as serde_json would.
    pub(crate) fn skip_value(&mut self, nesting: u32) -> Option<()> {
        if nesting > MAX_NESTING {
            return None;
        }
        match self.peek()? {
            b'"' => self.string_range().map(drop),
            b'-' | b'0'..=b'9' => self.number_token().map(drop),
            b't' => self.lit(b"true").then_some(()),
            b'f' => self.lit(b"false").then_some(()),
            b'n' => self.lit(b"null").then_some(()),
            b'[' => {
                self.pos += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.skip_value(nesting + 1)?;
                    if !self.comma_or_end(b']')? {
                        return Some(());
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.pos += 1;
                    return Some(());
                }
                loop {
                    self.key()?;
                    self.skip_value(nesting + 1)?;
                    if !self.comma_or_end(b'}')? {
                        return Some(());
                    }
                }
            }
            _ => None,
        }
    }
}

const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// The number of ASCII digits at the start of `word` (its first byte in
/// the lowest position) and their value: SWAR, a few multiplications for
/// up to eight digits.
#[inline]
pub(crate) fn leading_digits(word: u64) -> (u32, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Digit values; a byte below '0' borrows from the next, which only
    // matters after the first non-digit.
    let values = word.wrapping_sub(ONES * u64::from(b'0'));
    // Bit 7 set in the bytes whose value is not 0..=9.
    let not_digit = (values.wrapping_add(ONES * 0x76) | values) & (ONES * 0x80);
    let n = not_digit.trailing_zeros() / 8;
    if n == 0 {
        return (0, 0);
    }
    // Keep the n digits, moved to the top: zeros in front do not count.
    let shift = 8 * (8 - n);
    let digits = if shift == 64 { 0 } else { values << shift };
    // Pairs, then fours, then eight (simdjson's eight-digit step).
    let pairs = digits.wrapping_mul(10).wrapping_add(digits >> 8);
    let mask = 0x0000_00FF_0000_00FF;
    let value = ((pairs & mask).wrapping_mul(100 + (1_000_000 << 32))
        + ((pairs >> 16) & mask).wrapping_mul(1 + (10_000 << 32)))
        >> 32;
    (n, value)
}

/// Bit 7 of each byte of `word` that is a quote, a backslash or a control
/// character; exact for the lowest such byte (the classic "has zero byte"
/// tricks may flag bytes after it, never before).
#[inline]
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGHS
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The cursor reads a number exactly as serde and `Decimal` do,
        /// whichever of its paths takes it, and stops where it ends.
        #[test]
        fn decimals_as_serde_reads_them(
            number in "-?(0|[1-9][0-9]{0,9})(\\.[0-9]{0,10})?([eE][+-]?[0-9]{1,2})?|[0-9.eE+-]{1,12}",
            after in proptest::sample::select(vec!["", ",", "}", "]", " "]),
            // Room for the word reads of the short path, or not.
            padded in proptest::prelude::any::<bool>(),
        ) {
            let pad = if padded { ",\"qty\":1}]}" } else { "" };
            let text = format!("{number}{after}{pad}");
            let mut c = Cursor::new(&text, false);
            let got = c.decimal().map(|d| (d.mantissa(), d.scale()));
            let expected = serde_json::from_str::<Decimal>(&number).ok().map(|d| (d.mantissa(), d.scale()));
            // A number serde reads is read the same, to its end; what it
            // refuses is refused or read only in part (what follows is then
            // not a delimiter, and the frame is refused there).
            if expected.is_some() || (got.is_some() && c.pos == number.len()) {
                proptest::prop_assert_eq!(got, expected, "{}", text);
                proptest::prop_assert_eq!(c.pos, number.len(), "{}", text);
            }
        }

        /// The short integer path reads what the digit loop reads, or
        /// declines.
        #[test]
        fn short_integers_as_serde_reads_them(
            number in "-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,2}|[eE][0-9])?|0[0-9]{1,3}",
            after in proptest::sample::select(vec!["", ",", "}", "]", " ,", "\"", "        "]),
            padded in proptest::prelude::any::<bool>(),
        ) {
            let pad = if padded { ",\"qty\":1}]}" } else { "" };
            let text = format!("{number}{after}{pad}");
            let mut c = Cursor::new(&text, false);
            if let Some(value) = c.short_integer() {
                proptest::prop_assert_eq!(serde_json::from_str::<u64>(&number).ok(), Some(value), "{}", text);
                proptest::prop_assert_eq!(c.pos, number.len());
            } else {
                proptest::prop_assert_eq!(c.pos, 0);
            }
        }

        #[test]
        fn leading_digits_as_text(bytes in proptest::collection::vec(
            proptest::sample::select(b"0123456789/:a .-\"\xff\x00".to_vec()), 8)) {
            let word = u64::from_le_bytes(bytes.clone().try_into().unwrap());
            let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let value = bytes[..n].iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
            proptest::prop_assert_eq!(leading_digits(word), (n as u32, if n == 0 { 0 } else { value }));
        }

        #[test]
        fn special_bytes_finds_the_first(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 8)) {
            let word = u64::from_le_bytes(bytes.clone().try_into().unwrap());
            let first = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let found = special_bytes(word);
            let got = (found != 0).then(|| (found.trailing_zeros() / 8) as usize);
            proptest::prop_assert_eq!(got, first);
        }
    }
}

//! A hand-written pull parser for `book` frames, the hot path of every
//! market-data client: one pass over the bytes, numbers read straight from
//! their text, no intermediate envelope.
//!
//! It only ever answers with a value the serde path would give too: on
//! anything it is not sure of (an escape in a string, an envelope key such
//! as `sequence`, a duplicate key, malformed JSON, another channel) it
//! answers `None` and `decode` falls back to the general path, which
//! decides. A property test holds the two paths equal.

use crate::channels::{BookData, PriceLevel};
use crate::{ChannelMessage, Decimal, Inbound, MessageType, Symbol, Timestamp};

/// serde_json refuses nesting deeper than 128; stopping earlier keeps the
/// two paths in agreement.
const MAX_DEPTH: u32 = 100;

struct Cursor<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string without escapes, as a slice of the input.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                // Escapes and raw control characters go to the general path.
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        // Both ends are at ASCII quotes, so the slice is on char boundaries.
        let s = self.s.get(start..self.i)?;
        self.i += 1;
        Some(s)
    }

    /// The text of a JSON number token, checked against JSON's grammar.
    fn number_text(&mut self) -> Option<&'a [u8]> {
        self.ws();
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let before = self.i;
            self.digits();
            if self.i == before {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            let before = self.i;
            self.digits();
            if self.i == before {
                return None;
            }
        }
        Some(&self.b[start..self.i])
    }

    #[inline]
    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// A decimal written as a number or as a string holding one.
    fn decimal(&mut self) -> Option<Decimal> {
        if self.peek()? == b'"' {
            let s = self.string()?;
            return Decimal::parse(s.trim()).ok();
        }
        Decimal::parse_bytes(self.number_text()?).ok()
    }

    /// A u32 written as plain digits, bare or in a string.
    fn u32(&mut self) -> Option<u32> {
        let text = if self.peek()? == b'"' {
            self.string()?.as_bytes()
        } else {
            self.number_text()?
        };
        if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(text).ok()?.parse().ok()
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// Skips any JSON value, validating it as strictly as serde_json does.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => {
                self.i += 1;
                if self.eat(b'}').is_some() {
                    return Some(());
                }
                loop {
                    self.string()?;
                    self.eat(b':')?;
                    self.skip(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number_text().map(drop),
        }
    }

    /// Calls `field(key, cursor)` for every member of an object; each key
    /// at most once among `known` (a duplicate is left to serde).
    fn object(
        &mut self,
        known: &[&str],
        mut field: impl FnMut(usize, &mut Self) -> Option<()>,
        depth: u32,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut seen = 0u32;
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            match known.iter().position(|k| *k == key) {
                Some(n) => {
                    if seen & (1 << n) != 0 {
                        return None;
                    }
                    seen |= 1 << n;
                    field(n, self)?;
                }
                None => self.skip(depth + 1)?,
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn levels(&mut self, out: &mut Vec<PriceLevel>) -> Option<()> {
        self.array(|c| {
            let (mut price, mut qty) = (None, None);
            c.object(
                &["price", "qty"],
                |n, c| {
                    let d = c.decimal()?;
                    if n == 0 {
                        price = Some(d);
                    } else {
                        qty = Some(d);
                    }
                    Some(())
                },
                3,
            )?;
            out.push(PriceLevel {
                price: price?,
                qty: qty?,
            });
            Some(())
        })
    }

    fn book_data(&mut self) -> Option<BookData> {
        let (mut symbol, mut checksum, mut timestamp) = (None, None, None);
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        self.object(
            &["symbol", "bids", "asks", "checksum", "timestamp"],
            |n, c| {
                match n {
                    0 => symbol = Some(c.string()?),
                    1 => c.levels(&mut bids)?,
                    2 => c.levels(&mut asks)?,
                    3 => checksum = Some(c.u32()?),
                    _ => {
                        // `null` reads as absent in serde; let it decide.
                        timestamp = Some(Timestamp::parse(c.string()?).ok()?);
                    }
                }
                Some(())
            },
            2,
        )?;
        Some(BookData {
            symbol: Symbol::from(symbol?),
            bids,
            asks,
            checksum: checksum?,
            timestamp,
        })
    }
}

/// Keys of the general envelope: their presence sends the frame to the
/// general path, which knows their types.
const ENVELOPE: &[&str] = &[
    "method",
    "result",
    "params",
    "req_id",
    "success",
    "error",
    "symbol",
    "status",
    "time_in",
    "time_out",
    "sequence",
    "timestamp",
    "orders_cancelled",
];

/// The book message in `text`, or `None` to use the general path.
pub(crate) fn decode(text: &str) -> Option<Inbound> {
    let mut c = Cursor {
        s: text,
        b: text.as_bytes(),
        i: 0,
    };
    let (mut channel_ok, mut kind, mut data) = (false, None, None);
    c.eat(b'{')?;
    if c.eat(b'}').is_some() {
        return None;
    }
    let mut seen = [false; 3];
    loop {
        let key = c.string()?;
        c.eat(b':')?;
        let slot = match key {
            "channel" => 0,
            "type" => 1,
            "data" => 2,
            k if ENVELOPE.contains(&k) => return None,
            _ => {
                c.skip(1)?;
                3
            }
        };
        if slot < 3 {
            if seen[slot] {
                return None;
            }
            seen[slot] = true;
        }
        match slot {
            0 => channel_ok = c.string()? == "book",
            1 => {
                kind = Some(match c.string()? {
                    "snapshot" => MessageType::Snapshot,
                    "update" => MessageType::Update,
                    _ => return None,
                })
            }
            2 => {
                let mut items = Vec::with_capacity(1);
                c.array(|c| {
                    items.push(c.book_data()?);
                    Some(())
                })?;
                data = Some(items);
            }
            _ => {}
        }
        match c.peek()? {
            b',' => c.i += 1,
            b'}' => {
                c.i += 1;
                break;
            }
            _ => return None,
        }
    }
    if c.peek().is_some() || !channel_ok {
        return None;
    }
    Some(Inbound::Book(ChannelMessage {
        kind: kind?,
        data: data?,
        sequence: None,
        timestamp: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode_general;
    use proptest::prelude::*;

    #[test]
    fn takes_book_frames_and_declines_the_rest() {
        let book = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":66786.5,"qty":0.00000000}],"asks":[],"checksum":902440905,"timestamp":"2024-05-19T16:45:24.204654Z"}]}"#;
        let fast = decode(book).unwrap();
        assert_eq!(Ok(fast), decode_general(book));
        for declined in [
            r#"{"channel":"ticker","type":"update","data":[]}"#,
            r#"{"channel":"book","type":"update","data":[],"sequence":1}"#,
            r#"{"channel":"book","type":"update","data":[{"symbol":"B\u0054C","bids":[],"asks":[],"checksum":1}]}"#,
            r#"{"channel":"book","channel":"book","type":"update","data":[]}"#,
            r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":1.0}]}"#,
            r#"{"channel":"book","type":"update","data":[]} x"#,
            r#"{"channel":"book","type":"delta","data":[]}"#,
        ] {
            assert_eq!(decode(declined), None, "{declined}");
        }
    }

    /// A level in one of the forms the wire may use.
    fn level(price: i64, qty: i64, form: u8, swap: bool) -> String {
        let p = Decimal::new(price, 1).unwrap();
        let q = Decimal::new(qty, 8).unwrap();
        let (p, q) = match form % 4 {
            0 => (p.to_string(), q.to_string()),
            1 => (format!("\"{p}\""), format!("\"{}\"", q.normalized())),
            2 => (
                format!("{}e-{}", p.mantissa(), p.scale()),
                format!("{}E-{}", q.mantissa(), q.scale()),
            ),
            _ => (p.normalized().to_string(), format!(" {} ", q.normalized())),
        };
        if swap {
            format!(r#"{{"qty":{q},"extra":[1,{{"a":null}}],"price":{p}}}"#)
        } else {
            format!(r#"{{"price":{p},"qty":{q}}}"#)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Whatever the key order, spacing and number forms, the fast path
        /// gives exactly what the general path gives.
        #[test]
        fn equal_to_the_general_path(
            levels in prop::collection::vec((1i64..10_000_000, 0i64..1_000_000_000, any::<u8>(), any::<bool>()), 0..12),
            checksum in any::<u32>(),
            order in 0usize..6,
            spaced in any::<bool>(),
            stamped in any::<bool>(),
            snapshot in any::<bool>(),
        ) {
            let (bids, asks) = levels.split_at(levels.len() / 2);
            let side = |ls: &[(i64, i64, u8, bool)]| ls.iter().map(|&(p, q, f, s)| level(p, q, f, s)).collect::<Vec<_>>().join(",");
            let stamp = if stamped { r#","timestamp":"2024-05-19T16:45:24.204654Z""# } else { "" };
            let item = format!(r#"{{"symbol":"BTC/USD","bids":[{}],"asks":[{}],"checksum":{checksum}{stamp}}}"#, side(bids), side(asks));
            let kind = if snapshot { "snapshot" } else { "update" };
            let parts = [
                r#""channel":"book""#.to_owned(),
                format!(r#""type":"{kind}""#),
                format!(r#""data":[{item}]"#),
            ];
            let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
            let sep = if spaced { " ,\n\t" } else { "," };
            let body = perms[order].iter().map(|&i| parts[i].as_str()).collect::<Vec<_>>().join(sep);
            let frame = format!("{{{body}}}");
            let fast = decode(&frame);
            prop_assert!(fast.is_some(), "declined: {}", frame);
            prop_assert_eq!(Ok(fast.unwrap()), decode_general(&frame));
        }

        /// On broken frames the fast path either declines or agrees.
        #[test]
        fn never_disagrees_on_mutations(
            cut in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..4),
        ) {
            let base = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":29430.2,"qty":0.18967538}],"asks":[{"price":"29431.1","qty":1e-8}],"checksum":3547452596,"timestamp":"2023-07-30T15:29:58.343415Z"}]}"#;
            let mut bytes = base.as_bytes()[..cut.index(base.len() + 1)].to_vec();
            let alphabet = b"{}[]\":,0123456789.eE+- \\nul";
            for (at, pick) in edits {
                if bytes.is_empty() { break; }
                let i = at.index(bytes.len());
                bytes[i] = alphabet[pick.index(alphabet.len())];
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(fast) = decode(&text) {
                prop_assert_eq!(Ok(fast), decode_general(&text), "{}", text);
            }
        }
    }
}

//! Property test: the L2 book against a naive reference (sorted maps of
//! decimals, every level formatted as a string for each checksum), on
//! random books at many precisions, with numbers in every form the wire
//! can carry.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{FastFrame, FrameParser, L2Book, Precision, Verification};
use kraki_proto::{Decimal, Inbound, decode};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The reference: what the protocol reference's pseudo-code says, done the
/// slow, obvious way.
struct Naive {
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    depth: usize,
    precision: Precision,
}

impl Naive {
    fn apply(&mut self, bids: &[(Decimal, Decimal)], asks: &[(Decimal, Decimal)]) {
        for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for (p, q) in levels {
                if q.is_zero() {
                    side.remove(p);
                } else {
                    side.insert(*p, *q);
                }
            }
        }
        while self.bids.len() > self.depth {
            let worst = *self.bids.keys().next().unwrap();
            self.bids.remove(&worst);
        }
        while self.asks.len() > self.depth {
            let worst = *self.asks.keys().next_back().unwrap();
            self.asks.remove(&worst);
        }
    }

    fn checksum(&self) -> u32 {
        let fmt = |d: &Decimal, prec: u8| {
            let s = d.with_scale(prec).unwrap().to_string().replace('.', "");
            let s = s.trim_start_matches('0');
            if s.is_empty() {
                "0".to_owned()
            } else {
                s.to_owned()
            }
        };
        let mut text = String::new();
        for (p, q) in self.asks.iter().take(10) {
            text += &fmt(p, self.precision.price);
            text += &fmt(q, self.precision.qty);
        }
        for (p, q) in self.bids.iter().rev().take(10) {
            text += &fmt(p, self.precision.price);
            text += &fmt(q, self.precision.qty);
        }
        crc32fast::hash(text.as_bytes())
    }
}

/// Writes `units × 10^-prec` in one of the wire's forms.
fn wire_number(units: i64, prec: u8, form: u8) -> String {
    let exact = Decimal::new(units, prec).unwrap();
    match form % 5 {
        // As Kraken sends it: padded to the precision.
        0 => exact.to_string(),
        // Trailing zeros lost, as re-serialized captures have it.
        1 => exact.normalized().to_string(),
        // Exponent form.
        2 => {
            let n = exact.normalized();
            format!("{}e-{}", n.mantissa(), n.scale())
        }
        // A numeric string.
        3 => format!("\"{exact}\""),
        // An integer where possible, else padded.
        _ => {
            let n = exact.normalized();
            if n.scale() == 0 {
                n.mantissa().to_string()
            } else {
                exact.to_string()
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Msg {
    bids: Vec<(i64, i64, u8)>,
    asks: Vec<(i64, i64, u8)>,
}

fn msg_strategy() -> impl Strategy<Value = Msg> {
    let level = (
        0i64..60,
        prop_oneof![3 => 1i64..5000, 1 => Just(0i64)],
        any::<u8>(),
    );
    (
        prop::collection::vec(level.clone(), 0..8),
        prop::collection::vec(level, 0..8),
    )
        .prop_map(|(bids, asks)| Msg { bids, asks })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn book_matches_naive_reference(
        price_prec in 0u8..9,
        qty_prec in 0u8..9,
        depth in prop::sample::select(vec![1usize, 3, 10, 11, 25, 100]),
        mid in 1000i64..100_000,
        // Large values make a level's digits too long to keep with it.
        magnitude in prop::sample::select(vec![0u32, 0, 0, 5, 11]),
        messages in prop::collection::vec(msg_strategy(), 1..30),
    ) {
        let precision = Precision::new(price_prec, qty_prec);
        let scale = 10i64.pow(magnitude);
        let mut book = L2Book::new("X/Y", precision, depth);
        // The same messages through the allocation-free parser.
        let mut fast_book = L2Book::new("X/Y", precision, depth);
        let mut parser = FrameParser::new();
        let mut naive = Naive { bids: BTreeMap::new(), asks: BTreeMap::new(), depth, precision };
        for (i, m) in messages.iter().enumerate() {
            // Bids below the mid, asks above: the book never crosses.
            let to_levels = |levels: &[(i64, i64, u8)], bid: bool| -> (Vec<(Decimal, Decimal)>, Vec<String>) {
                let mut exact = Vec::new();
                let mut wire = Vec::new();
                for &(offset, qty, form) in levels {
                    let price = scale * if bid { mid - 1 - offset } else { mid + 1 + offset };
                    let qty = qty * scale;
                    exact.push((Decimal::new(price, price_prec).unwrap(), Decimal::new(qty, qty_prec).unwrap()));
                    wire.push(format!(
                        r#"{{"price":{},"qty":{}}}"#,
                        wire_number(price, price_prec, form),
                        wire_number(qty, qty_prec, form / 5)
                    ));
                }
                (exact, wire)
            };
            let (bids, bids_wire) = to_levels(&m.bids, true);
            let (asks, asks_wire) = to_levels(&m.asks, false);
            let kind = if i == 0 { "snapshot" } else { "update" };
            if i == 0 {
                naive.bids.clear();
                naive.asks.clear();
            }
            naive.apply(&bids, &asks);
            let expected = naive.checksum();
            let frame = format!(
                r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"X/Y","bids":[{}],"asks":[{}],"checksum":{expected}}}]}}"#,
                bids_wire.join(","),
                asks_wire.join(",")
            );
            let Inbound::Book(msg) = decode(&frame).unwrap() else { panic!() };
            let verdict = book.apply(msg.kind, &msg.data[0]).unwrap();
            prop_assert_eq!(verdict, Verification::Verified, "{}", frame);
            prop_assert_eq!(book.checksum(), expected);
            let Some(FastFrame::Book(fast)) = parser.parse(&frame) else { panic!("{frame}") };
            for update in fast.updates() {
                let verdict = fast_book.apply_update(fast.kind(), &update).unwrap();
                prop_assert_eq!(verdict, Verification::Verified, "{}", frame);
            }
            let ours: Vec<(Decimal, Decimal)> = book.bids().map(|l| (l.price, l.qty)).collect();
            let theirs: Vec<(Decimal, Decimal)> = naive.bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
            prop_assert_eq!(ours, theirs);
            let ours: Vec<(Decimal, Decimal)> = book.asks().map(|l| (l.price, l.qty)).collect();
            let theirs: Vec<(Decimal, Decimal)> = naive.asks.iter().map(|(p, q)| (*p, *q)).collect();
            prop_assert_eq!(ours, theirs);
        }
    }
}

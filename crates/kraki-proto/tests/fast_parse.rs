//! The in-place frame parser against `decode`: whenever it accepts a
//! frame, the result equals what `decode` gives, digit for digit; and it
//! accepts the frames Kraken actually sends. (`decode`'s fast path shares
//! the parser's readers; it is checked against serde in
//! `src/fast/tests.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::book::{FastFrame, FrameParser};
use kraki_proto::{Decimal, Inbound, decode};
use proptest::prelude::*;

/// A decimal with its exact digits, so that `1.0` and `1.00` differ.
fn exact(d: Decimal) -> (i64, u8) {
    (d.mantissa(), d.scale())
}

/// Each item's text, alone in a frame of its own, decodes to the same
/// item: what a relay forwards is exactly what was parsed and verified.
fn assert_items_stand_alone<'t, T: std::fmt::Debug + PartialEq>(
    channel: &str,
    texts: impl ExactSizeIterator<Item = &'t str>,
    items: &[T],
    text: &str,
) where
    Inbound: AsData<T>,
{
    assert_eq!(texts.len(), items.len(), "{text}");
    for (item, expected) in texts.zip(items) {
        assert!(
            item.starts_with('{') && item.ends_with('}'),
            "{item:?} in {text}"
        );
        let alone = format!(r#"{{"channel":"{channel}","type":"update","data":[{item}]}}"#);
        let decoded = decode(&alone).unwrap_or_else(|e| panic!("{e}: {alone}"));
        assert_eq!(decoded.as_data(), Some(expected), "{alone}");
    }
}

/// The one item of a decoded book or level3 frame.
trait AsData<T> {
    fn as_data(&self) -> Option<&T>;
}

impl AsData<kraki_proto::channels::BookData> for Inbound {
    fn as_data(&self) -> Option<&kraki_proto::channels::BookData> {
        match self {
            Inbound::Book(m) if m.data.len() == 1 => m.data.first(),
            _ => None,
        }
    }
}

impl AsData<kraki_proto::channels::Level3Data> for Inbound {
    fn as_data(&self) -> Option<&kraki_proto::channels::Level3Data> {
        match self {
            Inbound::Level3(m) if m.data.len() == 1 => m.data.first(),
            _ => None,
        }
    }
}

/// Checks that a frame the fast parser accepted decodes to the same value;
/// returns whether it was accepted.
fn check(parser: &mut FrameParser, text: &str) -> bool {
    let Some(fast) = parser.parse(text) else {
        return false;
    };
    let decoded =
        decode(text).unwrap_or_else(|e| panic!("fast accepted, decode failed: {e}\n{text}"));
    match (fast, decoded) {
        (FastFrame::Book(f), Inbound::Book(m)) => {
            assert_eq!(f.kind(), m.kind, "{text}");
            assert_eq!((m.sequence, m.timestamp), (None, None), "{text}");
            assert_eq!(f.updates().len(), m.data.len(), "{text}");
            for (u, d) in f.updates().zip(&m.data) {
                assert_eq!(u.symbol, d.symbol.as_str(), "{text}");
                assert_eq!(u.checksum, d.checksum, "{text}");
                assert_eq!(u.timestamp, d.timestamp, "{text}");
                let levels = |l: &[kraki_proto::channels::PriceLevel]| {
                    l.iter()
                        .map(|l| (exact(l.price), exact(l.qty)))
                        .collect::<Vec<_>>()
                };
                assert_eq!(levels(u.bids), levels(&d.bids), "{text}");
                assert_eq!(levels(u.asks), levels(&d.asks), "{text}");
            }
            assert_items_stand_alone("book", f.item_texts(), &m.data, text);
        }
        (FastFrame::Level3(f), Inbound::Level3(m)) => {
            assert_eq!(f.kind(), m.kind, "{text}");
            assert_eq!((m.sequence, m.timestamp), (None, None), "{text}");
            assert_eq!(f.updates().len(), m.data.len(), "{text}");
            for (u, d) in f.updates().zip(&m.data) {
                assert_eq!(u.symbol, d.symbol.as_str(), "{text}");
                assert_eq!(u.checksum, d.checksum, "{text}");
                assert_eq!(u.timestamp, d.timestamp, "{text}");
                for (ours, theirs) in [(u.bids, &d.bids), (u.asks, &d.asks)] {
                    assert_eq!(ours.len(), theirs.len(), "{text}");
                    for (o, t) in ours.iter().zip(theirs) {
                        assert_eq!(o.event, t.event.as_ref(), "{text}");
                        assert_eq!(o.order_id, t.order_id.as_str(), "{text}");
                        assert_eq!(exact(o.limit_price), exact(t.limit_price), "{text}");
                        assert_eq!(exact(o.order_qty), exact(t.order_qty), "{text}");
                        assert_eq!(o.timestamp, t.timestamp, "{text}");
                    }
                }
            }
            assert_items_stand_alone("level3", f.item_texts(), &m.data, text);
        }
        (_, other) => panic!("fast and decode disagree on the channel: {other:?}\n{text}"),
    }
    true
}

#[test]
fn every_fixture_frame() {
    let mut parser = FrameParser::new();
    let mut accepted = 0;
    for line in include_str!("fixtures/inbound.jsonl").lines() {
        let is_book = matches!(decode(line), Ok(Inbound::Book(_) | Inbound::Level3(_)));
        let ok = check(&mut parser, line);
        // Every book and level3 example of the reference is recognised.
        assert_eq!(ok, is_book, "{line}");
        accepted += usize::from(ok);
    }
    assert!(
        accepted >= 4,
        "only {accepted} book frames among the fixtures"
    );
}

#[test]
fn the_live_capture_compact_and_pretty() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/book-btcusd-live-2023-07-30.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("note: {path} is absent; the live-capture comparison is skipped");
        return;
    };
    #[derive(serde::Deserialize)]
    struct Capture<'a> {
        #[serde(borrow)]
        init: &'a serde_json::value::RawValue,
        updates: Vec<&'a serde_json::value::RawValue>,
    }
    let capture: Capture<'_> = serde_json::from_str(&text).unwrap();
    let mut parser = FrameParser::new();
    let mut n = 0;
    for frame in std::iter::once(capture.init).chain(capture.updates) {
        // As stored: pretty-printed over many lines.
        assert!(check(&mut parser, frame.get()), "{}", frame.get());
        let compact = kraki_proto::recording::compact_json(frame.get());
        assert!(check(&mut parser, &compact), "{compact}");
        n += 1;
    }
    assert_eq!(n, 510);
}

#[test]
fn declined_frames_go_to_decode() {
    let mut parser = FrameParser::new();
    let declined = [
        // Another channel, an extra envelope field, a duplicate key.
        r#"{"channel":"trade","type":"update","data":[]}"#,
        r#"{"channel":"book","type":"update","data":[],"sequence":1}"#,
        r#"{"channel":"book","channel":"book","type":"update","data":[]}"#,
        // An escape, a float checksum, a level as an array, a missing field.
        r#"{"channel":"book","type":"update","data":[{"symbol":"BTC\/USD","checksum":1}]}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":1.0}]}"#,
        // A checksum past u32, with ten and with sixteen digits; one with
        // a leading zero.
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":4294967296}]}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":1000000000000000}]}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":0123}]}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","bids":[[1,2]],"checksum":1}]}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","bids":[{"price":1}],"checksum":1}]}"#,
        // Malformed: leading zero, trailing text, bad timestamp, too deep.
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","bids":[{"price":01,"qty":1}],"checksum":1}]}"#,
        r#"{"channel":"book","type":"update","data":[]} x"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":1,"timestamp":"2023-02-30T00:00:00Z"}]}"#,
        "",
        "{",
        "not json",
    ];
    for text in declined {
        assert!(parser.parse(text).is_none(), "{text}");
    }
    // Unknown members inside items are skipped, as serde does.
    let text = r#" {"data":[{"symbol":"X","x":{"a":[1,-2.5e3,true,null,"s"]},"bids":[{"qty":"1.50","price":2E1,"n":{}}],"checksum":0,"timestamp":null}],"type":"update","channel":"book"} "#;
    assert!(check(&mut parser, text));
    // Checksums of every length up to u32's limit, plain and quoted, read
    // as decode reads them.
    for checksum in [
        "0",
        "9",
        "12345678",
        "123456789",
        "4294967295",
        "\"4294967295\"",
    ] {
        let text = format!(
            r#"{{"channel":"book","type":"update","data":[{{"symbol":"X","checksum":{checksum}}}]}}"#
        );
        assert!(check(&mut parser, &text), "{text}");
    }
}

/// Writes `units × 10^-scale` in one of the forms the wire can carry.
fn number(units: i64, scale: u8, form: u8) -> String {
    let d = Decimal::new(units, scale).unwrap();
    let n = d.normalized();
    match form % 8 {
        0 => d.to_string(),
        1 => n.to_string(),
        2 => format!("{}e-{}", n.mantissa(), n.scale()),
        3 => format!("\"{d}\""),
        4 => format!("{}E+0{}", n.mantissa(), 0),
        5 => format!("\" {n} \""),
        // Long paddings: more than 18 digits go the general way.
        6 => format!("{d}{}", "0".repeat(12)),
        _ => format!("{}.0e{}", n.mantissa(), -i32::from(n.scale())),
    }
}

/// A JSON member list in a shuffled order with random whitespace.
fn object(mut members: Vec<String>, order: u64, ws: &str) -> String {
    let len = members.len().max(1);
    let rot = (order as usize) % len;
    members.rotate_left(rot);
    if order & 1 == 1 {
        members.reverse();
    }
    format!("{{{ws}{}{ws}}}", members.join(&format!("{ws},{ws}")))
}

#[derive(Debug, Clone)]
struct Spec {
    level3: bool,
    snapshot: bool,
    items: Vec<ItemSpec>,
    order: u64,
    ws: u8,
}

#[derive(Debug, Clone)]
struct ItemSpec {
    bids: Vec<(i64, i64, u8, u8)>,
    asks: Vec<(i64, i64, u8, u8)>,
    checksum: u32,
    timestamp: u8,
    extra: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    let entry = (0i64..10_000_000, 0i64..100_000_000_000, any::<u8>(), 0u8..9);
    let item = (
        prop::collection::vec(entry.clone(), 0..5),
        prop::collection::vec(entry, 0..5),
        any::<u32>(),
        any::<u8>(),
        any::<bool>(),
    )
        .prop_map(|(bids, asks, checksum, timestamp, extra)| ItemSpec {
            bids,
            asks,
            checksum,
            timestamp,
            extra,
        });
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(item, 0..3),
        any::<u64>(),
        any::<u8>(),
    )
        .prop_map(|(level3, snapshot, items, order, ws)| Spec {
            level3,
            snapshot,
            items,
            order,
            ws,
        })
}

fn render(spec: &Spec) -> String {
    let ws = [""; 3]
        .iter()
        .chain(&[" ", "\n  ", "\t"])
        .nth(usize::from(spec.ws % 6))
        .copied()
        .unwrap_or("");
    let mut n = 0;
    let items: Vec<String> = spec
        .items
        .iter()
        .map(|item| {
            let mut side = |entries: &[(i64, i64, u8, u8)]| -> String {
                let e: Vec<String> = entries
                    .iter()
                    .map(|&(price, qty, form, scale)| {
                        n += 1;
                        let mut m = if spec.level3 {
                            vec![
                                format!(r#""order_id":"O{n}""#),
                                format!(r#""limit_price":{}"#, number(price, scale.min(4), form)),
                                format!(r#""order_qty":{}"#, number(qty, scale, form / 8)),
                                format!(r#""timestamp":"2024-05-19T18:55:20.{:09}Z""#, n),
                            ]
                        } else {
                            vec![
                                format!(r#""price":{}"#, number(price, scale.min(4), form)),
                                format!(r#""qty":{}"#, number(qty, scale, form / 8)),
                            ]
                        };
                        if spec.level3 && !spec.snapshot {
                            let event = ["add", "modify", "delete", "amend"][usize::from(form % 4)];
                            m.push(format!(r#""event":"{event}""#));
                        }
                        object(m, u64::from(form), ws)
                    })
                    .collect();
                format!("[{}]", e.join(","))
            };
            let mut m = vec![
                r#""symbol":"BTC/USD""#.to_owned(),
                format!(r#""bids":{}"#, side(&item.bids)),
                format!(r#""asks":{}"#, side(&item.asks)),
                format!(r#""checksum":{}"#, item.checksum),
            ];
            match item.timestamp % 4 {
                0 => {}
                1 => m.push(r#""timestamp":null"#.to_owned()),
                2 => m.push(r#""timestamp":"2023-07-30T15:29:58.343415Z""#.to_owned()),
                _ => m.push(r#""timestamp":"2023-07-30T15:29:58Z""#.to_owned()),
            }
            if item.extra {
                m.push(r#""extra":[{"a":"b"},1.5,[]]"#.to_owned());
            }
            object(m, u64::from(item.timestamp), ws)
        })
        .collect();
    let channel = if spec.level3 { "level3" } else { "book" };
    let kind = if spec.snapshot { "snapshot" } else { "update" };
    object(
        vec![
            format!(r#""channel":"{channel}""#),
            format!(r#""type":"{kind}""#),
            format!(r#""data":[{}]"#, items.join(",")),
        ],
        spec.order,
        ws,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Generated frames in every wire form: the fast parser accepts them
    /// all and agrees with decode.
    #[test]
    fn generated_frames_equal_decode(spec in spec()) {
        let text = render(&spec);
        let mut parser = FrameParser::new();
        if decode(&text).is_ok() {
            prop_assert!(check(&mut parser, &text), "declined a valid frame: {}", text);
        } else {
            prop_assert!(parser.parse(&text).is_none(), "{}", text);
        }
    }

    /// The same frames with a byte changed, removed or inserted: whatever
    /// the fast parser still accepts, decode reads the same way.
    #[test]
    fn mutated_frames_never_disagree(
        spec in spec(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"{}[]\",:.-+eE0159 \\nulx".to_vec()),
        how in 0u8..3,
    ) {
        let mut bytes = render(&spec).into_bytes();
        let i = at.index(bytes.len() + 1);
        match how {
            0 if i < bytes.len() => bytes[i] = byte,
            1 if i < bytes.len() => { bytes.remove(i); }
            _ => bytes.insert(i, byte),
        }
        if let Ok(text) = String::from_utf8(bytes) {
            let mut parser = FrameParser::new();
            check(&mut parser, &text);
        }
    }
}

#[test]
fn item_texts_are_each_pairs_object_as_sent() {
    let text = r#"{"channel":"book","type":"update","data":[ {"symbol":"BTC/USD","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":7} , {"symbol":"ETH/USD", "bids":[],"asks":[],"checksum":9}]}"#;
    let mut parser = FrameParser::new();
    assert!(check(&mut parser, text));
    let Some(FastFrame::Book(frame)) = parser.parse(text) else {
        panic!("not parsed: {text}");
    };
    let items: Vec<&str> = frame.item_texts().collect();
    assert_eq!(
        items,
        [
            r#"{"symbol":"BTC/USD","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":7}"#,
            r#"{"symbol":"ETH/USD", "bids":[],"asks":[],"checksum":9}"#,
        ]
    );
}

/// Everything a frame holds, in a form to compare: items with their
/// levels or orders, digit for digit.
fn contents(frame: FastFrame<'_>) -> String {
    match frame {
        FastFrame::Book(f) => {
            let items: Vec<_> = f
                .updates()
                .map(|u| {
                    let levels = |l: &[kraki_proto::channels::PriceLevel]| {
                        l.iter()
                            .map(|l| (exact(l.price), exact(l.qty)))
                            .collect::<Vec<_>>()
                    };
                    (
                        u.symbol,
                        u.checksum,
                        u.timestamp,
                        levels(u.bids),
                        levels(u.asks),
                    )
                })
                .collect();
            format!(
                "book {:?} {items:?} {:?}",
                f.kind(),
                f.item_texts().collect::<Vec<_>>()
            )
        }
        FastFrame::Level3(f) => {
            let items: Vec<_> = f
                .updates()
                .map(|u| {
                    let orders = |o: kraki_proto::book::Level3Orders<'_>| {
                        let orders: Vec<_> = o
                            .iter()
                            .map(|o| {
                                let price = exact(o.limit_price);
                                let qty = exact(o.order_qty);
                                (o.event.cloned(), o.order_id, price, qty, o.timestamp)
                            })
                            .collect();
                        format!("{orders:?}")
                    };
                    (
                        u.symbol,
                        u.checksum,
                        u.timestamp,
                        orders(u.bids),
                        orders(u.asks),
                    )
                })
                .collect();
            format!(
                "level3 {:?} {items:?} {:?}",
                f.kind(),
                f.item_texts().collect::<Vec<_>>()
            )
        }
    }
}

/// Frames kept one after another in one parser, with lines it declines
/// between them, read back exactly as each parses alone; a declined line
/// keeps nothing, and `clear` starts afresh.
#[test]
fn kept_frames_read_back_as_each_parses_alone() {
    let mut text = String::new();
    let mut starts = Vec::new();
    for (i, line) in include_str!("fixtures/inbound.jsonl").lines().enumerate() {
        starts.push(text.len());
        text.push_str(line);
        text.push('\n');
        // A book frame cut short: parsed some way, then declined.
        if i % 3 == 0 {
            starts.push(text.len());
            text.push_str(r#"{"channel":"book","type":"update","data":[{"symbol":"X/Y","bids":[{"price":1,"qty":2}],"asks":[{"price":3,"qty":"#);
            text.push('\n');
        }
    }
    let mut alone = FrameParser::new();
    let mut kept = FrameParser::new();
    for round in 0..2 {
        kept.clear();
        let mut frames = Vec::new();
        for &start in &starts {
            let line = &text[start..];
            match (alone.parse_prefix(line), kept.keep_prefix(&text, start)) {
                (Some((frame, used)), Some((at, kept_used))) => {
                    assert_eq!(used, kept_used, "{line}");
                    frames.push((at, contents(frame)));
                }
                (None, None) => {}
                (a, k) => panic!("alone {:?}, kept {:?}: {line}", a.is_some(), k.is_some()),
            }
        }
        assert!(frames.len() >= 4, "round {round}: {} frames", frames.len());
        for (at, expected) in &frames {
            assert_eq!(&contents(kept.kept(&text, at)), expected);
        }
    }
}

//! The fast path against the general path: equal wherever the fast path
//! answers, on every fixture, on generated frames and on mutated ones.

use super::decode;
use crate::Decimal;
use crate::decode::decode_general;
use proptest::prelude::*;

const FIXTURES: &str = include_str!("../../tests/fixtures/inbound.jsonl");

#[test]
fn every_fixture_of_the_hot_channels_is_taken_and_equal() {
    let mut taken = 0;
    for line in FIXTURES.lines().filter(|l| !l.trim().is_empty()) {
        let hot = ["book", "level3", "ticker", "trade", "executions"]
            .iter()
            .any(|c| line.starts_with(&format!(r#"{{"channel":"{c}""#)));
        match decode(line) {
            Some(fast) => {
                assert_eq!(Ok(fast), decode_general(line), "{line}");
                taken += 1;
            }
            None => assert!(!hot || line.contains('\\'), "declined: {line}"),
        }
    }
    assert!(taken >= 21, "only {taken} fixtures took the fast path");
}

#[test]
fn declines_what_the_general_path_must_judge() {
    for declined in [
        r#"{"channel":"heartbeat"}"#,
        r#"{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[]}}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"B\u0054C","bids":[],"asks":[],"checksum":1}]}"#,
        r#"{"channel":"book","channel":"book","type":"update","data":[]}"#,
        r#"{"channel":"book","type":"update","data":[{"symbol":"X","checksum":1.0}]}"#,
        r#"{"channel":"book","type":"update","data":[]} x"#,
        r#"{"channel":"book","type":"delta","data":[]}"#,
        r#"{"channel":"book","type":"update","data":[],"time_in":"nope"}"#,
        r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":1}]}"#,
        r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"hold","price":1,"qty":1,"ord_type":"limit","trade_id":1,"timestamp":"2024-05-27T12:43:11.798009Z"}]}"#,
        r#"{"channel":"executions","type":"update","data":[{"order_id":"O","exec_type":"new","order_status":"new","order_qty":1,"order_qty":2}]}"#,
    ] {
        assert_eq!(decode(declined), None, "{declined}");
    }
}

#[test]
fn nulls_in_optional_fields_are_none_as_in_serde() {
    let frame = r#"{"channel":"executions","type":"update","data":[{"order_id":"O1","exec_type":"new","order_status":"new","cl_ord_id":null,"order_userref":null,"fees":[{"asset":"USD","qty":"0.5"}]}],"sequence":null}"#;
    let fast = decode(frame).unwrap();
    assert_eq!(Ok(fast), decode_general(frame));
}

/// A level in one of the forms the wire may use.
fn level(price: i64, qty: i64, form: u8, swap: bool) -> String {
    let p = Decimal::new(price, 1).unwrap_or_default();
    let q = Decimal::new(qty, 8).unwrap_or_default();
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

const BASES: [&str; 5] = [
    r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":29430.2,"qty":0.18967538}],"asks":[{"price":"29431.1","qty":1e-8}],"checksum":3547452596,"timestamp":"2023-07-30T15:29:58.343415Z"}]}"#,
    r#"{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","bid":65843.7,"bid_qty":12.31628629,"ask":65843.8,"ask_qty":0.31232000,"last":65843.7,"volume":4182.59447976,"vwap":64223.4,"low":61325.4,"high":66450.0,"change":4213.8,"change_pct":6.84}]}"#,
    r#"{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":68500.0,"qty":0.01044926,"ord_type":"limit","trade_id":70635299,"timestamp":"2024-05-27T12:43:11.798009Z"}]}"#,
    r#"{"channel":"executions","type":"update","data":[{"order_id":"OK4GJX-KSTLS-7DZZO5","order_userref":3,"exec_id":"TGBB7L-HT5LX-J3BZ4A","exec_type":"trade","trade_id":62887576,"symbol":"BTC/USD","side":"sell","last_qty":0.005,"last_price":26599.9,"liquidity_ind":"t","cost":132.9995,"order_type":"limit","timestamp":"2023-09-22T10:33:05.709993Z","order_status":"partially_filled","cum_qty":0.005,"cum_cost":132.9995,"avg_price":26599.9,"fee_usd_equiv":0.3458,"fees":[{"asset":"USD","qty":0.3458}],"triggers":{"price":0.2,"status":"untriggered"}}],"sequence":10}"#,
    r#"{"channel":"level3","type":"update","data":[{"checksum":2143854316,"timestamp":"2024-05-19T18:59:44.999999999Z","symbol":"BTC/USD","bids":[{"event":"delete","order_id":"O7SO4Y-RHRAK-GGAHJE","limit_price":66567.3,"order_qty":0.22540000,"timestamp":"2024-05-19T18:59:46.541105556Z"}],"asks":[{"event":"add","order_id":"OI2XQ5-6JUYI-A5NI6J","limit_price":"66566.9","order_qty":2.82230268,"timestamp":"2024-05-19T18:59:44.999999Z"}]}]}"#,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever the key order, spacing and number forms, the fast path
    /// gives exactly what the general path gives.
    #[test]
    fn book_frames_equal_the_general_path(
        levels in prop::collection::vec((1i64..10_000_000, 0i64..1_000_000_000, any::<u8>(), any::<bool>()), 0..12),
        checksum in any::<u32>(),
        order in 0usize..6,
        spaced in any::<bool>(),
        stamped in any::<bool>(),
        snapshot in any::<bool>(),
        symbol in prop::sample::select(&["BTC/USD", "ETH/USD", "A/B", "LONGERNAME/USDT"][..]),
    ) {
        let (bids, asks) = levels.split_at(levels.len() / 2);
        let side = |ls: &[(i64, i64, u8, bool)]| ls.iter().map(|&(p, q, f, s)| level(p, q, f, s)).collect::<Vec<_>>().join(",");
        let stamp = if stamped { r#","timestamp":"2024-05-19T16:45:24.204654Z""# } else { "" };
        let item = format!(r#"{{"symbol":"{symbol}","bids":[{}],"asks":[{}],"checksum":{checksum}{stamp}}}"#, side(bids), side(asks));
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
        let fast = fast.unwrap_or(crate::Inbound::Heartbeat);
        prop_assert_eq!(Ok(fast.clone()), decode_general(&frame));
        // The next case decodes into these buffers, left as this one
        // filled them: nothing of it may show through.
        crate::recycle(fast);
    }

    /// Level3 frames with orders in any member order and number form,
    /// events known and not, timestamps in each of Kraken's forms: the
    /// fast path gives exactly what the general path gives.
    #[test]
    fn level3_frames_equal_the_general_path(
        orders in prop::collection::vec((1i64..10_000_000, 0i64..1_000_000_000, any::<u8>(), any::<bool>()), 0..8),
        checksum in any::<u32>(),
        item_order in 0usize..6,
        snapshot in any::<bool>(),
        stamp in 0usize..4,
    ) {
        let stamps = ["", r#","timestamp":null"#, r#","timestamp":"2024-05-19T18:59:44.999999999Z""#, r#","timestamp":"2024-05-19T18:59:44Z""#];
        let order = |&(price, qty, form, swap): &(i64, i64, u8, bool)| {
            let event = ["", r#""event":"add","#, r#""event":"delete","#, r#""event":"amend","#, r#""event":null,"#][usize::from(form % 5)];
            let time = ["2024-05-19T18:55:20.910159752Z", "2024-05-19T18:55:20.910159Z", "2024-05-19T18:55:20Z"][usize::from(form / 5 % 3)];
            let level = level(price, qty, form / 15, swap);
            let fields = &level[1..level.len() - 1];
            let fields = fields.replace(r#""price""#, r#""limit_price""#).replace(r#""qty""#, r#""order_qty""#);
            format!(r#"{{{event}"order_id":"O{price}","timestamp":"{time}",{fields}}}"#)
        };
        let (bids, asks) = orders.split_at(orders.len() / 2);
        let side = |os: &[(i64, i64, u8, bool)]| os.iter().map(order).collect::<Vec<_>>().join(",");
        let parts = [
            r#""symbol":"BTC/USD""#.to_owned(),
            format!(r#""bids":[{}],"asks":[{}]"#, side(bids), side(asks)),
            format!(r#""checksum":{checksum}{}"#, stamps[stamp]),
        ];
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        let item = perms[item_order].iter().map(|&i| parts[i].as_str()).collect::<Vec<_>>().join(",");
        let kind = if snapshot { "snapshot" } else { "update" };
        let frame = format!(r#"{{"channel":"level3","type":"{kind}","data":[{{{item}}}]}}"#);
        let fast = decode(&frame);
        prop_assert!(fast.is_some(), "declined: {}", frame);
        let fast = fast.unwrap_or(crate::Inbound::Heartbeat);
        prop_assert_eq!(Ok(fast), decode_general(&frame), "{}", frame);
    }

    /// Execution reports with any subset of their members, in any order,
    /// repeated or unknown ones among them: the ordered pass, the key
    /// table and the general path agree.
    #[test]
    fn execution_member_orders_equal_the_general_path(
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..24),
        shuffle in any::<prop::sample::Index>(),
    ) {
        const MEMBERS: [&str; 26] = [
            r#""order_id":"OK4GJX-KSTLS-7DZZO5""#,
            r#""order_userref":3"#,
            r#""exec_id":"TGBB7L-HT5LX-J3BZ4A""#,
            r#""exec_type":"trade""#,
            r#""trade_id":62887576"#,
            r#""symbol":"BTC/USD""#,
            r#""side":"sell""#,
            r#""last_qty":0.005"#,
            r#""last_price":26599.9"#,
            r#""liquidity_ind":"t""#,
            r#""cost":132.9995"#,
            r#""order_type":"limit""#,
            r#""timestamp":"2023-09-22T10:33:05.709993Z""#,
            r#""order_status":"partially_filled""#,
            r#""cum_qty":0.005"#,
            r#""fees":[{"asset":"USD","qty":0.3458}]"#,
            r#""order_qty":5.10000000"#,
            r#""limit_price":null"#,
            r#""amended":true"#,
            r#""reason":"User requested""#,
            r#""triggers":{"price":0.2,"status":"untriggered"}"#,
            r#""stop_price":"0.2""#,
            r#""ratecount":1e2"#,
            r#""unknown_member":[1,{"a":null}]"#,
            r#""order_id":"again""#,
            r#""cl_ord_id":null"#,
        ];
        let mut members: Vec<&str> = picks.iter().map(|i| MEMBERS[i.index(MEMBERS.len())]).collect();
        // Always the required three, at places the picks decide.
        for (k, required) in [0usize, 3, 13].into_iter().enumerate() {
            let at = shuffle.index(members.len() + 1 + k) % (members.len() + 1);
            members.insert(at, MEMBERS[required]);
        }
        let frame = format!(
            r#"{{"channel":"executions","type":"update","data":[{{{}}}],"sequence":7}}"#,
            members.join(",")
        );
        let general = decode_general(&frame);
        match decode(&frame) {
            Some(fast) => prop_assert_eq!(Ok(fast), general, "{}", frame),
            // Declined: only a repeated member makes that necessary here.
            None => prop_assert!(general.is_err(), "declined: {}", frame),
        }
    }

    /// On broken frames of every hot channel the fast path either declines
    /// or agrees.
    #[test]
    fn never_disagrees_on_mutations(
        base in 0usize..BASES.len(),
        cut in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..4),
    ) {
        let base = BASES[base];
        let mut bytes = base.as_bytes()[..cut.index(base.len() + 1).max(base.len() * 3 / 4)].to_vec();
        if cut.index(4) == 0 {
            bytes = base.as_bytes().to_vec();
        }
        let alphabet = b"{}[]\":,0123456789.eE+- \\nult";
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

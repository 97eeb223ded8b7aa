//! Values spot-checked in the protocol reference's examples, one per
//! message family, to show the typed fields carry exactly what was sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kraki_proto::BalancesData;
use kraki_proto::channels::{
    ExecType, Level3Event, LiquidityInd, OrderStatus, PairStatus, SystemStatus, TradeOrderType,
};
use kraki_proto::{Inbound, Response, Side, TimeInForce, decode};

const INBOUND: &str = include_str!("fixtures/inbound.jsonl");

/// The first fixture whose text contains `needle`, decoded.
fn fixture(needle: &str) -> Inbound {
    let line = INBOUND
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no fixture contains {needle}"));
    decode(line).unwrap()
}

fn response(needle: &str) -> Response {
    match fixture(needle) {
        Inbound::Response(r) => *r,
        other => panic!("not a response: {other:?}"),
    }
}

#[test]
fn ticker() {
    let Inbound::Ticker(m) = fixture("ALGO/USD\",\"bid\"") else {
        panic!()
    };
    let t = &m.data[0];
    assert_eq!(t.bid.to_string(), "0.10025");
    assert_eq!(t.bid_qty.to_string(), "740.0");
    assert_eq!(t.change_pct.to_string(), "-0.17");
    assert_eq!(
        t.timestamp.unwrap().to_string(),
        "2023-09-25T09:04:31.742648Z"
    );
}

#[test]
fn book_update_keeps_padding() {
    let Inbound::Book(m) = fixture("902440905") else {
        panic!()
    };
    let b = &m.data[0];
    assert_eq!(b.bids[0].qty.to_string(), "0.00000000");
    assert!(b.bids[0].qty.is_zero());
    assert_eq!(b.checksum, 902_440_905);
    assert!(b.asks.is_empty());
}

#[test]
fn level3_events() {
    let Inbound::Level3(m) = fixture("2143854316") else {
        panic!()
    };
    let d = &m.data[0];
    assert_eq!(d.bids[0].event, Some(Level3Event::Delete));
    assert_eq!(d.bids[1].event, Some(Level3Event::Add));
    assert_eq!(d.bids[1].order_qty.to_string(), "2.82230268");
    assert_eq!(
        d.timestamp.unwrap().to_string(),
        "2024-05-19T18:59:44.999999999Z"
    );
}

#[test]
fn ohlc_has_top_level_timestamp() {
    let Inbound::Ohlc(m) = fixture("MATIC/USD\",\"open\"") else {
        panic!()
    };
    assert_eq!(
        m.timestamp.unwrap().to_string(),
        "2023-10-04T16:26:30.524394914Z"
    );
    assert_eq!(m.data[0].trades, 12);
    assert_eq!(m.data[0].interval, 5);
    assert_eq!(m.data[0].volume.to_string(), "30927.68066226");
}

#[test]
fn trade() {
    let Inbound::Trade(m) = fixture("70635299") else {
        panic!()
    };
    assert_eq!(m.data.len(), 2);
    assert_eq!(m.data[0].side, Side::Buy);
    assert_eq!(m.data[0].ord_type, TradeOrderType::Limit);
    assert_eq!(m.data[1].trade_id, 70_635_300);
}

#[test]
fn instrument_precisions() {
    let Inbound::Instrument(m) = fixture("\"instrument\",\"type\":\"snapshot\"") else {
        panic!()
    };
    let btc = &m.data.pairs[0];
    assert_eq!(btc.symbol, "BTC/USD");
    assert_eq!((btc.price_precision, btc.qty_precision), (1, 8));
    assert_eq!(btc.qty_increment.to_string(), "0.00000001");
    assert_eq!(btc.status, PairStatus::Online);
    assert_eq!(m.data.assets[1].precision, 10);
}

#[test]
fn status_without_connection_id() {
    let Inbound::Status(m) = fixture("\"maintenance\"") else {
        panic!()
    };
    assert_eq!(m.data[0].system, SystemStatus::Maintenance);
    assert_eq!(m.data[0].connection_id, None);
}

#[test]
fn executions_trade_report() {
    let Inbound::Executions(m) = fixture("TGBB7L-HT5LX-J3BZ4A") else {
        panic!()
    };
    assert_eq!(m.sequence, Some(10));
    let r = &m.data[0];
    assert_eq!(r.exec_type, ExecType::Trade);
    assert_eq!(r.order_status, OrderStatus::PartiallyFilled);
    assert_eq!(r.liquidity_ind, Some(LiquidityInd::Taker));
    assert_eq!(r.cost.unwrap().to_string(), "132.9995");
    assert_eq!(r.fees.as_ref().unwrap()[0].asset, "USD");
}

#[test]
fn executions_unknown_values_are_kept() {
    let Inbound::Executions(m) = fixture("brand_new_event") else {
        panic!()
    };
    assert_eq!(
        m.data[0].exec_type,
        ExecType::Other("brand_new_event".into())
    );
    assert_eq!(m.data[0].exec_type.as_str(), "brand_new_event");
}

#[test]
fn executions_pending_new_with_gtc() {
    let Inbound::Executions(m) = fixture("OK4GJX-KSTLS-7DZZO5\",\"order_userref\":3,\"symbol\"")
    else {
        panic!()
    };
    assert_eq!(m.data[0].time_in_force, Some(TimeInForce::Gtc));
    assert_eq!(m.data[0].limit_price.unwrap().to_string(), "26500.0");
}

#[test]
fn balances_snapshot_and_update() {
    let Inbound::Balances(m) = fixture("\"balances\",\"type\":\"snapshot\"") else {
        panic!()
    };
    let BalancesData::Snapshot(assets) = &m.data else {
        panic!()
    };
    assert_eq!(assets[1].wallets[1].wallet_type, "earn");
    assert_eq!(assets[1].balance.to_string(), "500");
    let Inbound::Balances(m) = fixture("DATKX6-PEHL1-HZKND8") else {
        panic!()
    };
    let BalancesData::Update(entries) = &m.data else {
        panic!()
    };
    assert_eq!(entries[0].amount.to_string(), "-19.9743");
    assert_eq!(m.sequence, Some(4));
}

#[test]
fn subscribe_error_keeps_krakens_string_and_symbol() {
    let r = response("WWW/USD");
    assert!(!r.success());
    assert_eq!(r.error(), Some("Currency pair not supported WWW/USD"));
    assert_eq!(r.symbol().unwrap(), "WWW/USD");
}

#[test]
fn add_order_rejection() {
    let Response::AddOrder(r) = response("EOrder:Insufficient funds") else {
        panic!()
    };
    assert_eq!(r.outcome(), Err("EOrder:Insufficient funds"));
    assert_eq!(r.req_id.unwrap().0, 123_456_789);
}

#[test]
fn cancel_after_camel_case() {
    let Response::CancelAllOrdersAfter(r) = response("triggerTime") else {
        panic!()
    };
    let result = r.result.unwrap();
    assert_eq!(result.current_time.to_string(), "2023-09-21T15:49:29Z");
    assert_eq!(
        result.trigger_time.unwrap().to_string(),
        "2023-09-21T15:51:09Z"
    );
}

#[test]
fn batch_cancel_both_shapes_give_a_count() {
    let Response::BatchCancel(live) = response("orders_cancelled") else {
        panic!()
    };
    assert_eq!(live.result.unwrap().count, 2);
    let Response::BatchCancel(docs) = response("\"batch_cancel\",\"req_id\":1234567890,\"result\"")
    else {
        panic!()
    };
    assert_eq!(docs.result.unwrap().count, 3);
}

#[test]
fn batch_add_rows_and_lenient_time_out() {
    let Response::BatchAdd(r) = response("ORDERX-IDXXX-XXXXX1\",\"order_userref\":1") else {
        panic!()
    };
    let rows = r.result.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].order_userref, Some(2));
    // The documented time_out has seven digits and no zone.
    assert_eq!(
        r.time_out.unwrap().to_string(),
        "2022-06-13T08:09:10.7890123Z"
    );
}

#[test]
fn pong_and_ping_error() {
    let r = response("\"pong\"");
    assert_eq!(r.req_id().unwrap().0, 101);
    assert!(r.success());
    let r = response("for the given msg type: ping");
    assert!(!r.success());
    assert_eq!(r.method(), "ping");
}

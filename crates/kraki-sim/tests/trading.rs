//! The private side over real sockets: a token from REST, executions and
//! balances subscriptions, and every trading method with Kraken's ack
//! shapes and error strings. Every frame is decoded with
//! `kraki_proto::decode` and checked to be the right typed variant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::private::{Private, top};
use kraki_proto::Decimal;
use kraki_sim::{SimHandle, Simulator, SystemStatus};
use serde_json::Value;
use std::time::Duration;

const QUIET: Duration = Duration::from_millis(300);

async fn sim() -> SimHandle {
    Simulator::builder().paused(true).spawn().await.unwrap()
}

/// BTC/USD price units (0.1) as wire text.
fn px(units: i64) -> String {
    format!("{}.{}", units / 10, units % 10)
}

fn dec(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

/// A field of a report or entry as an exact decimal.
fn num(v: &Value, key: &str) -> Decimal {
    dec(&v[key].to_string())
}

fn limit_buy(price: &str, qty: &str, extra: &str) -> String {
    format!(
        r#"{{"method":"add_order","params":{{"order_type":"limit","side":"buy","order_qty":{qty},"symbol":"BTC/USD","limit_price":{price},"token":"{{token}}"{extra}}},"req_id":7}}"#
    )
}

/// Places a buy limit well below the market; returns its order id.
async fn resting_buy(p: &mut Private, bid: i64, extra: &str) -> String {
    let ack = p.request(&limit_buy(&px(bid - 100), "0.01", extra)).await;
    assert_eq!(ack["success"], true, "{ack}");
    ack["result"]["order_id"].as_str().unwrap().to_owned()
}

fn p_raw(frame: &Value) -> &str {
    frame["_raw"].as_str().unwrap()
}

fn sequences(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .map(|f| f["sequence"].as_u64().unwrap())
        .collect()
}

fn reports(frames: &[Value]) -> Vec<Value> {
    frames
        .iter()
        .flat_map(|f| f["data"].as_array().unwrap().clone())
        .collect()
}

#[tokio::test]
async fn lifecycle_partial_then_full_fill_moves_balances_consistently() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    let (snap, balances) = p.subscribe_both(r#","snap_trades":true"#).await;
    assert_eq!(snap["type"], "snapshot");
    assert_eq!(snap["sequence"], 1);
    assert_eq!(snap["data"].as_array().unwrap().len(), 0);
    assert_eq!(balances["sequence"], 1);
    let assets: Vec<&str> = balances["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["asset"].as_str().unwrap())
        .collect();
    assert!(assets.contains(&"USD") && assets.contains(&"BTC") && assets.contains(&"ETH"));
    let usd = balances["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "USD")
        .unwrap();
    assert_eq!(num(usd, "balance"), dec("100000"));
    assert_eq!(usd["wallets"][0]["type"], "spot");
    assert_eq!(usd["wallets"][0]["id"], "main");

    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let limit = bid - 100;
    let ack = p
        .request(&limit_buy(
            &px(limit),
            "0.01000000",
            r#","cl_ord_id":"life-1""#,
        ))
        .await;
    assert_eq!(ack["success"], true, "{ack}");
    assert_eq!(ack["req_id"], 7);
    assert_eq!(ack["result"]["cl_ord_id"], "life-1");
    let order_id = ack["result"]["order_id"].as_str().unwrap().to_owned();
    assert_eq!(order_id.len(), 19);

    let placed_frames = p.drain("executions", QUIET).await;
    let placed = reports(&placed_frames);
    assert_eq!(placed.len(), 2, "{placed:?}");
    let first = &placed[0];
    assert_eq!(first["exec_type"], "pending_new");
    assert_eq!(first["order_status"], "pending_new");
    assert_eq!(first["order_id"], order_id.as_str());
    assert_eq!(first["symbol"], "BTC/USD");
    assert_eq!(first["time_in_force"], "GTC");
    assert_eq!(num(first, "order_qty"), dec("0.01"));
    // Padded to the pair's precisions, as the live server writes them.
    let raw = p_raw(&placed_frames[0]);
    assert!(raw.contains(r#""order_qty":0.01000000"#), "{raw}");
    assert!(raw.contains(r#""cum_cost":0.0000"#), "{raw}");
    assert_eq!(num(first, "limit_price"), dec(&px(limit)));
    assert_eq!(first["cl_ord_id"], "life-1");
    assert_eq!(placed[1]["exec_type"], "new");
    assert_eq!(placed[1]["order_status"], "new");
    assert!(placed[1].get("symbol").is_none(), "sparse: {}", placed[1]);

    // Exactly at the price: 0.004 of the 0.01 fills.
    assert!(sim.trade_to("BTC/USD", dec(&px(limit)), dec("0.004")).await);
    let fills = reports(&p.drain("executions", QUIET).await);
    assert_eq!(fills.len(), 1, "{fills:?}");
    let t1 = &fills[0];
    assert_eq!(t1["exec_type"], "trade");
    assert_eq!(t1["order_status"], "partially_filled");
    assert_eq!(num(t1, "last_qty"), dec("0.004"));
    assert_eq!(t1["liquidity_ind"], "m");
    assert_eq!(num(t1, "cum_qty"), dec("0.004"));
    let fee1 = num(&t1["fees"][0], "qty");
    assert_eq!(t1["fees"][0]["asset"], "USD");
    let cost1 = num(t1, "cost");
    // 0.16 % maker, rounded up to the cent's hundredth.
    assert!(fee1 > Decimal::ZERO && fee1 < cost1);

    // Through the price: the rest fills.
    assert!(
        sim.trade_to("BTC/USD", dec(&px(limit - 10)), dec("0.001"))
            .await
    );
    let rest = reports(&p.drain("executions", QUIET).await);
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert_eq!(rest[0]["exec_type"], "trade");
    assert_eq!(rest[0]["order_status"], "filled");
    assert_eq!(num(&rest[0], "last_qty"), dec("0.006"));
    assert_eq!(num(&rest[0], "cum_qty"), dec("0.01"));
    assert_eq!(num(&rest[0], "avg_price"), dec(&px(limit)));
    assert_eq!(rest[1]["exec_type"], "filled");
    assert_eq!(rest[1]["order_status"], "filled");
    let cost2 = num(&rest[0], "cost");
    let fee2 = num(&rest[0]["fees"][0], "qty");

    // Two ledger entries per fill, one per asset, sharing the fill's id.
    let ledger = p.drain("balances", QUIET).await;
    assert_eq!(sequences(&ledger), vec![2, 3, 4, 5]);
    let entries = reports(&ledger);
    for pair in entries.chunks(2) {
        assert_eq!(pair[0]["ref_id"], pair[1]["ref_id"]);
        assert_eq!(pair[0]["type"], "trade");
        assert_eq!(pair[0]["category"], "trade");
        assert_eq!(pair[0]["asset"], "BTC");
        assert_eq!(pair[1]["asset"], "USD");
    }
    assert_eq!(entries[0]["ref_id"], t1["exec_id"]);
    assert_ne!(entries[0]["ref_id"], entries[2]["ref_id"]);
    assert_eq!(num(&entries[0], "amount"), dec("0.004"));
    assert_eq!(num(&entries[1], "amount"), cost1.checked_neg().unwrap());
    assert_eq!(num(&entries[1], "fee"), fee1);
    assert_eq!(num(&entries[2], "balance"), dec("10.01"));
    let spent = cost1.checked_add(cost2).unwrap().checked_add(fee1).unwrap();
    let spent = spent.checked_add(fee2).unwrap();
    assert_eq!(
        num(&entries[3], "balance"),
        dec("100000").checked_sub(spent).unwrap()
    );
    // The cost is the exact price × quantity.
    let total = dec(&px(limit)).checked_mul(dec("0.01")).unwrap();
    assert_eq!(cost1.checked_add(cost2).unwrap(), total);

    // A new subscriber's snapshot has no open order and the two fills.
    let mut q = Private::connect(&sim).await;
    let (snap, balances) = q.subscribe_both(r#","snap_trades":true"#).await;
    let data = snap["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data.iter().all(|r| r["exec_type"] == "trade"));
    let btc = balances["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "BTC")
        .unwrap();
    assert_eq!(num(btc, "balance"), dec("10.01"));
    sim.shutdown().await;
}

#[tokio::test]
async fn resting_orders_fill_as_the_market_moves() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, ask) = top(&sim, "BTC/USD", 1).await;
    // Just outside the spread on both sides: whichever way the market
    // goes, its prints reach one of them.
    let ack = p.request(&limit_buy(&px(bid - 5), "0.0001", "")).await;
    assert_eq!(ack["success"], true, "{ack}");
    let sell = format!(
        r#"{{"method":"add_order","params":{{"order_type":"limit","side":"sell","order_qty":0.0001,"symbol":"BTC/USD","limit_price":{},"token":"{{token}}"}}}}"#,
        px(ask + 5)
    );
    let ack = p.request(&sell).await;
    assert_eq!(ack["success"], true, "{ack}");
    p.drain("executions", QUIET).await;
    let mut filled = false;
    for _ in 0..50 {
        sim.advance(100).await;
        let frames = p.drain("executions", Duration::from_millis(50)).await;
        if reports(&frames)
            .iter()
            .any(|r| r["exec_type"] == "trade" && r["liquidity_ind"] == "m")
        {
            filled = true;
            break;
        }
    }
    assert!(filled, "no fill after 5000 market events");
    sim.shutdown().await;
}

#[tokio::test]
async fn market_ioc_and_stop_orders() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;

    // A market buy walks the asks: a taker fill at 0.26 %.
    let ack = p
        .request(r#"{"method":"add_order","params":{"order_type":"market","side":"buy","order_qty":0.01,"symbol":"BTC/USD","token":"{token}"}}"#)
        .await;
    assert_eq!(ack["success"], true, "{ack}");
    let got = reports(&p.drain("executions", QUIET).await);
    let trades: Vec<&Value> = got.iter().filter(|r| r["exec_type"] == "trade").collect();
    assert!(!trades.is_empty(), "{got:?}");
    assert!(trades.iter().all(|t| t["liquidity_ind"] == "t"));
    assert_eq!(got.last().unwrap()["exec_type"], "filled");

    // IOC far below the market: nothing to take, the rest is canceled.
    let (bid, ask) = top(&sim, "BTC/USD", 1).await;
    let ack = p
        .request(&limit_buy(
            &px(bid - 500),
            "0.01",
            r#","time_in_force":"ioc""#,
        ))
        .await;
    assert_eq!(ack["success"], true, "{ack}");
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.last().unwrap()["exec_type"], "canceled", "{got:?}");

    // A stop-loss sell waits (pending_new), fires when the last price
    // falls to its trigger, and sells at market.
    let trigger = bid - 50;
    let ack = p
        .request(&format!(
            r#"{{"method":"add_order","params":{{"order_type":"stop-loss","side":"sell","order_qty":0.01,"symbol":"BTC/USD","triggers":{{"price":{}}},"token":"{{token}}"}}}}"#,
            px(trigger)
        ))
        .await;
    assert_eq!(ack["success"], true, "{ack}");
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["exec_type"], "pending_new");
    assert_eq!(got[0]["triggers"]["status"], "untriggered");
    assert!(
        sim.trade_to("BTC/USD", dec(&px(trigger)), dec("0.001"))
            .await
    );
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got[0]["exec_type"], "new", "{got:?}");
    assert_eq!(got[0]["triggers"]["status"], "triggered");
    assert!(
        got.iter()
            .any(|r| r["exec_type"] == "trade" && r["side"] == "sell")
    );
    assert_eq!(got.last().unwrap()["exec_type"], "filled");
    let _ = ask;
    sim.shutdown().await;
}

#[tokio::test]
async fn krakens_errors_for_bad_orders() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, ask) = top(&sim, "BTC/USD", 1).await;
    let cases = [
        (
            limit_buy(&px(ask + 10), "0.01", r#","post_only":true"#),
            "EOrder:Post only order",
        ),
        (limit_buy(&px(ask), "10", ""), "EOrder:Insufficient funds"),
        (
            limit_buy(&format!("{}.05", bid / 10), "0.01", ""),
            "EOrder:Tick size check failed",
        ),
        (limit_buy(&px(bid), "0.00001", ""), "EOrder:Order minimum not met"),
        (limit_buy("1.0", "0.0001", ""), "EOrder:Cost minimum not met"),
        (limit_buy("-1.0", "0.01", ""), "EOrder:Invalid price"),
        (
            limit_buy(&format!("\"{}\"", px(bid)), "0.01", ""),
            "Limit_price field must be a number_float",
        ),
        (
            limit_buy(&px(bid), "0.01", r#","leverage":2"#),
            "Unsupported field: 'leverage'",
        ),
        (
            r#"{"method":"add_order","params":{"order_type":"limit","side":"sell","order_qty":11,"symbol":"BTC/USD","limit_price":999999.0,"token":"{token}"},"req_id":7}"#.to_owned(),
            "EOrder:Insufficient funds",
        ),
        (
            r#"{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":1,"symbol":"XBT/USD","limit_price":1.0,"token":"{token}"},"req_id":7}"#.to_owned(),
            "EQuery:Unknown asset pair",
        ),
        (
            r#"{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":1,"symbol":"BTC/USD","limit_price":1.0},"req_id":7}"#.to_owned(),
            "Token(s) not found",
        ),
    ];
    for (request, error) in cases {
        let r = p.request(&request).await;
        assert_eq!(r["error"], error, "{request}");
        assert_eq!(r["success"], false);
        assert_eq!(r["method"], "add_order");
        assert!(r.get("result").is_none());
    }
    // Nothing was placed.
    assert!(p.drain("executions", QUIET).await.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn validate_answers_without_placing() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let r = p
        .request(&limit_buy(
            &px(bid - 100),
            "0.01",
            r#","validate":true,"order_userref":5"#,
        ))
        .await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["result"]["order_id"], "");
    assert_eq!(r["result"]["order_userref"], 5);
    assert!(p.drain("executions", QUIET).await.is_empty());
    // Validation still checks.
    let r = p
        .request(&limit_buy(&px(bid), "100", r#","validate":true"#))
        .await;
    assert_eq!(r["error"], "EOrder:Insufficient funds");
    sim.shutdown().await;
}

#[tokio::test]
async fn cancel_by_each_kind_of_id() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let a = resting_buy(&mut p, bid, "").await;
    let _b = resting_buy(&mut p, bid, r#","cl_ord_id":"c-2""#).await;
    let c = resting_buy(&mut p, bid, r#","order_userref":77"#).await;
    let d = resting_buy(&mut p, bid, r#","order_userref":77"#).await;
    p.drain("executions", QUIET).await;

    let r = p
        .request(&format!(
            r#"{{"method":"cancel_order","params":{{"order_id":["{a}"],"token":"{{token}}"}},"req_id":9}}"#
        ))
        .await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["req_id"], 9);
    assert_eq!(r["result"]["order_id"], a.as_str());
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["exec_type"], "canceled");
    assert_eq!(got[0]["order_status"], "canceled");
    assert_eq!(got[0]["reason"], "User requested");
    assert_eq!(num(&got[0], "cum_qty"), Decimal::ZERO);

    let r = p
        .request(r#"{"method":"cancel_order","params":{"cl_ord_id":["c-2"],"token":"{token}"},"req_id":10}"#)
        .await;
    assert_eq!(r["result"]["cl_ord_id"], "c-2", "{r}");

    // One response per canceled order, all with the request's req_id.
    let r1 = p
        .request(r#"{"method":"cancel_order","params":{"order_userref":[77],"token":"{token}"},"req_id":11}"#)
        .await;
    let r2 = p.response().await;
    let mut ids = vec![
        r1["result"]["order_id"].as_str().unwrap().to_owned(),
        r2["result"]["order_id"].as_str().unwrap().to_owned(),
    ];
    ids.sort();
    let mut expected = vec![c, d];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(r2["req_id"], 11);

    let r = p
        .request(&format!(
            r#"{{"method":"cancel_order","params":{{"order_id":["{a}"],"token":"{{token}}"}},"req_id":12}}"#
        ))
        .await;
    assert_eq!(r["error"], "EOrder:Invalid order");
    assert_eq!(r["success"], false);
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 3, "{got:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn cancel_all_and_amend_and_edit() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let a = resting_buy(&mut p, bid, r#","cl_ord_id":"am-1""#).await;
    p.drain("executions", QUIET).await;

    let r = p
        .request(&format!(
            r#"{{"method":"amend_order","params":{{"cl_ord_id":"am-1","order_qty":0.02,"limit_price":{},"token":"{{token}}"}},"req_id":3}}"#,
            px(bid - 200)
        ))
        .await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["result"]["cl_ord_id"], "am-1");
    assert!(!r["result"]["amend_id"].as_str().unwrap().is_empty());
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got[0]["exec_type"], "amended");
    assert_eq!(got[0]["order_id"], a.as_str());
    assert_eq!(got[0]["amended"], true);
    assert_eq!(num(&got[0], "order_qty"), dec("0.02"));
    assert_eq!(num(&got[0], "limit_price"), dec(&px(bid - 200)));

    let r = p
        .request(&format!(
            r#"{{"method":"edit_order","params":{{"order_id":"{a}","symbol":"BTC/USD","order_qty":0.03,"token":"{{token}}"}},"req_id":4}}"#
        ))
        .await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["result"]["original_order_id"], a.as_str());
    let b = r["result"]["order_id"].as_str().unwrap().to_owned();
    assert_ne!(a, b);
    let got = reports(&p.drain("executions", QUIET).await);
    let kinds: Vec<&str> = got
        .iter()
        .map(|r| r["exec_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["canceled", "pending_new", "new"]);

    let _c = resting_buy(&mut p, bid, "").await;
    p.drain("executions", QUIET).await;
    let r = p
        .request(r#"{"method":"cancel_all","params":{"token":"{token}"},"req_id":5}"#)
        .await;
    assert_eq!(r["result"]["count"], 2, "{r}");
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r["exec_type"] == "canceled"));
    let r = p
        .request(r#"{"method":"amend_order","params":{"order_id":"NOPE","order_qty":1,"token":"{token}"}}"#)
        .await;
    assert_eq!(r["error"], "EOrder:Unknown order");
    sim.shutdown().await;
}

#[tokio::test]
async fn dead_mans_switch_cancels_when_it_fires() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let a = resting_buy(&mut p, bid, "").await;
    p.drain("executions", QUIET).await;

    // Armed and disarmed: nothing happens.
    let r = p
        .request(r#"{"method":"cancel_all_orders_after","params":{"timeout":1,"token":"{token}"},"req_id":1}"#)
        .await;
    assert_eq!(r["success"], true, "{r}");
    let r = p
        .request(r#"{"method":"cancel_all_orders_after","params":{"timeout":0,"token":"{token}"},"req_id":2}"#)
        .await;
    assert!(r["result"].get("triggerTime").is_none(), "{r}");
    assert!(
        p.drain("executions", Duration::from_millis(1500))
            .await
            .is_empty()
    );

    let r = p
        .request(r#"{"method":"cancel_all_orders_after","params":{"timeout":1,"token":"{token}"},"req_id":3}"#)
        .await;
    let result = &r["result"];
    let current = result["currentTime"].as_str().unwrap();
    let trigger = result["triggerTime"].as_str().unwrap();
    // Second precision, camelCase keys.
    assert_eq!(current.len(), 20, "{current}");
    assert!(trigger > current, "{r}");
    let canceled = tokio::time::timeout(Duration::from_secs(4), p.next("executions"))
        .await
        .expect("the switch fired");
    let report = &canceled["data"][0];
    assert_eq!(report["exec_type"], "canceled");
    assert_eq!(report["order_id"], a.as_str());

    let r = p
        .request(
            r#"{"method":"cancel_all_orders_after","params":{"timeout":86400,"token":"{token}"}}"#,
        )
        .await;
    assert_eq!(r["error"], "EGeneral:Invalid arguments:timeout");
    sim.shutdown().await;
}

#[tokio::test]
async fn batch_add_and_batch_cancel() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, ask) = top(&sim, "BTC/USD", 1).await;
    let batch = format!(
        r#"{{"method":"batch_add","params":{{"symbol":"BTC/USD","orders":[{{"order_type":"limit","side":"buy","order_qty":0.01,"limit_price":{},"order_userref":1}},{{"order_type":"limit","side":"sell","order_qty":0.01,"limit_price":{},"cl_ord_id":"b-2"}}],"token":"{{token}}"}},"req_id":20}}"#,
        px(bid - 100),
        px(ask + 100)
    );
    let r = p.request(&batch).await;
    assert_eq!(r["success"], true, "{r}");
    let rows = r["result"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["order_userref"], 1);
    assert_eq!(rows[1]["cl_ord_id"], "b-2");
    let ids: Vec<String> = rows
        .iter()
        .map(|row| row["order_id"].as_str().unwrap().to_owned())
        .collect();
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 4, "{got:?}");

    // One bad order rejects the whole batch.
    let bad = batch
        .replace(&px(ask + 100), &format!("{}.55", ask / 10))
        .replace("b-2", "b-3");
    let r = p.request(&bad).await;
    assert_eq!(r["error"], "EOrder:Tick size check failed");
    let single = format!(
        r#"{{"method":"batch_add","params":{{"symbol":"BTC/USD","orders":[{{"order_type":"limit","side":"buy","order_qty":0.01,"limit_price":{}}}],"token":"{{token}}"}}}}"#,
        px(bid - 100)
    );
    assert_eq!(
        p.request(&single).await["error"],
        "EGeneral:Invalid arguments:orders"
    );

    let r = p
        .request(&format!(
            r#"{{"method":"batch_cancel","params":{{"orders":["{}","{}"],"token":"{{token}}"}},"req_id":21}}"#,
            ids[0], ids[1]
        ))
        .await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["orders_cancelled"], 2);
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r["exec_type"] == "canceled"));
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_counter_refuses_past_its_ceiling() {
    let sim = Simulator::builder()
        .paused(true)
        .max_rate_count(3)
        .spawn()
        .await
        .unwrap();
    let mut p = Private::connect(&sim).await;
    let ack = p
        .request(r#"{"method":"subscribe","params":{"channel":"executions","token":"{token}"}}"#)
        .await;
    assert_eq!(ack["result"]["maxratecount"], 3, "{ack}");
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    for _ in 0..3 {
        resting_buy(&mut p, bid, "").await;
    }
    let r = p.request(&limit_buy(&px(bid - 100), "0.01", "")).await;
    assert_eq!(r["error"], "EOrder:Rate limit exceeded");
    // Per pair: another pair is not affected.
    let r = p
        .request(r#"{"method":"add_order","params":{"order_type":"limit","side":"buy","order_qty":0.1,"symbol":"ETH/USD","limit_price":100.00,"token":"{token}"}}"#)
        .await;
    assert_eq!(r["success"], true, "{r}");
    sim.shutdown().await;
}

#[tokio::test]
async fn status_modes_govern_trading() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let a = resting_buy(&mut p, bid, "").await;

    sim.set_status(SystemStatus::CancelOnly);
    let r = p.request(&limit_buy(&px(bid - 100), "0.01", "")).await;
    assert_eq!(r["error"], "EService:Market in cancel_only mode");
    let r = p
        .request(&format!(
            r#"{{"method":"cancel_order","params":{{"order_id":["{a}"],"token":"{{token}}"}}}}"#
        ))
        .await;
    assert_eq!(r["success"], true, "{r}");

    sim.set_status(SystemStatus::PostOnly);
    let r = p.request(&limit_buy(&px(bid - 100), "0.01", "")).await;
    assert_eq!(r["error"], "EService:Market in post_only mode");
    let r = p
        .request(&limit_buy(&px(bid - 100), "0.01", r#","post_only":true"#))
        .await;
    assert_eq!(r["success"], true, "{r}");

    sim.set_status(SystemStatus::Maintenance);
    let r = p
        .request(r#"{"method":"cancel_all","params":{"token":"{token}"}}"#)
        .await;
    assert_eq!(r["error"], "EService:Unavailable");

    sim.set_status(SystemStatus::Online);
    let r = p
        .request(r#"{"method":"cancel_all","params":{"token":"{token}"}}"#)
        .await;
    assert_eq!(r["result"]["count"], 1, "{r}");
    sim.shutdown().await;
}

#[tokio::test]
async fn expired_tokens_are_invalid_sessions() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    sim.expire_tokens();
    let r = p.request(&limit_buy(&px(bid - 100), "0.01", "")).await;
    assert_eq!(r["error"], "ESession:Invalid session");
    assert_eq!(r["status"], "error");
    let r = p
        .request(r#"{"method":"subscribe","params":{"channel":"balances","token":"{token}"}}"#)
        .await;
    assert_eq!(r["error"], "ESession:Invalid session");
    // A fresh token works again, on the same connection.
    p.token = common::private::token(&sim).await;
    let r = p.request(&limit_buy(&px(bid - 100), "0.01", "")).await;
    assert_eq!(r["success"], true, "{r}");
    sim.shutdown().await;
}

#[tokio::test]
async fn sequences_increase_and_the_gap_fault_skips_one() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    let (snap, _) = p.subscribe_both("").await;
    assert_eq!(snap["sequence"], 1);
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    resting_buy(&mut p, bid, "").await;
    let frames = p.drain("executions", QUIET).await;
    assert_eq!(sequences(&frames), vec![2, 3]);
    sim.skip_execution_sequence();
    resting_buy(&mut p, bid, "").await;
    let frames = p.drain("executions", QUIET).await;
    assert_eq!(sequences(&frames), vec![5, 6]);

    // order_status=false: only the open and close transitions.
    let mut q = Private::connect(&sim).await;
    let ack = q
        .request(r#"{"method":"subscribe","params":{"channel":"executions","token":"{token}","order_status":false,"snap_orders":false}}"#)
        .await;
    assert_eq!(ack["result"]["snap_orders"], false, "{ack}");
    resting_buy(&mut q, bid, "").await;
    let frames = q.drain("executions", QUIET).await;
    let kinds: Vec<Value> = reports(&frames)
        .iter()
        .map(|r| r["exec_type"].clone())
        .collect();
    assert_eq!(kinds, ["new"]);
    assert_eq!(sequences(&frames), vec![1]);
    sim.shutdown().await;
}

#[tokio::test]
async fn gtd_orders_expire() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    let expire = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    let expire = kraki_proto::Timestamp::from_unix(expire as i64, 0, 0).unwrap();
    let id = resting_buy(
        &mut p,
        bid,
        &format!(r#","time_in_force":"gtd","expire_time":"{expire}""#),
    )
    .await;
    let placed = reports(&p.drain("executions", QUIET).await);
    assert_eq!(placed[0]["time_in_force"], "GTD");
    let expired = tokio::time::timeout(Duration::from_secs(5), p.next("executions"))
        .await
        .expect("the order expired");
    let report = &expired["data"][0];
    assert_eq!(report["exec_type"], "expired");
    assert_eq!(report["order_status"], "expired");
    assert_eq!(report["order_id"], id.as_str());
    // GTD without an expiry is refused.
    let r = p
        .request(&limit_buy(
            &px(bid - 100),
            "0.01",
            r#","time_in_force":"gtd""#,
        ))
        .await;
    assert_eq!(r["error"], "EGeneral:Invalid arguments:expire_time");
    sim.shutdown().await;
}

#[tokio::test]
async fn batch_add_rows_fail_alone_after_submission() {
    let sim = sim().await;
    let mut p = Private::connect(&sim).await;
    p.subscribe_both("").await;
    let (bid, _) = top(&sim, "BTC/USD", 1).await;
    // Each order alone is affordable (about 65,000 USD of 100,000); both
    // together are not.
    let row = format!(
        r#"{{"order_type":"limit","side":"buy","order_qty":1,"limit_price":{}}}"#,
        px(bid - 100)
    );
    let r = p
        .request(&format!(
            r#"{{"method":"batch_add","params":{{"symbol":"BTC/USD","orders":[{row},{row}],"token":"{{token}}"}}}}"#
        ))
        .await;
    assert_eq!(r["success"], false, "{r}");
    assert_eq!(r["error"], "EOrder:Insufficient funds");
    let rows = r["result"].as_array().unwrap();
    assert!(rows[0]["order_id"].is_string());
    assert_eq!(rows[1]["error"], "EOrder:Insufficient funds");
    let got = reports(&p.drain("executions", QUIET).await);
    assert_eq!(got.len(), 2, "only the first was placed: {got:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn starting_balances_are_configurable() {
    let sim = Simulator::builder()
        .paused(true)
        .balances([("USD", dec("50")), ("BTC", dec("0.5"))])
        .spawn()
        .await
        .unwrap();
    let mut p = Private::connect(&sim).await;
    let (_, balances) = p.subscribe_both("").await;
    let data = balances["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "{balances}");
    let raw = p_raw(&balances);
    assert!(
        raw.contains(r#""asset":"USD","asset_class":"currency","balance":50.0000"#),
        "{raw}"
    );
    assert!(raw.contains(r#""balance":0.50000000"#), "{raw}");
    let (bid, ask) = top(&sim, "BTC/USD", 1).await;
    let r = p.request(&limit_buy(&px(bid - 100), "0.01", "")).await;
    assert_eq!(r["error"], "EOrder:Insufficient funds");
    let sell = format!(
        r#"{{"method":"add_order","params":{{"order_type":"limit","side":"sell","order_qty":0.6,"symbol":"BTC/USD","limit_price":{},"token":"{{token}}"}}}}"#,
        px(ask + 100)
    );
    assert_eq!(p.request(&sell).await["error"], "EOrder:Insufficient funds");
    sim.shutdown().await;
}

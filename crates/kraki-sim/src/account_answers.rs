//! The private REST answers, in Kraken's shapes, from the engine's own
//! state: the balances the `balances` channel shows, the open orders the
//! `executions` channel reports, and the records of closed orders, fills
//! and ledger entries kept as they happen. Assets are written as
//! Kraken's REST ids (`XXBT`, `ZUSD`), pairs as its keys (`XXBTZUSD`) and
//! an order's `descr.pair` as its `altname` (`XBTUSD`), as Kraken does.

use crate::account_query::{AccountQuery, CloseTime, PAGE, Range};
use crate::account_records::{AccountRecords, ClosedOrder, TradeRecord};
use crate::exchange::{Exchange, MAKER_FEE_BPS, TAKER_FEE_BPS};
use crate::market::Market;
use crate::matching::usd_value;
use crate::money::{asset_scale, decimal, rescale};
use crate::orders::UserOrder;
use kraki_proto::channels::{LedgerEntry, OrderStatus};
use kraki_proto::rest_names;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// How far back `TradeVolume` adds up fills: Kraken's 30 days.
const VOLUME_WINDOW_NS: i128 = 30 * 86_400 * 1_000_000_000;

impl Exchange {
    /// The `result` of a private query, or Kraken's error string.
    pub(crate) fn answer_query(
        &mut self,
        markets: &[Market],
        account: &str,
        query: &AccountQuery,
    ) -> Result<Value, &'static str> {
        // An account is funded when first used, by REST as by WebSocket.
        self.account(account);
        let empty = AccountRecords::default();
        let records = self.records.get(account).unwrap_or(&empty);
        Ok(match query {
            AccountQuery::Balance => {
                let balances = self.balances_of(account);
                Value::Object(
                    balances
                        .into_iter()
                        .map(|(asset, held)| (asset_key(&asset), json!(amount(&asset, held))))
                        .collect(),
                )
            }
            AccountQuery::BalanceEx => {
                let held = self.holds_of(account, markets);
                Value::Object(
                    self.balances_of(account)
                        .into_iter()
                        .map(|(asset, balance)| {
                            let hold = held.get(&asset).copied().unwrap_or(0);
                            let zero = amount(&asset, 0);
                            let entry = json!({
                                "balance": amount(&asset, balance),
                                "credit": zero,
                                "credit_used": zero,
                                "hold_trade": amount(&asset, hold),
                            });
                            (asset_key(&asset), entry)
                        })
                        .collect(),
                )
            }
            AccountQuery::TradeBalance { asset } => self.trade_balance(markets, account, asset)?,
            AccountQuery::OpenOrders { userref, trades } => {
                let open: Map<String, Value> = self
                    .orders
                    .values()
                    .filter(|o| o.account == account)
                    .filter(|o| userref.is_none_or(|r| r == o.order_userref))
                    .map(|o| {
                        let ids = trades
                            .then(|| records.order_trades.get(&o.order_id))
                            .flatten();
                        (o.order_id.clone(), order_json(o, None, ids))
                    })
                    .collect();
                json!({ "open": open })
            }
            AccountQuery::ClosedOrders {
                range,
                userref,
                trades,
                closetime,
            } => {
                let window = range.window(|id| {
                    let c = records.closed.iter().find(|c| c.order.order_id == id)?;
                    Some(match closetime {
                        CloseTime::Open => c.order.opened_ns,
                        CloseTime::Close | CloseTime::Both => c.closed_ns,
                    })
                })?;
                let matching: Vec<&ClosedOrder> = records
                    .closed
                    .iter()
                    .rev()
                    .filter(|c| userref.is_none_or(|r| r == c.order.order_userref))
                    .filter(|c| match closetime {
                        CloseTime::Open => window.holds(c.order.opened_ns),
                        CloseTime::Close => window.holds(c.closed_ns),
                        CloseTime::Both => {
                            window.holds(c.order.opened_ns) || window.holds(c.closed_ns)
                        }
                    })
                    .collect();
                let closed: Map<String, Value> = page(&matching, range)
                    .map(|c| {
                        let ids = trades
                            .then(|| records.order_trades.get(&c.order.order_id))
                            .flatten();
                        (c.order.order_id.clone(), order_json(&c.order, Some(c), ids))
                    })
                    .collect();
                json!({ "closed": closed, "count": matching.len() })
            }
            AccountQuery::QueryOrders {
                txids,
                userref,
                trades,
            } => {
                let mut found = Map::new();
                for txid in txids {
                    let open = self
                        .orders
                        .values()
                        .find(|o| o.account == account && &o.order_id == txid);
                    let closed = records.closed.iter().find(|c| &c.order.order_id == txid);
                    let (order, closed) = match (open, closed) {
                        (Some(o), _) => (o, None),
                        (None, Some(c)) => (&c.order, Some(c)),
                        (None, None) => return Err("EOrder:Invalid order"),
                    };
                    if userref.is_some_and(|r| r != order.order_userref) {
                        continue;
                    }
                    let ids = trades
                        .then(|| records.order_trades.get(&order.order_id))
                        .flatten();
                    found.insert(txid.clone(), order_json(order, closed, ids));
                }
                Value::Object(found)
            }
            AccountQuery::TradesHistory { range } => {
                let window = range.window(|id| {
                    records
                        .trades
                        .iter()
                        .find(|t| t.txid == id)
                        .map(|t| t.time_ns)
                })?;
                let matching: Vec<&TradeRecord> = records
                    .trades
                    .iter()
                    .rev()
                    .filter(|t| window.holds(t.time_ns))
                    .collect();
                let trades: Map<String, Value> = page(&matching, range)
                    .map(|t| (t.txid.clone(), trade_json(t)))
                    .collect();
                json!({ "trades": trades, "count": matching.len() })
            }
            AccountQuery::Ledgers {
                range,
                assets,
                kind,
            } => {
                let window = range.window(|id| {
                    records
                        .ledgers
                        .iter()
                        .find(|l| l.ledger_id == id)
                        .map(|l| l.timestamp.unix_nanos())
                })?;
                let matching: Vec<&LedgerEntry> = records
                    .ledgers
                    .iter()
                    .rev()
                    .filter(|l| window.holds(l.timestamp.unix_nanos()))
                    .filter(|l| {
                        assets
                            .as_ref()
                            .is_none_or(|a| a.iter().any(|a| a == l.asset.as_str()))
                    })
                    .filter(|l| kind.as_ref().is_none_or(|k| k == l.ledger_type.as_str()))
                    .collect();
                let ledger: Map<String, Value> = page(&matching, range)
                    .map(|l| (l.ledger_id.clone(), ledger_json(l)))
                    .collect();
                json!({ "ledger": ledger, "count": matching.len() })
            }
            AccountQuery::TradeVolume { pairs } => {
                let since = crate::clock::now_ns() - VOLUME_WINDOW_NS;
                let volume: i128 = records
                    .trades
                    .iter()
                    .filter(|t| t.time_ns >= since)
                    .map(|t| t.usd_volume)
                    .sum();
                let mut result = json!({
                    "currency": "ZUSD",
                    "volume": decimal(volume, 4).to_string(),
                });
                if !pairs.is_empty() {
                    let fees = |bps: i128| -> Map<String, Value> {
                        pairs
                            .iter()
                            .filter_map(|p| rest_names::pair_names(p))
                            .map(|names| (names.key, fee_tier(bps)))
                            .collect()
                    };
                    result["fees"] = Value::Object(fees(TAKER_FEE_BPS));
                    result["fees_maker"] = Value::Object(fees(MAKER_FEE_BPS));
                }
                result
            }
        })
    }

    /// Every asset the account holds, with its total in the asset's units.
    fn balances_of(&mut self, account: &str) -> Vec<(String, i128)> {
        self.account(account)
            .snapshot()
            .into_iter()
            .filter_map(|b| {
                let asset = b.asset.as_str().to_owned();
                let units = b.balance.to_units(asset_scale(&asset))?;
                Some((asset, i128::from(units)))
            })
            .collect()
    }

    /// What the account's open orders hold, per asset.
    fn holds_of(&self, account: &str, markets: &[Market]) -> BTreeMap<String, i128> {
        let mut held = BTreeMap::new();
        for order in self.orders.values().filter(|o| o.account == account) {
            let (asset, units) = Exchange::reserved(order, markets);
            *held.entry(asset).or_insert(0) += units;
        }
        held
    }

    /// `TradeBalance`: the account valued in `asset` (v2 code) through the
    /// `<asset>/USD` markets' last prices. Spot only: no margin, so
    /// equity is the balance and every margin figure is zero.
    fn trade_balance(
        &mut self,
        markets: &[Market],
        account: &str,
        asset: &str,
    ) -> Result<Value, &'static str> {
        let usd: i128 = self
            .balances_of(account)
            .iter()
            .map(|(a, units)| usd_value(markets, a, *units, asset_scale(a)))
            .sum();
        let scale = asset_scale(asset);
        let valued = if asset == "USD" {
            usd
        } else {
            let symbol = format!("{asset}/USD");
            let market = markets
                .iter()
                .find(|m| m.spec.symbol == symbol)
                .ok_or("EQuery:Unknown asset")?;
            let price = i128::from(market.last_price());
            if price <= 0 {
                return Err("EQuery:Unknown asset");
            }
            // usd (4 places) / price (price precision) at `scale` places.
            let shift = u32::from(scale) + u32::from(market.spec.price_precision);
            let numerator = usd.saturating_mul(10i128.pow(shift.min(30)));
            rescale(numerator / price, 4, scale, false)
        };
        let total = decimal(valued, scale).to_string();
        let zero = decimal(0, scale).to_string();
        Ok(json!({
            "eb": total,
            "tb": total,
            "m": zero,
            "uv": zero,
            "n": zero,
            "c": zero,
            "v": zero,
            "e": total,
            "mf": total,
        }))
    }
}

/// The page a range asks for out of the matching records, newest first.
fn page<'a, T>(matching: &'a [&'a T], range: &Range) -> impl Iterator<Item = &'a T> + 'a {
    matching.iter().skip(range.ofs).take(PAGE).copied()
}

/// An asset's REST id, the key of `Balance`, `BalanceEx` and ledgers.
fn asset_key(asset: &str) -> String {
    rest_names::asset_id(asset).to_owned()
}

fn amount(asset: &str, units: i128) -> String {
    decimal(units, asset_scale(asset)).to_string()
}

/// Seconds since the Unix epoch with 4 decimals, as a JSON number.
fn seconds(ns: i128) -> Value {
    let tenths_of_ms = ns / 100_000;
    json!(tenths_of_ms as f64 / 10_000.0)
}

/// One order in Kraken's REST shape.
fn order_json(
    order: &UserOrder,
    closed: Option<&ClosedOrder>,
    trades: Option<&Vec<String>>,
) -> Value {
    let names = rest_names::pair_names(&order.spec.symbol);
    let pair = names.map_or_else(|| order.spec.symbol.clone(), |n| n.altname);
    let zero_price = order.price_decimal(0).to_string();
    let price_of = |units: Option<i64>| units.map(|u| order.price_decimal(u).to_string());
    let trigger = price_of(order.trigger.map(|t| t.price));
    let limit = price_of(order.limit);
    // `price` is the trigger for stop and take-profit orders, with the
    // limit as `price2` for their -limit kinds; the limit otherwise.
    let (price, price2) = match (&trigger, &limit) {
        (Some(t), Some(l)) => (t.clone(), l.clone()),
        (Some(t), None) => (t.clone(), zero_price.clone()),
        (None, Some(l)) => (l.clone(), zero_price.clone()),
        (None, None) => (zero_price.clone(), zero_price.clone()),
    };
    let side = order.side.as_str();
    let kind = order.order_type.as_str();
    let volume = order.qty_decimal(order.qty);
    let text = match (&trigger, &limit) {
        (Some(t), Some(l)) => format!("{side} {volume} {pair} @ {kind} {t} -> limit {l}"),
        (Some(t), None) => format!("{side} {volume} {pair} @ {kind} {t}"),
        (None, Some(l)) => format!("{side} {volume} {pair} @ limit {l}"),
        (None, None) => format!("{side} {volume} {pair} @ market"),
    };
    let status = match (&order.status, closed) {
        (_, None) => "open",
        (OrderStatus::Canceled, Some(_)) => "canceled",
        (OrderStatus::Expired, Some(_)) => "expired",
        (_, Some(_)) => "closed",
    };
    let oflags = if order.post_only { "fciq,post" } else { "fciq" };
    let mut json = json!({
        "refid": null,
        "userref": order.order_userref,
        "status": status,
        "opentm": seconds(order.opened_ns),
        "starttm": 0,
        "expiretm": order.expire_time.map_or(json!(0), |t| seconds(t.unix_nanos())),
        "descr": {
            "pair": pair,
            "type": side,
            "ordertype": kind,
            "price": price,
            "price2": price2,
            "leverage": "none",
            "order": text,
            "close": "",
        },
        "vol": volume.to_string(),
        "vol_exec": order.qty_decimal(order.filled).to_string(),
        "cost": order.quote_decimal(order.cum_cost).to_string(),
        "fee": order.quote_decimal(order.fees).to_string(),
        "price": order.avg_price().to_string(),
        "stopprice": trigger.clone().unwrap_or_else(|| zero_price.clone()),
        "limitprice": if trigger.is_some() { limit.unwrap_or(zero_price) } else { zero_price },
        "misc": "",
        "oflags": oflags,
        "reason": closed.and_then(|c| c.reason.clone()),
    });
    if let Some(id) = &order.cl_ord_id {
        json["cl_ord_id"] = json!(id.as_str());
    }
    if let Some(c) = closed {
        json["closetm"] = seconds(c.closed_ns);
    }
    if let Some(ids) = trades.filter(|ids| !ids.is_empty()) {
        json["trades"] = json!(ids);
    }
    json
}

/// One fill in Kraken's REST shape (`TradesHistory`).
fn trade_json(t: &TradeRecord) -> Value {
    let pair = rest_names::pair_names(&t.symbol).map_or_else(|| t.symbol.clone(), |n| n.key);
    json!({
        "ordertxid": t.order_id,
        "postxid": t.postxid,
        "pair": pair,
        "time": seconds(t.time_ns),
        "type": t.side.as_str(),
        "ordertype": t.order_type.as_str(),
        "price": t.price.to_string(),
        "cost": t.cost.to_string(),
        "fee": t.fee.to_string(),
        "vol": t.vol.to_string(),
        "margin": "0.00000",
        "leverage": "0",
        "misc": "",
        "trade_id": t.trade_id,
        "maker": t.maker,
    })
}

/// One ledger entry in Kraken's REST shape (`Ledgers`).
fn ledger_json(l: &LedgerEntry) -> Value {
    json!({
        "refid": l.ref_id,
        "time": seconds(l.timestamp.unix_nanos()),
        "type": l.ledger_type.as_str(),
        "subtype": l.subtype.clone().unwrap_or_default(),
        "aclass": "currency",
        "asset": asset_key(l.asset.as_str()),
        "amount": l.amount.to_string(),
        "fee": l.fee.map(|f| f.to_string()).unwrap_or_else(|| "0".to_owned()),
        "balance": l.balance.to_string(),
    })
}

/// One pair's fee in `TradeVolume`: the simulator's fees are flat, so
/// there is no next tier.
fn fee_tier(bps: i128) -> Value {
    let percent = decimal(bps * 100, 4).to_string();
    json!({
        "fee": percent,
        "minfee": percent,
        "maxfee": percent,
        "nextfee": null,
        "nextvolume": null,
        "tiervolume": "0.0000",
    })
}

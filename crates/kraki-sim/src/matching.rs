//! Matching user orders against the simulated market: takers walk the
//! book (each level a public print), resting orders fill when the market
//! trades at or through their price, triggers fire on the last trade
//! price, and every fill moves the account with one ledger entry per
//! asset sharing the fill's id.
//!
//! Resting user orders are not inserted into the public book: they fill
//! when the market's prints reach them. A print exactly at an order's
//! price fills it up to the print's size (shared in time priority); a
//! print through its price fills all of it, as the order would have been
//! taken first. Prints of the user's own taker orders do not fill the
//! user's resting orders (no self-matching).

use crate::account_records::TradeRecord;
use crate::exchange::{Exchange, IdKind, MAKER_FEE_BPS, TAKER_FEE_BPS, UNFILLED_REASON};
use crate::history::TradeRec;
use crate::market::{Market, Step};
use crate::money::{asset_scale, decimal, rescale};
use crate::orders::{Fill, UserOrder};
use crate::private_events::PrivateEvent;
use kraki_proto::channels::{LedgerCategory, LedgerEntry, LedgerType, OrderStatus};
use kraki_proto::{OrderType, Side, TimeInForce};

/// Triggers fired in a row at most, so a cascade always ends.
const MAX_CASCADE: usize = 1000;

impl Exchange {
    /// Applies one fill to an open order and its account and reports both.
    pub(crate) fn fill(
        &mut self,
        markets: &[Market],
        seq: u64,
        price: i64,
        qty: i64,
        maker: bool,
        trade_id: u64,
    ) {
        let (_, exec_id) = self.new_id(IdKind::Exec);
        let Some(order) = self.orders.get_mut(&seq) else {
            return;
        };
        let spec = order.spec.clone();
        let quote_scale = asset_scale(&spec.quote);
        let base_scale = asset_scale(&spec.base);
        let exact = i128::from(price) * i128::from(qty);
        let exact_scale = spec.price_precision + spec.qty_precision;
        let cost = rescale(exact, exact_scale, quote_scale, false);
        let bps = if maker { MAKER_FEE_BPS } else { TAKER_FEE_BPS };
        let fee = rescale(exact * bps, exact_scale + 4, quote_scale, true);
        let fee_usd = usd_value(markets, &spec.quote, fee, quote_scale);
        order.filled += qty;
        order.notional += exact;
        order.cum_cost += cost;
        order.fees += fee;
        order.fees_usd += fee_usd;
        order.status = if order.remaining() == 0 {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        let fill = Fill {
            price,
            qty,
            cost,
            fee,
            maker,
            trade_id,
            exec_id: exec_id.clone(),
        };
        let report = order.trade_report(&fill);
        let done = order.remaining() == 0;
        let filled = done.then(|| order.filled_report()).flatten();
        let account_key = order.account.clone();
        let side = order.side;
        let order_id = order.order_id.clone();
        let order_type = order.order_type.clone();
        let trade = TradeRecord {
            txid: exec_id.clone(),
            postxid: String::new(),
            order_id,
            symbol: spec.symbol.clone(),
            time_ns: crate::clock::now_ns(),
            side: order.side,
            order_type,
            price: order.price_decimal(price),
            cost: order.quote_decimal(cost),
            fee: order.quote_decimal(fee),
            vol: order.qty_decimal(qty),
            maker,
            trade_id,
            usd_volume: usd_value(markets, &spec.quote, cost, quote_scale),
        };
        if done {
            if let Some(closed) = self.orders.remove(&seq) {
                self.record_closed(&closed, None);
            }
        }
        self.publish_report(&account_key, report);
        self.publish_report(&account_key, filled);
        let (_, postxid) = self.new_id(IdKind::Exec);
        self.records
            .entry(account_key.clone())
            .or_default()
            .trade(TradeRecord { postxid, ..trade });

        let base_amount = rescale(i128::from(qty), spec.qty_precision, base_scale, false);
        let (base_delta, quote_delta) = match side {
            Side::Buy => (base_amount, -cost),
            Side::Sell => (-base_amount, cost),
        };
        let account = self.account(&account_key);
        let base_balance = account.apply(&spec.base, base_delta, 0);
        let quote_balance = account.apply(&spec.quote, quote_delta, fee);
        // Kraken lists the received asset's leg after the spent one; both
        // carry the fill's id as `ref_id`.
        let legs = [
            (&spec.base, base_delta, 0, base_balance, base_scale),
            (&spec.quote, quote_delta, fee, quote_balance, quote_scale),
        ];
        for (asset, amount, fee, balance, scale) in legs {
            let (_, ledger_id) = self.new_id(IdKind::Ledger);
            let entry = LedgerEntry {
                ledger_id,
                ref_id: exec_id.clone(),
                timestamp: crate::clock::now(6),
                ledger_type: LedgerType::Trade,
                subtype: None,
                category: Some(LedgerCategory::Trade),
                asset: asset.as_str().into(),
                asset_class: Some("currency".to_owned()),
                wallet_type: Some("spot".to_owned()),
                wallet_id: Some("main".to_owned()),
                amount: decimal(amount, scale),
                fee: Some(decimal(fee, scale)),
                balance: decimal(balance, scale),
                user: None,
            };
            self.records
                .entry(account_key.clone())
                .or_default()
                .ledger(entry.clone());
            self.publish(&account_key, PrivateEvent::Ledger(Box::new(entry)));
        }
    }

    /// Lets an open order take liquidity up to its limit (all of its
    /// remaining quantity for a market order). Returns the market step to
    /// publish.
    pub(crate) fn take(
        &mut self,
        markets: &mut [Market],
        seq: u64,
        now_ns: i128,
    ) -> Option<(usize, Step)> {
        let order = self.orders.get(&seq)?;
        let (market, remaining, limit) = (order.market, order.remaining(), order.limit);
        let market_order = limit.is_none();
        let taker_buys = order.side == Side::Buy;
        if order.time_in_force == TimeInForce::Fok {
            let (fillable, _) = markets
                .get(market)?
                .preview_take(taker_buys, limit, remaining);
            if fillable < remaining {
                self.close(seq, OrderStatus::Canceled, UNFILLED_REASON);
                return None;
            }
        }
        let step =
            markets
                .get_mut(market)?
                .take(taker_buys, limit, remaining, market_order, now_ns);
        for t in &step.trades {
            self.fill(markets, seq, t.price, t.qty, false, t.trade_id);
        }
        let unfilled_closes = market_order
            || order_tif(self, seq).is_some_and(|t| t != TimeInForce::Gtc && t != TimeInForce::Gtd);
        if unfilled_closes && self.orders.contains_key(&seq) {
            self.close(seq, OrderStatus::Canceled, UNFILLED_REASON);
        }
        (!step.trades.is_empty()).then_some((market, step))
    }

    /// Fills resting orders of `market` reached by these prints of the
    /// simulated market, then fires due triggers. Returns the steps of
    /// triggered orders that took liquidity.
    pub(crate) fn on_prints(
        &mut self,
        markets: &mut [Market],
        market: usize,
        prints: &[TradeRec],
        now_ns: i128,
    ) -> Vec<(usize, Step)> {
        if !self.matching() || prints.is_empty() {
            return Vec::new();
        }
        for print in prints {
            let mut at_price_left = print.qty;
            let resting: Vec<(u64, Side, i64, i64)> = self
                .orders
                .values()
                .filter(|o| o.market == market && o.trigger.is_none_or(|t| t.fired))
                .filter_map(|o| Some((o.seq, o.side, o.limit?, o.remaining())))
                .collect();
            for (seq, side, limit, remaining) in resting {
                let (through, at) = match side {
                    Side::Buy => (print.price < limit, print.price == limit),
                    Side::Sell => (print.price > limit, print.price == limit),
                };
                let qty = if through {
                    remaining
                } else if at {
                    let q = remaining.min(at_price_left);
                    at_price_left -= q;
                    q
                } else {
                    0
                };
                if qty > 0 {
                    self.fill(markets, seq, limit, qty, true, print.trade_id);
                }
            }
        }
        self.fire_triggers(markets, market, now_ns)
    }

    /// Fires the untriggered orders of `market` that the last trade price
    /// has reached: a stop or take-profit becomes a market order, its
    /// `-limit` variant a limit order (which may take, then rests).
    pub(crate) fn fire_triggers(
        &mut self,
        markets: &mut [Market],
        market: usize,
        now_ns: i128,
    ) -> Vec<(usize, Step)> {
        let mut steps = Vec::new();
        if !self.matching() {
            return steps;
        }
        for _ in 0..MAX_CASCADE {
            let Some(last) = markets.get(market).map(Market::last_price) else {
                break;
            };
            let due = self.orders.values().find(|o| {
                o.market == market && o.trigger.is_some_and(|t| !t.fired && t.fires(o.side, last))
            });
            let Some(seq) = due.map(|o| o.seq) else { break };
            let Some(order) = self.orders.get_mut(&seq) else {
                break;
            };
            if let Some(t) = order.trigger.as_mut() {
                t.fired = true;
            }
            order.status = OrderStatus::New;
            let report = order.triggered_report(last);
            let account = order.account.clone();
            self.publish_report(&account, report);
            steps.extend(self.take(markets, seq, now_ns));
        }
        steps
    }

    /// What an open order holds back of its account: the quote (cost plus
    /// the taker fee at its limit, or trigger, price) for a buy, the base
    /// for a sell. In the asset's units.
    pub(crate) fn reserved(order: &UserOrder, markets: &[Market]) -> (String, i128) {
        let spec = &order.spec;
        match order.side {
            Side::Sell => (
                spec.base.clone(),
                rescale(
                    i128::from(order.remaining()),
                    spec.qty_precision,
                    asset_scale(&spec.base),
                    true,
                ),
            ),
            Side::Buy => {
                let price = order
                    .limit
                    .or(order.trigger.map(|t| t.price))
                    .or_else(|| {
                        markets
                            .get(order.market)
                            .and_then(|m| m.best_ask().map(|(p, _)| p))
                    })
                    .unwrap_or(0);
                let exact = i128::from(price) * i128::from(order.remaining());
                let with_fee = exact * (10_000 + TAKER_FEE_BPS);
                let scale = spec.price_precision + spec.qty_precision + 4;
                (
                    spec.quote.clone(),
                    rescale(with_fee, scale, asset_scale(&spec.quote), true),
                )
            }
        }
    }

    /// An account's balance of `asset` less what its open orders hold.
    pub(crate) fn available(
        &mut self,
        markets: &[Market],
        account: &str,
        asset: &str,
        except: Option<u64>,
    ) -> i128 {
        let held: i128 = self
            .orders
            .values()
            .filter(|o| o.account == account && Some(o.seq) != except)
            .map(|o| Exchange::reserved(o, markets))
            .filter(|(a, _)| a == asset)
            .map(|(_, units)| units)
            .sum();
        self.account(account).balance(asset) - held
    }

    /// What a market order of `order` would need, by walking the book now.
    pub(crate) fn market_need(order: &UserOrder, market: &Market) -> (String, i128) {
        let spec = &order.spec;
        match order.side {
            Side::Sell => Exchange::reserved(order, std::slice::from_ref(market)),
            Side::Buy => {
                let (_, exact) = market.preview_take(true, None, order.remaining());
                let with_fee = exact * (10_000 + TAKER_FEE_BPS);
                let scale = spec.price_precision + spec.qty_precision + 4;
                (
                    spec.quote.clone(),
                    rescale(with_fee, scale, asset_scale(&spec.quote), true),
                )
            }
        }
    }
}

fn order_tif(exchange: &Exchange, seq: u64) -> Option<TimeInForce> {
    exchange.orders.get(&seq).map(|o| o.time_in_force.clone())
}

/// A fee's value in USD at 4 places: itself for USD, else through the
/// `<asset>/USD` market's last price; 0 when there is none.
pub(crate) fn usd_value(markets: &[Market], asset: &str, units: i128, scale: u8) -> i128 {
    if asset == "USD" {
        return rescale(units, scale, 4, false);
    }
    let symbol = format!("{asset}/USD");
    markets
        .iter()
        .find(|m| m.spec.symbol == symbol)
        .map_or(0, |m| {
            let value = units * i128::from(m.last_price());
            rescale(value, scale + m.spec.price_precision, 4, false)
        })
}

/// Whether an order type is a plain market order.
pub(crate) fn is_market(order_type: &OrderType) -> bool {
    matches!(
        order_type,
        OrderType::Market | OrderType::StopLoss | OrderType::TakeProfit
    )
}

//! A user's order as the engine keeps it, and the execution reports that
//! tell its story: a full `pending_new`, then sparse updates.

use crate::clock::now;
use crate::markets::PairSpec;
use crate::money::{asset_scale, decimal, rescale};
use kraki_proto::channels::{
    ExecTriggers, ExecType, ExecutionReport, Fee, LiquidityInd, OrderStatus, TriggerStatus,
};
use kraki_proto::{
    ClOrdId, Decimal, OrderType, PriceType, Side, TimeInForce, Timestamp, TriggerReference,
};
use tokio::time::Instant;

/// Which way a stop or take-profit trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TriggerKind {
    StopLoss,
    TakeProfit,
}

/// A pending trigger, in price units of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trigger {
    pub(crate) kind: TriggerKind,
    pub(crate) price: i64,
    pub(crate) fired: bool,
}

impl Trigger {
    /// Whether a print at `last` fires it for an order on `side`: a
    /// stop-loss fires when the price moves against the position (a sell
    /// when it falls to the trigger, a buy when it rises to it), a
    /// take-profit the other way.
    pub(crate) fn fires(&self, side: Side, last: i64) -> bool {
        let falls_to = last <= self.price;
        let rises_to = last >= self.price;
        match (self.kind, side) {
            (TriggerKind::StopLoss, Side::Sell) | (TriggerKind::TakeProfit, Side::Buy) => falls_to,
            (TriggerKind::StopLoss, Side::Buy) | (TriggerKind::TakeProfit, Side::Sell) => rises_to,
        }
    }
}

/// An open (or just closed) user order. Quantities in the pair's quantity
/// units, prices in its price units, money in the quote asset's units.
#[derive(Debug, Clone)]
pub(crate) struct UserOrder {
    /// Placement order: time priority among resting orders.
    pub(crate) seq: u64,
    pub(crate) order_id: String,
    pub(crate) account: String,
    pub(crate) market: usize,
    pub(crate) spec: PairSpec,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    pub(crate) qty: i64,
    pub(crate) filled: i64,
    /// Σ price × qty of the fills, exact (price units × qty units).
    pub(crate) notional: i128,
    /// Σ of each fill's cost rounded to the quote asset.
    pub(crate) cum_cost: i128,
    /// Σ fees, quote asset units.
    pub(crate) fees: i128,
    /// Σ fees in USD (4 places), for `fee_usd_equiv`.
    pub(crate) fees_usd: i128,
    pub(crate) limit: Option<i64>,
    pub(crate) trigger: Option<Trigger>,
    pub(crate) time_in_force: TimeInForce,
    pub(crate) expire_time: Option<Timestamp>,
    pub(crate) post_only: bool,
    pub(crate) cl_ord_id: Option<ClOrdId>,
    pub(crate) order_userref: i64,
    pub(crate) display_qty: Option<Decimal>,
    pub(crate) amended: bool,
    /// When placed or last amended, for the rate counter's age penalties.
    pub(crate) touched_at: Instant,
    pub(crate) placed_at: Instant,
    /// When it was opened, in nanoseconds since the Unix epoch (REST
    /// `opentm`).
    pub(crate) opened_ns: i128,
    pub(crate) status: OrderStatus,
}

/// A report with only the dependable fields set (`order_id`, `exec_type`,
/// `order_status`, `timestamp`, `order_userref`). Built by decoding a
/// minimal report: kraki-proto's report type has no constructor, and its
/// many optional fields then all start as `None`.
pub(crate) fn blank(
    order_id: &str,
    exec_type: ExecType,
    status: &OrderStatus,
) -> Option<ExecutionReport> {
    let text = serde_json::json!({
        "order_id": order_id,
        "exec_type": exec_type.as_str(),
        "order_status": status.as_str(),
    })
    .to_string();
    let mut report: ExecutionReport = serde_json::from_str(&text).ok()?;
    report.timestamp = Some(now(6));
    Some(report)
}

impl UserOrder {
    pub(crate) fn remaining(&self) -> i64 {
        self.qty - self.filled
    }

    pub(crate) fn price_decimal(&self, units: i64) -> Decimal {
        decimal(i128::from(units), self.spec.price_precision)
    }

    pub(crate) fn qty_decimal(&self, units: i64) -> Decimal {
        decimal(i128::from(units), self.spec.qty_precision)
    }

    pub(crate) fn quote_decimal(&self, units: i128) -> Decimal {
        decimal(units, asset_scale(&self.spec.quote))
    }

    /// The average fill price, rounded to the pair's price precision.
    pub(crate) fn avg_price(&self) -> Decimal {
        if self.filled == 0 {
            return self.price_decimal(0);
        }
        let avg = rescale(self.notional * 10 / i128::from(self.filled), 1, 0, false);
        decimal(avg, self.spec.price_precision)
    }

    fn with_ids(&self, mut r: ExecutionReport) -> ExecutionReport {
        r.order_userref = Some(self.order_userref);
        r.cl_ord_id = self.cl_ord_id.clone();
        r
    }

    fn cumulative(&self, r: &mut ExecutionReport) {
        r.cum_qty = Some(self.qty_decimal(self.filled));
        r.cum_cost = Some(self.quote_decimal(self.cum_cost));
        r.avg_price = Some(self.avg_price());
        r.fee_usd_equiv = Some(decimal(self.fees_usd, 4));
    }

    fn triggers(&self, last_price: Option<i64>) -> Option<ExecTriggers> {
        let t = self.trigger?;
        Some(ExecTriggers {
            reference: Some(TriggerReference::Last),
            price: Some(self.price_decimal(t.price)),
            price_type: Some(PriceType::Static),
            actual_price: None,
            peak_price: None,
            last_price: last_price.map(|p| self.price_decimal(p)),
            status: Some(if t.fired {
                TriggerStatus::Triggered
            } else {
                TriggerStatus::Untriggered
            }),
            timestamp: None,
        })
    }

    /// The full report of a new order (also the shape of open orders in a
    /// snapshot, with `exec_type` `new`, or `pending_new` while a trigger
    /// waits).
    pub(crate) fn full_report(&self, exec_type: ExecType) -> Option<ExecutionReport> {
        let mut r = self.with_ids(blank(&self.order_id, exec_type, &self.status)?);
        r.symbol = Some(self.spec.symbol.as_str().into());
        r.side = Some(self.side);
        r.order_type = Some(self.order_type.clone());
        r.order_qty = Some(self.qty_decimal(self.qty));
        r.cum_cost = Some(self.quote_decimal(self.cum_cost));
        if self.filled > 0 {
            r.cum_qty = Some(self.qty_decimal(self.filled));
            r.avg_price = Some(self.avg_price());
        }
        // The executions channel writes time in force in upper case; an
        // unknown-variant value is written verbatim.
        let tif = self.time_in_force.as_str().to_ascii_uppercase();
        r.time_in_force = Some(TimeInForce::Other(tif.into()));
        r.expire_time = self.expire_time;
        if let Some(limit) = self.limit {
            r.limit_price = Some(self.price_decimal(limit));
            r.limit_price_type = Some(PriceType::Static);
        }
        r.triggers = self.triggers(None);
        if self.post_only {
            r.post_only = Some(true);
        }
        r.display_qty = self.display_qty;
        r.fee_usd_equiv = Some(decimal(self.fees_usd, 4));
        r.fee_ccy_pref = Some("fciq".to_owned());
        Some(r)
    }

    /// `new`: the order is live.
    pub(crate) fn new_report(&self) -> Option<ExecutionReport> {
        Some(self.with_ids(blank(&self.order_id, ExecType::New, &OrderStatus::New)?))
    }

    /// `new` after a trigger fired: the trigger state rides along.
    pub(crate) fn triggered_report(&self, last_price: i64) -> Option<ExecutionReport> {
        let mut r = self.new_report()?;
        r.triggers = self.triggers(Some(last_price));
        Some(r)
    }

    /// One fill, after it was applied to the order.
    pub(crate) fn trade_report(&self, fill: &Fill) -> Option<ExecutionReport> {
        let mut r = self.with_ids(blank(&self.order_id, ExecType::Trade, &self.status)?);
        r.exec_id = Some(fill.exec_id.clone());
        r.trade_id = Some(fill.trade_id);
        r.symbol = Some(self.spec.symbol.as_str().into());
        r.side = Some(self.side);
        r.order_type = Some(self.order_type.clone());
        r.last_qty = Some(self.qty_decimal(fill.qty));
        r.last_price = Some(self.price_decimal(fill.price));
        r.liquidity_ind = Some(if fill.maker {
            LiquidityInd::Maker
        } else {
            LiquidityInd::Taker
        });
        r.cost = Some(self.quote_decimal(fill.cost));
        self.cumulative(&mut r);
        r.fees = Some(vec![Fee {
            asset: self.spec.quote.as_str().into(),
            qty: self.quote_decimal(fill.fee),
        }]);
        Some(r)
    }

    /// `filled`: the sparse close of a fully filled order.
    pub(crate) fn filled_report(&self) -> Option<ExecutionReport> {
        let mut r = self.with_ids(blank(
            &self.order_id,
            ExecType::Filled,
            &OrderStatus::Filled,
        )?);
        self.cumulative(&mut r);
        Some(r)
    }

    /// `canceled` or `expired` with the cumulative figures and a reason.
    pub(crate) fn closed_report(
        &self,
        exec_type: ExecType,
        reason: &str,
    ) -> Option<ExecutionReport> {
        let mut r = self.with_ids(blank(&self.order_id, exec_type, &self.status)?);
        self.cumulative(&mut r);
        r.reason = Some(reason.to_owned());
        r.cancel_reason = Some(reason.to_owned());
        Some(r)
    }

    /// `amended` with the new values.
    pub(crate) fn amended_report(&self) -> Option<ExecutionReport> {
        let mut r = self.with_ids(blank(&self.order_id, ExecType::Amended, &self.status)?);
        r.cum_qty = Some(self.qty_decimal(self.filled));
        r.reason = Some("User requested".to_owned());
        r.amended = Some(true);
        r.order_qty = Some(self.qty_decimal(self.qty));
        if let Some(limit) = self.limit {
            r.limit_price = Some(self.price_decimal(limit));
            r.limit_price_type = Some(PriceType::Static);
        }
        r.display_qty = self.display_qty;
        Some(r)
    }
}

/// One fill of a user order.
#[derive(Debug, Clone)]
pub(crate) struct Fill {
    pub(crate) price: i64,
    pub(crate) qty: i64,
    /// Rounded to the quote asset.
    pub(crate) cost: i128,
    pub(crate) fee: i128,
    pub(crate) maker: bool,
    pub(crate) trade_id: u64,
    pub(crate) exec_id: String,
}

//! The `executions` channel: own orders and fills. Reports are sparse:
//! which fields appear depends on `exec_type`, so all but the dependable
//! ones are optional.

use crate::wire_enum::open_enum;
use crate::{Asset, ClOrdId, Decimal, OrderId, OrderType, PriceType, Side, Symbol};
use crate::{TimeInForce, Timestamp, TriggerReference};

open_enum! {
    /// What a report is about.
    pub enum ExecType {
        /// Received and validated, not yet live.
        PendingNew = "pending_new",
        /// Live in the book or engine.
        New = "new",
        /// A fill.
        Trade = "trade",
        /// Fully filled.
        Filled = "filled",
        /// An iceberg's visible part was refilled.
        IcebergRefill = "iceberg_refill",
        /// Canceled.
        Canceled = "canceled",
        /// Expired.
        Expired = "expired",
        /// Amended by the user.
        Amended = "amended",
        /// Amended by the engine (see `reason`).
        Restated = "restated",
        /// A status change, e.g. a trigger price update.
        Status = "status",
    }
}

open_enum! {
    /// The order's state after the event.
    pub enum OrderStatus {
        /// Not yet live.
        PendingNew = "pending_new",
        /// Live, nothing filled.
        New = "new",
        /// Live, partly filled.
        PartiallyFilled = "partially_filled",
        /// Fully filled.
        Filled = "filled",
        /// Canceled.
        Canceled = "canceled",
        /// Expired.
        Expired = "expired",
        /// A conditional order that triggered (seen in some clients).
        Triggered = "triggered",
    }
}

open_enum! {
    /// Maker or taker.
    pub enum LiquidityInd {
        /// Maker.
        Maker = "m",
        /// Taker.
        Taker = "t",
    }
}

open_enum! {
    /// Margin position state.
    pub enum PositionStatus {
        /// Opened.
        Opened = "opened",
        /// Closing.
        Closing = "closing",
        /// Closed.
        Closed = "closed",
    }
}

open_enum! {
    /// Whether a trigger has fired.
    pub enum TriggerStatus {
        /// Fired.
        Triggered = "triggered",
        /// Waiting.
        Untriggered = "untriggered",
    }
}

/// A fee paid on a fill.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fee {
    /// The asset the fee was paid in.
    pub asset: Asset,
    /// The amount.
    pub qty: Decimal,
}

/// The trigger state of a conditional order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExecTriggers {
    /// The price watched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<TriggerReference>,
    /// The trigger price or offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// How `price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_type: Option<PriceType>,
    /// The effective trigger price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_price: Option<Decimal>,
    /// Peak price of a trailing order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_price: Option<Decimal>,
    /// Last price of the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_price: Option<Decimal>,
    /// Fired or waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TriggerStatus>,
    /// When the trigger state last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// The close-order template of an order with a `conditional`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Contingent {
    /// Type of the close order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<OrderType>,
    /// Its trigger price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<Decimal>,
    /// How `trigger_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price_type: Option<PriceType>,
    /// Its limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// How `limit_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price_type: Option<PriceType>,
}

/// Declares `ExecutionReport` with its many optional fields without
/// repeating the serde attributes on each.
macro_rules! report {
    (
        required { $($(#[$rm:meta])* $req:ident: $rty:ty,)* }
        optional { $($(#[$om:meta])* $opt:ident: $oty:ty,)* }
        integers { $($(#[$im:meta])* $int:ident: $ity:ty,)* }
    ) => {
        /// One execution report.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct ExecutionReport {
            $($(#[$rm])* pub $req: $rty,)*
            $(
                $(#[$om])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $opt: Option<$oty>,
            )*
            $(
                $(#[$im])*
                #[serde(
                    default,
                    deserialize_with = "crate::flex_int::option",
                    skip_serializing_if = "Option::is_none"
                )]
                pub $int: Option<$ity>,
            )*
        }
    };
}

report! {
    required {
        /// Kraken's order id.
        order_id: OrderId,
        /// What the report is about.
        exec_type: ExecType,
        /// The order's state after it.
        order_status: OrderStatus,
    }
    optional {
        /// Event time.
        timestamp: Timestamp,
        /// The pair (full reports).
        symbol: Symbol,
        /// Buy or sell.
        side: Side,
        /// Order type.
        order_type: OrderType,
        /// Quantity in the base asset.
        order_qty: Decimal,
        /// Quantity in the quote asset, if the order was sized so.
        cash_order_qty: Decimal,
        /// Iceberg visible quantity.
        display_qty: Decimal,
        /// Iceberg: next visible quantity.
        display_qty_remain: Decimal,
        /// Limit price.
        limit_price: Decimal,
        /// How `limit_price` is expressed.
        limit_price_type: PriceType,
        /// Time in force (uppercase on this channel).
        time_in_force: TimeInForce,
        /// Scheduled start.
        effective_time: Timestamp,
        /// Expiry.
        expire_time: Timestamp,
        /// Post-only.
        post_only: bool,
        /// Reduce-only.
        reduce_only: bool,
        /// Funded on margin.
        margin: bool,
        /// Deprecated flag.
        no_mpp: bool,
        /// Liquidated.
        liquidated: bool,
        /// Whether the order was amended.
        amended: bool,
        /// The client's order id.
        cl_ord_id: ClOrdId,
        /// Referral order that created this one.
        ord_ref_id: String,
        /// Partner order id.
        ext_ord_id: String,
        /// Partner execution id.
        ext_exec_id: String,
        /// Institutional self-trade-prevention sub-id.
        sender_sub_id: String,
        /// `fcib` (fee in base) or `fciq` (fee in quote).
        fee_ccy_pref: String,
        /// Total fee in USD.
        fee_usd_equiv: Decimal,
        /// Filled quantity so far.
        cum_qty: Decimal,
        /// Filled value so far.
        cum_cost: Decimal,
        /// Average fill price.
        avg_price: Decimal,
        /// Fill id (trade events).
        exec_id: String,
        /// This fill's quantity.
        last_qty: Decimal,
        /// This fill's price.
        last_price: Decimal,
        /// This fill's value.
        cost: Decimal,
        /// Maker or taker.
        liquidity_ind: LiquidityInd,
        /// Whether the fill borrowed on margin.
        margin_borrow: bool,
        /// Fees of this fill.
        fees: Vec<Fee>,
        /// Margin position state.
        position_status: PositionStatus,
        /// Why, e.g. `User requested`.
        reason: String,
        /// Close-order template.
        contingent: Contingent,
        /// Trigger state.
        triggers: ExecTriggers,
        /// Subaccount, with `users=all`.
        user: String,
        /// Deprecated by Kraken in favour of `reason`.
        cancel_reason: String,
        /// Deprecated by Kraken in favour of `triggers.price`.
        stop_price: Decimal,
        /// Deprecated by Kraken in favour of `triggers.reference`.
        trigger: TriggerReference,
        /// Deprecated by Kraken in favour of `triggers.last_price`.
        triggered_price: Decimal,
    }
    integers {
        /// The client's numeric tag (0 if unset).
        order_userref: i64,
        /// Public trade id of a fill.
        trade_id: u64,
        /// Rate counter, where sent (undocumented for v2).
        ratecount: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_and_full_reports() {
        let r: ExecutionReport = serde_json::from_str(r#"{"timestamp":"2023-09-22T10:33:05.709982Z","order_status":"new","exec_type":"new","order_userref":3,"order_id":"OK4GJX-KSTLS-7DZZO5"}"#).unwrap();
        assert_eq!(r.exec_type, ExecType::New);
        assert_eq!(r.order_userref, Some(3));
        let r: ExecutionReport = serde_json::from_str(r#"{"order_id":"OK4GJX-KSTLS-7DZZO5","exec_type":"trade","trade_id":62887576,"last_qty":0.005,"order_status":"partially_filled","liquidity_ind":"t","fees":[{"asset":"USD","qty":0.3458}],"time_in_force":"GTC"}"#).unwrap();
        assert_eq!(r.order_status, OrderStatus::PartiallyFilled);
        assert_eq!(r.liquidity_ind, Some(LiquidityInd::Taker));
        assert_eq!(r.fees.unwrap()[0].qty.to_string(), "0.3458");
        assert_eq!(r.time_in_force, Some(TimeInForce::Gtc));
    }
}

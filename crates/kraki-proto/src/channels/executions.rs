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
        /// Rate counter, where sent. Undocumented for v2 and the engine's
        /// counter decays fractionally, so it is read as a decimal, which
        /// also takes integers, rather than failing the whole report.
        ratecount: Decimal,
    }
    integers {
        /// The client's numeric tag (0 if unset).
        order_userref: i64,
        /// Public trade id of a fill.
        trade_id: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `data` elements of the reference's executions messages.
    const REPORTS: [&str; 7] = [
        r#"{"order_id":"OK4GJX-KSTLS-7DZZO5","order_userref":3,"symbol":"BTC/USD","order_qty":0.005,"cum_cost":0.0,"time_in_force":"GTC","exec_type":"pending_new","side":"sell","order_type":"limit","limit_price_type":"static","limit_price":26500.0,"stop_price":0.0,"order_status":"pending_new","fee_usd_equiv":0.0,"fee_ccy_pref":"fciq","timestamp":"2023-09-22T10:33:05.709950Z"}"#,
        r#"{"timestamp":"2023-09-22T10:33:05.709982Z","order_status":"new","exec_type":"new","order_userref":3,"order_id":"OK4GJX-KSTLS-7DZZO5"}"#,
        r#"{"order_id":"OK4GJX-KSTLS-7DZZO5","order_userref":3,"exec_id":"TGBB7L-HT5LX-J3BZ4A","exec_type":"trade","trade_id":62887576,"symbol":"BTC/USD","side":"sell","last_qty":0.005,"last_price":26599.9,"liquidity_ind":"t","cost":132.9995,"order_type":"limit","timestamp":"2023-09-22T10:33:05.709993Z","order_status":"partially_filled","cum_qty":0.005,"cum_cost":132.9995,"avg_price":26599.9,"fee_usd_equiv":0.3458,"fees":[{"asset":"USD","qty":0.3458}]}"#,
        r#"{"timestamp":"2024-05-18T12:58:40.165132Z","order_status":"canceled","exec_type":"canceled","cum_qty":0.00000000,"cum_cost":0.000000,"fee_usd_equiv":0.000000,"avg_price":0.00000,"order_userref":0,"cancel_reason":"User requested","reason":"User requested","order_id":"KIUEL4-G3PWU-HOJTYU"}"#,
        r#"{"timestamp":"2024-10-13T13:38:39.273886Z","exec_type":"amended","order_status":"new","cum_qty":0.00000000,"reason":"User requested","amended":true,"order_qty":5.10000000,"limit_price":0.9600,"limit_price_type":"static","order_userref":0,"order_id":"6LYQGW-FH922-U6JTUM"}"#,
        r#"{"order_id":"AHOJQ8-1E72C-8M2VQH","symbol":"ADX/USD","order_qty":81.36256082,"cum_cost":0,"time_in_force":"GTC","exec_type":"pending_new","side":"buy","order_type":"stop-loss-limit","order_userref":0,"limit_price_type":"static","triggers":{"price":0.2,"price_type":"static","reference":"index","status":"untriggered"},"stop_price":0.2,"limit_price":0.2,"trigger":"index","order_status":"pending_new","fee_usd_equiv":0,"fee_ccy_pref":"fciq","timestamp":"2024-05-18T12:01:56.165888Z"}"#,
        r#"{"order_id":"NG6PUE-C7MXN-CFCAMC","order_userref":0,"exec_id":"B1Y0D9-6JIJG-W1IB7L","exec_type":"trade","trade_id":37496584,"symbol":"BTC/USD","side":"sell","last_qty":0.00016000,"last_price":63377.2,"liquidity_ind":"t","cost":10.12445,"order_status":"filled","order_type":"limit","sender_sub_id":"some-uuid","timestamp":"2024-04-16T10:54:38.243302Z","fee_usd_equiv":0.04050,"fees":[{"asset":"USD","qty":0.04051}]}"#,
    ];

    fn decode_all() -> Vec<ExecutionReport> {
        REPORTS
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect()
    }

    #[test]
    fn reference_reports_decode() {
        let r = decode_all();

        assert_eq!(r[0].exec_type, ExecType::PendingNew);
        assert_eq!(r[0].order_status, OrderStatus::PendingNew);
        assert_eq!(r[0].symbol.as_ref().unwrap(), "BTC/USD");
        assert_eq!(r[0].side, Some(Side::Sell));
        assert_eq!(r[0].order_type, Some(OrderType::Limit));
        assert_eq!(r[0].time_in_force, Some(TimeInForce::Gtc));
        assert_eq!(r[0].limit_price_type, Some(PriceType::Static));
        assert_eq!(r[0].limit_price.unwrap().to_string(), "26500.0");
        assert_eq!(r[0].fee_ccy_pref.as_deref(), Some("fciq"));
        assert_eq!(
            r[0].timestamp.unwrap().to_string(),
            "2023-09-22T10:33:05.709950Z"
        );

        assert_eq!(r[1].exec_type, ExecType::New);
        assert_eq!(r[1].order_userref, Some(3));
        assert_eq!(r[1].symbol, None);

        assert_eq!(r[2].exec_type, ExecType::Trade);
        assert_eq!(r[2].order_status, OrderStatus::PartiallyFilled);
        assert_eq!(r[2].trade_id, Some(62_887_576));
        assert_eq!(r[2].exec_id.as_deref(), Some("TGBB7L-HT5LX-J3BZ4A"));
        assert_eq!(r[2].liquidity_ind, Some(LiquidityInd::Taker));
        assert_eq!(r[2].cost.unwrap().to_string(), "132.9995");
        let fees = r[2].fees.as_ref().unwrap();
        assert_eq!(fees[0].asset, "USD");
        assert_eq!(fees[0].qty.to_string(), "0.3458");

        assert_eq!(r[3].exec_type, ExecType::Canceled);
        assert_eq!(r[3].cum_qty.unwrap().to_string(), "0.00000000");
        assert_eq!(r[3].avg_price.unwrap().to_string(), "0.00000");
        assert_eq!(r[3].reason.as_deref(), Some("User requested"));
        assert_eq!(r[3].cancel_reason.as_deref(), Some("User requested"));
        assert_eq!(r[3].order_userref, Some(0));

        assert_eq!(r[4].exec_type, ExecType::Amended);
        assert_eq!(r[4].amended, Some(true));
        assert_eq!(r[4].order_qty.unwrap().to_string(), "5.10000000");
        assert_eq!(r[4].limit_price.unwrap().to_string(), "0.9600");

        assert_eq!(r[5].order_type, Some(OrderType::StopLossLimit));
        let t = r[5].triggers.as_ref().unwrap();
        assert_eq!(t.reference, Some(TriggerReference::Index));
        assert_eq!(t.status, Some(TriggerStatus::Untriggered));
        assert_eq!(t.price.unwrap().to_string(), "0.2");
        assert_eq!(r[5].trigger, Some(TriggerReference::Index));
        assert_eq!(r[5].cum_cost.unwrap().to_string(), "0");

        assert_eq!(r[6].order_status, OrderStatus::Filled);
        assert_eq!(r[6].last_qty.unwrap().to_string(), "0.00016000");
        assert_eq!(r[6].sender_sub_id.as_deref(), Some("some-uuid"));
        assert_eq!(r[6].fee_usd_equiv.unwrap().to_string(), "0.04050");
    }

    #[test]
    fn reports_round_trip() {
        for report in decode_all() {
            let text = serde_json::to_string(&report).unwrap();
            let back: ExecutionReport = serde_json::from_str(&text).unwrap();
            assert_eq!(back, report, "{text}");
        }
    }

    #[test]
    fn every_field_decodes() {
        let text = r#"{"order_id":"O1","exec_type":"restated","order_status":"triggered","timestamp":"2024-05-18T12:01:56.165888Z","symbol":"BTC/USD","side":"buy","order_type":"trailing-stop-limit","order_qty":"1.5","cash_order_qty":100.0,"display_qty":0.1,"display_qty_remain":0.2,"limit_price":10,"limit_price_type":"quote","time_in_force":"GTD","effective_time":"2024-05-18T12:00:00Z","expire_time":"2024-05-19T12:00:00Z","post_only":true,"reduce_only":false,"margin":true,"no_mpp":false,"liquidated":false,"amended":false,"cl_ord_id":"c1","order_userref":"7","ord_ref_id":"R1","ext_ord_id":"e1","ext_exec_id":"e2","sender_sub_id":"s1","fee_ccy_pref":"fcib","fee_usd_equiv":0.1,"cum_qty":1,"cum_cost":2,"avg_price":3,"exec_id":"X1","trade_id":"9","last_qty":1,"last_price":2,"cost":3,"liquidity_ind":"m","margin_borrow":true,"fees":[],"position_status":"closing","reason":"r","contingent":{"order_type":"limit","trigger_price":1,"trigger_price_type":"pct","limit_price":2,"limit_price_type":"static"},"triggers":{"reference":"last","price":1,"price_type":"pct","actual_price":2,"peak_price":3,"last_price":4,"status":"triggered","timestamp":"2024-05-18T12:01:57Z"},"user":"sub1","cancel_reason":"c","stop_price":1,"trigger":"last","triggered_price":4,"ratecount":12.5,"brand_new_field":{"x":1}}"#;
        let r: ExecutionReport = serde_json::from_str(text).unwrap();
        assert_eq!(r.exec_type, ExecType::Restated);
        assert_eq!(r.order_status, OrderStatus::Triggered);
        assert_eq!(r.order_qty.unwrap().to_string(), "1.5");
        assert_eq!(r.time_in_force, Some(TimeInForce::Gtd));
        assert_eq!(r.order_userref, Some(7));
        assert_eq!(r.trade_id, Some(9));
        assert_eq!(r.liquidity_ind, Some(LiquidityInd::Maker));
        assert_eq!(r.position_status, Some(PositionStatus::Closing));
        assert_eq!(r.fees, Some(vec![]));
        let c = r.contingent.as_ref().unwrap();
        assert_eq!(c.trigger_price_type, Some(PriceType::Pct));
        let t = r.triggers.as_ref().unwrap();
        assert_eq!(t.peak_price.unwrap().to_string(), "3");
        assert_eq!(t.status, Some(TriggerStatus::Triggered));
        assert_eq!(r.ratecount.unwrap().to_string(), "12.5");
        assert_eq!(r.user.as_deref(), Some("sub1"));
        let back: ExecutionReport =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn unknown_values_are_kept() {
        let r: ExecutionReport = serde_json::from_str(
            r#"{"order_id":"O1","exec_type":"frozen","order_status":"held","liquidity_ind":"x"}"#,
        )
        .unwrap();
        assert_eq!(r.exec_type, ExecType::Other("frozen".into()));
        assert_eq!(r.order_status.as_str(), "held");
        assert_eq!(r.liquidity_ind.unwrap().as_str(), "x");
    }
}

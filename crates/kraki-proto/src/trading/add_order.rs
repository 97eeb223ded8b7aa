//! `add_order`: place one order.

use crate::{ClOrdId, Decimal, FeePreference, OrderId, OrderType, PriceType, Side, StpType};
use crate::{Symbol, TimeInForce, Timestamp, Token, TriggerReference};

/// Trigger of a stop-loss, take-profit or trailing-stop order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Triggers {
    /// The price watched (default `last`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<TriggerReference>,
    /// The trigger price, or the offset for trailing orders and `pct`/`quote`.
    pub price: Decimal,
    /// How `price` is expressed (default `static`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_type: Option<PriceType>,
}

/// One-triggers-other close order placed when the primary order fills.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Conditional {
    /// Type of the close order.
    pub order_type: OrderType,
    /// Its limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// How `limit_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price_type: Option<PriceType>,
    /// Its trigger price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<Decimal>,
    /// How `trigger_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price_type: Option<PriceType>,
    /// Deprecated by Kraken in favour of `trigger_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
}

/// The fields every new order has, shared by `add_order` and the rows of
/// `batch_add`.
macro_rules! order_fields {
    ($(#[$meta:meta])* pub struct $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            /// Order type.
            pub order_type: OrderType,
            /// Buy or sell.
            pub side: Side,
            /// Quantity in the base asset.
            pub order_qty: Decimal,
            $($extra)*
            /// Limit price (limit-priced types).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub limit_price: Option<Decimal>,
            /// How `limit_price` is expressed (trailing-stop-limit).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub limit_price_type: Option<PriceType>,
            /// Trigger of stop, take-profit and trailing orders.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub triggers: Option<Triggers>,
            /// Time in force (default `gtc`).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub time_in_force: Option<TimeInForce>,
            /// Fund on margin.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub margin: Option<bool>,
            /// Reject if the order would take liquidity.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub post_only: Option<bool>,
            /// Only reduce a margin position.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub reduce_only: Option<bool>,
            /// Scheduled start.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub effective_time: Option<Timestamp>,
            /// Expiry of a GTD order.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub expire_time: Option<Timestamp>,
            /// The client's order id; exclusive with `order_userref`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cl_ord_id: Option<ClOrdId>,
            /// Numeric client tag; exclusive with `cl_ord_id`.
            #[serde(
                default,
                deserialize_with = "crate::flex_int::option",
                skip_serializing_if = "Option::is_none"
            )]
            pub order_userref: Option<i64>,
            /// Close order placed on fill.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub conditional: Option<Conditional>,
            /// Visible quantity of an iceberg order.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub display_qty: Option<Decimal>,
            /// Fee currency.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub fee_preference: Option<FeePreference>,
            /// Deprecated; accepted and ignored by Kraken.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub no_mpp: Option<bool>,
            /// Self-trade prevention.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stp_type: Option<StpType>,
            /// Quantity in the quote currency (buy market orders).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cash_order_qty: Option<Decimal>,
            /// Institutional self-trade-prevention sub-id.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub sender_sub_id: Option<String>,
            /// Deprecated by Kraken in favour of `triggers.price`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stop_price: Option<Decimal>,
            /// Deprecated by Kraken in favour of `triggers.reference`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub trigger: Option<TriggerReference>,
        }
    };
}
pub(crate) use order_fields;

order_fields! {
    /// The params of `add_order`.
    pub struct AddOrderParams {
        /// The pair.
        pub symbol: Symbol,
        /// Validate only; nothing is placed and `order_id` comes back empty.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub validate: Option<bool>,
        /// The engine will not match after this time (500 ms–60 s ahead).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub deadline: Option<Timestamp>,
        /// Session token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub token: Option<Token>,
    }
}

impl AddOrderParams {
    /// An order with every option unset.
    pub fn new(
        order_type: OrderType,
        side: Side,
        order_qty: Decimal,
        symbol: impl Into<Symbol>,
    ) -> Self {
        AddOrderParams {
            order_type,
            side,
            order_qty,
            symbol: symbol.into(),
            validate: None,
            deadline: None,
            token: None,
            limit_price: None,
            limit_price_type: None,
            triggers: None,
            time_in_force: None,
            margin: None,
            post_only: None,
            reduce_only: None,
            effective_time: None,
            expire_time: None,
            cl_ord_id: None,
            order_userref: None,
            conditional: None,
            display_qty: None,
            fee_preference: None,
            no_mpp: None,
            stp_type: None,
            cash_order_qty: None,
            sender_sub_id: None,
            stop_price: None,
            trigger: None,
        }
    }
}

/// The result of `add_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AddOrderResult {
    /// Kraken's id for the new order (empty for `validate`).
    pub order_id: OrderId,
    /// Echo of the client's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Echo of the client's tag.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_userref: Option<i64>,
    /// Advisories, e.g. deprecated fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_and_triggers_decode() {
        let p: AddOrderParams = serde_json::from_str(r#"{"order_type":"stop-loss","side":"sell","order_qty":100,"symbol":"MATIC/USD","triggers":{"reference":"last","price":-2.0,"price_type":"pct"},"token":"x"}"#).unwrap();
        let t = p.triggers.as_ref().unwrap();
        assert_eq!(t.price.to_string(), "-2.0");
        assert_eq!(t.price_type, Some(PriceType::Pct));
        let p: AddOrderParams = serde_json::from_str(r#"{"order_type":"limit","side":"buy","order_qty":1.2,"symbol":"BTC/USD","limit_price":28440,"conditional":{"order_type":"stop-loss-limit","trigger_price":28410,"limit_price":28400}}"#).unwrap();
        let c = p.conditional.unwrap();
        assert_eq!(c.order_type, OrderType::StopLossLimit);
        assert_eq!(c.trigger_price.unwrap().to_string(), "28410");
    }

    #[test]
    fn new_sends_only_what_is_set() {
        let mut p = AddOrderParams::new(
            OrderType::Limit,
            Side::Buy,
            Decimal::parse("1.25").unwrap(),
            "BTC/USD",
        );
        p.limit_price = Some(Decimal::parse("37500.0").unwrap());
        p.post_only = Some(true);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"order_type":"limit","side":"buy","order_qty":1.25,"symbol":"BTC/USD","limit_price":37500.0,"post_only":true}"#
        );
    }
}

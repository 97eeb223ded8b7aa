//! `edit_order`: the legacy cancel-and-replace (new order id, queue
//! position lost). Prefer `amend_order`.

use super::Triggers;
use crate::{Decimal, FeePreference, OrderId, Symbol, Timestamp, Token, TriggerReference};

/// The params of `edit_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditOrderParams {
    /// The order to replace.
    pub order_id: OrderId,
    /// Its pair (cannot change).
    pub symbol: Symbol,
    /// New quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_qty: Option<Decimal>,
    /// New limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// New visible quantity of an iceberg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_qty: Option<Decimal>,
    /// Fee currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_preference: Option<FeePreference>,
    /// Tag set on the new order.
    #[serde(
        default,
        deserialize_with = "crate::flex_int::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_userref: Option<i64>,
    /// Post-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// Reduce-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<bool>,
    /// New trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Triggers>,
    /// The engine will not act after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Validate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<bool>,
    /// Deprecated; ignored by Kraken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_mpp: Option<bool>,
    /// Deprecated by Kraken in favour of `limit_price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// Deprecated by Kraken in favour of `triggers.reference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerReference>,
    /// Deprecated by Kraken in favour of `triggers.price`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `edit_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EditOrderResult {
    /// The new order's id.
    pub order_id: OrderId,
    /// The replaced order's id.
    pub original_order_id: OrderId,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PriceType;

    fn round_trip(p: &EditOrderParams) {
        let text = serde_json::to_string(p).unwrap();
        let back: EditOrderParams = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, p, "{text}");
    }

    #[test]
    fn reference_params_decode_and_round_trip() {
        let p: EditOrderParams = serde_json::from_str(r#"{"order_id":"ORDERX-IDXXX-XXXXX1","order_qty":0.2123456789,"symbol":"BTC/USD","token":"..."}"#).unwrap();
        assert_eq!(p.order_id, "ORDERX-IDXXX-XXXXX1");
        assert_eq!(p.symbol, "BTC/USD");
        assert_eq!(p.order_qty.unwrap().to_string(), "0.2123456789");
        assert_eq!(p.limit_price, None);
        round_trip(&p);
    }

    #[test]
    fn every_option_round_trips() {
        let p: EditOrderParams = serde_json::from_str(r#"{"order_id":"O1","symbol":"BTC/USD","order_qty":1.0,"limit_price":100.50,"display_qty":0.5,"fee_preference":"base","order_userref":"42","post_only":true,"reduce_only":false,"triggers":{"reference":"index","price":5,"price_type":"quote"},"deadline":"2024-07-21T09:53:59.050Z","validate":true,"no_mpp":false,"price":1,"trigger":"last","stop_price":2,"token":"t"}"#).unwrap();
        assert_eq!(p.order_userref, Some(42));
        assert_eq!(p.limit_price.unwrap().to_string(), "100.50");
        assert_eq!(
            p.triggers.as_ref().unwrap().price_type,
            Some(PriceType::Quote)
        );
        assert_eq!(p.trigger, Some(TriggerReference::Last));
        round_trip(&p);
    }

    #[test]
    fn reference_result_decodes() {
        let r: EditOrderResult = serde_json::from_str(
            r#"{"order_id":"ORDERX-IDXXX-XXXXX2","original_order_id":"ORDERX-IDXXX-XXXXX1"}"#,
        )
        .unwrap();
        assert_eq!(r.order_id, "ORDERX-IDXXX-XXXXX2");
        assert_eq!(r.original_order_id, "ORDERX-IDXXX-XXXXX1");
        assert_eq!(r.warnings, None);
    }
}

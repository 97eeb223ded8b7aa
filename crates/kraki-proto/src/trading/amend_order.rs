//! `amend_order`: change an order in place, keeping its ids and, where
//! possible, its queue priority.

use crate::{ClOrdId, Decimal, OrderId, PriceType, Symbol, Timestamp, Token};

/// The params of `amend_order`. One of `order_id` or `cl_ord_id` (a scalar
/// here, unlike `cancel_order`) names the order.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct AmendOrderParams {
    /// Kraken's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// The client's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// New quantity (optional: documented examples amend the price alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_qty: Option<Decimal>,
    /// New visible quantity of an iceberg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_qty: Option<Decimal>,
    /// New limit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// How `limit_price` is expressed (trailing-stop-limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_price_type: Option<PriceType>,
    /// Reject the price change if it would take liquidity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_only: Option<bool>,
    /// New trigger price (a flat field here, not a `triggers` object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<Decimal>,
    /// How `trigger_price` is expressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price_type: Option<PriceType>,
    /// The engine will not amend after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Required for non-crypto pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<Symbol>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `amend_order`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AmendOrderResult {
    /// Unique id of this amend.
    pub amend_id: String,
    /// Echo of the order id sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Echo of the client id sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: &AmendOrderParams) {
        let text = serde_json::to_string(p).unwrap();
        let back: AmendOrderParams = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, p, "{text}");
    }

    #[test]
    fn reference_params_decode_and_round_trip() {
        let a: AmendOrderParams = serde_json::from_str(r#"{"cl_ord_id":"2c6be801-1f53-4f79-a0bb-4ea1c95dfae9","limit_price":490795,"order_qty":1.2,"token":"PM5Qm0MDrS54l657aQAtb7AhrwN30e2LBg1nUYOd6vU"}"#).unwrap();
        assert_eq!(
            a.cl_ord_id.as_ref().unwrap(),
            "2c6be801-1f53-4f79-a0bb-4ea1c95dfae9"
        );
        assert_eq!(a.limit_price.unwrap().to_string(), "490795");
        assert_eq!(a.order_qty.unwrap().to_string(), "1.2");
        assert_eq!(a.order_id, None);
        round_trip(&a);

        // No `order_qty` in this documented request.
        let b: AmendOrderParams = serde_json::from_str(r#"{"order_id":"OAIYAU-LGI3M-PFM5VW","limit_price":61031.3,"deadline":"2024-07-21T09:53:59.050Z","post_only":true,"token":"DGB00LiKlPlLI/amQaSKUUr8niqXDb+1zwvtjp34nzk"}"#).unwrap();
        assert_eq!(b.order_qty, None);
        assert_eq!(b.deadline.unwrap().to_string(), "2024-07-21T09:53:59.050Z");
        assert_eq!(b.post_only, Some(true));
        round_trip(&b);

        let c: AmendOrderParams = serde_json::from_str(r#"{"order_id":"BQS60L-EGW18-UPAK9U","order_qty":5.1,"limit_price":0.96,"post_only":false,"token":"aToken"}"#).unwrap();
        assert_eq!(c.order_id.as_ref().unwrap(), "BQS60L-EGW18-UPAK9U");
        assert_eq!(c.limit_price.unwrap().to_string(), "0.96");
        round_trip(&c);
    }

    #[test]
    fn flat_trigger_fields_round_trip() {
        let p = AmendOrderParams {
            order_id: Some("OAIYAU-LGI3M-PFM5VW".into()),
            display_qty: Some(Decimal::parse("0.10").unwrap()),
            limit_price_type: Some(PriceType::Pct),
            trigger_price: Some(Decimal::parse("61000.0").unwrap()),
            trigger_price_type: Some(PriceType::Static),
            symbol: Some("AAPLx/USD".into()),
            ..AmendOrderParams::default()
        };
        round_trip(&p);
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains(r#""trigger_price":61000.0"#), "{text}");
        assert!(!text.contains("order_qty"), "{text}");
    }

    #[test]
    fn reference_results_decode() {
        let r: AmendOrderResult = serde_json::from_str(
            r#"{"amend_id":"TTW6PD-RC36L-ZZSWNU","cl_ord_id":"2c6be801-1f53-4f79-a0bb-4ea1c95dfae9"}"#,
        )
        .unwrap();
        assert_eq!(r.amend_id, "TTW6PD-RC36L-ZZSWNU");
        assert_eq!(r.order_id, None);
        let r: AmendOrderResult = serde_json::from_str(
            r#"{"amend_id":"1M2JV8-OEJZD-G5GSBF","order_id":"BQS60L-EGW18-UPAK9U"}"#,
        )
        .unwrap();
        assert_eq!(r.order_id.unwrap(), "BQS60L-EGW18-UPAK9U");
    }
}

//! `batch_add`: 2–15 orders on one pair in one request.

use super::add_order::order_fields;
use super::{Conditional, Triggers};
use crate::{ClOrdId, Decimal, FeePreference, OrderId, OrderType, PriceType, Side, StpType};
use crate::{Symbol, TimeInForce, Timestamp, Token, TriggerReference};

order_fields! {
    /// One order of a batch: `add_order`'s fields without symbol, token,
    /// validate and deadline, which the batch carries once.
    pub struct BatchOrder {}
}

impl BatchOrder {
    /// An order with every option unset.
    pub fn new(order_type: OrderType, side: Side, order_qty: Decimal) -> Self {
        BatchOrder {
            order_type,
            side,
            order_qty,
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

/// The params of `batch_add`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchAddParams {
    /// The one pair of every order.
    pub symbol: Symbol,
    /// The orders, 2 to 15.
    pub orders: Vec<BatchOrder>,
    /// The engine will not match after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Timestamp>,
    /// Validate only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<bool>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// One row of the `batch_add` result, in request order. A row that failed
/// after submission carries `error` (or, per some clients, `status`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchAddRow {
    /// Kraken's id of the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
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
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// Why this row failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Per-row status, where sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: &BatchAddParams) {
        let text = serde_json::to_string(p).unwrap();
        let back: BatchAddParams = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, p, "{text}");
    }

    #[test]
    fn reference_params_decode_and_round_trip() {
        let p: BatchAddParams = serde_json::from_str(r#"{"deadline":"2022-06-13T08:09:10.123456Z","orders":[{"limit_price":1010.10,"order_qty":0.123456789,"order_type":"limit","order_userref":1,"side":"buy"},{"limit_price":2020.20,"order_qty":0.987654321,"order_type":"limit","order_userref":2,"side":"sell","stp_type":"cancel_both"}],"symbol":"BTC/USD","token":"...","validate":false}"#).unwrap();
        assert_eq!(p.symbol, "BTC/USD");
        assert_eq!(p.validate, Some(false));
        assert_eq!(
            p.deadline.unwrap().to_string(),
            "2022-06-13T08:09:10.123456Z"
        );
        assert_eq!(p.orders.len(), 2);
        assert_eq!(p.orders[0].limit_price.unwrap().to_string(), "1010.10");
        assert_eq!(p.orders[0].order_qty.to_string(), "0.123456789");
        assert_eq!(p.orders[0].side, Side::Buy);
        assert_eq!(p.orders[1].order_userref, Some(2));
        assert_eq!(p.orders[1].stp_type, Some(StpType::CancelBoth));
        round_trip(&p);
    }

    #[test]
    fn built_batch_round_trips() {
        let mut a = BatchOrder::new(OrderType::Limit, Side::Buy, Decimal::parse("1.0").unwrap());
        a.limit_price = Some(Decimal::parse("100.00").unwrap());
        a.cl_ord_id = Some("one".into());
        let mut b = BatchOrder::new(
            OrderType::StopLoss,
            Side::Sell,
            Decimal::parse("2").unwrap(),
        );
        b.triggers = Some(Triggers {
            reference: None,
            price: Decimal::parse("90").unwrap(),
            price_type: None,
        });
        let p = BatchAddParams {
            symbol: "BTC/USD".into(),
            orders: vec![a, b],
            deadline: None,
            validate: None,
            token: Some(Token::new("t")),
        };
        let text = serde_json::to_string(&p).unwrap();
        assert!(
            text.contains(r#"{"order_type":"limit","side":"buy","order_qty":1.0,"limit_price":100.00,"cl_ord_id":"one"}"#),
            "{text}"
        );
        round_trip(&p);
    }

    #[test]
    fn reference_results_decode() {
        let rows: Vec<BatchAddRow> = serde_json::from_str(r#"[{"order_id":"ORDERX-IDXXX-XXXXX1","order_userref":1},{"order_id":"ORDERX-IDXXX-XXXXX2","order_userref":2}]"#).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].order_id.as_ref().unwrap(), "ORDERX-IDXXX-XXXXX1");
        assert_eq!(rows[1].order_userref, Some(2));
        let rows: Vec<BatchAddRow> = serde_json::from_str(
            r#"[{"order_id":"JQDNTT-MZEIZ-OZKUDD"},{"order_id":"X67GEK-3VQWM-HPNQ89"}]"#,
        )
        .unwrap();
        assert_eq!(rows[1].order_id.as_ref().unwrap(), "X67GEK-3VQWM-HPNQ89");
        assert_eq!(rows[1].error, None);
        let rows: Vec<BatchAddRow> = serde_json::from_str(
            r#"[{"order_id":"A"},{"error":"EOrder:Insufficient funds","status":"err"}]"#,
        )
        .unwrap();
        assert_eq!(rows[1].order_id, None);
        assert_eq!(rows[1].error.as_deref(), Some("EOrder:Insufficient funds"));
    }
}

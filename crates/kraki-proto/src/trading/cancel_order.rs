//! `cancel_order`: cancel by order ids, client ids or userrefs (all arrays
//! here). One response arrives per canceled order, all with the same req_id.

use crate::{ClOrdId, OrderId, Token};

/// The params of `cancel_order`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CancelOrderParams {
    /// Kraken order ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Vec<OrderId>>,
    /// Client order ids (an array, unlike in `add_order`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<Vec<ClOrdId>>,
    /// Client tags; every order carrying one is canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_userref: Option<Vec<i64>>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of one canceled order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelOrderResult {
    /// Set when canceled by order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    /// Set when canceled by client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<ClOrdId>,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: &CancelOrderParams) {
        let text = serde_json::to_string(p).unwrap();
        let back: CancelOrderParams = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, p, "{text}");
    }

    #[test]
    fn reference_params_decode_and_round_trip() {
        let p: CancelOrderParams = serde_json::from_str(
            r#"{"order_id":["OM5CRX-N2HAL-GFGWE9","OLUMT4-UTEGU-ZYM7E9"],"token":"..."}"#,
        )
        .unwrap();
        let ids = p.order_id.as_ref().unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1], "OLUMT4-UTEGU-ZYM7E9");
        assert_eq!(p.cl_ord_id, None);
        round_trip(&p);
    }

    #[test]
    fn client_ids_are_arrays() {
        let p = CancelOrderParams {
            cl_ord_id: Some(vec!["a-uuid".into()]),
            order_userref: Some(vec![1, -2]),
            ..CancelOrderParams::default()
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"cl_ord_id":["a-uuid"],"order_userref":[1,-2]}"#
        );
        round_trip(&p);
    }

    #[test]
    fn reference_results_decode() {
        let r: CancelOrderResult =
            serde_json::from_str(r#"{"order_id":"OLUMT4-UTEGU-ZYM7E9"}"#).unwrap();
        assert_eq!(r.order_id.unwrap(), "OLUMT4-UTEGU-ZYM7E9");
        let r: CancelOrderResult = serde_json::from_str(r#"{"cl_ord_id":"a-uuid"}"#).unwrap();
        assert_eq!(r.cl_ord_id.unwrap(), "a-uuid");
        assert_eq!(r.order_id, None);
    }
}

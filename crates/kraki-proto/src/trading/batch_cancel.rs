//! `batch_cancel`: cancel 2–50 orders in one request.

use crate::{ClOrdId, Token};

/// The params of `batch_cancel`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct BatchCancelParams {
    /// Kraken order ids and/or userrefs written as strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders: Option<Vec<String>>,
    /// Client order ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<Vec<ClOrdId>>,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `batch_cancel`. The documented shape is `result.count`;
/// live servers send a top-level `orders_cancelled` instead. The decoder
/// fills `count` from either.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchCancelResult {
    /// How many orders were canceled.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub count: u64,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: &BatchCancelParams) {
        let text = serde_json::to_string(p).unwrap();
        let back: BatchCancelParams = serde_json::from_str(&text).unwrap();
        assert_eq!(&back, p, "{text}");
    }

    #[test]
    fn reference_params_decode_and_round_trip() {
        let p: BatchCancelParams =
            serde_json::from_str(r#"{"orders":["1","2","ORDERX-IDXXX-XXXXX3"],"token":"..."}"#)
                .unwrap();
        assert_eq!(
            p.orders.as_deref().unwrap(),
            ["1", "2", "ORDERX-IDXXX-XXXXX3"]
        );
        assert_eq!(p.cl_ord_id, None);
        round_trip(&p);
        let q = BatchCancelParams {
            cl_ord_id: Some(vec!["a".into(), "b".into()]),
            ..BatchCancelParams::default()
        };
        assert_eq!(
            serde_json::to_string(&q).unwrap(),
            r#"{"cl_ord_id":["a","b"]}"#
        );
        round_trip(&q);
    }

    #[test]
    fn reference_result_decodes() {
        let r: BatchCancelResult = serde_json::from_str(r#"{"count":3}"#).unwrap();
        assert_eq!(r.count, 3);
        assert_eq!(r.warnings, None);
    }
}

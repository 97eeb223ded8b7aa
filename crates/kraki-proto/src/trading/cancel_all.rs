//! `cancel_all`: cancel every open order, untriggered ones included.

use crate::Token;

/// The params of `cancel_all`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CancelAllParams {
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `cancel_all`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelAllResult {
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

    #[test]
    fn reference_params_and_result() {
        let p: CancelAllParams =
            serde_json::from_str(r#"{"token":"weeBxllys/7kHy/zHpkATSDIS42BvDgWS2b04ZSZHZ5"}"#)
                .unwrap();
        assert_eq!(
            p.token.as_ref().unwrap().expose(),
            "weeBxllys/7kHy/zHpkATSDIS42BvDgWS2b04ZSZHZ5"
        );
        let back: CancelAllParams =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            serde_json::to_string(&CancelAllParams::default()).unwrap(),
            "{}"
        );

        let r: CancelAllResult = serde_json::from_str(r#"{"count":1}"#).unwrap();
        assert_eq!(r.count, 1);
        assert_eq!(r.warnings, None);
        let r: CancelAllResult = serde_json::from_str(r#"{"count":"3","warnings":["w"]}"#).unwrap();
        assert_eq!(r.count, 3);
    }
}

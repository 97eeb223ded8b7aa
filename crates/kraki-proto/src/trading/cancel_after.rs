//! `cancel_all_orders_after`: the dead man's switch.

use crate::{Timestamp, Token};

/// The params of `cancel_all_orders_after`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelAfterParams {
    /// Seconds until every order is canceled (< 86400); 0 disarms.
    #[serde(deserialize_with = "crate::flex_int::deserialize")]
    pub timeout: u32,
    /// Session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// The result of `cancel_all_orders_after`. Its wire keys are camelCase,
/// unlike every other v2 message.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CancelAfterResult {
    /// The server's time.
    #[serde(rename = "currentTime")]
    pub current_time: Timestamp,
    /// When the orders will be canceled; `None` when disarmed (the wire
    /// says `"0"` or leaves the key out).
    #[serde(
        rename = "triggerTime",
        default,
        deserialize_with = "trigger_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub trigger_time: Option<Timestamp>,
    /// Advisories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

/// Reads `triggerTime`: a timestamp, or `"0"` (also `0`, `""`, `null`)
/// for a disarmed switch, so a disarmed timer never looks armed for 1970.
fn trigger_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    struct TriggerTime;

    impl<'de> serde::de::Visitor<'de> for TriggerTime {
        type Value = Option<Timestamp>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 timestamp or \"0\"")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim() {
                "" | "0" => Ok(None),
                t => Timestamp::parse(t).map(Some).map_err(E::custom),
            }
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
            if v == 0 {
                Ok(None)
            } else {
                Err(E::custom(format!("expected a timestamp or 0, got {v}")))
            }
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
            self.visit_u64(u64::try_from(v).unwrap_or(u64::MAX))
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(TriggerTime)
        }
    }

    d.deserialize_option(TriggerTime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_params_decode_and_round_trip() {
        let p: CancelAfterParams = serde_json::from_str(
            r#"{"timeout":100,"token":"zwpdzWUe18Bn6h4TAMorh26+QbcMeST2B5tamfe+pgQ"}"#,
        )
        .unwrap();
        assert_eq!(p.timeout, 100);
        assert!(p.token.is_some());
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.starts_with(r#"{"timeout":100,"token":"#), "{text}");
        let back: CancelAfterParams = serde_json::from_str(&text).unwrap();
        assert_eq!(back, p);
        let q: CancelAfterParams = serde_json::from_str(r#"{"timeout":"0"}"#).unwrap();
        assert_eq!(q.timeout, 0);
    }

    #[test]
    fn reference_result_is_camel_case() {
        let r: CancelAfterResult = serde_json::from_str(
            r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"2023-09-21T15:51:09Z"}"#,
        )
        .unwrap();
        assert_eq!(r.current_time.to_string(), "2023-09-21T15:49:29Z");
        assert_eq!(r.trigger_time.unwrap().to_string(), "2023-09-21T15:51:09Z");
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"2023-09-21T15:51:09Z"}"#
        );
        let back: CancelAfterResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn disarmed_reads_as_none() {
        for body in [
            r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"0"}"#,
            r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":0}"#,
            r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":null}"#,
            r#"{"currentTime":"2023-09-21T15:49:29Z"}"#,
        ] {
            let r: CancelAfterResult = serde_json::from_str(body).unwrap();
            assert_eq!(r.trigger_time, None, "{body}");
        }
        let r: CancelAfterResult =
            serde_json::from_str(r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"0"}"#)
                .unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"currentTime":"2023-09-21T15:49:29Z"}"#
        );
        assert!(
            serde_json::from_str::<CancelAfterResult>(
                r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"soon"}"#
            )
            .is_err()
        );
    }
}

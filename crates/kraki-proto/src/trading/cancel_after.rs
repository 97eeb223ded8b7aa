//! `cancel_all_orders_after`: the dead man's switch.

use crate::{Timestamp, Token};
use serde::Deserialize;

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

fn trigger_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let text: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
    match text.as_deref() {
        None | Some("0") | Some("") => Ok(None),
        Some(t) => Timestamp::parse(t)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_and_disarmed() {
        let r: CancelAfterResult = serde_json::from_str(
            r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"2023-09-21T15:51:09Z"}"#,
        )
        .unwrap();
        assert_eq!(r.trigger_time.unwrap().to_string(), "2023-09-21T15:51:09Z");
        let r: CancelAfterResult =
            serde_json::from_str(r#"{"currentTime":"2023-09-21T15:49:29Z","triggerTime":"0"}"#)
                .unwrap();
        assert_eq!(r.trigger_time, None);
        assert!(serde_json::to_string(&r).unwrap().contains("currentTime"));
    }
}

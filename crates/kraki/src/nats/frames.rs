//! Kraken v2 frames holding one symbol's item, written the way Kraken
//! writes them (`{"channel":…,"type":…,"data":[item]}`), with every
//! number's digits as received.

use kraki_proto::{MessageType, Timestamp};
use serde::Serialize;

#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    channel: &'a str,
    #[serde(rename = "type")]
    kind: MessageType,
    data: [&'a T; 1],
    /// The message's own time, where Kraken sends one (`ohlc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Timestamp>,
}

/// The frame of one item. Serializing kraki's own types cannot fail; an
/// empty string would be refused by every reader, so it is never sent
/// (the callers skip it).
pub(crate) fn frame<T: Serialize>(channel: &str, kind: MessageType, item: &T) -> String {
    frame_at(channel, kind, item, None)
}

/// [`frame`] with the message's `timestamp`.
pub(crate) fn frame_at<T: Serialize>(
    channel: &str,
    kind: MessageType,
    item: &T,
    timestamp: Option<Timestamp>,
) -> String {
    serde_json::to_string(&Frame {
        channel,
        kind,
        data: [item],
        timestamp,
    })
    .unwrap_or_default()
}

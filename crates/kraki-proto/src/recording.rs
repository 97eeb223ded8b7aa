//! The recording format of `kraki record`, read by `kraki verify` and
//! `kraki replay`. Version 1, one JSON object per line:
//!
//! ```text
//! {"kraki_recording":1,"created":"2026-11-23T01:02:03.456789Z","url":"wss://ws.kraken.com/v2"}
//! {"recv":"2026-11-23T01:02:03.500000123Z","frame":{"channel":"status",…}}
//! {"recv":"2026-11-23T01:02:03.600000456Z","text":"CloudFlare WebSocket proxy restarting"}
//! ```
//!
//! - The first line is the header; `kraki_recording` is the format version.
//! - Each later line is one frame received, with its receive time (RFC 3339,
//!   nanoseconds). A JSON frame is stored verbatim under `frame` (its exact
//!   text, numbers included); a frame that is not JSON is stored as a string
//!   under `text`.
//! - Readers also accept bare frames, one per line, as captured elsewhere:
//!   any line that is not a header or a recorded frame is taken as a frame.

use crate::{DecodeError, Timestamp};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The format version written by this version of kraki.
pub const VERSION: u32 = 1;

/// One line of a recording, read.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordLine<'a> {
    /// The header.
    Header {
        /// Format version.
        version: u32,
        /// Where the frames came from, if recorded.
        url: Option<String>,
    },
    /// A frame, with its receive time when the line was a recorded one.
    Frame {
        /// When it was received.
        recv: Option<Timestamp>,
        /// The frame text, exactly as received.
        text: Cow<'a, str>,
    },
}

#[derive(Deserialize)]
struct Recorded<'a> {
    #[serde(default)]
    recv: Option<Timestamp>,
    #[serde(borrow, default)]
    frame: Option<&'a RawValue>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Header {
    kraki_recording: u32,
    #[serde(default)]
    url: Option<String>,
}

impl<'a> RecordLine<'a> {
    /// Reads one line (without its line ending).
    ///
    /// # Errors
    /// A recorded-frame or header line that is malformed. A bare frame is
    /// returned as it is, malformed or not: decoding it is the caller's
    /// business.
    pub fn parse(line: &'a str) -> Result<RecordLine<'a>, DecodeError> {
        let trimmed = line.trim_start();
        if trimmed.starts_with("{\"recv\"") {
            let r: Recorded<'a> = crate::decode::parse_json(line)?;
            let text = match (r.frame, r.text) {
                (Some(frame), _) => Cow::Borrowed(frame.get()),
                (None, Some(text)) => text,
                (None, None) => {
                    return Err(crate::decode::shape_error(
                        line,
                        "a recorded line needs `frame` or `text`",
                    ));
                }
            };
            return Ok(RecordLine::Frame { recv: r.recv, text });
        }
        if trimmed.starts_with("{\"kraki_recording\"") {
            let h: Header = crate::decode::parse_json(line)?;
            return Ok(RecordLine::Header {
                version: h.kraki_recording,
                url: h.url,
            });
        }
        Ok(RecordLine::Frame {
            recv: None,
            text: Cow::Borrowed(line),
        })
    }
}

/// The header line for a recording of `url` made at `created`.
pub fn header_line(created: Timestamp, url: &str) -> String {
    // Written by hand so that `kraki_recording` comes first: readers tell
    // the header by its first key.
    let url = serde_json::Value::String(url.to_owned());
    format!("{{\"kraki_recording\":{VERSION},\"created\":\"{created}\",\"url\":{url}}}")
}

/// The line for one received frame: verbatim under `frame` when it is
/// JSON, as a string under `text` otherwise.
pub fn frame_line(recv: Timestamp, frame: &str) -> String {
    let is_json = serde_json::from_str::<&RawValue>(frame).is_ok();
    if is_json {
        // A line per frame: pretty-printed JSON is compacted (its numbers
        // and strings stay exactly as they were).
        let frame = if frame.contains(['\n', '\r']) {
            Cow::Owned(compact_json(frame))
        } else {
            Cow::Borrowed(frame.trim())
        };
        format!("{{\"recv\":\"{recv}\",\"frame\":{frame}}}")
    } else {
        let text = serde_json::Value::String(frame.to_owned());
        format!("{{\"recv\":\"{recv}\",\"text\":{text}}}")
    }
}

/// `json` without the whitespace between tokens; string contents and
/// number spellings are untouched.
pub fn compact_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_every_line_kind() {
        let t = Timestamp::parse("2026-11-23T01:02:03.500000123Z").unwrap();
        let header = header_line(t, "ws://127.0.0.1:1/v2");
        assert_eq!(
            RecordLine::parse(&header).unwrap(),
            RecordLine::Header {
                version: 1,
                url: Some("ws://127.0.0.1:1/v2".into())
            }
        );
        let frame = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1.0,"qty":0.10000000}],"asks":[],"checksum":1}]}"#;
        let line = frame_line(t, frame);
        let RecordLine::Frame { recv, text } = RecordLine::parse(&line).unwrap() else {
            panic!()
        };
        assert_eq!(recv, Some(t));
        assert_eq!(text, frame, "the frame's exact text survives");
        assert!(matches!(text, Cow::Borrowed(_)));

        let line = frame_line(t, "CloudFlare WebSocket proxy restarting");
        let RecordLine::Frame { text, .. } = RecordLine::parse(&line).unwrap() else {
            panic!()
        };
        assert_eq!(text, "CloudFlare WebSocket proxy restarting");

        let bare = r#"{"channel":"heartbeat"}"#;
        assert_eq!(
            RecordLine::parse(bare).unwrap(),
            RecordLine::Frame {
                recv: None,
                text: Cow::Borrowed(bare)
            }
        );
        assert!(RecordLine::parse(r#"{"recv":"2026-11-23T01:02:03Z"}"#).is_err());
        let pretty = "{\n  \"a b\": [1.50, \"x\\\" y\"]\n}";
        assert_eq!(compact_json(pretty), r#"{"a b":[1.50,"x\" y"]}"#);
        assert!(!frame_line(t, pretty).contains('\n'));
        assert!(RecordLine::parse(r#"{"recv":"nonsense","frame":{}}"#).is_err());
    }
}

//! The recording format of `kraki record`, read by `kraki verify` and
//! `kraki replay`. Version 1, one JSON object per line:
//!
//! ```text
//! {"kraki_recording":1,"created":"2026-11-23T01:02:03.456789Z","url":"wss://ws.kraken.com/v2"}
//! {"recv":"2026-11-23T01:02:03.500000123Z","frame":{"channel":"status",…}}
//! {"recv":"2026-11-23T01:02:03.600000456Z","text":"CloudFlare WebSocket proxy restarting"}
//! ```
//!
//! - The first line is the header: `kraki_recording` is the format version
//!   (this version of kraki writes and reads `1`), `created` when the
//!   recording started (RFC 3339), `url` the endpoint recorded.
//! - Each later line is one frame received, with its receive time (`recv`,
//!   RFC 3339 with nanoseconds). A JSON frame is stored verbatim under
//!   `frame` — its exact text, number spellings included, only compacted
//!   onto one line; a frame that is not JSON is stored as a JSON string
//!   under `text`.
//! - Writers put the keys in the order shown, so that readers can tell the
//!   kind of a line from its start without parsing it all ([`split_frame`]);
//!   readers accept any key order and ignore keys they do not know, so
//!   later versions may add some.
//! - Readers also accept bare frames, one per line, as captured elsewhere:
//!   a line that is not a JSON object with a `kraki_recording`, `frame` or
//!   `text` key is a frame as received.

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
        /// When the recording started, if recorded.
        created: Option<Timestamp>,
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
    created: Option<Timestamp>,
    #[serde(default)]
    url: Option<String>,
}

/// Which of the recording's keys a JSON object has at its top level.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    kraki_recording: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    frame: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    text: Option<serde::de::IgnoredAny>,
}

/// What a line is, from its keys.
enum Shape {
    Header,
    Recorded,
    Bare,
}

fn shape(line: &str) -> Shape {
    let trimmed = line.trim_start();
    // What the writer puts first tells the common cases without parsing.
    if trimmed.starts_with("{\"recv\"") {
        return Shape::Recorded;
    }
    if trimmed.starts_with("{\"kraki_recording\"") {
        return Shape::Header;
    }
    let maybe_ours = trimmed.starts_with('{')
        && ["\"kraki_recording\"", "\"frame\"", "\"text\"", "\\"]
            .iter()
            .any(|key| line.contains(key));
    if !maybe_ours {
        return Shape::Bare;
    }
    match serde_json::from_str::<Probe>(line) {
        Ok(p) if p.kraki_recording.is_some() => Shape::Header,
        Ok(p) if p.frame.is_some() || p.text.is_some() => Shape::Recorded,
        _ => Shape::Bare,
    }
}

impl<'a> RecordLine<'a> {
    /// Reads one line (without its line ending).
    ///
    /// # Errors
    /// A recorded-frame or header line that is malformed, or a header of
    /// another format version. A bare frame is returned as it is,
    /// malformed or not: decoding it is the caller's business.
    pub fn parse(line: &'a str) -> Result<RecordLine<'a>, DecodeError> {
        match shape(line) {
            Shape::Recorded => {
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
                Ok(RecordLine::Frame { recv: r.recv, text })
            }
            Shape::Header => {
                let h: Header = crate::decode::parse_json(line)?;
                if h.kraki_recording != VERSION {
                    return Err(crate::decode::shape_error(
                        line,
                        &format!(
                            "recording format version {} is not supported (this kraki reads {VERSION})",
                            h.kraki_recording
                        ),
                    ));
                }
                Ok(RecordLine::Header {
                    version: h.kraki_recording,
                    created: h.created,
                    url: h.url,
                })
            }
            Shape::Bare => Ok(RecordLine::Frame {
                recv: None,
                text: Cow::Borrowed(line),
            }),
        }
    }
}

/// Splits a line as [`frame_line`] writes it for a JSON frame —
/// `{"recv":"<time>","frame":<frame>}` — into the receive time's text and
/// the frame's text, without reading either: the fast path of readers
/// that parse both next anyway. `None` for any other line; use
/// [`RecordLine::parse`] for those.
///
/// Nothing is validated. The time is the text between the quotes (parse
/// it with [`Timestamp::parse`] or a [`TimeReader`](crate::book::TimeReader));
/// the frame is whatever lies between `"frame":` and the line's last `}`,
/// and only a frame that parses as one complete JSON value makes the line
/// valid.
#[must_use]
pub fn split_frame(line: &str) -> Option<(&str, &str)> {
    let (recv, start) = frame_start(line)?;
    let frame = line.get(start..)?.trim_end().strip_suffix('}')?;
    Some((recv, frame))
}

/// As [`split_frame`], for a line that starts `text` and whose end is not
/// known yet (e.g. lines read in place in a large buffer): the receive
/// time's text and where the frame starts. Whether a frame follows, and
/// then `}` and the line's end, is the caller's to check.
#[must_use]
#[inline]
pub fn frame_start(text: &str) -> Option<(&str, usize)> {
    const OPEN: &str = "{\"recv\":\"";
    const BETWEEN: &str = "\",\"frame\":";
    // A raw frame (`{"channel":…`) is told apart by one word compare,
    // inlined into the caller: `kraki verify` asks this of every line.
    if text.as_bytes().first_chunk::<9>() != Some(b"{\"recv\":\"") {
        return None;
    }
    let rest = text.get(OPEN.len()..)?;
    // `kraki record` writes nanoseconds: the closing quote is at 30,
    // unless a shorter time's is before it.
    let bytes = rest.as_bytes();
    let end = match (bytes.get(30), bytes.first_chunk::<32>()) {
        (Some(b'"'), Some(time)) if !quote_or_escape(time) => 30,
        _ => {
            let end = rest.find('"')?;
            if rest[..end].contains('\\') {
                // An escape, which the general path would read differently.
                return None;
            }
            end
        }
    };
    let (recv, rest) = rest.split_at(end);
    if !rest.starts_with(BETWEEN) {
        return None;
    }
    Some((recv, OPEN.len() + end + BETWEEN.len()))
}

/// Whether the first 30 of `bytes` hold a quote or a backslash: four word
/// comparisons rather than a search.
fn quote_or_escape(bytes: &[u8; 32]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & (ONES << 7);
    // Bytes 30 and 31 (the closing quote and what follows) are masked out.
    let masks = [u64::MAX, u64::MAX, u64::MAX, u64::MAX >> 16];
    bytes.chunks_exact(8).zip(masks).any(|(chunk, mask)| {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let found = zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')));
        found & mask != 0
    })
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
                created: Some(t),
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

    #[test]
    fn keys_in_any_order_and_unknown_keys() {
        let line = r#"{"frame":{"channel":"heartbeat"},"x":1,"recv":"2026-11-23T01:02:03Z"}"#;
        let RecordLine::Frame { recv, text } = RecordLine::parse(line).unwrap() else {
            panic!()
        };
        assert!(recv.is_some());
        assert_eq!(text, r#"{"channel":"heartbeat"}"#);
        let line = r#"{"text":"a \"quoted\" notice"}"#;
        let RecordLine::Frame { recv, text } = RecordLine::parse(line).unwrap() else {
            panic!()
        };
        assert_eq!((recv, &*text), (None, r#"a "quoted" notice"#));
        let line = r#"{"url":"wss://x","kraki_recording":1}"#;
        assert!(matches!(
            RecordLine::parse(line).unwrap(),
            RecordLine::Header { version: 1, .. }
        ));
        // A Kraken frame whose nested objects have such keys is a frame.
        let bare = r#"{"channel":"status","data":[{"text":"x","frame":1}],"type":"update"}"#;
        assert_eq!(
            RecordLine::parse(bare).unwrap(),
            RecordLine::Frame {
                recv: None,
                text: Cow::Borrowed(bare)
            }
        );
        // Not JSON at all: a frame as received, for the decoder to judge.
        assert!(matches!(
            RecordLine::parse("proxy restarting").unwrap(),
            RecordLine::Frame { recv: None, .. }
        ));
    }

    #[test]
    fn other_versions_are_refused() {
        let err = RecordLine::parse(r#"{"kraki_recording":2,"created":"2026-11-23T01:02:03Z"}"#)
            .unwrap_err();
        assert!(
            err.to_string().contains("version 2 is not supported"),
            "{err}"
        );
    }

    #[test]
    fn split_frame_takes_written_lines_apart() {
        let t = Timestamp::parse("2026-11-23T01:02:03.500000123Z").unwrap();
        let frame = r#"{"channel":"book","data":[]}"#;
        let line = frame_line(t, frame);
        assert_eq!(
            split_frame(&line),
            Some(("2026-11-23T01:02:03.500000123Z", frame))
        );
        assert_eq!(split_frame(&format!("{line} \r")).map(|s| s.1), Some(frame));
        assert_eq!(split_frame(&frame_line(t, "not json")), None);
        assert_eq!(split_frame(frame), None);
        assert_eq!(split_frame(r#"{"recv":"a\"b","frame":{}}"#), None);
        // A quote where a long time would end is not taken for its end.
        let short = r#"{"recv":"2026-11-23T01:02:03Z","frame":{"x":1}}"#;
        let tricky = r#"{"recv":"2026-11-23T01:02:3Z","frame":{"x":1}}"#;
        assert_eq!(tricky.as_bytes()[9 + 30], b'"');
        assert_eq!(
            split_frame(short),
            Some(("2026-11-23T01:02:03Z", r#"{"x":1}"#))
        );
        assert_eq!(
            split_frame(tricky),
            Some(("2026-11-23T01:02:3Z", r#"{"x":1}"#))
        );
        assert_eq!(split_frame(&header_line(t, "wss://x")), None);
        for at in 0..30 {
            for c in [b'"', b'\\'] {
                let mut time = *b"2026-11-23T01:02:03.500000123Z\"\"";
                time[at] = c;
                assert!(quote_or_escape(&time), "{at}");
            }
        }
        assert!(!quote_or_escape(b"2026-11-23T01:02:03.500000123Z\"\\"));
        let block = format!("{line}\n{line}\n");
        let (recv, start) = frame_start(&block).unwrap();
        assert_eq!(recv, "2026-11-23T01:02:03.500000123Z");
        assert!(block[start..].starts_with(frame));
    }
}

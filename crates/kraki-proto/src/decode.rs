//! The one decode entry point: a text frame in, a typed message out.
//!
//! The top level is read once into an envelope that keeps `data` and
//! `result` as raw slices of the frame; only then is the payload parsed into
//! the type its channel or method calls for. Fields Kraken adds later are
//! skipped; an unknown channel or method is an [`Unknown`] carrying the raw
//! text; anything malformed is a [`DecodeError`] with a byte position.

use crate::channels::{BookData, Candle, InstrumentData, Level3Data, Status, Ticker, Trade};
use crate::inbound::BalancesData;
use crate::request::{Method, Request};
use crate::response::{MethodResponse, Pong, Response};
use crate::trading::BatchCancelResult;
use crate::{ChannelMessage, Inbound, MessageType, ReqId, Symbol, Timestamp, Unknown};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// What kind of problem a [`DecodeError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Not valid JSON.
    Syntax,
    /// Valid JSON of the wrong shape: a missing field, a wrong type, a bad
    /// number or timestamp.
    Shape,
    /// A request with a method kraki does not know.
    UnknownMethod,
    /// A `ping` carrying `params`, which Kraken rejects.
    ParamsNotAllowed,
}

/// A frame that could not be decoded, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    position: usize,
    snippet: String,
    message: String,
}

impl DecodeError {
    fn new(kind: DecodeErrorKind, text: &str, position: usize, message: String) -> Self {
        let position = position.min(text.len());
        DecodeError {
            kind,
            position,
            snippet: snippet_at(text, position),
            message,
        }
    }

    fn from_json(text: &str, base: usize, part: &str, err: &serde_json::Error) -> Self {
        let kind = match err.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                DecodeErrorKind::Syntax
            }
            _ => DecodeErrorKind::Shape,
        };
        let position = base + offset_of(part, err.line(), err.column());
        // serde_json appends "at line L column C"; the byte offset replaces it.
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        DecodeError::new(kind, text, position, message)
    }

    /// The kind of problem.
    pub fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// Byte offset in the frame where the problem was found.
    pub fn position(&self) -> usize {
        self.position
    }

    /// A short piece of the frame around the position.
    pub fn snippet(&self) -> &str {
        &self.snippet
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {} near `{}`",
            self.message, self.position, self.snippet
        )
    }
}

impl std::error::Error for DecodeError {}

/// Byte offset of serde_json's 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(text.len())
}

fn snippet_at(text: &str, position: usize) -> String {
    const RADIUS: usize = 16;
    let mut start = position.saturating_sub(RADIUS);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (position + RADIUS).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    // Control characters are escaped so that the snippet stays on one line;
    // quotes are kept as they are, to read like the frame.
    text[start..end]
        .chars()
        .flat_map(|c| {
            let escaped = c.is_control().then(|| c.escape_default());
            escaped
                .into_iter()
                .flatten()
                .chain((!c.is_control()).then_some(c))
        })
        .collect()
}

/// The top level of any frame, with payloads left raw.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    channel: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "crate::flex_int::option")]
    req_id: Option<u64>,
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    symbol: Option<Symbol>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    time_in: Option<Timestamp>,
    #[serde(default)]
    time_out: Option<Timestamp>,
    #[serde(default, deserialize_with = "crate::flex_int::option")]
    sequence: Option<u64>,
    #[serde(default)]
    timestamp: Option<Timestamp>,
    #[serde(default, deserialize_with = "crate::flex_int::option")]
    orders_cancelled: Option<u64>,
}

/// Parses `part`, a slice of `text` (or `text` itself), into `T`, with
/// error positions relative to `text`.
fn parse<'a, T: Deserialize<'a>>(text: &str, part: &'a str) -> Result<T, DecodeError> {
    let base = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    serde_json::from_str(part).map_err(|e| DecodeError::from_json(text, base, part, &e))
}

/// Parses a whole text as `T`, errors located in it.
pub(crate) fn parse_json<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, DecodeError> {
    parse(text, text)
}

/// A shape error at the end of `text`.
pub(crate) fn shape_error(text: &str, message: &str) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Shape, text, text.len(), message.to_owned())
}

fn missing(text: &str, what: &str) -> DecodeError {
    DecodeError::new(
        DecodeErrorKind::Shape,
        text,
        text.len(),
        format!("missing field `{what}`"),
    )
}

/// Decodes one text frame from the server.
///
/// # Errors
/// A [`DecodeError`] for malformed JSON or a known message of the wrong
/// shape. Unknown channels and methods are not errors: they decode to
/// [`Inbound::Unknown`]. Never panics, whatever the input.
pub fn decode(text: &str) -> Result<Inbound, DecodeError> {
    // Book, level3, ticker, trade and executions frames, the bulk of traffic, take
    // the fast path; anything it does not take exactly goes the general way.
    if let Some(inbound) = crate::fast::decode(text) {
        return Ok(inbound);
    }
    decode_general(text)
}

/// Hands a decoded message back once it has been used, so that the next
/// [`decode`] on this thread reuses its buffers: a reader that decodes,
/// applies and drops book frames then allocates nothing per frame. Only
/// book messages have buffers worth keeping; anything else is dropped.
/// Optional: a message simply dropped costs its allocations, nothing else.
///
/// ```
/// let frame = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":1}]}"#;
/// let msg = kraki_proto::decode(frame)?;
/// // … use it …
/// kraki_proto::recycle(msg);
/// let again = kraki_proto::decode(frame)?; // reuses the buffers
/// # assert!(matches!(again, kraki_proto::Inbound::Book(_)));
/// # Ok::<(), kraki_proto::DecodeError>(())
/// ```
pub fn recycle(msg: Inbound) {
    if let Inbound::Book(m) = msg {
        crate::fast::pool::give_back(m.data);
    }
}

/// The general path: every message, every error.
pub(crate) fn decode_general(text: &str) -> Result<Inbound, DecodeError> {
    let env: Envelope<'_> = parse(text, text)?;
    if let Some(channel) = env.channel.as_deref() {
        return decode_channel(text, channel, &env);
    }
    if let Some(method) = env.method.as_deref() {
        return decode_response(text, method, &env);
    }
    Err(DecodeError::new(
        DecodeErrorKind::Shape,
        text,
        0,
        "neither `channel` nor `method` present".to_owned(),
    ))
}

fn decode_channel(text: &str, channel: &str, env: &Envelope<'_>) -> Result<Inbound, DecodeError> {
    fn message<T: DeserializeOwned>(
        text: &str,
        env: &Envelope<'_>,
    ) -> Result<ChannelMessage<T>, DecodeError> {
        let kind = message_type(text, env)?;
        let data = env.data.ok_or_else(|| missing(text, "data"))?;
        Ok(ChannelMessage {
            kind,
            data: parse(text, data.get())?,
            sequence: env.sequence,
            timestamp: env.timestamp,
        })
    }
    Ok(match channel {
        "heartbeat" => Inbound::Heartbeat,
        "status" => Inbound::Status(message::<Vec<Status>>(text, env)?),
        "ticker" => Inbound::Ticker(message::<Vec<Ticker>>(text, env)?),
        "book" => Inbound::Book(message::<Vec<BookData>>(text, env)?),
        "level3" => Inbound::Level3(message::<Vec<Level3Data>>(text, env)?),
        "ohlc" => Inbound::Ohlc(message::<Vec<Candle>>(text, env)?),
        "trade" => Inbound::Trade(message::<Vec<Trade>>(text, env)?),
        "instrument" => Inbound::Instrument(message::<InstrumentData>(text, env)?),
        "executions" => Inbound::Executions(message(text, env)?),
        "balances" => {
            let kind = message_type(text, env)?;
            let raw = env.data.ok_or_else(|| missing(text, "data"))?.get();
            let data = match kind {
                MessageType::Snapshot => BalancesData::Snapshot(parse(text, raw)?),
                MessageType::Update => BalancesData::Update(parse(text, raw)?),
            };
            Inbound::Balances(ChannelMessage {
                kind,
                data,
                sequence: env.sequence,
                timestamp: env.timestamp,
            })
        }
        other => Inbound::Unknown(Unknown {
            name: other.to_owned(),
            raw: text.to_owned(),
        }),
    })
}

fn message_type(text: &str, env: &Envelope<'_>) -> Result<MessageType, DecodeError> {
    let kind = env.kind.as_deref().ok_or_else(|| missing(text, "type"))?;
    kind.parse().map_err(|e: crate::UnknownValue| {
        let at = text.find(kind).unwrap_or(0);
        DecodeError::new(DecodeErrorKind::Shape, text, at, e.to_string())
    })
}

fn decode_response(text: &str, method: &str, env: &Envelope<'_>) -> Result<Inbound, DecodeError> {
    fn ack<'a, T: Deserialize<'a>>(
        text: &str,
        method: &str,
        env: &Envelope<'a>,
    ) -> Result<MethodResponse<T>, DecodeError> {
        Ok(MethodResponse {
            method: method.to_owned(),
            req_id: env.req_id.map(ReqId),
            success: env.success.ok_or_else(|| missing(text, "success"))?,
            result: env.result.map(|r| parse(text, r.get())).transpose()?,
            error: env.error.clone(),
            symbol: env.symbol.clone(),
            status: env.status.clone(),
            time_in: env.time_in,
            time_out: env.time_out,
        })
    }
    let response = match method {
        // A ping's error ack carries `"method":"ping"`; it answers a ping all
        // the same.
        "pong" | "ping" => Response::Pong(Pong {
            method: method.to_owned(),
            req_id: env.req_id.map(ReqId),
            success: env.success,
            error: env.error.clone(),
            time_in: env.time_in,
            time_out: env.time_out,
        }),
        "subscribe" => Response::Subscribe(ack(text, method, env)?),
        "unsubscribe" => Response::Unsubscribe(ack(text, method, env)?),
        "add_order" => Response::AddOrder(ack(text, method, env)?),
        "amend_order" => Response::AmendOrder(ack(text, method, env)?),
        "edit_order" => Response::EditOrder(ack(text, method, env)?),
        "cancel_order" => Response::CancelOrder(ack(text, method, env)?),
        "cancel_all" => Response::CancelAll(ack(text, method, env)?),
        "cancel_all_orders_after" => Response::CancelAllOrdersAfter(ack(text, method, env)?),
        "batch_add" => Response::BatchAdd(ack(text, method, env)?),
        "batch_cancel" => {
            let mut r: MethodResponse<BatchCancelResult> = ack(text, method, env)?;
            // Live servers put the count at the top level instead of in
            // `result` (protocol reference §6.8); both read the same.
            if r.result.is_none() {
                r.result = env.orders_cancelled.map(|count| BatchCancelResult {
                    count,
                    warnings: None,
                });
            }
            Response::BatchCancel(r)
        }
        other => {
            return Ok(Inbound::Unknown(Unknown {
                name: other.to_owned(),
                raw: text.to_owned(),
            }));
        }
    };
    Ok(Inbound::Response(Box::new(response)))
}

/// Decodes one request frame, as a server (the simulator) receives it.
///
/// # Errors
/// A [`DecodeError`] for malformed JSON, a missing `method` or `params`,
/// an unknown method ([`DecodeErrorKind::UnknownMethod`]) or a ping with
/// params ([`DecodeErrorKind::ParamsNotAllowed`]). Never panics.
pub fn decode_request(text: &str) -> Result<Request, DecodeError> {
    let env: Envelope<'_> = parse(text, text)?;
    let method = env
        .method
        .as_deref()
        .ok_or_else(|| missing(text, "method"))?;
    let params = || -> Result<&str, DecodeError> {
        env.params
            .map(RawValue::get)
            .ok_or_else(|| missing(text, "params"))
    };
    let method = match method {
        "ping" => {
            if env.params.is_some() {
                return Err(DecodeError::new(
                    DecodeErrorKind::ParamsNotAllowed,
                    text,
                    text.find("\"params\"").unwrap_or(0),
                    "Unsupported field: 'params' for the given msg type: ping".to_owned(),
                ));
            }
            Method::Ping
        }
        "subscribe" => Method::Subscribe(parse(text, params()?)?),
        "unsubscribe" => Method::Unsubscribe(parse(text, params()?)?),
        "add_order" => Method::AddOrder(parse(text, params()?)?),
        "amend_order" => Method::AmendOrder(parse(text, params()?)?),
        "edit_order" => Method::EditOrder(parse(text, params()?)?),
        "cancel_order" => Method::CancelOrder(parse(text, params()?)?),
        "cancel_all" => Method::CancelAll(parse(text, params()?)?),
        "cancel_all_orders_after" => Method::CancelAllOrdersAfter(parse(text, params()?)?),
        "batch_add" => Method::BatchAdd(parse(text, params()?)?),
        "batch_cancel" => Method::BatchCancel(parse(text, params()?)?),
        other => {
            return Err(DecodeError::new(
                DecodeErrorKind::UnknownMethod,
                text,
                text.find(other).unwrap_or(0),
                format!("unknown method {other:?}"),
            ));
        }
    };
    Ok(Request {
        method,
        req_id: env.req_id.map(ReqId),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_has_position_and_snippet() {
        let err = decode(r#"{"channel":"book","type":"update",}"#).unwrap_err();
        assert_eq!(err.kind(), DecodeErrorKind::Syntax);
        assert_eq!(err.position(), 34);
        assert!(err.to_string().contains("at byte 34 near"), "{err}");
    }

    #[test]
    fn nested_errors_point_into_the_frame() {
        let text = r#"{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":"abc","qty":1}],"asks":[],"checksum":1}]}"#;
        let err = decode(text).unwrap_err();
        assert_eq!(err.kind(), DecodeErrorKind::Shape);
        assert!(err.message().contains("not a number"), "{err}");
        let start = text.find("\"abc\"").unwrap();
        assert!((start..start + 5).contains(&err.position()), "{err}");
    }

    #[test]
    fn non_json_text_is_a_syntax_error() {
        let err = decode("CloudFlare WebSocket proxy restarting").unwrap_err();
        assert_eq!(err.kind(), DecodeErrorKind::Syntax);
        assert_eq!(err.position(), 0);
    }

    #[test]
    fn no_channel_or_method_is_an_error() {
        let err = decode(r#"{"foo":1}"#).unwrap_err();
        assert!(err.message().contains("neither"), "{err}");
    }

    #[test]
    fn unknown_type_value_is_named() {
        let err = decode(r#"{"channel":"book","type":"delta","data":[]}"#).unwrap_err();
        assert!(err.message().contains("\"delta\""), "{err}");
    }

    #[test]
    fn ping_with_params_is_rejected_like_kraken() {
        let err = decode_request(r#"{"method":"ping","params":{},"req_id":1}"#).unwrap_err();
        assert_eq!(err.kind(), DecodeErrorKind::ParamsNotAllowed);
        assert_eq!(
            err.message(),
            "Unsupported field: 'params' for the given msg type: ping"
        );
    }

    #[test]
    fn multibyte_snippets_do_not_split_characters() {
        let err = decode("{\"channel\":\"ééééééééééééééééééé\" ,,}").unwrap_err();
        assert!(err.snippet().contains('é'));
    }
}

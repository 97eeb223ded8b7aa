//! Responses with exactly the documented top-level keys: `method`,
//! `result` or `error`, `success`, `time_in`, `time_out`, `req_id` only
//! when the request had one, `symbol` only on per-symbol errors.

use kraki_proto::Timestamp;
use serde::Serialize;

#[derive(Serialize)]
struct Ack<'a, R: Serialize> {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    req_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<R>,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<&'a str>,
    time_in: Timestamp,
    time_out: Timestamp,
}

/// A success response.
pub(crate) fn ok<R: Serialize>(
    method: &str,
    req_id: Option<u64>,
    result: R,
    time_in: Timestamp,
) -> String {
    to_string(&Ack {
        error: None,
        method: Some(method),
        req_id,
        result: Some(result),
        success: true,
        symbol: None,
        time_in,
        time_out: crate::clock::now(6),
    })
}

/// An error response; `method` is omitted when the request was not
/// readable enough to tell it.
pub(crate) fn error(
    method: Option<&str>,
    req_id: Option<u64>,
    error: &str,
    symbol: Option<&str>,
    time_in: Timestamp,
) -> String {
    to_string(&Ack::<()> {
        error: Some(error),
        method,
        req_id,
        result: None,
        success: false,
        symbol,
        time_in,
        time_out: crate::clock::now(6),
    })
}

/// The answer to a ping: `pong`, no `success`, no `result`.
pub(crate) fn pong(req_id: Option<u64>, time_in: Timestamp) -> String {
    #[derive(Serialize)]
    struct Pong {
        method: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        req_id: Option<u64>,
        time_in: Timestamp,
        time_out: Timestamp,
    }
    to_string(&Pong {
        method: "pong",
        req_id,
        time_in,
        time_out: crate::clock::now(6),
    })
}

fn to_string<T: Serialize>(value: &T) -> String {
    // These structs of strings, numbers and timestamps always serialize.
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{}"))
}

/// A failure that still lists per-row results: `batch_add` after some of
/// its orders failed on their own (`success:false`, the rows with their
/// `error`, and the first row's error at the top; §11.9).
pub(crate) fn partial<R: Serialize>(
    method: &str,
    req_id: Option<u64>,
    result: R,
    error: &str,
    time_in: Timestamp,
) -> String {
    to_string(&Ack {
        error: Some(error),
        method: Some(method),
        req_id,
        result: Some(result),
        success: false,
        symbol: None,
        time_in,
        time_out: crate::clock::now(6),
    })
}

/// `batch_cancel`'s live success shape: the count at the top level as
/// `orders_cancelled`, no `result` (§6.8; the documented `result.count`
/// was not what production sent in 2024).
pub(crate) fn orders_cancelled(
    method: &str,
    req_id: Option<u64>,
    count: u64,
    time_in: Timestamp,
) -> String {
    #[derive(Serialize)]
    struct Cancelled<'a> {
        method: &'a str,
        orders_cancelled: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        req_id: Option<u64>,
        success: bool,
        time_in: Timestamp,
        time_out: Timestamp,
    }
    to_string(&Cancelled {
        method,
        orders_cancelled: count,
        req_id,
        success: true,
        time_in,
        time_out: crate::clock::now(6),
    })
}

/// `ESession:Invalid session` as the live ack writes it, with the older
/// `"status":"error"` beside `success:false`.
pub(crate) fn invalid_session(method: &str, req_id: Option<u64>, time_in: Timestamp) -> String {
    #[derive(Serialize)]
    struct Invalid<'a> {
        error: &'a str,
        method: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        req_id: Option<u64>,
        status: &'a str,
        success: bool,
        time_in: Timestamp,
        time_out: Timestamp,
    }
    to_string(&Invalid {
        error: "ESession:Invalid session",
        method,
        req_id,
        status: "error",
        success: false,
        time_in,
        time_out: crate::clock::now(6),
    })
}

//! The REST endpoints: `GetWebSocketsToken` behind Kraken's request
//! signature, and the public `AssetPairs`, `Time` and `SystemStatus`.
//! Answers are Kraken's envelope, `{"error":[…],"result":…}`, with HTTP 200
//! even for errors, as Kraken does.

use crate::auth::{Signed, TOKEN_LIFETIME};
use crate::clock;
use crate::markets::PairSpec;
use crate::shared::Shared;
use http::StatusCode;
use http::request::Parts;
use kraki_proto::channels::PairStatus;
use kraki_proto::rest_names;
use serde_json::{Value, json};

/// The answer to one request, its body read whole: a pure function of the
/// request and the simulator's state (the token store, the pairs, the
/// engine's status), no I/O.
pub(crate) fn answer(head: &Parts, body: &[u8], shared: &Shared) -> (StatusCode, Value) {
    let (auth, specs) = (&shared.auth, shared.specs.as_slice());
    let statuses = shared.pair_statuses.borrow().clone();
    let path = head.uri.path();
    let query = head.uri.query().unwrap_or("");
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    match (head.method.as_str(), path) {
        ("POST", "/0/private/GetWebSocketsToken") => {
            let signed = Signed {
                key: header("api-key"),
                sign: header("api-sign"),
                content_type: header("content-type"),
            };
            match auth.verify(signed, path, body) {
                Ok(()) => (
                    StatusCode::OK,
                    json!({"error": [], "result": {"token": auth.issue_token(), "expires": TOKEN_LIFETIME.as_secs()}}),
                ),
                Err(e) => (StatusCode::OK, json!({"error": [e]})),
            }
        }
        // Kraken takes public calls as GET with a query or POST with a form.
        ("GET" | "POST", "/0/public/AssetPairs") => {
            let form = std::str::from_utf8(body).unwrap_or("");
            let pair = form_value(query, "pair").or_else(|| form_value(form, "pair"));
            (
                StatusCode::OK,
                asset_pairs(pair.as_deref(), specs, &statuses),
            )
        }
        ("GET" | "POST", "/0/public/Time") => {
            let now = clock::now(0);
            (
                StatusCode::OK,
                json!({"error": [], "result": {"unixtime": now.unix_seconds(), "rfc1123": rfc1123(now.unix_seconds())}}),
            )
        }
        ("GET" | "POST", "/0/public/SystemStatus") => {
            let system = shared.system.borrow().clone();
            (
                StatusCode::OK,
                json!({"error": [], "result": {"status": system.as_str(), "timestamp": clock::now(0).to_string()}}),
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            json!({"error": ["EGeneral:Unknown method"]}),
        ),
    }
}

/// The percent-decoded value of `name` in a `a=1&b=2` string.
fn form_value(form: &str, name: &str) -> Option<String> {
    form.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

/// `pair` is the comma-separated list asked for, if any, each pair in
/// any spelling Kraken takes (`XXBTZUSD`, `XBTUSD`, `XBT/USD`,
/// `BTC/USD`). Kraken keys each entry by its own key (`XXBTZUSD`), except
/// a pair asked for with a slash, which it keys by the name as asked:
/// python-kraken-sdk's order book, for one, looks `BTC/USD` up under
/// `BTC/USD`.
fn asset_pairs(pair: Option<&str>, specs: &[PairSpec], statuses: &[PairStatus]) -> Value {
    let mut result = serde_json::Map::new();
    let chosen: Vec<(Option<&str>, &PairSpec)> = match pair {
        Some(names) => {
            let mut chosen = Vec::new();
            for name in names.split(',') {
                match specs
                    .iter()
                    .find(|s| rest_names::names_pair(name, &s.symbol))
                {
                    Some(spec) => chosen.push((Some(name), spec)),
                    None => return json!({"error": ["EQuery:Unknown asset pair"]}),
                }
            }
            chosen
        }
        None => specs.iter().map(|spec| (None, spec)).collect(),
    };
    for (asked, spec) in chosen {
        if let Some(names) = rest_names::pair_names(&spec.symbol) {
            let key = match asked {
                Some(name) if name.contains('/') => name.to_owned(),
                _ => names.key.clone(),
            };
            // REST spells the states as the `instrument` channel does.
            let status = specs
                .iter()
                .position(|s| s.symbol == spec.symbol)
                .and_then(|i| statuses.get(i))
                .map_or("online", PairStatus::as_str);
            result.insert(key, pair_json(spec, &names, status));
        }
    }
    json!({"error": [], "result": result})
}

fn pair_json(spec: &PairSpec, names: &rest_names::PairNames, status: &str) -> Value {
    let step = |precision: u8| {
        kraki_proto::Decimal::new(1, precision)
            .unwrap_or_default()
            .to_string()
    };
    let qty_min = kraki_proto::Decimal::new(spec.qty_min, spec.qty_precision).unwrap_or_default();
    let cost_min = kraki_proto::Decimal::new(spec.cost_min_e5, 5).unwrap_or_default();
    json!({
        "altname": names.altname,
        "wsname": names.wsname,
        "aclass_base": "currency",
        "base": names.base,
        "aclass_quote": "currency",
        "quote": names.quote,
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": spec.price_precision,
        "lot_decimals": spec.qty_precision,
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        // Kraken's starter fee schedule (taker, then maker), in percent.
        "fees": [[0, 0.4], [10000, 0.35], [50000, 0.24], [100000, 0.22]],
        "fees_maker": [[0, 0.25], [10000, 0.2], [50000, 0.14], [100000, 0.12]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": qty_min.to_string(),
        "costmin": cost_min.normalized().to_string(),
        "tick_size": step(spec.price_precision),
        "status": status,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                None => out.push(b'%'),
            },
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `Mon, 23 Nov 26 01:02:03 +0000`, the form Kraken's Time endpoint uses.
fn rfc1123(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let ts =
        kraki_proto::Timestamp::from_unix(unix, 0, 0).unwrap_or(kraki_proto::Timestamp::UNIX_EPOCH);
    let text = ts.to_string(); // YYYY-MM-DDTHH:MM:SSZ
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = text.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    format!(
        "{}, {} {} {} {} +0000",
        DAYS[unix.div_euclid(86_400).rem_euclid(7) as usize],
        text.get(8..10).unwrap_or("01"),
        MONTHS[month.clamp(1, 12) - 1],
        text.get(2..4).unwrap_or("70"),
        text.get(11..19).unwrap_or("00:00:00"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1123_dates() {
        assert_eq!(rfc1123(0), "Thu, 01 Jan 70 00:00:00 +0000");
        assert_eq!(rfc1123(1_795_395_723), "Mon, 23 Nov 26 01:02:03 +0000");
    }

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(
            form_value("a=1&pair=BTC%2FUSD", "pair").as_deref(),
            Some("BTC/USD")
        );
        assert_eq!(form_value("apair=1", "pair"), None);
    }
}

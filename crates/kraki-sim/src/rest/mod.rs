//! The REST endpoints: the private ones behind Kraken's request signature
//! (`GetWebSocketsToken` and the account's balances, orders, trades,
//! ledgers and volume, see `private`), and the public `Time`,
//! `SystemStatus`, `Assets`, `AssetPairs`, `Ticker`, `OHLC`, `Depth`,
//! `Trades` and `Spread`.
//! Answers are Kraken's envelope, `{"error":[…],"result":…}`, with HTTP 200
//! even for errors, as Kraken does.

mod asset_pairs;
mod assets;
mod market_data;
mod pair_list;
mod params;
mod private;
mod status;

use crate::auth::Signed;
use crate::shared::Shared;
use http::StatusCode;
use http::request::Parts;
use market_data::Endpoint;
use params::Params;
use serde_json::{Value, json};

/// The answer to one request, its body read whole. Async because answers
/// that read the market or an account ask the engine, which owns them.
pub(crate) async fn answer(head: &Parts, body: &[u8], shared: &Shared) -> (StatusCode, Value) {
    let path = head.uri.path();
    let params = Params::new(head.uri.query().unwrap_or(""), body);
    let header = |name: &str| head.headers.get(name).and_then(|v| v.to_str().ok());
    match (head.method.as_str(), path) {
        ("POST", path) if private::serves(path) => {
            let signed = Signed {
                key: header("api-key"),
                sign: header("api-sign"),
                content_type: header("content-type"),
            };
            (
                StatusCode::OK,
                private::answer(path, signed, body, &params, shared).await,
            )
        }
        // Kraken takes public calls as GET with a query or POST with a form.
        ("GET" | "POST", "/0/public/AssetPairs") => {
            let statuses = shared.pair_statuses.borrow().clone();
            (
                StatusCode::OK,
                asset_pairs::asset_pairs(params.get("pair"), &shared.specs, &statuses),
            )
        }
        ("GET" | "POST", "/0/public/Assets") => (
            StatusCode::OK,
            assets::assets(params.get("asset"), &shared.specs),
        ),
        ("GET" | "POST", "/0/public/Ticker") => market(Endpoint::Ticker, &params, shared).await,
        ("GET" | "POST", "/0/public/OHLC") => market(Endpoint::Ohlc, &params, shared).await,
        ("GET" | "POST", "/0/public/Depth") => market(Endpoint::Depth, &params, shared).await,
        ("GET" | "POST", "/0/public/Trades") => market(Endpoint::Trades, &params, shared).await,
        ("GET" | "POST", "/0/public/Spread") => market(Endpoint::Spread, &params, shared).await,
        ("GET" | "POST", "/0/public/Time") => (StatusCode::OK, status::time()),
        ("GET" | "POST", "/0/public/SystemStatus") => {
            (StatusCode::OK, status::system_status(shared))
        }
        _ => (
            StatusCode::NOT_FOUND,
            json!({"error": ["EGeneral:Unknown method"]}),
        ),
    }
}

/// A market-data endpoint's answer: HTTP 200, errors included, as Kraken.
async fn market(endpoint: Endpoint, params: &Params, shared: &Shared) -> (StatusCode, Value) {
    (
        StatusCode::OK,
        market_data::answer(endpoint, params, shared).await,
    )
}

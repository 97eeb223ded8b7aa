//! The private REST endpoints: Kraken's checks in its order (key,
//! signature, nonce, then the call counter, then the key's permission),
//! then the request's parameters, then the engine's answer from the same
//! state as the WebSocket side.

use super::params::Params;
use crate::account_query::{AccountQuery, Bound, CloseTime, Range};
use crate::auth::{Signed, TOKEN_LIFETIME, Verified};
use crate::engine::EngineCommand;
use crate::rest_rate;
use crate::shared::Shared;
use kraki_proto::Decimal;
use kraki_proto::rest_names;
use serde_json::{Value, json};
use tokio::sync::oneshot;

const INVALID_ARGUMENTS: &str = "EGeneral:Invalid arguments";
const PERMISSION_DENIED: &str = "EGeneral:Permission denied";
const UNKNOWN_METHOD: &str = "EGeneral:Unknown method";
/// Most order ids one `QueryOrders` takes (Kraken: 50).
const MAX_TXIDS: usize = 50;

/// Whether `path` is a private endpoint the simulator serves.
pub(super) fn serves(path: &str) -> bool {
    matches!(
        path,
        "/0/private/GetWebSocketsToken"
            | "/0/private/Balance"
            | "/0/private/BalanceEx"
            | "/0/private/TradeBalance"
            | "/0/private/OpenOrders"
            | "/0/private/ClosedOrders"
            | "/0/private/QueryOrders"
            | "/0/private/TradesHistory"
            | "/0/private/Ledgers"
            | "/0/private/TradeVolume"
    )
}

/// The whole answer (Kraken's envelope) to a signed POST to `path`.
pub(super) async fn answer(
    path: &str,
    signed: Signed<'_>,
    body: &[u8],
    params: &Params,
    shared: &Shared,
) -> Value {
    match result(path, signed, body, params, shared).await {
        Ok(result) => json!({"error": [], "result": result}),
        Err(e) => json!({"error": [e]}),
    }
}

async fn result(
    path: &str,
    signed: Signed<'_>,
    body: &[u8],
    params: &Params,
    shared: &Shared,
) -> Result<Value, &'static str> {
    let Verified { account, may_query } = shared.auth.verify(signed, path, body)?;
    if path == "/0/private/GetWebSocketsToken" {
        // Not counted: kraki and other clients take one per connect, and
        // reconnect tests would otherwise wait on the counter.
        let token = shared.auth.issue_token(&account);
        return Ok(json!({"token": token, "expires": TOKEN_LIFETIME.as_secs()}));
    }
    shared
        .rest_counters
        .try_call(&account, rest_rate::cost(path), tokio::time::Instant::now())?;
    if !may_query {
        return Err(PERMISSION_DENIED);
    }
    let query = query(path, params, shared)?;
    let (reply, answer) = oneshot::channel();
    let command = EngineCommand::Account {
        account,
        query,
        reply,
    };
    shared
        .engine
        .send(command)
        .await
        .map_err(|_| "EService:Unavailable")?;
    answer.await.map_err(|_| "EService:Unavailable")?
}

/// The query a request asks, its parameters read as Kraken reads them.
fn query(path: &str, params: &Params, shared: &Shared) -> Result<AccountQuery, &'static str> {
    let flag = |name: &str| match params.get(name) {
        None => Ok(false),
        Some(_) => params.flag(name).ok_or(INVALID_ARGUMENTS),
    };
    let userref = || -> Result<Option<i64>, &'static str> {
        params
            .get("userref")
            .map(|v| v.trim().parse().map_err(|_| INVALID_ARGUMENTS))
            .transpose()
    };
    Ok(match path {
        "/0/private/Balance" => AccountQuery::Balance,
        "/0/private/BalanceEx" => AccountQuery::BalanceEx,
        "/0/private/TradeBalance" => AccountQuery::TradeBalance {
            asset: rest_names::v2_asset(params.get("asset").unwrap_or("ZUSD")).to_owned(),
        },
        "/0/private/OpenOrders" => AccountQuery::OpenOrders {
            userref: userref()?,
            trades: flag("trades")?,
        },
        "/0/private/ClosedOrders" => AccountQuery::ClosedOrders {
            range: range(params)?,
            userref: userref()?,
            trades: flag("trades")?,
            closetime: match params.get("closetime").unwrap_or("both") {
                "open" => CloseTime::Open,
                "close" => CloseTime::Close,
                "both" => CloseTime::Both,
                _ => return Err(INVALID_ARGUMENTS),
            },
        },
        "/0/private/QueryOrders" => {
            let txids: Vec<String> = params
                .get("txid")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            if txids.is_empty() || txids.len() > MAX_TXIDS {
                return Err(INVALID_ARGUMENTS);
            }
            AccountQuery::QueryOrders {
                txids,
                userref: userref()?,
                trades: flag("trades")?,
            }
        }
        "/0/private/TradesHistory" => {
            // Read so that a malformed one is refused; every fill here is
            // a spot trade, so `type` and `consolidate_taker` change nothing.
            flag("trades")?;
            flag("ledgers")?;
            flag("consolidate_taker")?;
            AccountQuery::TradesHistory {
                range: range(params)?,
            }
        }
        "/0/private/Ledgers" => AccountQuery::Ledgers {
            range: range(params)?,
            assets: match params.get("asset").unwrap_or("all") {
                "all" => None,
                list => Some(
                    list.split(',')
                        .map(|a| rest_names::v2_asset(a.trim()).to_owned())
                        .collect(),
                ),
            },
            kind: params
                .get("type")
                .filter(|t| *t != "all")
                .map(str::to_owned),
        },
        "/0/private/TradeVolume" => {
            let mut pairs = Vec::new();
            for name in params.get("pair").unwrap_or("").split(',') {
                let name = name.trim();
                if name.is_empty() {
                    continue;
                }
                let spec = shared
                    .specs
                    .iter()
                    .find(|s| rest_names::names_pair(name, &s.symbol))
                    .ok_or("EQuery:Unknown asset pair")?;
                pairs.push(spec.symbol.clone());
            }
            AccountQuery::TradeVolume { pairs }
        }
        _ => return Err(UNKNOWN_METHOD),
    })
}

/// Kraken's record ids: six, five and six letters or digits, dashed.
fn is_record_id(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.iter().map(|p| p.len()).eq([6, 5, 6])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// `start`, `end` (Unix seconds or a record's id, exclusive) and `ofs`.
fn range(params: &Params) -> Result<Range, &'static str> {
    let time = |name: &str| -> Result<Option<Bound>, &'static str> {
        params
            .get(name)
            .map(|v| {
                let v = v.trim();
                if is_record_id(v) {
                    return Ok(Bound::Id(v.to_owned()));
                }
                let seconds = Decimal::parse(v).map_err(|_| INVALID_ARGUMENTS)?;
                let nanos = seconds.with_scale(9).ok_or(INVALID_ARGUMENTS)?;
                Ok(Bound::Time(i128::from(nanos.mantissa())))
            })
            .transpose()
    };
    Ok(Range {
        start: time("start")?,
        end: time("end")?,
        ofs: params
            .get("ofs")
            .map(|v| v.trim().parse().map_err(|_| INVALID_ARGUMENTS))
            .transpose()?
            .unwrap_or(0),
    })
}

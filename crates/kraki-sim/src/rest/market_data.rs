//! `Ticker`, `OHLC`, `Depth`, `Trades` and `Spread`: the request's
//! arguments checked as Kraken checks them, then answered by the engine
//! from the markets the WebSocket channels show.

use super::pair_list::{Asked, all_pairs, asked_pairs};
use super::params::Params;
use crate::engine::EngineCommand;
use crate::market_query::{DEFAULT_DEPTH, MAX_DEPTH, MAX_TRADES, MarketQuery, PairAnswer};
use crate::shared::Shared;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

/// Kraken's error for a missing or malformed argument.
const INVALID_ARGUMENTS: &str = "EGeneral:Invalid arguments";

/// Below this a `Trades` `since` is in seconds, above in nanoseconds
/// (Kraken's `last`); both are taken.
const SECONDS_BELOW: i128 = 100_000_000_000;

/// The public market-data endpoints.
#[derive(Debug, Clone, Copy)]
pub(super) enum Endpoint {
    Ticker,
    Ohlc,
    Depth,
    Trades,
    Spread,
}

/// The envelope answering `endpoint` with `params`.
pub(super) async fn answer(endpoint: Endpoint, params: &Params, shared: &Shared) -> Value {
    let (pairs, query) = match request(endpoint, params, shared) {
        Ok(request) => request,
        Err(error) => return json!({"error": [error]}),
    };
    let (reply, answers) = oneshot::channel();
    let command = EngineCommand::Market {
        markets: pairs.iter().map(|p| p.index).collect(),
        query,
        reply,
    };
    if shared.engine.send(command).await.is_err() {
        return json!({"error": ["EService:Unavailable"]});
    }
    let Ok(answers) = answers.await else {
        return json!({"error": ["EService:Unavailable"]});
    };
    json!({"error": [], "result": result(pairs, answers)})
}

/// The pairs and the query, or Kraken's error.
fn request(
    endpoint: Endpoint,
    params: &Params,
    shared: &Shared,
) -> Result<(Vec<Asked>, MarketQuery), &'static str> {
    let pair = params.get("pair").filter(|p| !p.is_empty());
    if let Endpoint::Ticker = endpoint {
        let pairs = match pair {
            Some(names) => asked_pairs(names, &shared.specs)?,
            None => all_pairs(&shared.specs),
        };
        return Ok((pairs, MarketQuery::Ticker));
    }
    // The others take one pair.
    let pair = pair.filter(|p| !p.contains(',')).ok_or(INVALID_ARGUMENTS)?;
    let pairs = asked_pairs(pair, &shared.specs)?;
    let query = match endpoint {
        Endpoint::Ticker => MarketQuery::Ticker,
        Endpoint::Ohlc => {
            let interval = number::<u32>(params, "interval")?.unwrap_or(1);
            if !MarketQuery::is_interval(interval) {
                return Err(INVALID_ARGUMENTS);
            }
            MarketQuery::Ohlc {
                interval,
                since: number(params, "since")?,
            }
        }
        Endpoint::Depth => {
            let count = number::<usize>(params, "count")?.unwrap_or(DEFAULT_DEPTH);
            if !(1..=MAX_DEPTH).contains(&count) {
                return Err(INVALID_ARGUMENTS);
            }
            MarketQuery::Depth { count }
        }
        Endpoint::Trades => {
            let count = number::<usize>(params, "count")?.unwrap_or(MAX_TRADES);
            if !(1..=MAX_TRADES).contains(&count) {
                return Err(INVALID_ARGUMENTS);
            }
            let since_ns = number::<i128>(params, "since")?.map(|since| {
                if since < SECONDS_BELOW {
                    since.saturating_mul(1_000_000_000)
                } else {
                    since
                }
            });
            MarketQuery::Trades { since_ns, count }
        }
        Endpoint::Spread => MarketQuery::Spread {
            since: number(params, "since")?,
        },
    };
    Ok((pairs, query))
}

/// An optional whole-number argument; anything else is Kraken's invalid
/// arguments.
fn number<T: std::str::FromStr>(params: &Params, name: &str) -> Result<Option<T>, &'static str> {
    params
        .get(name)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().map_err(|_| INVALID_ARGUMENTS))
        .transpose()
}

/// Each pair's entry under its key, then `last` when the endpoint pages.
fn result(pairs: Vec<Asked>, answers: Vec<PairAnswer>) -> Map<String, Value> {
    let mut result = Map::new();
    let mut last = None;
    for (pair, answer) in pairs.into_iter().zip(answers) {
        result.insert(pair.key, answer.entry);
        last = answer.last.or(last);
    }
    if let Some(last) = last {
        result.insert("last".to_owned(), last);
    }
    result
}

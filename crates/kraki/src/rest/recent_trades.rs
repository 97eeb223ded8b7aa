//! `Trades`: a pair's public trades, up to 1000 per call, paged by
//! `since`.

use crate::Error;
use crate::rest::RestClient;
use crate::rest::pair_request;
use crate::rest::rows::{PairKeyed, Row, integer, single_pair};
use kraki_proto::Decimal;
use kraki_proto::Side;
use kraki_proto::channels::TradeOrderType;

/// Where a `Trades` page ends: Kraken's `last`, nanoseconds since the
/// epoch. Passed as the next call's `since`, it asks for the trades after
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TradesSince(pub i64);

impl TradesSince {
    /// The cursor at `seconds` since the epoch.
    #[must_use]
    pub fn from_seconds(seconds: i64) -> TradesSince {
        TradesSince(seconds.saturating_mul(1_000_000_000))
    }
}

/// One public trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicTrade {
    /// Its price.
    pub price: Decimal,
    /// Its quantity.
    pub volume: Decimal,
    /// When, seconds since the epoch with the fraction Kraken gives.
    pub time: Decimal,
    /// The taker's side (`b`/`s`).
    pub side: Side,
    /// The taker's order type (`m`/`l`).
    pub ord_type: TradeOrderType,
    /// Kraken's `miscellaneous` field, mostly empty.
    pub misc: String,
    /// The trade's id, as the `trade` channel's `trade_id`; absent in
    /// answers from before Kraken added it.
    pub trade_id: Option<u64>,
}

/// One call's trades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradesPage {
    /// The v2 symbol.
    pub symbol: String,
    /// The key of Kraken's entry (`XXBTZUSD`).
    pub key: String,
    /// Oldest first.
    pub trades: Vec<PublicTrade>,
    /// Kraken's `last`, for the next call's `since`.
    pub last: TradesSince,
}

/// Most trades Kraken gives per call.
pub const MAX_TRADES: u32 = 1000;

impl RestClient {
    /// `Trades` of `symbol` (`BTC/USD`): after `since`, at most `count`
    /// (1 to [`MAX_TRADES`]; `None` for Kraken's default, 1000).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a symbol that is not `BASE/QUOTE` or a
    /// count out of range, before anything is sent; otherwise as
    /// [`RestClient::asset_pairs`].
    pub async fn trades(
        &self,
        symbol: &str,
        since: Option<TradesSince>,
        count: Option<u32>,
    ) -> Result<TradesPage, Error> {
        let names = pair_request::names(symbol)?;
        let mut params = vec![("pair", names.altname)];
        if let Some(since) = since {
            params.push(("since", since.0.to_string()));
        }
        if let Some(count) = count {
            if !(1..=MAX_TRADES).contains(&count) {
                return Err(Error::Invalid(format!(
                    "Trades count {count}: Kraken takes 1 to {MAX_TRADES}"
                )));
            }
            params.push(("count", count.to_string()));
        }
        let result: PairKeyed = self.public("Trades", &params).await?;
        let what = format!("Trades {symbol}");
        let (key, entry, last) = single_pair(&what, &result)?;
        let trades = Row::list(&what, entry)?
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let what = format!("{what} row {i}");
                trade(&Row::new(&what, raw)?, &what)
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let last = match last {
            Some(raw) => TradesSince(integer(&format!("{what} last"), raw)?),
            None => return Err(Error::bad_answer(format!("{what}: no last"))),
        };
        Ok(TradesPage {
            symbol: symbol.to_owned(),
            key: key.to_owned(),
            trades,
            last,
        })
    }
}

fn trade(row: &Row<'_>, what: &str) -> Result<PublicTrade, Error> {
    let side = match row.get::<&str>(3, "side")? {
        "b" => Side::Buy,
        "s" => Side::Sell,
        other => {
            return Err(Error::bad_answer(format!(
                "{what}: side {other:?} is neither b nor s"
            )));
        }
    };
    let ord_type = match row.get::<&str>(4, "order type")? {
        "m" => TradeOrderType::Market,
        "l" => TradeOrderType::Limit,
        other => {
            return Err(Error::bad_answer(format!(
                "{what}: order type {other:?} is neither m nor l"
            )));
        }
    };
    Ok(PublicTrade {
        price: row.get(0, "price")?,
        volume: row.get(1, "volume")?,
        time: row.get(2, "time")?,
        side,
        ord_type,
        misc: row.get(5, "misc")?,
        trade_id: row.optional(6, "trade_id")?,
    })
}

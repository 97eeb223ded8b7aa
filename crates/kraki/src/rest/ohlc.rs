//! `OHLC`: a pair's candles, up to 720 per call, paged by `since`.

use crate::Error;
use crate::rest::RestClient;
use crate::rest::pair_request;
use crate::rest::rows::{PairKeyed, Row, integer, single_pair};
use kraki_proto::Decimal;
use serde::Serialize;

/// One candle, with Kraken's field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OhlcCandle {
    /// Start of the interval, seconds since the epoch.
    pub time: i64,
    /// First trade's price.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last trade's price.
    pub close: Decimal,
    /// Volume-weighted average price.
    pub vwap: Decimal,
    /// Volume traded.
    pub volume: Decimal,
    /// Number of trades.
    pub count: u64,
}

/// One call's candles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OhlcPage {
    /// The v2 symbol.
    pub symbol: String,
    /// The key of Kraken's entry (`XXBTZUSD`).
    pub key: String,
    /// Oldest first; the last one is the running (unfinished) candle.
    pub candles: Vec<OhlcCandle>,
    /// Kraken's `last`: the start of the newest finished candle. Passed
    /// as the next call's `since`, it asks for what finished after it.
    pub last: i64,
}

/// The candle intervals Kraken serves, in minutes.
pub const OHLC_INTERVALS: [u32; 9] = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];

impl RestClient {
    /// `OHLC` of `symbol` (`BTC/USD`): candles of `interval` minutes
    /// starting after `since` (seconds; `None` for the newest Kraken
    /// keeps), the running one always last.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a symbol that is not `BASE/QUOTE` or an
    /// interval not in [`OHLC_INTERVALS`], before anything is sent;
    /// otherwise as [`RestClient::asset_pairs`].
    pub async fn ohlc(
        &self,
        symbol: &str,
        interval: u32,
        since: Option<i64>,
    ) -> Result<OhlcPage, Error> {
        let names = pair_request::names(symbol)?;
        if !OHLC_INTERVALS.contains(&interval) {
            return Err(Error::Invalid(format!(
                "OHLC interval {interval}: Kraken serves {OHLC_INTERVALS:?} minutes"
            )));
        }
        let mut params = vec![("pair", names.altname), ("interval", interval.to_string())];
        if let Some(since) = since {
            params.push(("since", since.to_string()));
        }
        let result: PairKeyed = self.public("OHLC", &params).await?;
        let what = format!("OHLC {symbol}");
        let (key, entry, last) = single_pair(&what, &result)?;
        let candles = Row::list(&what, entry)?
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let what = format!("{what} row {i}");
                let row = Row::new(&what, raw)?;
                Ok(OhlcCandle {
                    time: row.get(0, "time")?,
                    open: row.get(1, "open")?,
                    high: row.get(2, "high")?,
                    low: row.get(3, "low")?,
                    close: row.get(4, "close")?,
                    vwap: row.get(5, "vwap")?,
                    volume: row.get(6, "volume")?,
                    count: row.get(7, "count")?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let last = match last {
            Some(raw) => integer(&format!("{what} last"), raw)?,
            None => return Err(Error::bad_answer(format!("{what}: no last"))),
        };
        Ok(OhlcPage {
            symbol: symbol.to_owned(),
            key: key.to_owned(),
            candles,
            last,
        })
    }
}

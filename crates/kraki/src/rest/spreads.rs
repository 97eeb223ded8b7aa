//! `Spread`: a pair's recent best bids and asks, paged by `since`.

use crate::Error;
use crate::rest::RestClient;
use crate::rest::pair_request;
use crate::rest::rows::{PairKeyed, Row, integer, single_pair};
use kraki_proto::Decimal;

/// The best bid and ask after one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpreadEntry {
    /// Seconds since the epoch.
    pub time: i64,
    /// Best bid.
    pub bid: Decimal,
    /// Best ask.
    pub ask: Decimal,
}

/// One call's spreads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpreadPage {
    /// The v2 symbol.
    pub symbol: String,
    /// The key of Kraken's entry (`XXBTZUSD`).
    pub key: String,
    /// Oldest first.
    pub spreads: Vec<SpreadEntry>,
    /// Kraken's `last` (seconds), for the next call's `since`.
    pub last: i64,
}

impl RestClient {
    /// `Spread` of `symbol` (`BTC/USD`): best bid and ask changes after
    /// `since` (seconds; `None` for all Kraken keeps).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a symbol that is not `BASE/QUOTE`, before
    /// anything is sent; otherwise as [`RestClient::asset_pairs`].
    pub async fn spread(&self, symbol: &str, since: Option<i64>) -> Result<SpreadPage, Error> {
        let names = pair_request::names(symbol)?;
        let mut params = vec![("pair", names.altname)];
        if let Some(since) = since {
            params.push(("since", since.to_string()));
        }
        let result: PairKeyed = self.public("Spread", &params).await?;
        let what = format!("Spread {symbol}");
        let (key, entry, last) = single_pair(&what, &result)?;
        let spreads = Row::list(&what, entry)?
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let what = format!("{what} row {i}");
                let row = Row::new(&what, raw)?;
                Ok(SpreadEntry {
                    time: row.get(0, "time")?,
                    bid: row.get(1, "bid")?,
                    ask: row.get(2, "ask")?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let last = match last {
            Some(raw) => integer(&format!("{what} last"), raw)?,
            None => return Err(Error::bad_answer(format!("{what}: no last"))),
        };
        Ok(SpreadPage {
            symbol: symbol.to_owned(),
            key: key.to_owned(),
            spreads,
            last,
        })
    }
}

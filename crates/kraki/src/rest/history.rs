//! `TradesHistory` and `Ledgers`, and what every history query shares:
//! the range asked for (`start`, `end`, `ofs`) and the page that comes
//! back with Kraken's total `count`.

use crate::Error;
use crate::keys::Credentials;
use crate::rest::client::{RestClient, Retry};
use crate::rest::envelope::typed;
use kraki_proto::rest_names;
use kraki_proto::{Decimal, OrderType, Side};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Records per page of Kraken's history queries.
pub const PAGE_SIZE: u64 = 50;

/// Which records a history query asks for: after `start` and before
/// `end` (Unix seconds, both exclusive, as Kraken reads them), skipping
/// the `ofs` newest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryRange {
    /// Only records after this time (Unix seconds).
    pub start: Option<u64>,
    /// Only records before this time (Unix seconds).
    pub end: Option<u64>,
    /// Records to skip, newest first: the page's offset.
    pub ofs: u64,
}

impl HistoryRange {
    /// Every record after `start` (Unix seconds).
    #[must_use]
    pub fn since(start: u64) -> HistoryRange {
        HistoryRange {
            start: Some(start),
            ..HistoryRange::default()
        }
    }

    /// The parameters Kraken takes; absent ones are left out.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(start) = self.start {
            params.push(("start", start.to_string()));
        }
        if let Some(end) = self.end {
            params.push(("end", end.to_string()));
        }
        if self.ofs > 0 {
            params.push(("ofs", self.ofs.to_string()));
        }
        params
    }
}

/// One page of a history query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The records, newest first.
    pub records: Vec<T>,
    /// How many records the whole range holds (Kraken's `count`).
    pub count: u64,
}

/// One fill, as `TradesHistory` gives it, with Kraken's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeInfo {
    /// The trade's id (the key of Kraken's result; ledger entries' `refid`).
    #[serde(default)]
    pub txid: String,
    /// The order it filled.
    pub ordertxid: String,
    /// Kraken's position id of the fill.
    #[serde(default)]
    pub postxid: String,
    /// The pair as a v2 symbol (`BTC/USD`) where Kraken writes its key
    /// (`XXBTZUSD`); Kraken's name when it maps to none.
    pub pair: String,
    /// When, Unix seconds.
    pub time: Decimal,
    /// `buy` or `sell`.
    #[serde(rename = "type")]
    pub side: Side,
    /// The order's type.
    pub ordertype: OrderType,
    /// The fill price.
    pub price: Decimal,
    /// Its cost, in the quote asset.
    pub cost: Decimal,
    /// Its fee, in the quote asset.
    pub fee: Decimal,
    /// Its quantity, in the base asset.
    pub vol: Decimal,
    /// Margin used (margin trades).
    #[serde(default)]
    pub margin: Decimal,
    /// Leverage, `0` for spot.
    #[serde(default)]
    pub leverage: String,
    /// Comma-separated details.
    #[serde(default)]
    pub misc: String,
    /// The public trade id (the `trade` channel's `trade_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_id: Option<u64>,
    /// Whether the fill added liquidity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker: Option<bool>,
}

/// One ledger entry, as `Ledgers` gives it, with Kraken's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerInfo {
    /// The entry's id (the key of Kraken's result).
    #[serde(default)]
    pub ledger_id: String,
    /// What it records: a trade's id for a trade.
    pub refid: String,
    /// When, Unix seconds.
    pub time: Decimal,
    /// `trade`, `deposit`, `withdrawal`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// A finer kind, often empty.
    #[serde(default)]
    pub subtype: String,
    /// The asset class, `currency`.
    #[serde(default)]
    pub aclass: String,
    /// The asset as a v2 code (`BTC`) where Kraken writes its id (`XXBT`).
    pub asset: String,
    /// The change, fee not included.
    pub amount: Decimal,
    /// The fee taken.
    pub fee: Decimal,
    /// The balance after it.
    pub balance: Decimal,
}

#[derive(Deserialize)]
struct TradesResult {
    trades: BTreeMap<String, TradeInfo>,
    count: u64,
}

#[derive(Deserialize)]
struct LedgersResult {
    ledger: BTreeMap<String, LedgerInfo>,
    count: u64,
}

impl RestClient {
    /// `TradesHistory`: one page (up to 50) of fills in `range`, newest
    /// first; see [`RestClient::trades_history_pages`]. Costs 2 on the
    /// call counter. Needs `Query Closed Orders & Trades`. Read-only.
    ///
    /// # Errors
    /// As [`RestClient::balance`].
    pub async fn trades_history(
        &self,
        credentials: &Credentials,
        range: &HistoryRange,
    ) -> Result<Page<TradeInfo>, Error> {
        let path = "/0/private/TradesHistory";
        let body = self
            .signed(credentials, path, &range.params(), Retry::ReadOnly)
            .await?;
        let result: TradesResult = typed(path, 200, &body)?;
        let mut records: Vec<TradeInfo> = result
            .trades
            .into_iter()
            .map(|(txid, mut trade)| {
                trade.txid = txid;
                if let Some(v2) = rest_names::v2_pair(&trade.pair) {
                    trade.pair = v2;
                }
                trade
            })
            .collect();
        records.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.txid.cmp(&b.txid)));
        Ok(Page {
            records,
            count: result.count,
        })
    }

    /// `Ledgers`: one page (up to 50) of ledger entries in `range`, of
    /// every asset and type, newest first; see
    /// [`RestClient::ledgers_pages`]. Costs 2 on the call counter. Needs
    /// `Query Ledger Entries`. Read-only.
    ///
    /// # Errors
    /// As [`RestClient::balance`].
    pub async fn ledgers(
        &self,
        credentials: &Credentials,
        range: &HistoryRange,
    ) -> Result<Page<LedgerInfo>, Error> {
        let path = "/0/private/Ledgers";
        let body = self
            .signed(credentials, path, &range.params(), Retry::ReadOnly)
            .await?;
        let result: LedgersResult = typed(path, 200, &body)?;
        let mut records: Vec<LedgerInfo> = result
            .ledger
            .into_iter()
            .map(|(id, mut entry)| {
                entry.ledger_id = id;
                entry.asset = rest_names::v2_asset(&entry.asset).to_owned();
                entry
            })
            .collect();
        records.sort_by(|a, b| {
            b.time
                .cmp(&a.time)
                .then_with(|| a.ledger_id.cmp(&b.ledger_id))
        });
        Ok(Page {
            records,
            count: result.count,
        })
    }
}

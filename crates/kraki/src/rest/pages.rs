//! Following a history query to its end: `ClosedOrders`, `TradesHistory`
//! and `Ledgers` answer 50 records at a time, newest first, with the
//! total `count`; the next page starts at the offset of the records seen.
//!
//! Records that arrive while the pages are read push older ones to later
//! offsets, so a record can come twice; it is handed out once (by id).
//! Nothing is skipped that way, as history only grows at the new end.
//! A page with no record not seen before ends the walk, so a server that
//! repeats itself cannot keep it going.

use crate::Error;
use crate::keys::Credentials;
use crate::rest::client::RestClient;
use crate::rest::history::{HistoryRange, LedgerInfo, Page, TradeInfo};
use crate::rest::orders::OrderInfo;
use std::collections::HashSet;
use std::future::Future;

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::rest::orders::OrderInfo {}
    impl Sealed for crate::rest::history::TradeInfo {}
    impl Sealed for crate::rest::history::LedgerInfo {}
}

/// A record of a paged history query: [`OrderInfo`] (`ClosedOrders`),
/// [`TradeInfo`] (`TradesHistory`) or [`LedgerInfo`] (`Ledgers`).
pub trait Paged: Sized + sealed::Sealed {
    /// The record's id (`txid`, or the ledger entry's id).
    fn id(&self) -> &str;

    /// One page of the query.
    fn fetch<'a>(
        client: &'a RestClient,
        credentials: &'a Credentials,
        range: &'a HistoryRange,
    ) -> impl Future<Output = Result<Page<Self>, Error>> + Send + 'a;
}

impl Paged for OrderInfo {
    fn id(&self) -> &str {
        &self.txid
    }

    fn fetch<'a>(
        client: &'a RestClient,
        credentials: &'a Credentials,
        range: &'a HistoryRange,
    ) -> impl Future<Output = Result<Page<Self>, Error>> + Send + 'a {
        client.closed_orders(credentials, range)
    }
}

impl Paged for TradeInfo {
    fn id(&self) -> &str {
        &self.txid
    }

    fn fetch<'a>(
        client: &'a RestClient,
        credentials: &'a Credentials,
        range: &'a HistoryRange,
    ) -> impl Future<Output = Result<Page<Self>, Error>> + Send + 'a {
        client.trades_history(credentials, range)
    }
}

impl Paged for LedgerInfo {
    fn id(&self) -> &str {
        &self.ledger_id
    }

    fn fetch<'a>(
        client: &'a RestClient,
        credentials: &'a Credentials,
        range: &'a HistoryRange,
    ) -> impl Future<Output = Result<Page<Self>, Error>> + Send + 'a {
        client.ledgers(credentials, range)
    }
}

/// The pages of one history query, read one call at a time (each paced
/// by the call counter and retried as a read-only call).
#[derive(Debug)]
pub struct Pages<T> {
    client: RestClient,
    credentials: Credentials,
    range: HistoryRange,
    seen: HashSet<String>,
    count: Option<u64>,
    done: bool,
    _record: std::marker::PhantomData<fn() -> T>,
}

impl<T: Paged> Pages<T> {
    fn new(client: &RestClient, credentials: &Credentials, range: HistoryRange) -> Self {
        Pages {
            client: client.clone(),
            credentials: credentials.clone(),
            range,
            seen: HashSet::new(),
            count: None,
            done: false,
            _record: std::marker::PhantomData,
        }
    }

    /// The next page's records not handed out before, newest first;
    /// `None` once the query is read to its end.
    ///
    /// # Errors
    /// As the query's own call; the walk can go on with another call.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, Error> {
        if self.done {
            return Ok(None);
        }
        let page = T::fetch(&self.client, &self.credentials, &self.range).await?;
        self.count = Some(page.count);
        let got = page.records.len() as u64;
        self.range.ofs += got;
        let fresh: Vec<T> = page
            .records
            .into_iter()
            .filter(|r| self.seen.insert(r.id().to_owned()))
            .collect();
        if got == 0 || fresh.is_empty() || self.range.ofs >= page.count {
            self.done = true;
        }
        Ok(Some(fresh))
    }

    /// Kraken's `count` on the last page read: the records the range
    /// holds.
    pub fn count(&self) -> Option<u64> {
        self.count
    }

    /// Records handed out so far.
    pub fn fetched(&self) -> u64 {
        self.seen.len() as u64
    }

    /// Every remaining record, newest first.
    ///
    /// # Errors
    /// The first failing call's.
    pub async fn all(mut self) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }
}

impl RestClient {
    /// Every page of `ClosedOrders` in `range`, from `range.ofs` on.
    pub fn closed_orders_pages(
        &self,
        credentials: &Credentials,
        range: HistoryRange,
    ) -> Pages<OrderInfo> {
        Pages::new(self, credentials, range)
    }

    /// Every page of `TradesHistory` in `range`, from `range.ofs` on.
    pub fn trades_history_pages(
        &self,
        credentials: &Credentials,
        range: HistoryRange,
    ) -> Pages<TradeInfo> {
        Pages::new(self, credentials, range)
    }

    /// Every page of `Ledgers` in `range`, from `range.ofs` on.
    pub fn ledgers_pages(
        &self,
        credentials: &Credentials,
        range: HistoryRange,
    ) -> Pages<LedgerInfo> {
        Pages::new(self, credentials, range)
    }
}

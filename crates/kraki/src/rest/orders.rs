//! `OpenOrders`, `ClosedOrders` and `QueryOrders`: the account's orders
//! with Kraken's field names and ids, pairs as v2 symbols.

use crate::Error;
use crate::keys::Credentials;
use crate::rest::client::{RestClient, Retry};
use crate::rest::envelope::typed;
use crate::rest::history::{HistoryRange, Page};
use kraki_proto::rest_names;
use kraki_proto::{Decimal, OrderType, Side};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most order ids one `QueryOrders` takes.
pub const MAX_QUERY_ORDERS: usize = 50;

/// An order's description (`descr`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDescription {
    /// The pair, as a v2 symbol (`BTC/USD`) where Kraken writes its
    /// `altname` (`XBTUSD`); Kraken's name when it maps to none.
    pub pair: String,
    /// `buy` or `sell`.
    #[serde(rename = "type")]
    pub side: Side,
    /// `limit`, `market`, `stop-loss`, …
    pub ordertype: OrderType,
    /// The limit price, or the trigger price of stop and take-profit
    /// orders.
    pub price: Decimal,
    /// The limit price of `stop-loss-limit` and `take-profit-limit`.
    pub price2: Decimal,
    /// Leverage, `none` for spot.
    #[serde(default)]
    pub leverage: String,
    /// Kraken's one-line summary (`buy 0.5 XBTUSD @ limit 30000.0`).
    #[serde(default)]
    pub order: String,
    /// The conditional close, if any.
    #[serde(default)]
    pub close: String,
}

/// One order, as `OpenOrders`, `ClosedOrders` and `QueryOrders` give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// The order's id (the key of Kraken's result).
    #[serde(default)]
    pub txid: String,
    /// The id of the order that created this one, if any.
    #[serde(default)]
    pub refid: Option<String>,
    /// The user reference (`order_userref` on WebSocket).
    #[serde(default)]
    pub userref: Option<i64>,
    /// The client order id, when the order had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cl_ord_id: Option<String>,
    /// `pending`, `open`, `closed`, `canceled` or `expired`.
    pub status: String,
    /// When it was opened, Unix seconds.
    pub opentm: Decimal,
    /// When it was to start, Unix seconds (0: at once).
    #[serde(default)]
    pub starttm: Decimal,
    /// When it was to expire, Unix seconds (0: never).
    #[serde(default)]
    pub expiretm: Decimal,
    /// When it closed, Unix seconds (closed orders only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closetm: Option<Decimal>,
    /// Its description.
    pub descr: OrderDescription,
    /// Its quantity, in the base asset.
    pub vol: Decimal,
    /// How much of it was filled.
    pub vol_exec: Decimal,
    /// The filled cost, in the quote asset.
    pub cost: Decimal,
    /// The fees paid, in the quote asset.
    pub fee: Decimal,
    /// The average fill price.
    pub price: Decimal,
    /// The trigger price of a stop or take-profit order.
    #[serde(default)]
    pub stopprice: Decimal,
    /// The limit price once triggered.
    #[serde(default)]
    pub limitprice: Decimal,
    /// Comma-separated details (`stopped`, `touched`, …).
    #[serde(default)]
    pub misc: String,
    /// Comma-separated flags (`fciq`, `post`, …).
    #[serde(default)]
    pub oflags: String,
    /// Why it closed or was canceled, if so.
    #[serde(default)]
    pub reason: Option<String>,
    /// The ids of its fills (as `TradesHistory` keys them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trades: Vec<String>,
}

impl OrderInfo {
    /// When it closed, or else when it opened: the time history pages
    /// are ordered by.
    pub fn time(&self) -> Decimal {
        self.closetm.unwrap_or(self.opentm)
    }
}

/// Takes a result keyed by order id into a list, newest first, pairs as
/// v2 symbols.
fn orders_of(by_id: BTreeMap<String, OrderInfo>) -> Vec<OrderInfo> {
    let mut orders: Vec<OrderInfo> = by_id
        .into_iter()
        .map(|(txid, mut order)| {
            order.txid = txid;
            if let Some(v2) = rest_names::v2_pair(&order.descr.pair) {
                order.descr.pair = v2;
            }
            order
        })
        .collect();
    orders.sort_by(|a, b| b.time().cmp(&a.time()).then_with(|| a.txid.cmp(&b.txid)));
    orders
}

#[derive(Deserialize)]
struct OpenResult {
    open: BTreeMap<String, OrderInfo>,
}

#[derive(Deserialize)]
struct ClosedResult {
    closed: BTreeMap<String, OrderInfo>,
    count: u64,
}

impl RestClient {
    /// `OpenOrders`: every open order, newest first, each with the ids of
    /// its fills. Needs `Query Open Orders & Trades`. Read-only.
    ///
    /// # Errors
    /// As [`RestClient::balance`].
    pub async fn open_orders(&self, credentials: &Credentials) -> Result<Vec<OrderInfo>, Error> {
        let path = "/0/private/OpenOrders";
        let params = [("trades", "true".to_owned())];
        let body = self
            .signed(credentials, path, &params, Retry::ReadOnly)
            .await?;
        let result: OpenResult = typed(path, 200, &body)?;
        Ok(orders_of(result.open))
    }

    /// `ClosedOrders`: one page (up to 50) of closed orders in `range`,
    /// newest first, and how many there are in all; see
    /// [`RestClient::closed_orders_pages`] to follow every page. Needs
    /// `Query Closed Orders & Trades`. Read-only.
    ///
    /// # Errors
    /// As [`RestClient::balance`].
    pub async fn closed_orders(
        &self,
        credentials: &Credentials,
        range: &HistoryRange,
    ) -> Result<Page<OrderInfo>, Error> {
        let path = "/0/private/ClosedOrders";
        let mut params = range.params();
        params.push(("trades", "true".to_owned()));
        let body = self
            .signed(credentials, path, &params, Retry::ReadOnly)
            .await?;
        let result: ClosedResult = typed(path, 200, &body)?;
        Ok(Page {
            records: orders_of(result.closed),
            count: result.count,
        })
    }

    /// `QueryOrders`: the orders with these ids, open or closed, newest
    /// first. Needs both order query permissions. Read-only.
    ///
    /// # Errors
    /// [`Error::Invalid`] for no id or more than [`MAX_QUERY_ORDERS`],
    /// before anything is sent; otherwise as [`RestClient::balance`]
    /// (Kraken answers `EOrder:Invalid order` for an id it does not
    /// know).
    pub async fn query_orders(
        &self,
        credentials: &Credentials,
        txids: &[&str],
    ) -> Result<Vec<OrderInfo>, Error> {
        if txids.is_empty() || txids.len() > MAX_QUERY_ORDERS {
            return Err(Error::Invalid(format!(
                "QueryOrders takes 1 to {MAX_QUERY_ORDERS} order ids, not {}",
                txids.len()
            )));
        }
        let path = "/0/private/QueryOrders";
        let params = [("txid", txids.join(",")), ("trades", "true".to_owned())];
        let body = self
            .signed(credentials, path, &params, Retry::ReadOnly)
            .await?;
        Ok(orders_of(typed(path, 200, &body)?))
    }
}

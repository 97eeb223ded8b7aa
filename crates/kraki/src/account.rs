//! `client.account()`: the open orders and balances of the account, kept
//! from the `executions` and `balances` reports and readable from any
//! thread. Sparse execution reports are merged into one record per order;
//! a snapshot (first, after a reconnect or after a sequence gap) replaces
//! everything.

use crate::private_spec::{Balances, BalancesUpdate, Executions, ExecutionsUpdate};
use crate::published::{Changes, CloseOnDrop, Published};
use crate::{Client, Error, Event, Subscription};
use futures_util::StreamExt;
use kraki_proto::channels::{ExecutionReport, OrderStatus};
use kraki_proto::{BalancesData, ClOrdId, Decimal, MessageType, OrderId, OrderType, Side, Symbol};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One open order as the reports so far describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrder {
    /// Kraken's id.
    pub order_id: OrderId,
    /// The client's id, if any.
    pub cl_ord_id: Option<ClOrdId>,
    /// The pair.
    pub symbol: Option<Symbol>,
    /// Buy or sell.
    pub side: Option<Side>,
    /// Order type.
    pub order_type: Option<OrderType>,
    /// Quantity.
    pub order_qty: Option<Decimal>,
    /// Limit price.
    pub limit_price: Option<Decimal>,
    /// Filled so far.
    pub cum_qty: Option<Decimal>,
    /// Average fill price.
    pub avg_price: Option<Decimal>,
    /// Last status.
    pub status: OrderStatus,
}

/// The account as last reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Open orders by Kraken id.
    pub open_orders: BTreeMap<String, OpenOrder>,
    /// Total balance per asset.
    pub balances: BTreeMap<String, Decimal>,
    /// Whether both snapshots have arrived since the last (re)connect or
    /// gap; before that the view is incomplete.
    pub synced: bool,
    /// Sequence gaps seen (each followed by a fresh snapshot).
    pub gaps: u64,
}

impl AccountState {
    fn apply_reports(&mut self, update: &ExecutionsUpdate) {
        if update.kind == MessageType::Snapshot {
            self.open_orders.clear();
        }
        for report in &update.reports {
            self.apply_report(report);
        }
    }

    fn apply_report(&mut self, r: &ExecutionReport) {
        let key = r.order_id.as_str().to_owned();
        if matches!(
            r.order_status,
            OrderStatus::Filled | OrderStatus::Canceled | OrderStatus::Expired
        ) {
            self.open_orders.remove(&key);
            return;
        }
        let order = self.open_orders.entry(key).or_insert_with(|| OpenOrder {
            order_id: r.order_id.clone(),
            cl_ord_id: None,
            symbol: None,
            side: None,
            order_type: None,
            order_qty: None,
            limit_price: None,
            cum_qty: None,
            avg_price: None,
            status: r.order_status.clone(),
        });
        order.status = r.order_status.clone();
        // Reports are sparse: a field absent keeps its last value.
        macro_rules! keep {
            ($($field:ident),*) => { $( if r.$field.is_some() { order.$field = r.$field.clone(); } )* };
        }
        keep!(
            cl_ord_id,
            symbol,
            side,
            order_type,
            order_qty,
            limit_price,
            cum_qty,
            avg_price
        );
    }

    fn apply_balances(&mut self, update: &BalancesUpdate) {
        match &update.data {
            BalancesData::Snapshot(assets) => {
                self.balances = assets
                    .iter()
                    .map(|a| (a.asset.as_str().to_owned(), a.balance))
                    .collect();
            }
            BalancesData::Update(entries) => {
                for e in entries {
                    self.balances.insert(e.asset.as_str().to_owned(), e.balance);
                }
            }
        }
    }
}

/// A handle to the account view; the task keeping it stops when the
/// handle is dropped.
pub struct AccountHandle {
    published: Arc<Published<AccountState>>,
    changes: Changes<AccountState>,
    task: tokio::task::AbortHandle,
}

impl Drop for AccountHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for AccountHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.published.read();
        f.debug_struct("AccountHandle")
            .field("open_orders", &state.open_orders.len())
            .field("synced", &state.synced)
            .finish_non_exhaustive()
    }
}

impl AccountHandle {
    /// The account as last reported.
    pub fn state(&self) -> Arc<AccountState> {
        self.published.read()
    }

    /// Waits until the account view changes.
    ///
    /// Cancel safety: cancel safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the client is closed.
    pub async fn changed(&mut self) -> Result<Arc<AccountState>, Error> {
        self.changes.changed().await.ok_or(Error::Closed)
    }
}

impl Client {
    /// A view of the account's open orders and balances, kept from the
    /// `executions` and `balances` channels (authenticated connection).
    ///
    /// # Errors
    /// The errors of [`Client::subscribe`].
    pub async fn account(&self) -> Result<AccountHandle, Error> {
        let executions = self.subscribe(Executions::new()).await?;
        let balances = self.subscribe(Balances::new()).await?;
        let (published, changes) = Published::new(Arc::new(AccountState::default()));
        let task = tokio::spawn(run(executions, balances, published.clone()));
        Ok(AccountHandle {
            published,
            changes,
            task: task.abort_handle(),
        })
    }
}

async fn run(
    mut executions: Subscription<ExecutionsUpdate>,
    mut balances: Subscription<BalancesUpdate>,
    published: Arc<Published<AccountState>>,
) {
    let _close = CloseOnDrop(published.clone());
    let (mut orders_synced, mut balances_synced) = (false, false);
    loop {
        tokio::select! {
            event = executions.next() => {
                let Some(event) = event else { return };
                published.update(|state| match event {
                    Event::Data(update) => {
                        orders_synced |= update.kind == MessageType::Snapshot;
                        state.apply_reports(&update);
                    }
                    Event::Gap { .. } => {
                        state.gaps += 1;
                        orders_synced = false;
                    }
                    Event::Reconnecting | Event::Lagged(_) => orders_synced = false,
                    _ => {}
                });
            }
            event = balances.next() => {
                let Some(event) = event else { return };
                published.update(|state| match event {
                    Event::Data(update) => {
                        balances_synced |= update.kind == MessageType::Snapshot;
                        state.apply_balances(&update);
                    }
                    Event::Gap { .. } => {
                        state.gaps += 1;
                        balances_synced = false;
                    }
                    Event::Reconnecting | Event::Lagged(_) => balances_synced = false,
                    _ => {}
                });
            }
        }
        published.update(|state| state.synced = orders_synced && balances_synced);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn update(kind: MessageType, reports: &[&str]) -> ExecutionsUpdate {
        ExecutionsUpdate {
            kind,
            reports: reports
                .iter()
                .map(|r| serde_json::from_str(r).unwrap())
                .collect(),
            sequence: None,
        }
    }

    #[test]
    fn sparse_reports_merge_and_closed_orders_leave() {
        let mut s = AccountState::default();
        s.apply_reports(&update(MessageType::Update, &[
            r#"{"order_id":"O1","exec_type":"pending_new","order_status":"pending_new","symbol":"BTC/USD","side":"buy","order_type":"limit","order_qty":0.5,"limit_price":60000.0,"cl_ord_id":"mine"}"#,
            r#"{"order_id":"O1","exec_type":"new","order_status":"new"}"#,
            r#"{"order_id":"O1","exec_type":"trade","order_status":"partially_filled","cum_qty":0.2,"avg_price":60000.0}"#,
        ]));
        let o = &s.open_orders["O1"];
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        assert_eq!(o.order_qty.unwrap().to_string(), "0.5");
        assert_eq!(o.cum_qty.unwrap().to_string(), "0.2");
        assert_eq!(o.cl_ord_id.as_ref().unwrap().as_str(), "mine");
        s.apply_reports(&update(
            MessageType::Update,
            &[r#"{"order_id":"O1","exec_type":"filled","order_status":"filled"}"#],
        ));
        assert!(s.open_orders.is_empty());
    }

    #[test]
    fn a_snapshot_replaces_everything() {
        let mut s = AccountState::default();
        s.apply_reports(&update(
            MessageType::Update,
            &[r#"{"order_id":"OLD","exec_type":"new","order_status":"new"}"#],
        ));
        s.apply_reports(&update(MessageType::Snapshot, &[
            r#"{"order_id":"O2","exec_type":"pending_new","order_status":"new","symbol":"ETH/USD"}"#,
        ]));
        assert_eq!(s.open_orders.keys().collect::<Vec<_>>(), ["O2"]);
    }
}

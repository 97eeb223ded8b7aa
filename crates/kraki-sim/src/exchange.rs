//! The private side of the engine: accounts, user orders, the rate
//! counters and the dead man's switch, and the account event feeds. Owned
//! by the engine task next to the markets, so matching always sees the
//! current book.

use crate::account::Account;
use crate::account_records::{AccountRecords, ClosedOrder};
use crate::dead_man::DeadMan;
use crate::market::Market;
use crate::order_ids::order_id;
use crate::orders::UserOrder;
use crate::private_events::{PrivateAttached, PrivateEvent};
use crate::rate_counter::RateCounter;
use kraki_proto::Decimal;
use kraki_proto::channels::{ExecType, ExecutionReport, OrderStatus, SystemStatus};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// Fills remembered per account for `snap_trades` (Kraken: the last 50).
const FILL_MEMORY: usize = 50;
/// Events an account feed buffers before a slow connection is dropped.
const FEED_BUFFER: usize = 4096;

/// The maker fee in basis points of a fill's cost: 0.16 %, Kraken's
/// entry-tier spot fee. Fixed, so a test can compute every fee exactly.
pub(crate) const MAKER_FEE_BPS: i128 = 16;
/// The taker fee in basis points: 0.26 %, Kraken's entry tier.
pub(crate) const TAKER_FEE_BPS: i128 = 26;

/// Trading settings from the builder.
#[derive(Debug, Clone)]
pub(crate) struct TradingConfig {
    pub(crate) starting_balances: Vec<(String, Decimal)>,
    /// The rate counter's ceiling (`maxratecount`).
    pub(crate) max_rate_count: u32,
    /// Open orders allowed per pair and account.
    pub(crate) max_open_orders: usize,
}

pub(crate) struct Exchange {
    pub(crate) config: TradingConfig,
    pub(crate) accounts: HashMap<String, Account>,
    /// Open orders by placement sequence: iteration is time priority.
    pub(crate) orders: BTreeMap<u64, UserOrder>,
    pub(crate) fills: HashMap<String, VecDeque<ExecutionReport>>,
    pub(crate) rates: HashMap<(String, usize), RateCounter>,
    pub(crate) dead_man: DeadMan,
    feeds: HashMap<String, broadcast::Sender<Arc<PrivateEvent>>>,
    pub(crate) system: watch::Receiver<SystemStatus>,
    /// Each account's closed orders, fills and ledger entries, for REST.
    pub(crate) records: HashMap<String, AccountRecords>,
    next_seq: u64,
    /// Mixed into the ids this side makes (orders, executions, ledgers,
    /// amends), each kind with its own salt.
    salt: u64,
}

/// The kinds of id the private side hands out.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IdKind {
    Order = 1,
    Exec = 2,
    Ledger = 3,
    Amend = 4,
}

impl Exchange {
    pub(crate) fn new(
        config: TradingConfig,
        system: watch::Receiver<SystemStatus>,
        salt: u64,
    ) -> Exchange {
        Exchange {
            config,
            accounts: HashMap::new(),
            orders: BTreeMap::new(),
            fills: HashMap::new(),
            rates: HashMap::new(),
            dead_man: DeadMan::default(),
            feeds: HashMap::new(),
            system,
            records: HashMap::new(),
            next_seq: 1,
            salt,
        }
    }

    /// A fresh id of a kind, Kraken-shaped (`XXXXXX-XXXXX-XXXXXX`).
    pub(crate) fn new_id(&mut self, kind: IdKind) -> (u64, String) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let salt = self.salt.rotate_left(kind as u32 * 13) ^ kind as u64;
        (seq, order_id(salt, seq))
    }

    pub(crate) fn status(&self) -> SystemStatus {
        self.system.borrow().clone()
    }

    /// The account of an API key, funded on first use.
    pub(crate) fn account(&mut self, key: &str) -> &mut Account {
        let start = &self.config.starting_balances;
        self.accounts
            .entry(key.to_owned())
            .or_insert_with(|| Account::new(start))
    }

    /// Publishes an event to every private subscription of the account.
    pub(crate) fn publish(&mut self, account: &str, event: PrivateEvent) {
        if let Some(tx) = self.feeds.get(account) {
            // Nobody listening is fine.
            let _ = tx.send(Arc::new(event));
        }
    }

    pub(crate) fn publish_report(&mut self, account: &str, report: Option<ExecutionReport>) {
        if let Some(report) = report {
            if report.exec_type == ExecType::Trade {
                let fills = self.fills.entry(account.to_owned()).or_default();
                fills.push_back(report.clone());
                while fills.len() > FILL_MEMORY {
                    fills.pop_front();
                }
            }
            self.publish(account, PrivateEvent::Execution(Box::new(report)));
        }
    }

    /// A private subscription's snapshot material and its updates.
    pub(crate) fn attach(&mut self, account: &str) -> PrivateAttached {
        let balances = self.account(account).snapshot();
        let open_orders = self
            .orders
            .values()
            .filter(|o| o.account == account)
            .filter_map(|o| {
                let waiting = o.trigger.is_some_and(|t| !t.fired);
                o.full_report(if waiting {
                    ExecType::PendingNew
                } else {
                    ExecType::New
                })
            })
            .collect();
        let recent_fills = self
            .fills
            .get(account)
            .map(|f| f.iter().cloned().collect())
            .unwrap_or_default();
        let tx = self
            .feeds
            .entry(account.to_owned())
            .or_insert_with(|| broadcast::channel(FEED_BUFFER).0);
        PrivateAttached {
            open_orders,
            recent_fills,
            balances,
            updates: tx.subscribe(),
        }
    }

    /// The rate counter of an account on a pair.
    pub(crate) fn rate(&mut self, account: &str, market: usize, now: Instant) -> &mut RateCounter {
        self.rates
            .entry((account.to_owned(), market))
            .or_insert_with(|| RateCounter::new(now))
    }

    /// Open orders of an account, in time priority.
    pub(crate) fn open_of(&self, account: &str) -> Vec<u64> {
        self.orders
            .values()
            .filter(|o| o.account == account)
            .map(|o| o.seq)
            .collect()
    }

    /// Whether the status lets resting orders match.
    pub(crate) fn matching(&self) -> bool {
        self.status() == SystemStatus::Online
    }

    /// The first deadline the engine must wake for: the dead man's switch
    /// or a GTD expiry.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let now_ns = crate::clock::now_ns();
        let now = Instant::now();
        let expiry = self
            .orders
            .values()
            .filter_map(|o| o.expire_time)
            .filter_map(|t| {
                let wait = (t.unix_nanos() - now_ns).max(0);
                let wait = u64::try_from(wait).unwrap_or(u64::MAX);
                now.checked_add(std::time::Duration::from_nanos(wait))
            })
            .min();
        match (expiry, self.dead_man.next()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires what is due: the dead man's switches (cancel everything of
    /// the account) and expired GTD orders.
    pub(crate) fn on_deadline(&mut self) {
        let now = Instant::now();
        for account in self.dead_man.fire(now) {
            for seq in self.open_of(&account) {
                self.close(seq, OrderStatus::Canceled, DEAD_MAN_REASON);
            }
        }
        let now_ns = crate::clock::now_ns();
        let expired: Vec<u64> = self
            .orders
            .values()
            .filter(|o| o.expire_time.is_some_and(|t| t.unix_nanos() <= now_ns))
            .map(|o| o.seq)
            .collect();
        for seq in expired {
            self.close(seq, OrderStatus::Expired, EXPIRED_REASON);
        }
    }

    /// Removes an open order as canceled or expired and reports it.
    pub(crate) fn close(
        &mut self,
        seq: u64,
        status: OrderStatus,
        reason: &str,
    ) -> Option<UserOrder> {
        let mut order = self.orders.remove(&seq)?;
        let exec_type = if status == OrderStatus::Expired {
            ExecType::Expired
        } else {
            ExecType::Canceled
        };
        order.status = status;
        let account = order.account.clone();
        self.publish_report(&account, order.closed_report(exec_type, reason));
        self.record_closed(&order, Some(reason));
        Some(order)
    }

    /// Keeps a closed order for REST's `ClosedOrders` and `QueryOrders`.
    pub(crate) fn record_closed(&mut self, order: &UserOrder, reason: Option<&str>) {
        self.records
            .entry(order.account.clone())
            .or_default()
            .close(ClosedOrder {
                order: order.clone(),
                closed_ns: crate::clock::now_ns(),
                reason: reason.map(str::to_owned),
            });
    }

    /// The index of a pair's market.
    pub(crate) fn market_index(markets: &[Market], symbol: &str) -> Option<usize> {
        markets.iter().position(|m| m.spec.symbol == symbol)
    }
}

/// The `reason` of a cancel the user asked for (Kraken's wording).
pub(crate) const USER_REASON: &str = "User requested";
/// The `reason` of the dead man's switch's cancels; Kraken's wording is not
/// documented (§11.8).
pub(crate) const DEAD_MAN_REASON: &str = "cancel_all_orders_after timeout";
/// The `reason` of a GTD order's expiry; not documented (§11.8).
pub(crate) const EXPIRED_REASON: &str = "Order expired";
/// The `reason` of the unfilled rest of an IOC, FOK or market order; not
/// documented (§11.8).
pub(crate) const UNFILLED_REASON: &str = "Unfilled remainder canceled";

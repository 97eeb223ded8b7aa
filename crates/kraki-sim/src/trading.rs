//! The trading methods (§6): checks in Kraken's order, effects on the
//! account's orders, and one ack per request (one per canceled order for
//! `cancel_order`).

use crate::ack;
use crate::exchange::{Exchange, IdKind, USER_REASON};
use crate::market::{Market, Step};
use crate::matching::is_market;
use crate::money::units;
use crate::orders::{Trigger, TriggerKind, UserOrder};
use crate::pair_status;
use crate::rate_counter;
use kraki_proto::channels::{ExecType, OrderStatus, SystemStatus};
use kraki_proto::trading::{
    AddOrderParams, AddOrderResult, AmendOrderParams, AmendOrderResult, BatchAddParams,
    BatchAddRow, BatchCancelParams, CancelAfterParams, CancelAfterResult, CancelAllResult,
    CancelOrderParams, CancelOrderResult, EditOrderParams, EditOrderResult, Triggers,
};
use kraki_proto::{ClOrdId, Decimal, Method, OrderType, PriceType, Side, TimeInForce, Timestamp};
use tokio::time::Instant;

/// Market steps (by market index) the engine must publish.
pub(crate) type Steps = Vec<(usize, Step)>;

/// Frames answering a request, and market steps the engine must publish.
pub(crate) type Outcome = (Vec<String>, Steps);

/// A placed order's id (empty for `validate`) and the steps its fills
/// made, or Kraken's error.
pub(crate) type Placed = Result<(String, Steps), &'static str>;

/// An order as asked for, from `add_order`, a `batch_add` row or
/// `edit_order`.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub(crate) symbol: String,
    pub(crate) order_type: OrderType,
    pub(crate) side: Side,
    pub(crate) order_qty: Decimal,
    pub(crate) limit_price: Option<Decimal>,
    pub(crate) triggers: Option<Triggers>,
    pub(crate) stop_price: Option<Decimal>,
    pub(crate) time_in_force: Option<TimeInForce>,
    pub(crate) post_only: bool,
    pub(crate) margin: bool,
    pub(crate) expire_time: Option<Timestamp>,
    pub(crate) deadline: Option<Timestamp>,
    pub(crate) cl_ord_id: Option<ClOrdId>,
    pub(crate) order_userref: Option<i64>,
    pub(crate) display_qty: Option<Decimal>,
}

macro_rules! new_order {
    ($p:expr, $symbol:expr, $deadline:expr) => {
        NewOrder {
            symbol: $symbol,
            order_type: $p.order_type.clone(),
            side: $p.side,
            order_qty: $p.order_qty,
            limit_price: $p.limit_price,
            triggers: $p.triggers.clone(),
            stop_price: $p.stop_price,
            time_in_force: $p.time_in_force.clone(),
            post_only: $p.post_only.unwrap_or(false),
            margin: $p.margin.unwrap_or(false) || $p.reduce_only.unwrap_or(false),
            expire_time: $p.expire_time,
            deadline: $deadline,
            cl_ord_id: $p.cl_ord_id.clone(),
            order_userref: $p.order_userref,
            display_qty: $p.display_qty,
        }
    };
}

impl From<&AddOrderParams> for NewOrder {
    fn from(p: &AddOrderParams) -> Self {
        new_order!(p, p.symbol.as_str().to_owned(), p.deadline)
    }
}

/// Errors whose wording Kraken does not document, in its
/// `EGeneral:Invalid arguments:<detail>` pattern (see the crate docs).
pub(crate) mod invalid {
    pub(crate) const ORDER_TYPE: &str = "EGeneral:Invalid arguments:order_type";
    pub(crate) const MARGIN: &str = "EGeneral:Invalid arguments:margin";
    pub(crate) const LIMIT_PRICE: &str = "EGeneral:Invalid arguments:limit_price";
    pub(crate) const TRIGGERS: &str = "EGeneral:Invalid arguments:triggers";
    pub(crate) const ORDER_QTY: &str = "EGeneral:Invalid arguments:order_qty";
    pub(crate) const CL_ORD_ID: &str = "EGeneral:Invalid arguments:cl_ord_id";
    pub(crate) const EXPIRE_TIME: &str = "EGeneral:Invalid arguments:expire_time";
    pub(crate) const TIME_IN_FORCE: &str = "EGeneral:Invalid arguments:time_in_force";
    pub(crate) const TIMEOUT: &str = "EGeneral:Invalid arguments:timeout";
    pub(crate) const ORDERS: &str = "EGeneral:Invalid arguments:orders";
    pub(crate) const SYMBOL: &str = "EGeneral:Invalid arguments:symbol";
    pub(crate) const NOTHING: &str = "EGeneral:Invalid arguments";
}

/// Unknown pair on a trading method (Kraken's REST wording).
pub(crate) const UNKNOWN_PAIR: &str = "EQuery:Unknown asset pair";
/// A post-only order that would take liquidity. Not in the reference;
/// `Post only order` is Kraken's cancel reason for such orders.
pub(crate) const POST_ONLY_CROSS: &str = "EOrder:Post only order";

impl Exchange {
    /// Serves one trading request of `account`.
    pub(crate) fn handle(
        &mut self,
        markets: &mut [Market],
        account: &str,
        method: Method,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Outcome {
        let name = method.name();
        let err = |e: &str| vec![ack::error(Some(name), req_id, e, None, time_in)];
        let status = self.status();
        let placing = matches!(
            method,
            Method::AddOrder(_)
                | Method::AmendOrder(_)
                | Method::EditOrder(_)
                | Method::BatchAdd(_)
        );
        if status == SystemStatus::Maintenance {
            return (err("EService:Unavailable"), Vec::new());
        }
        if placing && status == SystemStatus::CancelOnly {
            return (err("EService:Market in cancel_only mode"), Vec::new());
        }
        let now_ns = crate::clock::now_ns();
        match method {
            Method::AddOrder(p) => {
                let validate = p.validate.unwrap_or(false);
                match self.add(
                    markets,
                    account,
                    &NewOrder::from(&p),
                    validate,
                    true,
                    now_ns,
                ) {
                    Ok((seq_id, steps)) => {
                        let result = AddOrderResult {
                            order_id: seq_id.as_str().into(),
                            cl_ord_id: p.cl_ord_id.clone(),
                            order_userref: p.order_userref,
                            warnings: None,
                        };
                        (vec![ack::ok(name, req_id, result, time_in)], steps)
                    }
                    Err(e) => (err(e), Vec::new()),
                }
            }
            Method::AmendOrder(p) => match self.amend(markets, account, &p, now_ns) {
                Ok((amend_id, steps)) => {
                    let result = AmendOrderResult {
                        amend_id,
                        order_id: p.order_id.clone(),
                        cl_ord_id: p.cl_ord_id.clone(),
                        warnings: None,
                    };
                    (vec![ack::ok(name, req_id, result, time_in)], steps)
                }
                Err(e) => (err(e), Vec::new()),
            },
            Method::EditOrder(p) => match self.edit(markets, account, &p, now_ns) {
                Ok((order_id, steps)) => {
                    let result = EditOrderResult {
                        order_id: order_id.as_str().into(),
                        original_order_id: p.order_id.clone(),
                        warnings: None,
                    };
                    (vec![ack::ok(name, req_id, result, time_in)], steps)
                }
                Err(e) => (err(e), Vec::new()),
            },
            Method::CancelOrder(p) => (self.cancel_order(account, &p, req_id, time_in), Vec::new()),
            Method::CancelAll(_) => {
                let open = self.open_of(account);
                let now = Instant::now();
                for seq in &open {
                    self.cancel_one(account, *seq, now);
                }
                let result = CancelAllResult {
                    count: open.len() as u64,
                    warnings: None,
                };
                (vec![ack::ok(name, req_id, result, time_in)], Vec::new())
            }
            Method::CancelAllOrdersAfter(p) => {
                (self.cancel_after(account, &p, req_id, time_in), Vec::new())
            }
            Method::BatchAdd(p) => self.batch_add(markets, account, &p, req_id, time_in, now_ns),
            Method::BatchCancel(p) => (self.batch_cancel(account, &p, req_id, time_in), Vec::new()),
            _ => (err("Unsupported event"), Vec::new()),
        }
    }

    /// Checks an order as Kraken does before it reaches the book; the
    /// order (not yet open) on success.
    fn check_new(
        &mut self,
        markets: &[Market],
        account: &str,
        o: &NewOrder,
        now_ns: i128,
    ) -> Result<UserOrder, &'static str> {
        if self.status() == SystemStatus::PostOnly
            && !(o.post_only && matches!(o.order_type, OrderType::Limit | OrderType::Iceberg))
        {
            return Err("EService:Market in post_only mode");
        }
        let market = Exchange::market_index(markets, &o.symbol).ok_or(UNKNOWN_PAIR)?;
        let m = &markets[market];
        if let Some(refused) = pair_status::refusal(&m.status, &o.order_type, o.post_only) {
            return Err(refused);
        }
        let spec = m.spec.clone();
        let trigger_kind = match o.order_type {
            OrderType::Limit | OrderType::Market | OrderType::Iceberg => None,
            OrderType::StopLoss | OrderType::StopLossLimit => Some(TriggerKind::StopLoss),
            OrderType::TakeProfit | OrderType::TakeProfitLimit => Some(TriggerKind::TakeProfit),
            _ => return Err(invalid::ORDER_TYPE),
        };
        if o.margin {
            return Err(invalid::MARGIN);
        }
        if o.cl_ord_id.is_some() && o.order_userref.is_some() {
            return Err(invalid::CL_ORD_ID);
        }
        if let Some(id) = &o.cl_ord_id {
            let taken = self
                .orders
                .values()
                .any(|x| x.account == account && x.cl_ord_id.as_ref() == Some(id));
            if id.as_str().is_empty() || id.as_str().len() > 36 || taken {
                return Err(invalid::CL_ORD_ID);
            }
        }
        let limit = match (o.order_type.needs_limit_price(), o.limit_price) {
            (true, Some(p)) => Some(price_units(p, spec.price_precision)?),
            (true, None) => return Err(invalid::LIMIT_PRICE),
            (false, _) => None,
        };
        let trigger = match trigger_kind {
            Some(kind) => {
                let (price, price_type) = match (&o.triggers, o.stop_price) {
                    (Some(t), _) => (t.price, t.price_type.clone()),
                    (None, Some(p)) => (p, None),
                    (None, None) => return Err(invalid::TRIGGERS),
                };
                if price_type.is_some_and(|t| t != PriceType::Static) {
                    return Err(invalid::TRIGGERS);
                }
                Some(Trigger {
                    kind,
                    price: price_units(price, spec.price_precision)?,
                    fired: false,
                })
            }
            None => None,
        };
        let qty = units(o.order_qty, spec.qty_precision).ok_or(invalid::ORDER_QTY)?;
        if qty <= 0 {
            return Err(invalid::ORDER_QTY);
        }
        if qty < spec.qty_min {
            return Err("EOrder:Order minimum not met");
        }
        let reference_price = limit
            .or(trigger.map(|t| t.price))
            .or_else(|| match o.side {
                Side::Buy => m.best_ask().map(|(p, _)| p),
                Side::Sell => m.best_bid().map(|(p, _)| p),
            })
            .unwrap_or(0);
        let cost_e5 = crate::money::rescale(
            i128::from(reference_price) * i128::from(qty),
            spec.price_precision + spec.qty_precision,
            5,
            false,
        );
        if cost_e5 < i128::from(spec.cost_min_e5) {
            return Err("EOrder:Cost minimum not met");
        }
        let tif = o.time_in_force.clone().unwrap_or(TimeInForce::Gtc);
        match &tif {
            TimeInForce::Gtc | TimeInForce::Ioc => {}
            TimeInForce::Gtd => match o.expire_time {
                Some(t) if t.unix_nanos() > now_ns => {}
                _ => return Err(invalid::EXPIRE_TIME),
            },
            TimeInForce::Fok if limit.is_some() && trigger.is_none() => {}
            _ => return Err(invalid::TIME_IN_FORCE),
        }
        if o.deadline.is_some_and(|d| d.unix_nanos() < now_ns) {
            return Err("EService:Deadline elapsed");
        }
        if o.post_only && trigger.is_none() {
            let crosses = match (o.side, limit) {
                (Side::Buy, Some(l)) => m.best_ask().is_some_and(|(a, _)| l >= a),
                (Side::Sell, Some(l)) => m.best_bid().is_some_and(|(b, _)| l <= b),
                _ => false,
            };
            if crosses {
                return Err(POST_ONLY_CROSS);
            }
        }
        let open_here = self
            .orders
            .values()
            .filter(|x| x.account == account && x.market == market)
            .count();
        if open_here >= self.config.max_open_orders {
            return Err("EOrder:Orders limit exceeded");
        }
        let now = Instant::now();
        let order = UserOrder {
            seq: 0,
            order_id: String::new(),
            account: account.to_owned(),
            market,
            spec,
            side: o.side,
            order_type: o.order_type.clone(),
            qty,
            filled: 0,
            notional: 0,
            cum_cost: 0,
            fees: 0,
            fees_usd: 0,
            limit,
            trigger,
            time_in_force: tif.clone(),
            expire_time: if tif == TimeInForce::Gtd {
                o.expire_time
            } else {
                None
            },
            post_only: o.post_only,
            cl_ord_id: o.cl_ord_id.clone(),
            order_userref: o.order_userref.unwrap_or(0),
            display_qty: o.display_qty,
            amended: false,
            touched_at: now,
            placed_at: now,
            opened_ns: now_ns,
            status: OrderStatus::PendingNew,
        };
        let (asset, need) = if is_market(&o.order_type) && trigger.is_none() {
            Exchange::market_need(&order, m)
        } else {
            Exchange::reserved(&order, markets)
        };
        if self.available(markets, account, &asset, None) < need {
            return Err("EOrder:Insufficient funds");
        }
        Ok(order)
    }

    /// Checks, counts and places one order; its id (empty for `validate`)
    /// and the market steps its fills made.
    pub(crate) fn add(
        &mut self,
        markets: &mut [Market],
        account: &str,
        o: &NewOrder,
        validate: bool,
        count_rate: bool,
        now_ns: i128,
    ) -> Placed {
        let order = self.check_new(markets, account, o, now_ns)?;
        if validate {
            return Ok((String::new(), Vec::new()));
        }
        let now = Instant::now();
        let max = self.config.max_rate_count;
        if count_rate
            && !self
                .rate(account, order.market, now)
                .try_add(rate_counter::ADD, max, now)
        {
            return Err("EOrder:Rate limit exceeded");
        }
        Ok(self.place(markets, order, now_ns))
    }

    /// Opens a checked order: `pending_new`, then (unless a trigger waits)
    /// `new` and whatever it takes from the book.
    pub(crate) fn place(
        &mut self,
        markets: &mut [Market],
        mut order: UserOrder,
        now_ns: i128,
    ) -> (String, Vec<(usize, Step)>) {
        let (seq, id) = self.new_id(IdKind::Order);
        order.seq = seq;
        order.order_id = id.clone();
        let account = order.account.clone();
        let market = order.market;
        let waits = order.trigger.is_some();
        self.publish_report(&account, order.full_report(ExecType::PendingNew));
        if !waits {
            order.status = OrderStatus::New;
            self.publish_report(&account, order.new_report());
        }
        self.orders.insert(seq, order);
        let mut steps = Vec::new();
        if waits {
            steps.extend(self.fire_triggers(markets, market, now_ns));
        } else if self.matching() {
            steps.extend(self.take(markets, seq, now_ns));
            // The order's own prints may reach other orders' triggers.
            steps.extend(self.fire_triggers(markets, market, now_ns));
        }
        (id, steps)
    }

    fn find(&self, account: &str, order_id: Option<&str>, cl_ord_id: Option<&str>) -> Option<u64> {
        self.orders
            .values()
            .find(|o| {
                o.account == account
                    && (order_id.is_some_and(|id| o.order_id == id)
                        || cl_ord_id.is_some_and(|id| {
                            o.cl_ord_id.as_ref().is_some_and(|c| c.as_str() == id)
                        }))
            })
            .map(|o| o.seq)
    }

    fn amend(
        &mut self,
        markets: &mut [Market],
        account: &str,
        p: &AmendOrderParams,
        now_ns: i128,
    ) -> Placed {
        let seq = self
            .find(
                account,
                p.order_id.as_ref().map(|i| i.as_str()),
                p.cl_ord_id.as_ref().map(|i| i.as_str()),
            )
            .ok_or("EOrder:Unknown order")?;
        let Some(current) = self.orders.get(&seq).cloned() else {
            return Err("EOrder:Unknown order");
        };
        if let Some(refused) = markets
            .get(current.market)
            .and_then(|m| pair_status::amend_refusal(&m.status))
        {
            return Err(refused);
        }
        let spec = &current.spec;
        let mut next = current.clone();
        if let Some(q) = p.order_qty {
            next.qty = units(q, spec.qty_precision).ok_or(invalid::ORDER_QTY)?;
            if next.qty <= 0 {
                return Err(invalid::ORDER_QTY);
            }
        }
        if let Some(l) = p.limit_price {
            if next.limit.is_none() {
                return Err(invalid::LIMIT_PRICE);
            }
            next.limit = Some(price_units(l, spec.price_precision)?);
        }
        if let Some(t) = p.trigger_price {
            let Some(trigger) = next.trigger.as_mut().filter(|t| !t.fired) else {
                return Err(invalid::TRIGGERS);
            };
            trigger.price = price_units(t, spec.price_precision)?;
        }
        if p.display_qty.is_some() {
            next.display_qty = p.display_qty;
        }
        let m = markets.get(current.market).ok_or(UNKNOWN_PAIR)?;
        let crosses = next.trigger.is_none_or(|t| t.fired)
            && match (next.side, next.limit) {
                (Side::Buy, Some(l)) => m.best_ask().is_some_and(|(a, _)| l >= a),
                (Side::Sell, Some(l)) => m.best_bid().is_some_and(|(b, _)| l <= b),
                _ => false,
            };
        if crosses && (p.post_only.unwrap_or(false) || self.status() == SystemStatus::PostOnly) {
            return Err(POST_ONLY_CROSS);
        }
        if next.qty > next.filled {
            let (asset, need) = Exchange::reserved(&next, markets);
            if self.available(markets, account, &asset, Some(seq)) < need {
                return Err("EOrder:Insufficient funds");
            }
        }
        let now = Instant::now();
        let penalty = rate_counter::amend(now.saturating_duration_since(current.touched_at));
        let max = self.config.max_rate_count;
        if !self
            .rate(account, current.market, now)
            .try_add(penalty, max, now)
        {
            return Err("EOrder:Rate limit exceeded");
        }
        let (_, amend_id) = self.new_id(IdKind::Amend);
        next.amended = true;
        next.touched_at = now;
        let mut steps = Vec::new();
        if next.qty <= next.filled {
            // Reducing below what is filled cancels the rest.
            next.qty = next.filled.max(current.filled);
            self.orders.insert(seq, next);
            self.close(seq, OrderStatus::Canceled, USER_REASON);
        } else {
            self.publish_report(account, next.amended_report());
            self.orders.insert(seq, next);
            if crosses && self.matching() {
                steps.extend(self.take(markets, seq, now_ns));
            }
        }
        Ok((amend_id, steps))
    }

    fn edit(
        &mut self,
        markets: &mut [Market],
        account: &str,
        p: &EditOrderParams,
        now_ns: i128,
    ) -> Placed {
        let seq = self
            .find(account, Some(p.order_id.as_str()), None)
            .ok_or("EOrder:Unknown order")?;
        let Some(old) = self.orders.get(&seq).cloned() else {
            return Err("EOrder:Unknown order");
        };
        if old.spec.symbol != p.symbol.as_str() {
            return Err(invalid::SYMBOL);
        }
        if old.trigger.is_some_and(|t| t.fired) {
            return Err("EOrder:Invalid order");
        }
        let precision = old.spec.price_precision;
        let qty_precision = old.spec.qty_precision;
        let order_qty = p
            .order_qty
            .unwrap_or_else(|| crate::money::decimal(i128::from(old.qty), qty_precision));
        let new_qty = units(order_qty, qty_precision).ok_or(invalid::ORDER_QTY)?;
        if new_qty < old.filled {
            return Err("EOrder:Invalid order");
        }
        let trigger_price = old
            .trigger
            .map(|t| crate::money::decimal(i128::from(t.price), precision));
        let request = NewOrder {
            symbol: old.spec.symbol.clone(),
            order_type: old.order_type.clone(),
            side: old.side,
            // The fills stay on the original; the new order carries the rest.
            order_qty: crate::money::decimal(i128::from(new_qty - old.filled), qty_precision),
            limit_price: p.limit_price.or(p.price).or(old
                .limit
                .map(|l| crate::money::decimal(i128::from(l), precision))),
            triggers: p.triggers.clone().or(trigger_price.map(|price| Triggers {
                reference: None,
                price,
                price_type: None,
            })),
            stop_price: None,
            time_in_force: Some(old.time_in_force.clone()),
            post_only: p.post_only.unwrap_or(old.post_only),
            margin: false,
            expire_time: old.expire_time,
            deadline: p.deadline,
            cl_ord_id: None,
            order_userref: Some(p.order_userref.unwrap_or(old.order_userref)),
            display_qty: p.display_qty.or(old.display_qty),
        };
        // Checked against the account without the original's hold.
        let held = self.orders.remove(&seq);
        let checked = self.check_new(markets, account, &request, now_ns);
        if let Some(o) = held {
            self.orders.insert(seq, o);
        }
        let order = checked?;
        if p.validate.unwrap_or(false) {
            return Ok((String::new(), Vec::new()));
        }
        let now = Instant::now();
        let penalty = rate_counter::edit(now.saturating_duration_since(old.touched_at));
        let max = self.config.max_rate_count;
        if !self
            .rate(account, old.market, now)
            .try_add(penalty, max, now)
        {
            return Err("EOrder:Rate limit exceeded");
        }
        self.close(seq, OrderStatus::Canceled, USER_REASON);
        Ok(self.place(markets, order, now_ns))
    }

    /// Cancels one open order the user asked to cancel, counting the
    /// cancel's penalty (cancels are never refused for rate).
    pub(crate) fn cancel_one(&mut self, account: &str, seq: u64, now: Instant) {
        let Some(order) = self.orders.get(&seq) else {
            return;
        };
        let (market, age) = (order.market, now.saturating_duration_since(order.placed_at));
        self.rate(account, market, now)
            .add(rate_counter::cancel(age), now);
        self.close(seq, OrderStatus::Canceled, USER_REASON);
    }

    fn cancel_order(
        &mut self,
        account: &str,
        p: &CancelOrderParams,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let name = "cancel_order";
        let mut out = Vec::new();
        let now = Instant::now();
        let ok = |out: &mut Vec<String>, result: CancelOrderResult| {
            out.push(ack::ok(name, req_id, result, time_in));
        };
        let fail = |out: &mut Vec<String>, e: &str| {
            out.push(ack::error(Some(name), req_id, e, None, time_in))
        };
        let ids = p.order_id.as_deref().unwrap_or_default();
        let cl_ids = p.cl_ord_id.as_deref().unwrap_or_default();
        let refs = p.order_userref.as_deref().unwrap_or_default();
        if ids.is_empty() && cl_ids.is_empty() && refs.is_empty() {
            fail(&mut out, invalid::NOTHING);
            return out;
        }
        for id in ids {
            match self.find(account, Some(id.as_str()), None) {
                Some(seq) => {
                    self.cancel_one(account, seq, now);
                    ok(
                        &mut out,
                        CancelOrderResult {
                            order_id: Some(id.clone()),
                            cl_ord_id: None,
                            warnings: None,
                        },
                    );
                }
                None => fail(&mut out, "EOrder:Invalid order"),
            }
        }
        for id in cl_ids {
            match self.find(account, None, Some(id.as_str())) {
                Some(seq) => {
                    self.cancel_one(account, seq, now);
                    ok(
                        &mut out,
                        CancelOrderResult {
                            order_id: None,
                            cl_ord_id: Some(id.clone()),
                            warnings: None,
                        },
                    );
                }
                None => fail(&mut out, "EOrder:Invalid order"),
            }
        }
        for userref in refs {
            let matching: Vec<(u64, String)> = self
                .orders
                .values()
                .filter(|o| o.account == account && o.order_userref == *userref)
                .map(|o| (o.seq, o.order_id.clone()))
                .collect();
            if matching.is_empty() {
                fail(&mut out, "EOrder:Invalid order");
            }
            for (seq, order_id) in matching {
                self.cancel_one(account, seq, now);
                ok(
                    &mut out,
                    CancelOrderResult {
                        order_id: Some(order_id.as_str().into()),
                        cl_ord_id: None,
                        warnings: None,
                    },
                );
            }
        }
        out
    }

    fn cancel_after(
        &mut self,
        account: &str,
        p: &CancelAfterParams,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let name = "cancel_all_orders_after";
        if p.timeout >= 86_400 {
            return vec![ack::error(
                Some(name),
                req_id,
                invalid::TIMEOUT,
                None,
                time_in,
            )];
        }
        let now = Instant::now();
        let now_ns = crate::clock::now_ns();
        let seconds = |ns: i128| Timestamp::from_unix((ns / 1_000_000_000) as i64, 0, 0);
        let trigger_ns = self
            .dead_man
            .set(account, p.timeout, now)
            .map(|at| now_ns + at.saturating_duration_since(now).as_nanos() as i128);
        let Some(current_time) = seconds(now_ns) else {
            return vec![ack::error(
                Some(name),
                req_id,
                "EGeneral:Internal error",
                None,
                time_in,
            )];
        };
        let result = CancelAfterResult {
            current_time,
            trigger_time: trigger_ns.and_then(seconds),
            warnings: None,
        };
        vec![ack::ok(name, req_id, result, time_in)]
    }

    fn batch_add(
        &mut self,
        markets: &mut [Market],
        account: &str,
        p: &BatchAddParams,
        req_id: Option<u64>,
        time_in: Timestamp,
        now_ns: i128,
    ) -> Outcome {
        let name = "batch_add";
        let err = |e: &str| vec![ack::error(Some(name), req_id, e, None, time_in)];
        if !(2..=15).contains(&p.orders.len()) {
            return (err(invalid::ORDERS), Vec::new());
        }
        let requests: Vec<NewOrder> = p
            .orders
            .iter()
            .map(|o| new_order!(o, p.symbol.as_str().to_owned(), p.deadline))
            .collect();
        // The whole batch is checked first; one bad order rejects it.
        for r in &requests {
            if let Err(e) = self.check_new(markets, account, r, now_ns) {
                if e != "EOrder:Insufficient funds" {
                    return (err(e), Vec::new());
                }
            }
        }
        let validate = p.validate.unwrap_or(false);
        if !validate {
            let Some(market) = Exchange::market_index(markets, p.symbol.as_str()) else {
                return (err(UNKNOWN_PAIR), Vec::new());
            };
            let now = Instant::now();
            let max = self.config.max_rate_count;
            let penalty = requests.len() as i64 * rate_counter::ADD / 2;
            if !self.rate(account, market, now).try_add(penalty, max, now) {
                return (err("EOrder:Rate limit exceeded"), Vec::new());
            }
        }
        let mut rows = Vec::new();
        let mut steps = Vec::new();
        let mut first_error = None;
        for r in &requests {
            let mut row = BatchAddRow {
                order_id: None,
                cl_ord_id: r.cl_ord_id.clone(),
                order_userref: r.order_userref,
                warnings: None,
                error: None,
                status: None,
            };
            // After submission each order stands alone (e.g. on funds).
            match self.add(markets, account, r, validate, false, now_ns) {
                Ok((id, s)) => {
                    row.order_id = Some(id.as_str().into());
                    steps.extend(s);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                    row.error = Some(e.to_owned());
                }
            }
            rows.push(row);
        }
        let frame = match first_error {
            None => ack::ok(name, req_id, rows, time_in),
            Some(e) => ack::partial(name, req_id, rows, e, time_in),
        };
        (vec![frame], steps)
    }

    fn batch_cancel(
        &mut self,
        account: &str,
        p: &BatchCancelParams,
        req_id: Option<u64>,
        time_in: Timestamp,
    ) -> Vec<String> {
        let name = "batch_cancel";
        let ids = p.orders.as_deref().unwrap_or_default();
        let cl_ids = p.cl_ord_id.as_deref().unwrap_or_default();
        if !(2..=50).contains(&(ids.len() + cl_ids.len())) {
            return vec![ack::error(
                Some(name),
                req_id,
                invalid::ORDERS,
                None,
                time_in,
            )];
        }
        let mut targets: Vec<u64> = Vec::new();
        for id in ids {
            match id.parse::<i64>() {
                Ok(userref) => targets.extend(
                    self.orders
                        .values()
                        .filter(|o| o.account == account && o.order_userref == userref)
                        .map(|o| o.seq),
                ),
                Err(_) => targets.extend(self.find(account, Some(id), None)),
            }
        }
        for id in cl_ids {
            targets.extend(self.find(account, None, Some(id.as_str())));
        }
        targets.sort_unstable();
        targets.dedup();
        if targets.is_empty() {
            return vec![ack::error(
                Some(name),
                req_id,
                "EOrder:Invalid order",
                None,
                time_in,
            )];
        }
        let now = Instant::now();
        for seq in &targets {
            self.cancel_one(account, *seq, now);
        }
        vec![ack::orders_cancelled(
            name,
            req_id,
            targets.len() as u64,
            time_in,
        )]
    }
}

/// A price in the pair's units: `EOrder:Invalid price` when not positive,
/// `EOrder:Tick size check failed` with more places than the pair has.
fn price_units(price: Decimal, precision: u8) -> Result<i64, &'static str> {
    if price.is_negative() || price.is_zero() {
        return Err("EOrder:Invalid price");
    }
    units(price, precision).ok_or("EOrder:Tick size check failed")
}

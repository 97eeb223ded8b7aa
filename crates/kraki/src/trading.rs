//! Trading on the authenticated connection: every method of §6 as a typed
//! call. A rejection is [`Error::Rejected`] with Kraken's error string; no
//! answer is [`Error::OutcomeUnknown`], never "failed".

use crate::command::Command;
use crate::private_spec::Executions;
use crate::rate_counter::{Action, cost};
use crate::rest::RestClient;
use crate::{Client, Error, Event, Order, OrderRules, Rejection};
use futures_util::StreamExt;
use kraki_proto::channels::ExecutionReport;
use kraki_proto::trading::{
    AddOrderResult, AmendOrderParams, AmendOrderResult, BatchAddParams, BatchAddRow,
    BatchCancelParams, BatchCancelResult, CancelAfterParams, CancelAfterResult, CancelAllParams,
    CancelAllResult, CancelOrderParams, CancelOrderResult, EditOrderParams, EditOrderResult,
};
use kraki_proto::{ClOrdId, MessageType, Method, MethodResponse, Response};
use ring::rand::{SecureRandom, SystemRandom};
use std::time::Instant;
use tokio::sync::oneshot;

/// Which orders `cancel_order` cancels; any mix of the three.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct CancelTarget {
    params: CancelOrderParams,
}

impl CancelTarget {
    /// Orders by Kraken's order id.
    pub fn order_ids<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        CancelTarget::default().and_order_ids(ids)
    }

    /// Orders by the client's order id.
    pub fn cl_ord_ids<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        CancelTarget::default().and_cl_ord_ids(ids)
    }

    /// Every order with one of these numeric tags.
    pub fn order_userrefs(tags: impl IntoIterator<Item = i64>) -> Self {
        CancelTarget::default().and_order_userrefs(tags)
    }

    /// Adds order ids.
    pub fn and_order_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        let list = self.params.order_id.get_or_insert_with(Vec::new);
        list.extend(ids.into_iter().map(|i| kraki_proto::OrderId::new(i)));
        self
    }

    /// Adds client order ids.
    pub fn and_cl_ord_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        let list = self.params.cl_ord_id.get_or_insert_with(Vec::new);
        list.extend(ids.into_iter().map(|i| ClOrdId::new(i)));
        self
    }

    /// Adds numeric tags.
    pub fn and_order_userrefs(mut self, tags: impl IntoIterator<Item = i64>) -> Self {
        self.params
            .order_userref
            .get_or_insert_with(Vec::new)
            .extend(tags);
        self
    }

    /// How many ids; Kraken answers once per id given.
    fn len(&self) -> usize {
        self.params.order_id.as_ref().map_or(0, Vec::len)
            + self.params.cl_ord_id.as_ref().map_or(0, Vec::len)
            + self.params.order_userref.as_ref().map_or(0, Vec::len)
    }
}

/// A random short-UUID client order id (32 hex digits), one of the forms
/// Kraken accepts.
fn random_cl_ord_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Config("the system random source failed".to_owned()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The result of a single-response method, or its rejection.
fn single<T>(
    method: &'static str,
    responses: Vec<Response>,
    pick: impl Fn(Response) -> Option<MethodResponse<T>>,
) -> Result<T, Error> {
    let response = responses
        .into_iter()
        .next()
        .and_then(pick)
        .ok_or_else(|| Error::bad_answer(format!("{method}: an answer of another method")))?;
    if !response.success {
        return Err(rejected(response.error));
    }
    response
        .result
        .ok_or_else(|| Error::bad_answer(format!("{method}: success without a result")))
}

fn rejected(error: Option<String>) -> Error {
    Error::Rejected(vec![Rejection {
        symbol: None,
        error: error.unwrap_or_else(|| "unknown error".to_owned()),
    }])
}

impl Client {
    async fn call(&self, method: Method, expected: usize) -> Result<Vec<Response>, Error> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::Call {
            method: Box::new(method),
            expected,
            reply,
        })?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// Sets the rules `add_order` checks orders of `rules.symbol` against
    /// (e.g. from the `instrument` channel), instead of fetching them from
    /// REST `AssetPairs`.
    pub fn set_order_rules(&self, rules: OrderRules) {
        if let Ok(mut map) = self.rules().lock() {
            map.insert(rules.symbol.clone(), rules);
        }
    }

    /// The rules of `symbol`: as set, or fetched once from REST
    /// `AssetPairs` at the builder's REST URL.
    ///
    /// # Errors
    /// [`Error::Rest`]/[`Error::Http`] when they cannot be fetched,
    /// [`Error::UnknownSymbol`] when Kraken does not list the pair.
    pub async fn order_rules(&self, symbol: &str) -> Result<OrderRules, Error> {
        if let Some(rules) = self
            .rules()
            .lock()
            .ok()
            .and_then(|m| m.get(symbol).cloned())
        {
            return Ok(rules);
        }
        let rest = RestClient::with_transport(&self.settings().rest_url, self.transport()?)?;
        let pairs = rest.asset_pairs(&[symbol]).await?;
        let pair = pairs
            .get(symbol)
            .ok_or_else(|| Error::UnknownSymbol(symbol.to_owned()))?;
        let rules = OrderRules::from_asset_pair(symbol, pair)?;
        self.set_order_rules(rules.clone());
        Ok(rules)
    }

    /// Places an order after checking it against the pair's rules. Without
    /// a `cl_ord_id` or `order_userref` a random `cl_ord_id` is assigned,
    /// so that an unanswered order can be found again.
    ///
    /// When no answer comes (timeout, lost connection), the order is looked
    /// up by its `cl_ord_id` in a fresh executions snapshot (open orders
    /// and recent fills), taken on the same connection once it answers
    /// again or after the reconnect, for up to `request_timeout` plus
    /// `idle_timeout`: found, it is returned as placed.
    ///
    /// Cancel safety: once sent, dropping the future does not cancel the
    /// order.
    ///
    /// # Errors
    /// [`Error::Invalid`] before sending, [`Error::Rejected`] with Kraken's
    /// error string, [`Error::OutcomeUnknown`] (carrying the `cl_ord_id`)
    /// when no answer came and the snapshot did not settle it (its reason
    /// says whether the order was absent from the snapshot, which means
    /// never placed or ended without a fill, e.g. an expired IOC, or no
    /// snapshot came), [`Error::NotConnected`] while reconnecting (nothing
    /// sent).
    pub async fn add_order(&self, order: Order) -> Result<AddOrderResult, Error> {
        let mut params = order.into_params();
        let rules = self.order_rules(params.symbol.as_str()).await?;
        rules.check(&params)?;
        if params.cl_ord_id.is_none() && params.order_userref.is_none() {
            params.cl_ord_id = Some(ClOrdId::new(random_cl_ord_id()?));
        }
        let cl_ord_id = params.cl_ord_id.as_ref().map(|c| c.as_str().to_owned());
        let pair = params.symbol.as_str().to_owned();
        // A validation-only order is never placed: nothing to look for.
        let placeable = params.validate != Some(true);
        self.with_rate(|r| r.charge(&pair, cost(Action::Add, Default::default()), Instant::now()));
        let responses = match self.call(Method::AddOrder(params), 1).await {
            Ok(responses) => responses,
            // An order known by its cl_ord_id is looked for; one known
            // only by its order_userref is left to the caller.
            Err(Error::OutcomeUnknown { reason, .. }) if placeable && cl_ord_id.is_some() => {
                let id = cl_ord_id.unwrap_or_default();
                return self.resolve_unanswered(&pair, id, reason).await;
            }
            Err(e) => return Err(with_cl_ord_id(e, cl_ord_id)),
        };
        let result = single("add_order", responses, |r| match r {
            Response::AddOrder(r) => Some(r),
            _ => None,
        })?;
        let mut ids = vec![result.order_id.as_str()];
        ids.extend(result.cl_ord_id.as_ref().map(|c| c.as_str()));
        self.with_rate(|r| r.placed(&pair, &ids, Instant::now()));
        Ok(result)
    }

    /// Amends an order in place (ids and, where possible, queue priority
    /// kept).
    ///
    /// # Errors
    /// As [`Client::add_order`], without the checks.
    pub async fn amend_order(&self, params: AmendOrderParams) -> Result<AmendOrderResult, Error> {
        if params.order_id.is_none() && params.cl_ord_id.is_none() {
            return Err(Error::Invalid(
                "amend_order needs an order_id or a cl_ord_id".to_owned(),
            ));
        }
        let id = params.order_id.as_ref().map(|o| o.as_str().to_owned());
        let id = id.or_else(|| params.cl_ord_id.as_ref().map(|c| c.as_str().to_owned()));
        if let Some(id) = id {
            self.with_rate(|r| r.charge_order(&id, Action::Amend, Instant::now()));
        }
        let responses = self.call(Method::AmendOrder(params), 1).await?;
        single("amend_order", responses, |r| match r {
            Response::AmendOrder(r) => Some(r),
            _ => None,
        })
    }

    /// Cancels an order and places its replacement (a new order id).
    ///
    /// # Errors
    /// As [`Client::amend_order`].
    pub async fn edit_order(&self, params: EditOrderParams) -> Result<EditOrderResult, Error> {
        let id = params.order_id.as_str().to_owned();
        self.with_rate(|r| r.charge_order(&id, Action::Edit, Instant::now()));
        let responses = self.call(Method::EditOrder(params), 1).await?;
        single("edit_order", responses, |r| match r {
            Response::EditOrder(r) => Some(r),
            _ => None,
        })
    }

    /// Cancels orders by id, client id or tag. Kraken answers once per id
    /// given; the result lists the canceled ones.
    ///
    /// # Errors
    /// [`Error::Rejected`] with one entry per id Kraken refused (e.g.
    /// `EOrder:Unknown order`), even if others were canceled;
    /// [`Error::OutcomeUnknown`] when not every answer came.
    pub async fn cancel_order(
        &self,
        target: CancelTarget,
    ) -> Result<Vec<CancelOrderResult>, Error> {
        let expected = target.len();
        if expected == 0 {
            return Err(Error::Invalid(
                "cancel_order needs at least one id".to_owned(),
            ));
        }
        let ids: Vec<String> = target
            .params
            .order_id
            .iter()
            .flatten()
            .map(|o| o.as_str().to_owned())
            .chain(
                target
                    .params
                    .cl_ord_id
                    .iter()
                    .flatten()
                    .map(|c| c.as_str().to_owned()),
            )
            .collect();
        self.with_rate(|r| {
            for id in &ids {
                r.charge_order(id, Action::Cancel, Instant::now());
            }
        });
        let responses = self
            .call(Method::CancelOrder(target.params), expected)
            .await?;
        let mut done = Vec::new();
        let mut refused = Vec::new();
        for response in responses {
            let Response::CancelOrder(r) = response else {
                continue;
            };
            match (r.success, r.result) {
                (true, Some(result)) => done.push(result),
                _ => refused.push(Rejection {
                    symbol: None,
                    error: r.error.unwrap_or_else(|| "unknown error".to_owned()),
                }),
            }
        }
        if refused.is_empty() {
            Ok(done)
        } else {
            Err(Error::Rejected(refused))
        }
    }

    /// Cancels every open order.
    ///
    /// # Errors
    /// As [`Client::amend_order`].
    pub async fn cancel_all(&self) -> Result<CancelAllResult, Error> {
        let responses = self
            .call(Method::CancelAll(CancelAllParams::default()), 1)
            .await?;
        single("cancel_all", responses, |r| match r {
            Response::CancelAll(r) => Some(r),
            _ => None,
        })
    }

    /// Arms the dead man's switch: every order is canceled `timeout_secs`
    /// from now unless this is called again; 0 disarms it. See
    /// [`Client::keep_dead_man_switch`] for a keeper.
    ///
    /// # Errors
    /// As [`Client::amend_order`]; [`Error::Invalid`] beyond 86399 s.
    pub async fn cancel_all_orders_after(
        &self,
        timeout_secs: u32,
    ) -> Result<CancelAfterResult, Error> {
        if timeout_secs >= 86_400 {
            return Err(Error::Invalid(format!(
                "cancel_all_orders_after timeout {timeout_secs} s must be below 86400"
            )));
        }
        let params = CancelAfterParams {
            timeout: timeout_secs,
            token: None,
        };
        let responses = self.call(Method::CancelAllOrdersAfter(params), 1).await?;
        single("cancel_all_orders_after", responses, |r| match r {
            Response::CancelAllOrdersAfter(r) => Some(r),
            _ => None,
        })
    }

    /// Places 2 to 15 orders on one pair, each checked first. Rows come
    /// back in order; a row refused after submission carries its error.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad batch, the errors of
    /// [`Client::add_order`] otherwise.
    pub async fn batch_add(
        &self,
        orders: Vec<Order>,
        validate: bool,
    ) -> Result<Vec<BatchAddRow>, Error> {
        if !(2..=15).contains(&orders.len()) {
            return Err(Error::Invalid(format!(
                "batch_add takes 2 to 15 orders, not {}",
                orders.len()
            )));
        }
        let symbol = orders[0].params().symbol.clone();
        if let Some(other) = orders.iter().find(|o| o.params().symbol != symbol) {
            return Err(Error::Invalid(format!(
                "batch_add orders must share one pair: {symbol} and {}",
                other.params().symbol
            )));
        }
        let rules = self.order_rules(symbol.as_str()).await?;
        for order in &orders {
            rules.check(order.params())?;
        }
        let batch_cost = orders.len() as f64 / 2.0;
        self.with_rate(|r| r.charge(symbol.as_str(), batch_cost, Instant::now()));
        let params = BatchAddParams {
            symbol,
            orders: orders.into_iter().map(Order::into_batch_row).collect(),
            deadline: None,
            validate: validate.then_some(true),
            token: None,
        };
        let responses = self.call(Method::BatchAdd(params), 1).await?;
        let Some(Response::BatchAdd(r)) = responses.into_iter().next() else {
            return Err(Error::bad_answer("batch_add: an answer of another method"));
        };
        match (r.success, r.result) {
            (_, Some(rows)) if r.success || rows.iter().any(|row| row.order_id.is_some()) => {
                Ok(rows)
            }
            _ => Err(rejected(r.error)),
        }
    }

    /// Cancels 2 to 50 orders by Kraken order id or tag (`orders`) and
    /// client id (`cl_ord_ids`).
    ///
    /// # Errors
    /// As [`Client::amend_order`].
    pub async fn batch_cancel(
        &self,
        orders: Vec<String>,
        cl_ord_ids: Vec<String>,
    ) -> Result<BatchCancelResult, Error> {
        let n = orders.len() + cl_ord_ids.len();
        if !(2..=50).contains(&n) {
            return Err(Error::Invalid(format!(
                "batch_cancel takes 2 to 50 ids, not {n}"
            )));
        }
        let params = BatchCancelParams {
            orders: (!orders.is_empty()).then_some(orders),
            cl_ord_id: (!cl_ord_ids.is_empty())
                .then(|| cl_ord_ids.into_iter().map(ClOrdId::new).collect()),
            token: None,
        };
        let responses = self.call(Method::BatchCancel(params), 1).await?;
        single("batch_cancel", responses, |r| match r {
            Response::BatchCancel(r) => Some(r),
            _ => None,
        })
    }

    /// Settles an `add_order` that got no answer: looks for its
    /// `cl_ord_id` in executions snapshots until one comes or the window
    /// (`request_timeout` + `idle_timeout`, long enough for the watchdog
    /// to replace a dead connection) ends.
    async fn resolve_unanswered(
        &self,
        pair: &str,
        cl_ord_id: String,
        reason: String,
    ) -> Result<AddOrderResult, Error> {
        let settings = self.settings();
        let window = settings.settings.request_timeout + settings.settings.idle_timeout;
        let deadline = tokio::time::Instant::now() + window;
        let unknown = |why: String| Error::OutcomeUnknown {
            method: "add_order",
            reason: format!("{reason}; {why}"),
            cl_ord_id: Some(cl_ord_id.clone()),
        };
        let mut last_error = None;
        while tokio::time::Instant::now() < deadline {
            match tokio::time::timeout_at(deadline, self.find_order(&cl_ord_id)).await {
                Ok(Ok(Some(report))) => {
                    tracing::info!(%cl_ord_id, order_id = %report.order_id, "unanswered order found in the executions snapshot");
                    let ids = [report.order_id.as_str(), cl_ord_id.as_str()];
                    self.with_rate(|r| r.placed(pair, &ids, Instant::now()));
                    return Ok(AddOrderResult {
                        order_id: report.order_id,
                        cl_ord_id: Some(ClOrdId::new(cl_ord_id.clone())),
                        order_userref: report.order_userref,
                        warnings: None,
                    });
                }
                Ok(Ok(None)) => {
                    return Err(unknown(
                        "not among the open orders and recent fills of the executions snapshot \
                         taken afterwards: never placed, or ended without a fill"
                            .to_owned(),
                    ));
                }
                Ok(Err(Error::Closed)) => return Err(unknown("the client was closed".to_owned())),
                Ok(Err(e)) => {
                    last_error = Some(e.to_string());
                    // The connection is being replaced: try again shortly.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(_) => break,
            }
        }
        Err(unknown(format!(
            "no executions snapshot to check within {} ms{}",
            window.as_millis(),
            last_error
                .map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        )))
    }

    /// Looks for an order by its client id in a fresh executions snapshot
    /// (open orders and the last 50 fills): how an [`Error::OutcomeUnknown`]
    /// is settled; [`Client::add_order`] does it by itself. `Some` means
    /// Kraken has the order (open or filled).
    ///
    /// # Errors
    /// The errors of [`Client::subscribe`]; [`Error::Closed`] if the
    /// stream ends before a snapshot.
    pub async fn find_order(&self, cl_ord_id: &str) -> Result<Option<ExecutionReport>, Error> {
        let spec = Executions::new().snap_orders(true).snap_trades(true);
        let mut sub = self.subscribe(spec).await?;
        while let Some(event) = sub.next().await {
            if let Event::Data(update) = event {
                if update.kind == MessageType::Snapshot {
                    return Ok(update.reports.into_iter().find(|r| {
                        r.cl_ord_id
                            .as_ref()
                            .is_some_and(|c| c.as_str() == cl_ord_id)
                    }));
                }
            }
        }
        Err(Error::Closed)
    }
}

fn with_cl_ord_id(error: Error, id: Option<String>) -> Error {
    match error {
        Error::OutcomeUnknown { method, reason, .. } => Error::OutcomeUnknown {
            method,
            reason,
            cl_ord_id: id,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn random_cl_ord_ids_are_short_uuids() {
        let a = random_cl_ord_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_cl_ord_id().unwrap());
    }

    #[test]
    fn cancel_targets_count_every_id() {
        let t = CancelTarget::order_ids(["A", "B"])
            .and_cl_ord_ids(["c"])
            .and_order_userrefs([7]);
        assert_eq!(t.len(), 4);
    }
}

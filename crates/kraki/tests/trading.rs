//! Trading end to end against the simulator over real sockets: the whole
//! order lifecycle with balances kept consistent, Kraken's rejections as
//! typed errors, token expiry, the dead man's switch, sequence gaps and an
//! unanswered order resolved by its `cl_ord_id`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{PATIENCE, d, demo, public_client};
use futures_util::StreamExt;
use kraki::proto::channels::{ExecType, ExecutionReport, OrderStatus, SystemStatus};
use kraki::proto::trading::AmendOrderParams;
use kraki::proto::{Decimal, MessageType, OrderId, Side};
use kraki::{
    AccountHandle, AccountState, BookStatus, CancelTarget, Client, Error, Event, Executions,
    ExecutionsUpdate, Order, Subscription,
};
use kraki_sim::{SimHandle, Simulator};
use std::sync::Arc;
use std::time::Duration;

/// A sim whose market only moves when the test says so.
async fn paused_sim() -> SimHandle {
    Simulator::builder().paused(true).spawn().await.unwrap()
}

async fn trader(sim: &SimHandle) -> Client {
    Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .connect_auth()
        .await
        .unwrap()
}

/// BTC/USD's best bid and ask, from a verified public book.
async fn top_of_book(sim: &SimHandle) -> (Decimal, Decimal) {
    let public = public_client(sim).await;
    let mut book = public.book("BTC/USD", 10).await.unwrap();
    let mut state = book.state();
    while state.status != BookStatus::Live {
        state = tokio::time::timeout(PATIENCE, book.changed())
            .await
            .expect("the book went live")
            .unwrap();
    }
    let top = (
        state.book.best_bid().unwrap().price,
        state.book.best_ask().unwrap().price,
    );
    public.close().await;
    top
}

/// Waits until the account view satisfies `done`.
async fn account_until(
    account: &mut AccountHandle,
    what: &str,
    done: impl Fn(&AccountState) -> bool,
) -> Arc<AccountState> {
    let mut state = account.state();
    while !done(&state) {
        state = tokio::time::timeout(PATIENCE, account.changed())
            .await
            .unwrap_or_else(|_| panic!("waited for {what}; account is {state:?}"))
            .unwrap();
    }
    state
}

/// Reads execution reports until one satisfies `done`; returns every
/// report read, and the connection events seen on the way.
async fn reports_until(
    executions: &mut Subscription<ExecutionsUpdate>,
    what: &str,
    done: impl Fn(&ExecutionReport) -> bool,
) -> (Vec<ExecutionReport>, Vec<Event<ExecutionsUpdate>>) {
    let mut reports = Vec::new();
    let mut events = Vec::new();
    loop {
        let event = tokio::time::timeout(PATIENCE, executions.next())
            .await
            .unwrap_or_else(|_| panic!("waited for {what}; got {reports:?} {events:?}"))
            .expect("the stream lives");
        match event {
            Event::Data(update) => {
                let found = update.reports.iter().any(&done);
                reports.extend(update.reports);
                if found {
                    return (reports, events);
                }
            }
            other => events.push(other),
        }
    }
}

fn balance(state: &AccountState, asset: &str) -> Decimal {
    state.balances.get(asset).copied().unwrap_or_default()
}

fn fee_sum(reports: &[ExecutionReport]) -> Decimal {
    reports
        .iter()
        .flat_map(|r| r.fees.iter().flatten())
        .fold(Decimal::default(), |sum, f| sum.checked_add(f.qty).unwrap())
}

#[tokio::test]
async fn lifecycle_place_partial_fill_amend_cancel_keeps_balances_consistent() {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = trader(&sim).await;
    let mut account = client.account().await.unwrap();
    let start = account_until(&mut account, "both snapshots", |s| s.synced).await;
    assert_eq!(balance(&start, "USD"), d("100000"));
    assert_eq!(balance(&start, "BTC"), d("10"));
    assert!(start.open_orders.is_empty(), "{:?}", start.open_orders);
    let mut executions = client
        .subscribe(Executions::new().snap_orders(true))
        .await
        .unwrap();

    // Place: 0.02 BTC ten dollars under the bid, resting.
    let price = bid.checked_sub(d("10")).unwrap();
    let placed = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.02"), price).cl_ord_id("life-1"))
        .await
        .unwrap();
    assert_eq!(placed.cl_ord_id.as_ref().unwrap().as_str(), "life-1");
    let order_id = placed.order_id.as_str().to_owned();
    reports_until(&mut executions, "the order resting", |r| {
        r.exec_type == ExecType::New && r.order_id.as_str() == order_id
    })
    .await;
    let open = account_until(&mut account, "the open order", |s| {
        s.open_orders.contains_key(&order_id)
    })
    .await;
    let order = &open.open_orders[&order_id];
    assert_eq!(order.cl_ord_id.as_ref().unwrap().as_str(), "life-1");
    assert_eq!(order.order_qty, Some(d("0.02")));
    assert_eq!(order.limit_price, Some(price));
    assert_eq!(order.side, Some(Side::Buy));

    // Partial fill: a print of 0.005 at our price.
    assert!(sim.trade_to("BTC/USD", price, d("0.005")).await);
    let (fills, _) = reports_until(&mut executions, "the partial fill", |r| {
        r.exec_type == ExecType::Trade
    })
    .await;
    let fill = fills
        .iter()
        .find(|r| r.exec_type == ExecType::Trade)
        .unwrap();
    assert_eq!(fill.order_status, OrderStatus::PartiallyFilled);
    assert_eq!(fill.last_qty, Some(d("0.005")));
    assert_eq!(fill.last_price, Some(price));
    let cost = fill.cost.unwrap();
    assert_eq!(cost, d("0.005").checked_mul(price).unwrap());
    let fee = fee_sum(&fills);
    assert!(fee > Decimal::default(), "a fill pays a fee: {fill:?}");
    let usd_after_fill = d("100000")
        .checked_sub(cost)
        .and_then(|x| x.checked_sub(fee))
        .unwrap();
    let filled = account_until(&mut account, "balances after the fill", |s| {
        balance(s, "BTC") == d("10.005")
            && s.open_orders
                .get(&order_id)
                .is_some_and(|o| o.cum_qty == Some(d("0.005")))
    })
    .await;
    assert_eq!(balance(&filled, "USD"), usd_after_fill);
    assert_eq!(
        filled.open_orders[&order_id].status,
        OrderStatus::PartiallyFilled
    );

    // Amend: less quantity (still above what filled) at a lower price.
    let lower = price.checked_sub(d("5")).unwrap();
    let amended = client
        .amend_order(AmendOrderParams {
            order_id: Some(OrderId::new(order_id.clone())),
            order_qty: Some(d("0.015")),
            limit_price: Some(lower),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!amended.amend_id.is_empty());
    reports_until(&mut executions, "the amend", |r| {
        r.exec_type == ExecType::Amended
    })
    .await;
    account_until(&mut account, "the amended order", |s| {
        s.open_orders
            .get(&order_id)
            .is_some_and(|o| o.order_qty == Some(d("0.015")) && o.limit_price == Some(lower))
    })
    .await;

    // Cancel by cl_ord_id: the order leaves the view, the balances stay.
    let canceled = client
        .cancel_order(CancelTarget::cl_ord_ids(["life-1"]))
        .await
        .unwrap();
    assert_eq!(canceled.len(), 1);
    reports_until(&mut executions, "the cancel", |r| {
        r.exec_type == ExecType::Canceled
    })
    .await;
    let end = account_until(&mut account, "no open order", |s| s.open_orders.is_empty()).await;
    assert_eq!(balance(&end, "BTC"), d("10.005"));
    assert_eq!(balance(&end, "USD"), usd_after_fill);
    // Canceling it again is Kraken's rejection, typed.
    let err = client
        .cancel_order(CancelTarget::order_ids([order_id.as_str()]))
        .await
        .unwrap_err();
    assert!(err.is_rejection(), "{err:?}");
    assert!(err.rejections()[0].error.starts_with("EOrder:"), "{err:?}");
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn krakens_rejections_come_back_typed_with_its_error_string() {
    let sim = Simulator::builder()
        .paused(true)
        .max_rate_count(3)
        .spawn()
        .await
        .unwrap();
    let (bid, ask) = top_of_book(&sim).await;
    let client = trader(&sim).await;
    let error_of = |e: Error| {
        assert!(e.is_rejection(), "{e:?}");
        e.rejections()[0].error.clone()
    };

    // Insufficient funds: 100 BTC is ten times the account's.
    let err = client
        .add_order(Order::market(Side::Sell, "BTC/USD", d("100")))
        .await
        .unwrap_err();
    assert_eq!(error_of(err), "EOrder:Insufficient funds");

    // Post-only that would cross the book.
    let err = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), ask).post_only())
        .await
        .unwrap_err();
    assert_eq!(error_of(err), "EOrder:Post only order");

    // A price off the increment: the client's check stops it before
    // sending; with that check loosened, Kraken's own answer comes back.
    let off = bid.checked_sub(d("10.05")).unwrap();
    let err = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), off))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    let mut loose = client.order_rules("BTC/USD").await.unwrap();
    loose.price_increment = d("0.01");
    client.set_order_rules(loose);
    let err = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), off))
        .await
        .unwrap_err();
    assert_eq!(error_of(err), "EOrder:Tick size check failed");

    // The rate counter: the sim's ceiling is 3. An order (+1) canceled
    // at once (+8, never refused) leaves no room for the next order.
    let rest = || {
        Order::limit(
            Side::Buy,
            "BTC/USD",
            d("0.01"),
            bid.checked_sub(d("100")).unwrap(),
        )
    };
    let placed = client.add_order(rest()).await.unwrap();
    client
        .cancel_order(CancelTarget::order_ids([placed.order_id.as_str()]))
        .await
        .unwrap();
    let err = client.add_order(rest()).await.unwrap_err();
    assert_eq!(error_of(err), "EOrder:Rate limit exceeded");

    // cancel_only: placing is refused, canceling still works.
    sim.set_status(SystemStatus::CancelOnly);
    let mut status = client.status();
    tokio::time::timeout(PATIENCE, async {
        let mut latest = status.latest();
        while latest.is_none_or(|s| s.system != SystemStatus::CancelOnly) {
            latest = status.changed().await.unwrap();
        }
    })
    .await
    .expect("the client heard of cancel_only");
    let err = client
        .add_order(Order::limit(
            Side::Buy,
            "BTC/USD",
            d("0.01"),
            bid.checked_sub(d("200")).unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(error_of(err), "EService:Market in cancel_only mode");
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_the_order_goes_through() {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = trader(&sim).await;
    client.order_rules("BTC/USD").await.unwrap();
    sim.expire_tokens();
    // The order carries the now stale token; Kraken refuses it without
    // executing it, the client fetches a new token and sends it again.
    let placed = client
        .add_order(Order::limit(
            Side::Buy,
            "BTC/USD",
            d("0.01"),
            bid.checked_sub(d("50")).unwrap(),
        ))
        .await
        .unwrap();
    assert!(!placed.order_id.as_str().is_empty());
    // Private subscriptions made after the expiry work too.
    sim.expire_tokens();
    let mut executions = client
        .subscribe(Executions::new().snap_orders(true))
        .await
        .unwrap();
    let (reports, _) = reports_until(&mut executions, "the snapshot with the order", |r| {
        r.order_id == placed.order_id
    })
    .await;
    assert!(!reports.is_empty());

    // A reconnect gets a new token and resubscribes.
    sim.expire_tokens();
    sim.close_connections();
    let (_, events) = reports_until(&mut executions, "the order after the reconnect", |r| {
        r.order_id == placed.order_id
    })
    .await;
    assert!(events.contains(&Event::Reconnecting), "{events:?}");
    assert!(events.contains(&Event::Reconnected), "{events:?}");
    let cancel = client.cancel_all().await.unwrap();
    assert_eq!(cancel.count, 1);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_dead_mans_switch_cancels_when_not_refreshed_and_not_while_kept() {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = trader(&sim).await;
    let mut account = client.account().await.unwrap();
    account_until(&mut account, "both snapshots", |s| s.synced).await;
    let price = bid.checked_sub(d("100")).unwrap();
    let placed = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), price))
        .await
        .unwrap();
    let id = placed.order_id.as_str().to_owned();
    account_until(&mut account, "the open order", |s| {
        s.open_orders.contains_key(&id)
    })
    .await;

    // Kept: 3 s, refreshed every second; after 4.5 s the order still rests.
    let keeper = client
        .keep_dead_man_switch(Duration::from_secs(3))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert!(
        account.state().open_orders.contains_key(&id),
        "the kept switch fired"
    );

    // Dropped: the refreshes stop and the switch fires within 3 s.
    drop(keeper);
    let fired = std::time::Instant::now();
    account_until(&mut account, "the switch to fire", |s| {
        !s.open_orders.contains_key(&id)
    })
    .await;
    assert!(
        fired.elapsed() <= Duration::from_secs(4),
        "{:?}",
        fired.elapsed()
    );

    // Disarmed: nothing fires.
    let second = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), price))
        .await
        .unwrap();
    let id2 = second.order_id.as_str().to_owned();
    let keeper = client
        .keep_dead_man_switch(Duration::from_secs(2))
        .await
        .unwrap();
    keeper.disarm().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    account_until(&mut account, "the second order open", |s| {
        s.open_orders.contains_key(&id2)
    })
    .await;
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_sequence_gap_is_reported_and_followed_by_a_fresh_snapshot() {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = trader(&sim).await;
    let mut account = client.account().await.unwrap();
    account_until(&mut account, "both snapshots", |s| s.synced).await;
    let mut executions = client
        .subscribe(Executions::new().snap_orders(true))
        .await
        .unwrap();
    let price = bid.checked_sub(d("100")).unwrap();
    let first = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.01"), price))
        .await
        .unwrap();
    reports_until(&mut executions, "the first order", |r| {
        r.order_id == first.order_id && r.exec_type == ExecType::New
    })
    .await;

    sim.skip_execution_sequence();
    let second = client
        .add_order(Order::limit(Side::Buy, "BTC/USD", d("0.02"), price))
        .await
        .unwrap();
    // The update after the gap, then a snapshot holding both orders.
    let mut gap = None;
    let mut snapshot = None;
    while snapshot.is_none() {
        let event = tokio::time::timeout(PATIENCE, executions.next())
            .await
            .expect("a gap then a snapshot")
            .unwrap();
        match event {
            Event::Gap { expected, received } => gap = Some((expected, received)),
            Event::Data(update) if update.kind == MessageType::Snapshot => {
                snapshot = Some(update);
            }
            _ => {}
        }
    }
    let (expected, received) = gap.expect("a Gap before the fresh snapshot");
    assert_eq!(received, expected + 1);
    let snapshot = snapshot.unwrap();
    for id in [&first.order_id, &second.order_id] {
        assert!(
            snapshot.reports.iter().any(|r| &r.order_id == id),
            "{id:?} missing from {:?}",
            snapshot.reports
        );
    }
    let state = account_until(&mut account, "the account resynced after the gap", |s| {
        s.gaps >= 1 && s.synced && s.open_orders.len() == 2
    })
    .await;
    assert_eq!(state.gaps, 1);
    client.close().await;
    sim.shutdown().await;
}

/// A trader whose requests time out quickly and whose watchdog replaces a
/// stalled connection within a second.
async fn impatient_trader(sim: &SimHandle) -> Client {
    let client = Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .request_timeout(Duration::from_millis(500))
        .idle_timeout(Duration::from_secs(1))
        .connect_auth()
        .await
        .unwrap();
    client.order_rules("BTC/USD").await.unwrap();
    client
}

/// A buy 100 below the best bid (`shape` adds to it), placed on a
/// connection that takes it but never answers: the sim stalls it and the
/// watchdog, given a subscription to watch, replaces it. add_order
/// settles it within its window. Returns the sim and client for more
/// checks.
async fn add_unanswered(
    shape: impl FnOnce(Order) -> Order,
) -> (
    SimHandle,
    Client,
    Result<kraki::proto::trading::AddOrderResult, Error>,
) {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = impatient_trader(&sim).await;
    let _executions = client.subscribe(Executions::new()).await.unwrap();
    let order = Order::limit(
        Side::Buy,
        "BTC/USD",
        d("0.01"),
        bid.checked_sub(d("100")).unwrap(),
    );
    sim.stall_connections();
    let result = tokio::time::timeout(PATIENCE, client.add_order(shape(order)))
        .await
        .expect("add_order settles within its window");
    (sim, client, result)
}

#[tokio::test]
async fn an_unanswered_order_is_found_by_its_cl_ord_id_after_the_reconnect() {
    // add_order looks for the order in the executions snapshot once the
    // connection is replaced.
    let (sim, client, placed) = add_unanswered(|order| order).await;
    let placed = placed.expect("the order was found in the snapshot");
    let cl_ord_id = placed.cl_ord_id.expect("the generated cl_ord_id");
    assert_eq!(cl_ord_id.as_str().len(), 32, "{cl_ord_id:?}");
    let report = client
        .find_order(cl_ord_id.as_str())
        .await
        .unwrap()
        .expect("the sim has the order");
    assert_eq!(report.order_id, placed.order_id);
    assert_eq!(report.order_status, OrderStatus::New);
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_order_absent_from_the_snapshot_stays_unknown_and_says_so() {
    // Immediate-or-cancel below the ask: it ends at once without a fill,
    // so no snapshot can show it.
    let (sim, client, result) = add_unanswered(Order::ioc).await;
    let err = result.unwrap_err();
    let Error::OutcomeUnknown {
        method,
        reason,
        cl_ord_id: Some(_),
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*method, "add_order");
    assert!(reason.contains("no answer within 500 ms"), "{reason}");
    assert!(
        reason.contains("not among the open orders and recent fills"),
        "{reason}"
    );
    assert!(!err.is_rejection());
    client.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn find_order_sees_a_filled_market_order_while_the_account_is_open() {
    let sim = paused_sim().await;
    let client = trader(&sim).await;
    let mut account = client.account().await.unwrap();
    account_until(&mut account, "both snapshots", |s| s.synced).await;
    let cl_ord_id = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
    let placed = client
        .add_order(Order::market(Side::Buy, "BTC/USD", d("0.01")).cl_ord_id(cl_ord_id))
        .await
        .unwrap();
    let bought = account_until(&mut account, "the fill in the balances", |s| {
        balance(s, "BTC") > d("10")
    })
    .await;
    assert!(bought.open_orders.is_empty(), "{:?}", bought.open_orders);
    // The account's executions subscription asked for open orders only;
    // the lookup needs the fills: it gets them, in a snapshot of its own.
    let report = tokio::time::timeout(PATIENCE, client.find_order(cl_ord_id))
        .await
        .expect("find_order answered")
        .unwrap()
        .expect("the filled order is among the recent fills");
    assert_eq!(report.order_id, placed.order_id);
    // The account took the re-subscribe's snapshot as its resync, without
    // the fills it did not ask for: still synced, no phantom open order.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = account_until(&mut account, "synced again", |s| s.synced).await;
    assert!(after.open_orders.is_empty(), "{:?}", after.open_orders);
    client.close().await;
    sim.shutdown().await;
}

/// A trader whose streams and handlers hold four messages at most.
async fn short_queue_trader(sim: &SimHandle) -> Client {
    Client::builder()
        .auth_url(sim.private_url())
        .rest_url(sim.rest_url())
        .credentials(demo())
        .queue_capacity(4)
        .connect_auth()
        .await
        .unwrap()
}

/// Six limit buys at `price` (below the book: they rest), a dozen
/// execution reports in all.
async fn six_resting_buys(client: &Client, price: Decimal) -> Vec<OrderId> {
    let mut placed = Vec::new();
    for _ in 0..6 {
        let order = Order::limit(Side::Buy, "BTC/USD", d("0.01"), price);
        placed.push(client.add_order(order).await.unwrap().order_id);
    }
    placed
}

/// Returns once `observer` (another connection of the same account) has
/// seen a `new` report of every order in `placed`: the engine has sent
/// them to every connection, so a slow one has them by now too.
async fn until_reported_new(observer: &mut Subscription<ExecutionsUpdate>, placed: &[OrderId]) {
    let mut seen: Vec<OrderId> = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while seen.len() < placed.len() {
            if let Event::Data(update) = observer.next().await.expect("stream ended") {
                for r in update.reports {
                    let new = r.exec_type == ExecType::New && placed.contains(&r.order_id);
                    if new && !seen.contains(&r.order_id) {
                        seen.push(r.order_id);
                    }
                }
            }
        }
    })
    .await
    .expect("every order reported new");
}

#[tokio::test]
async fn an_executions_stream_that_lagged_gets_a_fresh_snapshot_by_itself() {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = short_queue_trader(&sim).await;
    let mut executions = client.subscribe(Executions::new()).await.unwrap();
    // Nobody reads while six orders make a dozen reports: most are
    // dropped.
    let price = bid.checked_sub(d("100")).unwrap();
    let placed = six_resting_buys(&client, price).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut lagged = false;
    let snapshot = tokio::time::timeout(PATIENCE, async {
        loop {
            match executions.next().await.expect("stream ended") {
                Event::Lagged(_) => lagged = true,
                Event::Data(update) if lagged && update.kind == MessageType::Snapshot => {
                    return update;
                }
                _ => {}
            }
        }
    })
    .await
    .expect("a fresh snapshot after the lag");
    // The snapshot holds every order, including those whose reports were
    // dropped.
    for id in &placed {
        assert!(
            snapshot.reports.iter().any(|r| &r.order_id == id),
            "{id:?} missing from {:?}",
            snapshot.reports
        );
    }
    client.close().await;
    sim.shutdown().await;
}

/// A handler of executions that fell behind asks for a fresh snapshot by
/// itself once it reads again: it learns of every order, including those
/// whose reports it dropped.
#[tokio::test]
async fn an_executions_handler_that_lagged_gets_a_fresh_snapshot_by_itself() {
    let sim = paused_sim().await;
    let (bid, _) = top_of_book(&sim).await;
    let client = short_queue_trader(&sim).await;
    // The handler holds on its first message until the orders are placed,
    // so that most of their reports find its queue full.
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    client
        .on::<ExecutionsUpdate>(move |update| {
            let _ = go_rx.recv_timeout(PATIENCE);
            let _ = seen_tx.send(update);
        })
        .unwrap();
    // Handlers hear what the client's subscriptions bring; nobody reads
    // this stream, so only the handler can ask for the resync.
    let executions = client.subscribe(Executions::new()).await.unwrap();
    let observer_client = trader(&sim).await;
    let mut observer = observer_client.subscribe(Executions::new()).await.unwrap();
    let price = bid.checked_sub(d("100")).unwrap();
    let placed = six_resting_buys(&client, price).await;
    // Released only once the reports are out, however loaded the host:
    // released earlier, the handler could read them all in time.
    until_reported_new(&mut observer, &placed).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..64 {
        let _ = go_tx.send(());
    }
    // The first snapshot is the subscribe's own (no orders yet); the one
    // after the orders is the resync.
    let snapshot = tokio::time::timeout(PATIENCE, async {
        loop {
            let update = seen.recv().await.expect("handler gone");
            if update.kind == MessageType::Snapshot && !update.reports.is_empty() {
                return update;
            }
        }
    })
    .await
    .expect("a fresh snapshot for the handler after its lag");
    for id in &placed {
        assert!(
            snapshot.reports.iter().any(|r| &r.order_id == id),
            "{id:?} missing from {:?}",
            snapshot.reports
        );
    }
    drop(executions);
    client.close().await;
    observer_client.close().await;
    sim.shutdown().await;
}

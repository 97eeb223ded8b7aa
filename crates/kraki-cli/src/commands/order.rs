//! `kraki order add|amend|cancel|cancel-all|cancel-after|batch|batch-cancel`:
//! trading from the command line, credentials from the environment.
//!
//! Exit status: 0 on success, 1 when Kraken (or kraki's checks before
//! sending) rejects the request, with Kraken's error string on stderr;
//! 3 when the outcome is unknown (no answer), with the `cl_ord_id` to look
//! for; 2 for anything else (bad arguments, no connection).

use crate::commands::auth_args::AuthArgs;
use crate::commands::check;
use kraki::proto::trading::AmendOrderParams;
use kraki::proto::{ClOrdId, Decimal, OrderId, Side, TriggerReference};
use kraki::{CancelTarget, Client, Error, Order};
use serde::Serialize;
use std::process::ExitCode;

/// Arguments of `kraki order`.
#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Place an order (add_order).
    Add(AddArgs),
    /// Change an open order in place (amend_order).
    Amend(AmendArgs),
    /// Cancel orders by id, client id or userref (cancel_order).
    Cancel(CancelArgs),
    /// Cancel every open order (cancel_all).
    CancelAll(AuthOnly),
    /// Arm the dead man's switch for SECONDS (0 disarms it).
    CancelAfter(CancelAfterArgs),
    /// Place 2 to 15 orders on one pair (batch_add).
    Batch(BatchArgs),
    /// Cancel 2 to 50 orders (batch_cancel).
    BatchCancel(BatchCancelArgs),
}

fn decimal(text: &str) -> Result<Decimal, String> {
    text.parse::<Decimal>()
        .map_err(|e| format!("{text:?} is not a decimal number: {e}"))
}

fn side(text: &str) -> Result<Side, String> {
    match text {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(format!("{other:?} is not a side: expected buy or sell")),
    }
}

/// The order types `--type` takes.
const TYPES: &str = "limit, market, iceberg, stop-loss, stop-loss-limit, take-profit, \
                     take-profit-limit, trailing-stop, trailing-stop-limit";

#[derive(clap::Args)]
struct AddArgs {
    /// The pair, e.g. BTC/USD.
    #[arg(long)]
    symbol: String,
    /// buy or sell.
    #[arg(long, value_parser = side)]
    side: Side,
    /// limit, market, iceberg, stop-loss, stop-loss-limit, take-profit,
    /// take-profit-limit, trailing-stop, trailing-stop-limit.
    #[arg(long = "type")]
    order_type: String,
    /// Quantity in the base asset.
    #[arg(long, value_parser = decimal)]
    qty: Decimal,
    /// Limit price (limit, iceberg and *-limit types; the limit offset for
    /// trailing-stop-limit).
    #[arg(long, value_parser = decimal)]
    price: Option<Decimal>,
    /// Trigger price (stop-loss*, take-profit*; the offset for trailing-stop*).
    #[arg(long = "trigger-price", value_parser = decimal)]
    trigger_price: Option<Decimal>,
    /// last (default) or index.
    #[arg(long = "trigger-reference")]
    trigger_reference: Option<String>,
    /// Visible quantity of an iceberg order.
    #[arg(long = "display-qty", value_parser = decimal)]
    display_qty: Option<Decimal>,
    /// Reject if it would take liquidity.
    #[arg(long = "post-only")]
    post_only: bool,
    /// Only reduce a margin position.
    #[arg(long = "reduce-only")]
    reduce_only: bool,
    /// Immediate or cancel.
    #[arg(long)]
    ioc: bool,
    /// Fill or kill.
    #[arg(long)]
    fok: bool,
    /// The client's order id (one is generated without it or --userref).
    #[arg(long = "cl-ord-id")]
    cl_ord_id: Option<String>,
    /// A numeric tag instead of a client order id.
    #[arg(long)]
    userref: Option<i64>,
    /// Validate only: nothing is placed.
    #[arg(long)]
    validate: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(clap::Args)]
struct AmendArgs {
    /// Kraken's order id.
    #[arg(long = "order-id")]
    order_id: Option<String>,
    /// The client's order id.
    #[arg(long = "cl-ord-id")]
    cl_ord_id: Option<String>,
    /// New quantity.
    #[arg(long, value_parser = decimal)]
    qty: Option<Decimal>,
    /// New limit price.
    #[arg(long, value_parser = decimal)]
    price: Option<Decimal>,
    /// New trigger price.
    #[arg(long = "trigger-price", value_parser = decimal)]
    trigger_price: Option<Decimal>,
    /// Reject the change if it would take liquidity.
    #[arg(long = "post-only")]
    post_only: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(clap::Args)]
struct CancelArgs {
    /// Kraken's order id (repeat for several).
    #[arg(long = "order-id")]
    order_ids: Vec<String>,
    /// The client's order id (repeat for several).
    #[arg(long = "cl-ord-id")]
    cl_ord_ids: Vec<String>,
    /// Every order with this tag (repeat for several).
    #[arg(long = "userref")]
    userrefs: Vec<i64>,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(clap::Args)]
struct AuthOnly {
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(clap::Args)]
struct CancelAfterArgs {
    /// Seconds until every order is canceled (0 disarms; below 86400).
    seconds: u32,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(clap::Args)]
struct BatchArgs {
    /// The one pair of every order.
    #[arg(long)]
    symbol: String,
    /// One order as SIDE,TYPE,QTY,PRICE for a limit order or SIDE,TYPE,QTY
    /// for a market one, e.g. buy,limit,0.01,65000.0 (repeat for each order).
    #[arg(long = "order", required = true)]
    orders: Vec<String>,
    /// Validate only.
    #[arg(long)]
    validate: bool,
    #[command(flatten)]
    auth: AuthArgs,
}

#[derive(clap::Args)]
struct BatchCancelArgs {
    /// Kraken order id or userref (repeat).
    #[arg(long = "order-id")]
    order_ids: Vec<String>,
    /// The client's order id (repeat).
    #[arg(long = "cl-ord-id")]
    cl_ord_ids: Vec<String>,
    #[command(flatten)]
    auth: AuthArgs,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    crate::logging::init();
    // Bad arguments are reported before connecting.
    let prepared = prepare(&args.action)?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let auth = auth_of(&args.action);
        let client = auth.connect().await?;
        let outcome = execute(&client, &args.action, prepared).await;
        client.close().await;
        report(outcome, auth.json)
    })
}

/// What is built from the arguments alone.
enum Prepared {
    Order(Box<Order>),
    Orders(Vec<Order>),
    None,
}

fn prepare(action: &Action) -> anyhow::Result<Prepared> {
    Ok(match action {
        Action::Add(a) => Prepared::Order(Box::new(build_order(a)?)),
        Action::Batch(b) => {
            check::symbol(&b.symbol)?;
            if !(2..=15).contains(&b.orders.len()) {
                anyhow::bail!("batch takes 2 to 15 --order, not {}", b.orders.len());
            }
            Prepared::Orders(
                b.orders
                    .iter()
                    .map(|spec| batch_order(&b.symbol, spec))
                    .collect::<anyhow::Result<_>>()?,
            )
        }
        Action::Amend(a) if a.order_id.is_none() && a.cl_ord_id.is_none() => {
            anyhow::bail!("amend needs --order-id or --cl-ord-id")
        }
        Action::Cancel(c)
            if c.order_ids.is_empty() && c.cl_ord_ids.is_empty() && c.userrefs.is_empty() =>
        {
            anyhow::bail!("cancel needs --order-id, --cl-ord-id or --userref")
        }
        Action::CancelAfter(c) if c.seconds >= 86400 => {
            anyhow::bail!(
                "cancel-after takes fewer than 86400 seconds, not {}",
                c.seconds
            )
        }
        Action::BatchCancel(b) if !(2..=50).contains(&(b.order_ids.len() + b.cl_ord_ids.len())) => {
            anyhow::bail!(
                "batch-cancel takes 2 to 50 --order-id and --cl-ord-id together, not {}",
                b.order_ids.len() + b.cl_ord_ids.len()
            )
        }
        _ => Prepared::None,
    })
}

fn auth_of(action: &Action) -> &AuthArgs {
    match action {
        Action::Add(a) => &a.auth,
        Action::Amend(a) => &a.auth,
        Action::Cancel(a) => &a.auth,
        Action::CancelAll(a) => &a.auth,
        Action::CancelAfter(a) => &a.auth,
        Action::Batch(a) => &a.auth,
        Action::BatchCancel(a) => &a.auth,
    }
}

fn build_order(a: &AddArgs) -> anyhow::Result<Order> {
    let need = |what: Option<Decimal>, flag: &str| {
        what.ok_or_else(|| anyhow::anyhow!("--type {} needs {flag}", a.order_type))
    };
    check::symbol(&a.symbol)?;
    let (s, sym, q) = (a.side, a.symbol.as_str(), a.qty);
    let mut order = match a.order_type.as_str() {
        "limit" => Order::limit(s, sym, q, need(a.price, "--price")?),
        "market" => Order::market(s, sym, q),
        "iceberg" => Order::iceberg(
            s,
            sym,
            q,
            need(a.price, "--price")?,
            need(a.display_qty, "--display-qty")?,
        ),
        "stop-loss" => Order::stop_loss(s, sym, q, need(a.trigger_price, "--trigger-price")?),
        "stop-loss-limit" => Order::stop_loss_limit(
            s,
            sym,
            q,
            need(a.trigger_price, "--trigger-price")?,
            need(a.price, "--price")?,
        ),
        "take-profit" => Order::take_profit(s, sym, q, need(a.trigger_price, "--trigger-price")?),
        "take-profit-limit" => Order::take_profit_limit(
            s,
            sym,
            q,
            need(a.trigger_price, "--trigger-price")?,
            need(a.price, "--price")?,
        ),
        "trailing-stop" => {
            Order::trailing_stop(s, sym, q, need(a.trigger_price, "--trigger-price")?)
        }
        "trailing-stop-limit" => Order::trailing_stop_limit(
            s,
            sym,
            q,
            need(a.trigger_price, "--trigger-price")?,
            need(a.price, "--price")?,
        ),
        other => anyhow::bail!("unknown --type {other:?}: expected one of {TYPES}"),
    };
    if a.ioc && a.fok {
        anyhow::bail!("--ioc and --fok exclude each other");
    }
    if a.cl_ord_id.is_some() && a.userref.is_some() {
        anyhow::bail!("--cl-ord-id and --userref exclude each other");
    }
    if a.post_only {
        order = order.post_only();
    }
    if a.reduce_only {
        order = order.reduce_only();
    }
    if a.ioc {
        order = order.ioc();
    }
    if a.fok {
        order = order.fok();
    }
    if let Some(id) = &a.cl_ord_id {
        order = order.cl_ord_id(id.clone());
    }
    if let Some(tag) = a.userref {
        order = order.order_userref(tag);
    }
    if a.validate {
        order = order.validate_only();
    }
    match a.trigger_reference.as_deref() {
        None => {}
        Some("last") => order = order.trigger_reference(TriggerReference::Last),
        Some("index") => order = order.trigger_reference(TriggerReference::Index),
        Some(other) => anyhow::bail!("--trigger-reference {other:?}: expected last or index"),
    }
    Ok(order)
}

fn batch_order(symbol: &str, spec: &str) -> anyhow::Result<Order> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    let bad =
        |why: &str| anyhow::anyhow!("--order {spec:?}: {why} (expected SIDE,TYPE,QTY[,PRICE])");
    let (side_text, kind, qty) = match parts.as_slice() {
        [s, t, q] | [s, t, q, _] => (*s, *t, *q),
        _ => return Err(bad("wrong number of fields")),
    };
    let side = side(side_text).map_err(|e| bad(&e))?;
    let qty = decimal(qty).map_err(|e| bad(&e))?;
    match (kind, parts.get(3)) {
        ("limit", Some(price)) => Ok(Order::limit(
            side,
            symbol,
            qty,
            decimal(price).map_err(|e| bad(&e))?,
        )),
        ("limit", None) => Err(bad("a limit order needs a price")),
        ("market", None) => Ok(Order::market(side, symbol, qty)),
        ("market", Some(_)) => Err(bad("a market order takes no price")),
        (other, _) => Err(bad(&format!("type {other:?}: batch takes limit or market"))),
    }
}

/// A result to print, as JSON or text.
type Printed = (serde_json::Value, String);

fn printed<T: Serialize>(value: &T, text: String) -> Result<Printed, Error> {
    serde_json::to_value(value)
        .map(|json| (json, text))
        .map_err(|e| Error::Http(kraki::TransportError::BadAnswer(e.to_string())))
}

async fn execute(client: &Client, action: &Action, prepared: Prepared) -> Result<Printed, Error> {
    match (action, prepared) {
        (Action::Add(_), Prepared::Order(order)) => {
            let r = client.add_order(*order).await?;
            let mut text = format!("order_id={}", r.order_id.as_str());
            if let Some(id) = &r.cl_ord_id {
                text.push_str(&format!(" cl_ord_id={}", id.as_str()));
            }
            printed(&r, text)
        }
        (Action::Amend(a), _) => {
            let params = AmendOrderParams {
                order_id: a.order_id.clone().map(OrderId::new),
                cl_ord_id: a.cl_ord_id.clone().map(ClOrdId::new),
                order_qty: a.qty,
                limit_price: a.price,
                trigger_price: a.trigger_price,
                post_only: a.post_only.then_some(true),
                ..AmendOrderParams::default()
            };
            let r = client.amend_order(params).await?;
            printed(&r, format!("amend_id={}", r.amend_id))
        }
        (Action::Cancel(c), _) => {
            let target = CancelTarget::order_ids(c.order_ids.clone())
                .and_cl_ord_ids(c.cl_ord_ids.clone())
                .and_order_userrefs(c.userrefs.clone());
            let results = client.cancel_order(target).await?;
            let text = results
                .iter()
                .map(|r| match (&r.order_id, &r.cl_ord_id) {
                    (Some(id), _) => format!("canceled order_id={}", id.as_str()),
                    (None, Some(id)) => format!("canceled cl_ord_id={}", id.as_str()),
                    (None, None) => "canceled".to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            printed(&results, text)
        }
        (Action::CancelAll(_), _) => {
            let r = client.cancel_all().await?;
            printed(&r, format!("canceled {}", r.count))
        }
        (Action::CancelAfter(a), _) => {
            let r = client.cancel_all_orders_after(a.seconds).await?;
            let at = r
                .trigger_time
                .map_or_else(|| "disarmed".to_owned(), |t| format!("trigger_time={t}"));
            printed(&r, format!("current_time={} {at}", r.current_time))
        }
        (Action::Batch(b), Prepared::Orders(orders)) => {
            let rows = client.batch_add(orders, b.validate).await?;
            let text = rows
                .iter()
                .map(|row| match (&row.order_id, &row.error) {
                    (Some(id), _) => format!("order_id={}", id.as_str()),
                    (None, Some(e)) => format!("error={e}"),
                    (None, None) => "no order_id".to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n");
            printed(&rows, text)
        }
        (Action::BatchCancel(b), _) => {
            let r = client
                .batch_cancel(b.order_ids.clone(), b.cl_ord_ids.clone())
                .await?;
            printed(&r, format!("canceled {}", r.count))
        }
        _ => Err(Error::Invalid(
            "internal: arguments not prepared".to_owned(),
        )),
    }
}

fn report(outcome: Result<Printed, Error>, json: bool) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok((value, text)) => {
            if json {
                println!("{value}");
            } else {
                println!("{text}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (Error::Rejected(_) | Error::Invalid(_))) => {
            eprintln!("kraki: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e @ Error::OutcomeUnknown { .. }) => {
            eprintln!("kraki: {e}");
            Ok(ExitCode::from(3))
        }
        Err(e) => Err(e.into()),
    }
}

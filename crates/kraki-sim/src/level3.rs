//! level3 frames: the orders of a pair's top price levels in queue order,
//! and updates as `add` / `modify` / `delete` events that take a client's
//! queues to the market's, with the §7.3 checksum.

use crate::clock::{from_ns, now};
use crate::feeds::frame;
use crate::market::{Market, Order};
use crate::markets::PairSpec;
use crate::order_ids::order_id;
use kraki_proto::book::level3_checksum;
use kraki_proto::channels::{Level3Data, Level3Event, Level3Order};
use kraki_proto::{Decimal, OrderId, Symbol};
use std::collections::HashMap;

/// The depths a level3 subscription may ask for.
pub(crate) const LEVEL3_DEPTHS: [u32; 3] = [10, 100, 1000];

type Window = Vec<(i64, Vec<Order>)>;

/// A level3 subscription's view: the orders last published per price
/// level, best level first.
#[derive(Debug, Clone, Default)]
pub(crate) struct L3View {
    depth: usize,
    bids: Window,
    asks: Window,
}

/// What happened to one order.
enum Event {
    Add,
    Modify,
    Delete,
}

fn window(market: &Market, bid: bool, depth: usize) -> Window {
    market
        .top_levels(bid, depth)
        .map(|(p, level)| (p, level.orders.iter().cloned().collect()))
        .collect()
}

fn checksum(bids: &Window, asks: &Window) -> u32 {
    let qtys = |side: &Window| -> Vec<(u64, Vec<u64>)> {
        side.iter()
            .take(10)
            .map(|(p, orders)| {
                let qtys = orders.iter().map(|o| o.qty.unsigned_abs()).collect();
                (p.unsigned_abs(), qtys)
            })
            .collect()
    };
    let (asks, bids) = (qtys(asks), qtys(bids));
    level3_checksum(
        asks.iter().map(|(p, q)| (*p, q.as_slice())),
        bids.iter().map(|(p, q)| (*p, q.as_slice())),
    )
}

fn wire(market: &Market, price: i64, order: &Order, event: Option<(Event, i128)>) -> Level3Order {
    let spec: &PairSpec = &market.spec;
    let (event, at_ns) = match event {
        // Snapshots and added orders carry the time the order was placed.
        None => (None, order.at_ns),
        Some((Event::Add, _)) => (Some(Level3Event::Add), order.at_ns),
        Some((Event::Modify, now)) => (Some(Level3Event::Modify), now),
        Some((Event::Delete, now)) => (Some(Level3Event::Delete), now),
    };
    Level3Order {
        event,
        order_id: OrderId::from(order_id(market.id_salt, order.id)),
        limit_price: Decimal::new(price, spec.price_precision).unwrap_or_default(),
        order_qty: Decimal::new(order.qty, spec.qty_precision).unwrap_or_default(),
        timestamp: Some(from_ns(at_ns, 9)),
    }
}

/// A level3 snapshot of `depth` price levels per side and the view it
/// starts.
pub(crate) fn level3_snapshot(market: &Market, depth: usize) -> (String, L3View) {
    let view = L3View {
        depth,
        bids: window(market, true, depth),
        asks: window(market, false, depth),
    };
    let orders = |side: &Window| -> Vec<Level3Order> {
        side.iter()
            .flat_map(|(p, orders)| orders.iter().map(|o| wire(market, *p, o, None)))
            .collect()
    };
    let data = Level3Data {
        symbol: Symbol::from(market.spec.symbol.as_str()),
        bids: orders(&view.bids),
        asks: orders(&view.asks),
        checksum: checksum(&view.bids, &view.asks),
        timestamp: Some(now(9)),
    };
    (frame("level3", "snapshot", [data]), view)
}

/// The events of one side, in the book's order: deletes first, then the
/// orders of levels refilled from beyond the window, then new orders and
/// modifications. Levels pushed out of the window get no events.
fn side_events(
    market: &Market,
    bid: bool,
    old: &Window,
    new: &Window,
    touched: &[(bool, i64)],
    now_ns: i128,
) -> Vec<Level3Order> {
    let rank = |p: i64| if bid { -p } else { p };
    let side = if bid { &market.bids } else { &market.asks };
    let mut deletes = Vec::new();
    let mut refills = Vec::new();
    let mut changes = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        match (old.get(i), new.get(j)) {
            (Some((op, old_orders)), Some((np, new_orders)))
                if op == np && old_orders == new_orders =>
            {
                // Untouched level: the common case in a deep window.
                i += 1;
                j += 1;
            }
            (Some((op, old_orders)), Some((np, new_orders))) if op == np => {
                let before: HashMap<u64, i64> = old_orders.iter().map(|o| (o.id, o.qty)).collect();
                let after: HashMap<u64, i64> = new_orders.iter().map(|o| (o.id, o.qty)).collect();
                for o in old_orders.iter().filter(|o| !after.contains_key(&o.id)) {
                    deletes.push(wire(market, *op, o, Some((Event::Delete, now_ns))));
                }
                for o in new_orders {
                    match before.get(&o.id) {
                        Some(&q) if q == o.qty => {}
                        Some(_) => {
                            changes.push(wire(market, *np, o, Some((Event::Modify, now_ns))))
                        }
                        None => changes.push(wire(market, *np, o, Some((Event::Add, now_ns)))),
                    }
                }
                i += 1;
                j += 1;
            }
            (Some((op, _)), Some((np, new_orders))) if rank(*op) > rank(*np) => {
                let target = if touched.contains(&(bid, *np)) {
                    &mut changes
                } else {
                    &mut refills
                };
                for o in new_orders {
                    target.push(wire(market, *np, o, Some((Event::Add, now_ns))));
                }
                j += 1;
            }
            (Some((op, old_orders)), _) => {
                // Gone from the book, or only pushed out of the window.
                if !side.contains_key(op) {
                    for o in old_orders {
                        deletes.push(wire(market, *op, o, Some((Event::Delete, now_ns))));
                    }
                }
                i += 1;
            }
            (None, Some((np, new_orders))) => {
                let target = if touched.contains(&(bid, *np)) {
                    &mut changes
                } else {
                    &mut refills
                };
                for o in new_orders {
                    target.push(wire(market, *np, o, Some((Event::Add, now_ns))));
                }
                j += 1;
            }
            (None, None) => break,
        }
    }
    deletes.extend(refills);
    deletes.extend(changes);
    deletes
}

/// The update that takes `view` to the market's current queues, if
/// anything in its window changed.
pub(crate) fn level3_update(
    market: &Market,
    view: &mut L3View,
    touched: &[(bool, i64)],
    corrupt: bool,
    now_ns: i128,
) -> Option<String> {
    let depth = view.depth;
    let mut events = [Vec::new(), Vec::new()];
    for (n, bid) in [(0, true), (1, false)] {
        let old = if bid { &mut view.bids } else { &mut view.asks };
        let rank = |p: i64| if bid { -p } else { p };
        let reaches = |p: i64| {
            old.len() < depth || old.last().is_some_and(|(worst, _)| rank(p) <= rank(*worst))
        };
        if !touched.iter().any(|&(b, p)| b == bid && reaches(p)) {
            continue;
        }
        let fresh = window(market, bid, depth);
        events[n] = side_events(market, bid, old, &fresh, touched, now_ns);
        *old = fresh;
    }
    let [bids, asks] = events;
    if bids.is_empty() && asks.is_empty() {
        return None;
    }
    let data = Level3Data {
        symbol: Symbol::from(market.spec.symbol.as_str()),
        bids,
        asks,
        // A corrupted checksum is a fault asked for by a test.
        checksum: checksum(&view.bids, &view.asks).wrapping_add(u32::from(corrupt)),
        timestamp: Some(from_ns(now_ns, 9)),
    };
    Some(frame("level3", "update", [data]))
}

//! `AssetPairs`: the pairs in Kraken's REST names and shapes.

use super::pair_list::{Asked, all_pairs, asked_pairs};
use crate::markets::PairSpec;
use kraki_proto::channels::PairStatus;
use kraki_proto::rest_names;
use serde_json::{Value, json};

/// `pair` is the comma-separated list asked for, if any, each pair in
/// any spelling Kraken takes, keyed as Kraken keys it (see `pair_list`):
/// python-kraken-sdk's order book, for one, looks `BTC/USD` up under
/// `BTC/USD`.
pub(super) fn asset_pairs(
    pair: Option<&str>,
    specs: &[PairSpec],
    statuses: &[PairStatus],
) -> Value {
    let chosen = match pair.filter(|p| !p.is_empty()) {
        Some(names) => match asked_pairs(names, specs) {
            Ok(chosen) => chosen,
            Err(error) => return json!({"error": [error]}),
        },
        None => all_pairs(specs),
    };
    let mut result = serde_json::Map::new();
    for Asked { index, key } in chosen {
        let spec = &specs[index];
        if let Some(names) = rest_names::pair_names(&spec.symbol) {
            // REST spells the states as the `instrument` channel does.
            let status = statuses.get(index).map_or("online", PairStatus::as_str);
            result.insert(key, pair_json(spec, &names, status));
        }
    }
    json!({"error": [], "result": result})
}

fn pair_json(spec: &PairSpec, names: &rest_names::PairNames, status: &str) -> Value {
    let step = |precision: u8| {
        kraki_proto::Decimal::new(1, precision)
            .unwrap_or_default()
            .to_string()
    };
    let qty_min = kraki_proto::Decimal::new(spec.qty_min, spec.qty_precision).unwrap_or_default();
    let cost_min = kraki_proto::Decimal::new(spec.cost_min_e5, 5).unwrap_or_default();
    json!({
        "altname": names.altname,
        "wsname": names.wsname,
        "aclass_base": "currency",
        "base": names.base,
        "aclass_quote": "currency",
        "quote": names.quote,
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": spec.price_precision,
        "lot_decimals": spec.qty_precision,
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        // Kraken's starter fee schedule (taker, then maker), in percent.
        "fees": [[0, 0.4], [10000, 0.35], [50000, 0.24], [100000, 0.22]],
        "fees_maker": [[0, 0.25], [10000, 0.2], [50000, 0.14], [100000, 0.12]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": qty_min.to_string(),
        "costmin": cost_min.normalized().to_string(),
        "tick_size": step(spec.price_precision),
        "status": status,
    })
}

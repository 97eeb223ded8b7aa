//! `Assets`: the assets of the traded pairs, keyed by Kraken's ids
//! (`XXBT`, `ZUSD`, `SOL`), with the precisions the `instrument` channel
//! gives them.

use crate::markets::PairSpec;
use kraki_proto::rest_names;
use serde_json::{Map, Value, json};

/// `asset` is the comma-separated list asked for, if any, each in any
/// spelling Kraken takes (`XXBT`, `XBT`) or the v2 code (`BTC`).
pub(super) fn assets(asked: Option<&str>, specs: &[PairSpec]) -> Value {
    let mut known: Vec<&str> = Vec::new();
    for spec in specs {
        for code in [spec.base.as_str(), spec.quote.as_str()] {
            if !known.contains(&code) {
                known.push(code);
            }
        }
    }
    let chosen: Vec<&str> = match asked.filter(|a| !a.is_empty()) {
        Some(names) => {
            let mut chosen = Vec::new();
            for name in names.split(',') {
                let v2 = rest_names::v2_asset(name);
                match known.iter().find(|&&code| code == v2) {
                    Some(code) => chosen.push(*code),
                    None => return json!({"error": ["EQuery:Unknown asset"]}),
                }
            }
            chosen
        }
        None => known,
    };
    let mut result = Map::new();
    for code in chosen {
        result.insert(
            rest_names::asset_id(code).to_owned(),
            json!({
                "aclass": "currency",
                "altname": rest_names::asset_altname(code),
                "decimals": 10,
                "display_decimals": 5,
                "collateral_value": 1.0,
                "status": "enabled",
            }),
        );
    }
    json!({"error": [], "result": result})
}

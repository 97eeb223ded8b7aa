//! Checks on a trading request's raw JSON that its typed form cannot
//! make: numbers sent as strings (which kraki-proto reads leniently but
//! Kraken refuses) and params Kraken does not know.

use serde_json::{Map, Value};

/// Params of `add_order` (§6.1); anything else is `Unsupported field`.
const ADD_ORDER_FIELDS: &[&str] = &[
    "order_type",
    "side",
    "order_qty",
    "symbol",
    "limit_price",
    "limit_price_type",
    "triggers",
    "time_in_force",
    "margin",
    "post_only",
    "reduce_only",
    "effective_time",
    "expire_time",
    "deadline",
    "cl_ord_id",
    "order_userref",
    "conditional",
    "display_qty",
    "fee_preference",
    "no_mpp",
    "stp_type",
    "cash_order_qty",
    "validate",
    "sender_sub_id",
    "stop_price",
    "trigger",
    "token",
];

/// Params that must be JSON numbers.
const NUMBER_FIELDS: &[&str] = &[
    "order_qty",
    "limit_price",
    "display_qty",
    "cash_order_qty",
    "trigger_price",
    "stop_price",
];

/// Kraken's error for the first problem of a trading request, if any:
/// `Unsupported field: '<name>'` for an unknown `add_order` param, and
/// `<Field> field must be a number_float` (the name capitalised, as in
/// `Limit_price field must be a number_float`) for a number sent as a
/// string.
pub(crate) fn wire_error(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let method = value.get("method")?.as_str()?;
    let params = value.get("params")?.as_object()?;
    if method == "add_order" {
        if let Some(field) = params
            .keys()
            .find(|k| !ADD_ORDER_FIELDS.contains(&k.as_str()))
        {
            return Some(format!("Unsupported field: '{field}'"));
        }
    }
    let mut objects: Vec<&Map<String, Value>> = vec![params];
    if let Some(rows) = params.get("orders").and_then(Value::as_array) {
        objects.extend(rows.iter().filter_map(Value::as_object));
    }
    objects.iter().find_map(|object| string_number(object))
}

fn string_number(object: &Map<String, Value>) -> Option<String> {
    let field = NUMBER_FIELDS
        .iter()
        .find(|f| object.get(**f).is_some_and(Value::is_string))?;
    let mut chars = field.chars();
    let first = chars.next()?.to_ascii_uppercase();
    Some(format!(
        "{first}{} field must be a number_float",
        chars.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_for_numbers_and_unknown_fields() {
        assert_eq!(
            wire_error(r#"{"method":"add_order","params":{"limit_price":"1.5","token":"t"}}"#)
                .as_deref(),
            Some("Limit_price field must be a number_float")
        );
        assert_eq!(
            wire_error(r#"{"method":"add_order","params":{"leverage":2}}"#).as_deref(),
            Some("Unsupported field: 'leverage'")
        );
        assert_eq!(
            wire_error(r#"{"method":"batch_add","params":{"orders":[{"order_qty":"1"}]}}"#)
                .as_deref(),
            Some("Order_qty field must be a number_float")
        );
        assert_eq!(
            wire_error(r#"{"method":"add_order","params":{"order_qty":1.0}}"#),
            None
        );
    }
}

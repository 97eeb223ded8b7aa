//! Trading calls: the Python layer hands over Kraken's own parameter
//! shapes as JSON (decimals as strings, so exact), kraki checks and sends
//! them with its `cl_ord_id` settlement, and the results come back as JSON.

use crate::errors;
use kraki::proto::Side;
use pyo3::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

fn params<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json)
        .map_err(|e| errors::invalid(format!("invalid {what} parameters: {e}")))
}

fn result_json<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value)
        .map_err(|e| errors::KrakiError::new_err(format!("cannot pass a result on: {e}")))
}

/// `add_order` with Kraken's parameters (`AddOrderParams` as JSON).
pub(crate) async fn add_order(client: kraki::Client, json: String) -> PyResult<String> {
    let params: kraki::proto::trading::AddOrderParams = params("add_order", &json)?;
    // An `Order` starts from any constructor; the parameters replace its
    // own, so that every field Kraken takes is reachable from Python.
    let mut order = kraki::Order::market(Side::Buy, "", params.order_qty);
    *order.params_mut() = params;
    let placed = client.add_order(order).await.map_err(errors::to_py)?;
    result_json(&placed)
}

/// `amend_order` with Kraken's parameters (`AmendOrderParams` as JSON).
pub(crate) async fn amend_order(client: kraki::Client, json: String) -> PyResult<String> {
    let params: kraki::proto::trading::AmendOrderParams = params("amend_order", &json)?;
    let amended = client.amend_order(params).await.map_err(errors::to_py)?;
    result_json(&amended)
}

/// `cancel_order` by order ids, client order ids and tags together.
pub(crate) async fn cancel_order(
    client: kraki::Client,
    order_ids: Vec<String>,
    cl_ord_ids: Vec<String>,
    userrefs: Vec<i64>,
) -> PyResult<String> {
    let target = kraki::CancelTarget::order_ids(order_ids)
        .and_cl_ord_ids(cl_ord_ids)
        .and_order_userrefs(userrefs);
    let canceled = client.cancel_order(target).await.map_err(errors::to_py)?;
    result_json(&canceled)
}

/// `cancel_all`.
pub(crate) async fn cancel_all(client: kraki::Client) -> PyResult<String> {
    let canceled = client.cancel_all().await.map_err(errors::to_py)?;
    result_json(&canceled)
}

/// `cancel_all_orders_after`: arms the switch once (0 disarms).
pub(crate) async fn cancel_after(client: kraki::Client, seconds: u32) -> PyResult<String> {
    let armed = client
        .cancel_all_orders_after(seconds)
        .await
        .map_err(errors::to_py)?;
    result_json(&armed)
}

/// `find_order`: the execution report of a `cl_ord_id`, from a fresh
/// executions snapshot, or None.
pub(crate) async fn find_order(
    client: kraki::Client,
    cl_ord_id: String,
) -> PyResult<Option<String>> {
    let found = client.find_order(&cl_ord_id).await.map_err(errors::to_py)?;
    found.map(|report| result_json(&report)).transpose()
}

/// A dead man's switch kept armed by kraki until disarmed
/// (`kraki._kraki.DeadManSwitch`).
#[pyclass(module = "kraki._kraki")]
pub(crate) struct DeadManSwitch {
    switch: Arc<Mutex<Option<kraki::DeadManSwitch>>>,
}

/// Arms the switch for `timeout` and keeps it armed.
pub(crate) async fn keep_dead_man_switch(
    client: kraki::Client,
    timeout: f64,
) -> PyResult<DeadManSwitch> {
    if !(timeout.is_finite() && timeout >= 1.0) {
        return Err(errors::invalid(format!(
            "the dead man's switch timeout must be at least 1 second, not {timeout}"
        )));
    }
    let switch = client
        .keep_dead_man_switch(Duration::from_secs_f64(timeout))
        .await
        .map_err(errors::to_py)?;
    Ok(DeadManSwitch {
        switch: Arc::new(Mutex::new(Some(switch))),
    })
}

#[pymethods]
impl DeadManSwitch {
    /// Stops refreshing the switch and disarms it on the exchange.
    fn disarm<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let switch = self.switch.clone();
        crate::awaitable::future_into_py(py, async move {
            let taken = switch.lock().await.take();
            match taken {
                Some(switch) => switch.disarm().await.map_err(errors::to_py),
                None => Ok(()),
            }
        })
    }
}

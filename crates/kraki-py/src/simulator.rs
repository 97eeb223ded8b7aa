//! kraki's simulator in-process, on a free loopback port of kraki's
//! runtime (`kraki._kraki.Simulator`).

use crate::errors;
use kraki_sim::{Decimal, PairStatus, PairStatusError, SimHandle, SystemStatus};
use pyo3::prelude::*;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A running simulator; `stop()` (or dropping it) stops it.
#[pyclass(module = "kraki._kraki")]
pub(crate) struct Simulator {
    handle: Mutex<Option<Arc<SimHandle>>>,
    public_url: String,
    private_url: String,
    level3_url: String,
    rest_url: String,
    api_key: String,
    /// Handed out only through the `api_secret` getter, never in a repr.
    api_secret: String,
}

/// A price or quantity from a `str`, `Decimal` or `int`, by its text; a
/// float is refused, since its text is not the number the caller wrote.
fn parse_decimal(what: &str, value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    if value.is_instance_of::<pyo3::types::PyFloat>() {
        return Err(errors::invalid(format!(
            "{what} must be a str, Decimal or int, not a float (floats are not exact)"
        )));
    }
    let text = value.str()?.to_string();
    Decimal::parse(&text).map_err(|e| errors::invalid(format!("invalid {what} {text:?}: {e}")))
}

impl Simulator {
    fn slot(&self) -> MutexGuard<'_, Option<Arc<SimHandle>>> {
        // Only whole values are stored: a poisoned lock is still good.
        self.handle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn running(&self) -> PyResult<Arc<SimHandle>> {
        self.slot()
            .clone()
            .ok_or_else(|| errors::ClosedError::new_err("the simulator was stopped"))
    }

    fn with<R>(&self, f: impl FnOnce(&SimHandle) -> R) -> PyResult<R> {
        let handle = self.running()?;
        Ok(f(&handle))
    }
}

#[pymethods]
impl Simulator {
    /// Starts a simulator on 127.0.0.1 (port 0: a free one) with the
    /// market seeded by `seed`, `rate` market events a second (`paused`:
    /// none until `advance`), and the demo credentials (or `api_key` /
    /// `api_secret`).
    #[new]
    // One Rust argument per Python keyword argument.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (seed=7, *, rate=40.0, paused=false, port=0, api_key=None, api_secret=None, heartbeat=1.0))]
    fn new(
        py: Python<'_>,
        seed: u64,
        rate: f64,
        paused: bool,
        port: u16,
        api_key: Option<String>,
        api_secret: Option<String>,
        heartbeat: f64,
    ) -> PyResult<Self> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(errors::invalid(format!(
                "rate must be positive, not {rate}"
            )));
        }
        if !(heartbeat.is_finite() && heartbeat > 0.0) {
            return Err(errors::invalid(format!(
                "heartbeat must be a positive number of seconds, not {heartbeat}"
            )));
        }
        let (api_key, api_secret) = match (api_key, api_secret) {
            (Some(key), Some(secret)) => (key, secret),
            (None, None) => (
                kraki_sim::DEMO_API_KEY.to_owned(),
                kraki_sim::DEMO_API_SECRET.to_owned(),
            ),
            _ => {
                return Err(errors::invalid(
                    "give both api_key and api_secret, or neither",
                ));
            }
        };
        let builder = kraki_sim::Simulator::builder()
            .seed(seed)
            .rate(rate)
            .paused(paused)
            .port(port)
            .heartbeat(Duration::from_secs_f64(heartbeat))
            .credentials(kraki_sim::Credentials {
                api_key: api_key.clone(),
                api_secret: api_secret.clone(),
            });
        let runtime = pyo3_async_runtimes::tokio::get_runtime();
        // Binding a loopback port is quick; the GIL is released meanwhile.
        let handle = py
            .detach(|| runtime.block_on(builder.spawn()))
            .map_err(|e| errors::KrakiError::new_err(format!("cannot start the simulator: {e}")))?;
        Ok(Simulator {
            public_url: handle.public_url(),
            private_url: handle.private_url(),
            level3_url: handle.level3_url(),
            rest_url: handle.rest_url(),
            api_key,
            api_secret,
            handle: Mutex::new(Some(Arc::new(handle))),
        })
    }

    /// `ws://127.0.0.1:P/v2`: public market data.
    #[getter]
    fn public_url(&self) -> &str {
        &self.public_url
    }

    /// `ws://127.0.0.1:P/auth/v2`: private channels and trading.
    #[getter]
    fn private_url(&self) -> &str {
        &self.private_url
    }

    /// `ws://127.0.0.1:P/l3/v2`: level3.
    #[getter]
    fn level3_url(&self) -> &str {
        &self.level3_url
    }

    /// `http://127.0.0.1:P`: REST (tokens, asset pairs).
    #[getter]
    fn rest_url(&self) -> &str {
        &self.rest_url
    }

    /// The API key the simulator accepts (the demo key by default).
    #[getter]
    fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The API secret (base64) the simulator accepts.
    #[getter]
    fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The open WebSocket connections, oldest first, as `(id, path)`:
    /// `/v2` public, `/auth/v2` authenticated, `/l3/v2` level3.
    fn connections(&self) -> PyResult<Vec<(u64, String)>> {
        self.with(|h| {
            h.connections()
                .iter()
                .map(|c| (c.id(), c.path().to_owned()))
                .collect()
        })
    }

    /// Fault: closes every open WebSocket connection with a close frame.
    fn close_connections(&self) -> PyResult<()> {
        self.with(SimHandle::close_connections)
    }

    /// Fault: drops every open WebSocket connection without a close frame.
    fn cut_connections(&self) -> PyResult<()> {
        self.with(SimHandle::cut_connections)
    }

    /// Fault: every open connection goes silent while staying open.
    fn stall_connections(&self) -> PyResult<()> {
        self.with(SimHandle::stall_connections)
    }

    /// Fault: every open connection receives one frame that is not JSON.
    fn send_garbage(&self) -> PyResult<()> {
        self.with(SimHandle::send_garbage)
    }

    /// Fault: the next book update of `symbol` carries a wrong checksum.
    fn corrupt_next_checksum(&self, symbol: &str) -> PyResult<()> {
        self.with(|h| h.corrupt_next_checksum(symbol))
    }

    /// Sets the engine's state: `online`, `maintenance`, `cancel_only` or
    /// `post_only`; connections get a `status` update.
    fn set_status(&self, status: &str) -> PyResult<()> {
        let system = match status {
            "online" => SystemStatus::Online,
            "maintenance" => SystemStatus::Maintenance,
            "cancel_only" => SystemStatus::CancelOnly,
            "post_only" => SystemStatus::PostOnly,
            other => {
                return Err(errors::invalid(format!(
                    "unknown status {other:?}: expected online, maintenance, cancel_only or post_only"
                )));
            }
        };
        self.with(|h| h.set_status(system))
    }

    /// Sets one pair's trading state (`online`, `cancel_only`,
    /// `post_only`, `limit_only`, `reduce_only`, `maintenance`, `delisted`
    /// or `work_in_progress`): every `instrument` subscriber gets an
    /// update holding that pair, later snapshots show it, and new orders
    /// on the pair follow it. Returns once the update is sent.
    fn set_pair_status(&self, py: Python<'_>, symbol: &str, status: &str) -> PyResult<()> {
        let status = match PairStatus::from(status) {
            PairStatus::Other(_) => {
                return Err(errors::invalid(format!(
                    "unknown pair status {status:?}: expected online, cancel_only, post_only, \
                     limit_only, reduce_only, maintenance, delisted or work_in_progress"
                )));
            }
            known => known,
        };
        let handle = self.running()?;
        let runtime = pyo3_async_runtimes::tokio::get_runtime();
        // One round trip to the engine task; the GIL is released meanwhile.
        let done = py.detach(|| runtime.block_on(handle.set_pair_status(symbol, status)));
        done.map_err(|e| match e {
            PairStatusError::Stopped => errors::ClosedError::new_err(e.to_string()),
            other => errors::invalid(other.to_string()),
        })
    }

    /// Fault: while on, new subscriptions are acked but get no data.
    fn mute_subscriptions(&self, on: bool) -> PyResult<()> {
        self.with(|h| h.mute_subscriptions(on))
    }

    /// Fault: the next `count` connection attempts are reset at once.
    fn refuse_connections(&self, count: u64) -> PyResult<()> {
        self.with(|h| h.refuse_connections(count))
    }

    /// Fault: every connection attempt for `seconds` from now is reset.
    fn refuse_connections_for(&self, seconds: f64) -> PyResult<()> {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(errors::invalid(format!(
                "seconds must be zero or more, not {seconds}"
            )));
        }
        self.with(|h| h.refuse_connections_for(Duration::from_secs_f64(seconds)))
    }

    /// Fault: every token issued so far becomes invalid.
    fn expire_tokens(&self) -> PyResult<()> {
        self.with(SimHandle::expire_tokens)
    }

    /// Fault: open executions subscriptions skip one sequence number.
    fn skip_execution_sequence(&self) -> PyResult<()> {
        self.with(SimHandle::skip_execution_sequence)
    }

    /// A market participant trades `qty` at `price` on `symbol` (both
    /// decimal strings or `Decimal`s): the deterministic way to fill a
    /// resting order. Awaitable; resolves to False for an unknown symbol
    /// or a value the pair cannot hold.
    fn trade_to<'py>(
        &self,
        py: Python<'py>,
        symbol: String,
        price: &Bound<'py, PyAny>,
        qty: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let price = parse_decimal("price", price)?;
        let qty = parse_decimal("quantity", qty)?;
        let handle = self.running()?;
        crate::awaitable::future_into_py(py, async move {
            Ok(handle.trade_to(&symbol, price, qty).await)
        })
    }

    /// Stops the simulator: every connection closes. Idempotent.
    fn stop(&self, py: Python<'_>) {
        let handle = self.slot().take();
        // A `trade_to` still running holds a reference; the simulator then
        // stops when that call ends (its handle stops it on drop).
        if let Some(Ok(handle)) = handle.map(Arc::try_unwrap) {
            let runtime = pyo3_async_runtimes::tokio::get_runtime();
            py.detach(|| runtime.block_on(handle.shutdown()));
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop(py);
        false
    }

    fn __repr__(&self) -> String {
        let running = self.slot().is_some();
        format!(
            "Simulator(public_url={:?}, running={running})",
            self.public_url
        )
    }
}

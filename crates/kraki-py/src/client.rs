//! The connection to Kraken (or the simulator): `kraki._kraki.RawClient`.
//! Each method returns an asyncio awaitable whose work runs on kraki's
//! runtime.

use crate::book::Book;
use crate::errors;
use crate::feed::Feed;
use crate::spec::{self, SpecArgs};
use crate::trading::{self, DeadManSwitch};
use pyo3::prelude::*;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A connected kraki client.
#[pyclass(module = "kraki._kraki")]
pub(crate) struct RawClient {
    client: kraki::Client,
    /// One watch for `status_changed`, so that each change is reported
    /// once (a fresh watch per call would report the last one again).
    status: Arc<Mutex<kraki::StatusWatch>>,
}

fn run<'py, T>(
    py: Python<'py>,
    work: impl Future<Output = PyResult<T>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    crate::awaitable::future_into_py(py, work)
}

#[pymethods]
impl RawClient {
    /// Connects. With `api_key` and `api_secret`, authenticates: a token
    /// from `rest_url`, then the WebSocket at `auth_url`. Otherwise opens
    /// the public WebSocket at `url`. URLs left out are Kraken's.
    #[staticmethod]
    #[pyo3(signature = (*, url=None, auth_url=None, rest_url=None, api_key=None, api_secret=None, queue_capacity=None, ping_interval=None))]
    // One Rust argument per Python keyword argument.
    #[allow(clippy::too_many_arguments)]
    fn connect(
        py: Python<'_>,
        url: Option<String>,
        auth_url: Option<String>,
        rest_url: Option<String>,
        api_key: Option<String>,
        api_secret: Option<String>,
        queue_capacity: Option<usize>,
        ping_interval: Option<f64>,
    ) -> PyResult<Bound<'_, PyAny>> {
        let mut builder = kraki::Client::builder();
        if let Some(url) = url {
            builder = builder.public_url(url);
        }
        if let Some(url) = auth_url {
            builder = builder.auth_url(url);
        }
        if let Some(url) = rest_url {
            builder = builder.rest_url(url);
        }
        if let Some(capacity) = queue_capacity {
            builder = builder.queue_capacity(capacity);
        }
        if let Some(seconds) = ping_interval {
            if !(seconds.is_finite() && seconds > 0.0) {
                return Err(errors::invalid(format!(
                    "ping_interval must be a positive number of seconds, not {seconds}"
                )));
            }
            builder = builder.ping_interval(std::time::Duration::from_secs_f64(seconds));
        }
        let credentials = match (api_key, api_secret) {
            (Some(key), Some(secret)) => {
                Some(kraki::Credentials::new(key, &secret).map_err(errors::to_py)?)
            }
            (None, None) => None,
            _ => {
                return Err(errors::invalid(
                    "give both api_key and api_secret, or neither",
                ));
            }
        };
        run(py, async move {
            let client = match credentials {
                Some(credentials) => builder.credentials(credentials).connect_auth().await,
                None => builder.connect().await,
            }
            .map_err(errors::to_py)?;
            let status = Arc::new(Mutex::new(client.status()));
            Ok(RawClient { client, status })
        })
    }

    /// Subscribes (all symbols or none) and returns its `Feed`.
    fn subscribe<'py>(&self, py: Python<'py>, spec: SpecArgs) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        run(py, spec::subscribe(client, spec))
    }

    /// The feed of heartbeats and pongs (see `Feed::liveness`).
    fn liveness(&self) -> PyResult<Feed> {
        Feed::liveness(&self.client).map_err(errors::to_py)
    }

    /// A verified book of `symbol` at `depth`, once subscribed.
    fn book<'py>(
        &self,
        py: Python<'py>,
        symbol: String,
        depth: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        run(py, async move {
            let handle = client.book(&symbol, depth).await.map_err(errors::to_py)?;
            Ok(Book::start(handle))
        })
    }

    /// The exchange's latest `status` message as JSON, or None yet.
    fn status(&self) -> PyResult<Option<String>> {
        self.client
            .status()
            .latest()
            .map(|s| {
                serde_json::to_string(&s)
                    .map_err(|e| errors::KrakiError::new_err(format!("cannot pass status on: {e}")))
            })
            .transpose()
    }

    /// Waits for the next change of the exchange's status; its JSON, or
    /// None once the client closed.
    fn status_changed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let watch = self.status.clone();
        run(py, async move {
            let mut watch = watch.lock().await;
            match watch.changed().await {
                Ok(Some(status)) => serde_json::to_string(&status).map(Some).map_err(|e| {
                    errors::KrakiError::new_err(format!("cannot pass status on: {e}"))
                }),
                Ok(None) => Ok(None),
                Err(kraki::Error::Closed) => Ok(None),
                Err(e) => Err(errors::to_py(e)),
            }
        })
    }

    /// `add_order` with Kraken's parameters as JSON; the result as JSON.
    fn add_order<'py>(&self, py: Python<'py>, params: String) -> PyResult<Bound<'py, PyAny>> {
        run(py, trading::add_order(self.client.clone(), params))
    }

    /// `amend_order` with Kraken's parameters as JSON; the result as JSON.
    fn amend_order<'py>(&self, py: Python<'py>, params: String) -> PyResult<Bound<'py, PyAny>> {
        run(py, trading::amend_order(self.client.clone(), params))
    }

    /// `cancel_order`; the results as a JSON list.
    #[pyo3(signature = (order_ids, cl_ord_ids, userrefs))]
    fn cancel_order<'py>(
        &self,
        py: Python<'py>,
        order_ids: Vec<String>,
        cl_ord_ids: Vec<String>,
        userrefs: Vec<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        run(
            py,
            trading::cancel_order(self.client.clone(), order_ids, cl_ord_ids, userrefs),
        )
    }

    /// `cancel_all`; the result as JSON.
    fn cancel_all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        run(py, trading::cancel_all(self.client.clone()))
    }

    /// `cancel_all_orders_after`; the result as JSON.
    fn cancel_all_orders_after<'py>(
        &self,
        py: Python<'py>,
        seconds: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        run(py, trading::cancel_after(self.client.clone(), seconds))
    }

    /// Arms the dead man's switch and keeps it armed.
    fn keep_dead_man_switch<'py>(
        &self,
        py: Python<'py>,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        run(py, async move {
            let switch: DeadManSwitch = trading::keep_dead_man_switch(client, timeout).await?;
            Ok(switch)
        })
    }

    /// The execution report of a `cl_ord_id` as JSON, or None.
    fn find_order<'py>(&self, py: Python<'py>, cl_ord_id: String) -> PyResult<Bound<'py, PyAny>> {
        run(py, trading::find_order(self.client.clone(), cl_ord_id))
    }

    /// Closes the connection; every feed then ends.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        run(py, async move {
            client.close().await;
            Ok(())
        })
    }
}

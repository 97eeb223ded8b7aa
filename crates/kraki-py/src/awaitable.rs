//! Rust futures as asyncio awaitables, each counted until its result is
//! in Python, so the interpreter's exit can wait for the last one
//! (`_settle`, run by `atexit`).
//!
//! pyo3-async-runtimes' `future_into_py` ends every future, even one
//! whose awaitable was cancelled, with a blocking task that enters Python
//! later. When Ctrl-C cancels a script's readers and the script ends at
//! once, such a task could still be queued while the interpreter
//! finalized, and a thread entering Python then crashed the process or
//! hung it (about one run in fifty under load, after the script's last
//! line). Here a cancelled awaitable aborts its task, which then never
//! enters Python; a finished one enters Python once; and none is left
//! uncounted.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

/// Futures handed to Python whose result has not been delivered (or
/// whose task has not been dropped) yet.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How long exit waits for them: a future still pending by then (a loop
/// abandoned without closing) no longer has anyone waiting for it.
const SETTLE_AT_MOST: Duration = Duration::from_secs(2);

/// One future in flight, counted while it lives.
struct Counted;

impl Counted {
    fn new() -> Counted {
        IN_FLIGHT.fetch_add(1, SeqCst);
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, SeqCst);
    }
}

/// `fut` on kraki's runtime, as an asyncio future of the running loop.
pub(crate) fn future_into_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = pyo3_async_runtimes::get_running_loop(py)?;
    let awaitable = event_loop.call_method0("create_future")?;
    let target = awaitable.clone().unbind();
    let event_loop = event_loop.unbind();
    let counted = Counted::new();
    let task = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
        let result = fut.await;
        // Waiting for the GIL is for a blocking thread, not a worker;
        // the handle is dropped, the thread runs on (counted).
        drop(tokio::task::spawn_blocking(move || {
            Python::attach(|py| deliver(py, &event_loop, &target, result));
            drop(counted);
        }));
    });
    awaitable.call_method1(
        "add_done_callback",
        (AbortOnCancel {
            task: task.abort_handle(),
        },),
    )?;
    Ok(awaitable)
}

/// Hands `result` to the loop, which sets it on `target` unless that was
/// cancelled meanwhile.
fn deliver<T>(py: Python<'_>, event_loop: &Py<PyAny>, target: &Py<PyAny>, result: PyResult<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    let (value, error) = match result.and_then(|v| v.into_py_any(py)) {
        Ok(value) => (value, false),
        Err(e) => (e.into_value(py).into_any(), true),
    };
    let complete = Complete {
        target: target.clone_ref(py),
        value,
        error,
    };
    // A loop already closed has no one left to tell.
    let _ = event_loop
        .bind(py)
        .call_method1("call_soon_threadsafe", (complete,));
}

/// The done-callback that stops the Rust side of a cancelled awaitable.
#[pyclass(module = "kraki._kraki")]
struct AbortOnCancel {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, awaitable: &Bound<'_, PyAny>) -> PyResult<()> {
        if awaitable.call_method0("cancelled")?.is_truthy()? {
            self.task.abort();
        }
        Ok(())
    }
}

/// Sets a result or exception on the loop's thread, unless the future
/// is done already (cancelled after the result was sent).
#[pyclass(module = "kraki._kraki")]
struct Complete {
    target: Py<PyAny>,
    value: Py<PyAny>,
    error: bool,
}

#[pymethods]
impl Complete {
    fn __call__(&self, py: Python<'_>) -> PyResult<()> {
        let target = self.target.bind(py);
        if target.call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        let method = if self.error {
            "set_exception"
        } else {
            "set_result"
        };
        target.call_method1(method, (self.value.bind(py),))?;
        Ok(())
    }
}

/// Waits, without the GIL, until every future handed to Python has
/// delivered its result or been dropped (at most two seconds). Run at
/// exit, before the interpreter finalizes.
#[pyfunction]
pub(crate) fn _settle(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + SETTLE_AT_MOST;
        while IN_FLIGHT.load(SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// How many are in flight (for the tests).
#[pyfunction]
pub(crate) fn _in_flight() -> usize {
    IN_FLIGHT.load(SeqCst)
}

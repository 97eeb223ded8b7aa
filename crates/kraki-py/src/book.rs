//! A verified book for Python: kraki keeps it in sync and checks every
//! checksum on its runtime; Python reads copies of its state.

use crate::decimal;
use crate::errors;
use kraki::proto::book::{L2Book, Level};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyTuple};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;

/// The latest state and how many times it changed, shared between the
/// watcher task and Python.
struct Latest {
    state: Arc<kraki::BookState<L2Book>>,
    version: u64,
    closed: bool,
}

struct Shared {
    latest: Mutex<Latest>,
    notify: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Latest> {
        // A panic while holding this lock cannot leave it half changed
        // (plain assignments), so a poisoned lock is still good.
        match self.latest.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// A verified book (`kraki._kraki.Book`).
#[pyclass(module = "kraki._kraki")]
pub(crate) struct Book {
    shared: Arc<Shared>,
    /// The version returned by the last `state()`: `changed()` compares.
    seen: Arc<Mutex<u64>>,
    watcher: tokio::task::AbortHandle,
}

impl Book {
    /// Starts watching `handle`: a task on kraki's runtime copies each new
    /// state's pointer into `shared` and wakes whoever waits in `changed`.
    pub(crate) fn start(mut handle: kraki::BookHandle) -> Book {
        let shared = Arc::new(Shared {
            latest: Mutex::new(Latest {
                state: handle.state(),
                version: 0,
                closed: false,
            }),
            notify: Notify::new(),
        });
        let watched = shared.clone();
        let task = pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
            loop {
                let next = handle.changed().await;
                {
                    let mut latest = watched.lock();
                    match next {
                        Ok(state) => {
                            latest.state = state;
                            latest.version += 1;
                        }
                        Err(_) => latest.closed = true,
                    }
                }
                watched.notify.notify_waiters();
                if watched.lock().closed {
                    return;
                }
            }
        });
        Book {
            shared,
            seen: Arc::new(Mutex::new(0)),
            watcher: task.abort_handle(),
        }
    }
}

fn levels<'py>(
    py: Python<'py>,
    levels: impl Iterator<Item = Level>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for level in levels {
        list.append(level_tuple(py, level)?)?;
    }
    Ok(list)
}

fn level_tuple(py: Python<'_>, level: Level) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(
        py,
        [
            decimal::to_py(py, level.price)?,
            decimal::to_py(py, level.qty)?,
        ],
    )
}

fn status_name(status: kraki::BookStatus) -> &'static str {
    match status {
        kraki::BookStatus::Syncing => "syncing",
        kraki::BookStatus::Live => "live",
        kraki::BookStatus::Resyncing => "resyncing",
        kraki::BookStatus::Reconnecting => "reconnecting",
        _ => "unknown",
    }
}

#[pymethods]
impl Book {
    /// The book as it is now: a `BookState` (levels best first). Only a
    /// pointer to kraki's state is taken here: the levels become Python
    /// values when first read, so polling the counts costs no Decimals.
    fn state(&self) -> BookState {
        let (state, version) = {
            let latest = self.shared.lock();
            (latest.state.clone(), latest.version)
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = version;
        BookState {
            state,
            bids: PyOnceLock::new(),
            asks: PyOnceLock::new(),
        }
    }

    /// Resolves at once if the book changed since the last `state()`, else
    /// at its next change. Raises `ClosedError` once the client closed.
    fn changed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        let seen = *self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if shared.lock().version != seen {
            // Already changed (the usual case for a reader that keeps up
            // with a busy book): a finished future made here, sparing a
            // round trip through kraki's runtime and back to the loop.
            let done = pyo3_async_runtimes::get_running_loop(py)?.call_method0("create_future")?;
            done.call_method1("set_result", (py.None(),))?;
            return Ok(done);
        }
        crate::awaitable::future_into_py(py, async move {
            loop {
                let notified = shared.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                {
                    let latest = shared.lock();
                    if latest.version != seen {
                        return Ok(());
                    }
                    if latest.closed {
                        return Err(errors::to_py(kraki::Error::Closed));
                    }
                }
                notified.await;
            }
        })
    }

    /// Stops following the book (kraki unsubscribes once no one else uses
    /// it).
    fn close(&self) {
        self.watcher.abort();
    }
}

impl Drop for Book {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// A verified book at one moment (`kraki._kraki.BookState`): kraki's
/// immutable state, shared, with its levels made Python values once, on
/// first use.
#[pyclass(module = "kraki._kraki", frozen)]
pub(crate) struct BookState {
    state: Arc<kraki::BookState<L2Book>>,
    bids: PyOnceLock<Py<PyList>>,
    asks: PyOnceLock<Py<PyList>>,
}

#[pymethods]
impl BookState {
    /// The pair, e.g. `BTC/USD`.
    #[getter]
    fn symbol(&self) -> &str {
        self.state.book.symbol().as_str()
    }

    /// `syncing`, `live`, `resyncing` or `reconnecting`.
    #[getter]
    fn status(&self) -> &'static str {
        status_name(self.state.status)
    }

    /// `(price, qty)` tuples of `Decimal`, best (highest) first.
    #[getter]
    fn bids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.bids
            .get_or_try_init(py, || levels(py, self.state.book.bids()).map(Bound::unbind))
            .map(|list| list.bind(py).clone())
    }

    /// `(price, qty)` tuples of `Decimal`, best (lowest) first.
    #[getter]
    fn asks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.asks
            .get_or_try_init(py, || levels(py, self.state.book.asks()).map(Bound::unbind))
            .map(|list| list.bind(py).clone())
    }

    /// The best bid as `(price, qty)`, or None.
    #[getter]
    fn best_bid<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.state
            .book
            .best_bid()
            .map(|l| level_tuple(py, l))
            .transpose()
    }

    /// The best ask as `(price, qty)`, or None.
    #[getter]
    fn best_ask<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.state
            .book
            .best_ask()
            .map(|l| level_tuple(py, l))
            .transpose()
    }

    /// Messages whose checksum matched the book.
    #[getter]
    fn verified(&self) -> u64 {
        self.state.verified
    }

    /// Messages whose checksum did not match (each one resyncs the book).
    #[getter]
    fn mismatches(&self) -> u64 {
        self.state.mismatches
    }

    /// Fresh snapshots asked for.
    #[getter]
    fn resyncs(&self) -> u64 {
        self.state.resyncs
    }

    /// The CRC32 checksum of the book as held.
    #[getter]
    fn checksum(&self) -> u32 {
        self.state.book.checksum()
    }

    fn __repr__(&self) -> String {
        format!(
            "BookState(symbol={:?}, status={:?}, verified={}, mismatches={}, levels={}/{})",
            self.symbol(),
            self.status(),
            self.state.verified,
            self.state.mismatches,
            self.state.book.bids().len(),
            self.state.book.asks().len(),
        )
    }
}

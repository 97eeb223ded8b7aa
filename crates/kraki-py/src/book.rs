//! A verified book for Python: kraki keeps it in sync and checks every
//! checksum on its runtime; Python reads copies of its state.

use crate::decimal;
use crate::errors;
use kraki::proto::book::{L2Book, Level};
use pyo3::prelude::*;
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
    /// The book as it is now: a `BookState` (levels best first).
    fn state(&self, py: Python<'_>) -> PyResult<BookState> {
        let (state, version) = {
            let latest = self.shared.lock();
            (latest.state.clone(), latest.version)
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = version;
        let book = &state.book;
        Ok(BookState {
            symbol: book.symbol().as_str().to_owned(),
            status: status_name(state.status),
            bids: levels(py, book.bids())?.unbind(),
            asks: levels(py, book.asks())?.unbind(),
            best_bid: book
                .best_bid()
                .map(|l| level_tuple(py, l).map(Bound::unbind))
                .transpose()?,
            best_ask: book
                .best_ask()
                .map(|l| level_tuple(py, l).map(Bound::unbind))
                .transpose()?,
            verified: state.verified,
            mismatches: state.mismatches,
            resyncs: state.resyncs,
            checksum: book.checksum(),
        })
    }

    /// Resolves at once if the book changed since the last `state()`, else
    /// at its next change. Raises `ClosedError` once the client closed.
    fn changed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let shared = self.shared.clone();
        let seen = *self.seen.lock().unwrap_or_else(|p| p.into_inner());
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
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

/// A copy of a verified book at one moment (`kraki._kraki.BookState`).
#[pyclass(module = "kraki._kraki", frozen, get_all)]
pub(crate) struct BookState {
    /// The pair, e.g. `BTC/USD`.
    symbol: String,
    /// `syncing`, `live`, `resyncing` or `reconnecting`.
    status: &'static str,
    /// `(price, qty)` tuples of `Decimal`, best (highest) first.
    bids: Py<PyList>,
    /// `(price, qty)` tuples of `Decimal`, best (lowest) first.
    asks: Py<PyList>,
    /// The best bid as `(price, qty)`, or None.
    best_bid: Option<Py<PyTuple>>,
    /// The best ask as `(price, qty)`, or None.
    best_ask: Option<Py<PyTuple>>,
    /// Messages whose checksum matched the book.
    verified: u64,
    /// Messages whose checksum did not match (each one resyncs the book).
    mismatches: u64,
    /// Fresh snapshots asked for.
    resyncs: u64,
    /// The CRC32 checksum of the book as held.
    checksum: u32,
}

#[pymethods]
impl BookState {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "BookState(symbol={:?}, status={:?}, verified={}, mismatches={}, levels={}/{})",
            self.symbol,
            self.status,
            self.verified,
            self.mismatches,
            self.bids.bind(py).len(),
            self.asks.bind(py).len(),
        )
    }
}

//! The `kraki._kraki` extension module: kraki's client, verified books and
//! simulator for Python. The public Python API lives in the pure-Python
//! package `kraki` (crates/kraki-py/python/kraki), which wraps these
//! primitives; this crate only moves values between kraki's Rust runtime
//! and asyncio.
//!
//! Threads: every socket is read on the tokio runtime that
//! `pyo3-async-runtimes` owns; a Python call only queues work there and
//! gets an asyncio future back, so the event loop never waits on IO, and
//! the GIL is held only while Python objects are made.

mod awaitable;
mod book;
mod client;
mod decimal;
mod errors;
mod feed;
mod pending;
mod simulator;
mod spec;
mod to_python;
mod trading;

use pyo3::prelude::*;

/// The extension module (`kraki._kraki`).
#[pymodule]
fn _kraki(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::RawClient>()?;
    m.add_function(wrap_pyfunction!(awaitable::_settle, m)?)?;
    m.add_function(wrap_pyfunction!(awaitable::_in_flight, m)?)?;
    m.add_class::<feed::Feed>()?;
    m.add_class::<pending::Pending>()?;
    m.add_class::<book::Book>()?;
    m.add_class::<book::BookState>()?;
    m.add_class::<simulator::Simulator>()?;
    m.add_class::<trading::DeadManSwitch>()?;
    errors::register(m)?;
    m.add("DEMO_API_KEY", kraki_sim::DEMO_API_KEY)?;
    m.add("DEMO_API_SECRET", kraki_sim::DEMO_API_SECRET)?;
    Ok(())
}

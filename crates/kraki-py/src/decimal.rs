//! `decimal.Decimal` from kraki's exact decimals, through their digits.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The `decimal.Decimal` class, imported once per interpreter rather than
/// looked up for every value.
static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `Decimal(str(value))`: Kraken's digits, never through a float.
pub(crate) fn to_py<'py>(
    py: Python<'py>,
    value: kraki::proto::Decimal,
) -> PyResult<Bound<'py, PyAny>> {
    DECIMAL
        .import(py, "decimal", "Decimal")?
        .call1((value.to_string(),))
}

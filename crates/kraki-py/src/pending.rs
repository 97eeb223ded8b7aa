//! A message not yet read: kraki's typed value, kept until Python first
//! asks for one of its fields, then made into Python objects in one go.
//!
//! A trigger that only counts messages, or looks at a few and skips the
//! rest, pays for nothing but this small object.

use crate::to_python::to_python;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A typed message that can become Python objects, or JSON text.
trait Readable: Send + Sync {
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
    fn json(&self) -> Result<String, serde_json::Error>;
}

impl<T: serde::Serialize + Send + Sync> Readable for T {
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, self)
    }
    fn json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// One message as kraki decoded it (`kraki._kraki.Pending`).
#[pyclass(module = "kraki._kraki", frozen)]
pub(crate) struct Pending {
    message: Box<dyn Readable>,
}

impl Pending {
    pub(crate) fn new<T: serde::Serialize + Send + Sync + 'static>(message: T) -> Pending {
        Pending {
            message: Box::new(message),
        }
    }
}

#[pymethods]
impl Pending {
    /// The message as a `kraki._record.Record` of its fields, with the
    /// same types `kraki._record.loads_records` gives kraki's JSON.
    fn read<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.message.read(py)
    }

    /// The message as kraki's JSON text.
    pub(crate) fn json(&self) -> PyResult<String> {
        self.message
            .json()
            .map_err(|e| PyValueError::new_err(format!("cannot write a message as JSON: {e}")))
    }
}

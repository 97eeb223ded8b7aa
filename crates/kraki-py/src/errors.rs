//! kraki's errors as Python exceptions, one class per kind a caller acts on
//! differently, each carrying kraki's message (which never holds a secret).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _kraki,
    KrakiError,
    PyException,
    "Base class of every kraki error."
);
create_exception!(
    _kraki,
    ConnectError,
    KrakiError,
    "No connection could be made, or it never became usable."
);
create_exception!(
    _kraki,
    RejectedError,
    KrakiError,
    "The exchange refused the request; the message holds its error string."
);
create_exception!(
    _kraki,
    OutcomeUnknownError,
    KrakiError,
    "A trading request was sent but not answered: it may or may not have been executed."
);
create_exception!(
    _kraki,
    InvalidError,
    KrakiError,
    "A request kraki refused before sending it (a pre-check failed, or an argument is wrong)."
);
create_exception!(_kraki, ClosedError, KrakiError, "The client was closed.");
create_exception!(
    _kraki,
    KrakiTimeoutError,
    KrakiError,
    "No answer within the time allowed."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KrakiError", py.get_type::<KrakiError>())?;
    m.add("ConnectError", py.get_type::<ConnectError>())?;
    m.add("RejectedError", py.get_type::<RejectedError>())?;
    m.add("OutcomeUnknownError", py.get_type::<OutcomeUnknownError>())?;
    m.add("InvalidError", py.get_type::<InvalidError>())?;
    m.add("ClosedError", py.get_type::<ClosedError>())?;
    m.add("KrakiTimeoutError", py.get_type::<KrakiTimeoutError>())?;
    Ok(())
}

/// The Python exception for a kraki error, with kraki's own message.
pub(crate) fn to_py(error: kraki::Error) -> PyErr {
    let message = error.to_string();
    match error {
        kraki::Error::Connect { .. } | kraki::Error::NotConnected(_) => {
            ConnectError::new_err(message)
        }
        kraki::Error::Rejected(_) => RejectedError::new_err(message),
        kraki::Error::OutcomeUnknown { .. } => OutcomeUnknownError::new_err(message),
        kraki::Error::Invalid(_) | kraki::Error::UnknownSymbol(_) | kraki::Error::Config(_) => {
            InvalidError::new_err(message)
        }
        kraki::Error::Closed => ClosedError::new_err(message),
        kraki::Error::Timeout { .. } => KrakiTimeoutError::new_err(message),
        _ => KrakiError::new_err(message),
    }
}

/// An argument that kraki cannot use, named in the message.
pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    InvalidError::new_err(message.into())
}

//! Kraken's REST rows (`[time, "open", …]`) read field by field, each
//! field named in the error when it is missing or malformed; and the
//! entry of a one-pair result beside its `last`.

use crate::Error;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// A result keyed by the pair's REST name, with `last` beside it on the
/// endpoints that page.
pub(crate) type PairKeyed = BTreeMap<String, Box<RawValue>>;

/// The one pair's entry of `result` and its key, and `last` if given.
pub(crate) fn single_pair<'a>(
    what: &str,
    result: &'a PairKeyed,
) -> Result<(&'a str, &'a RawValue, Option<&'a RawValue>), Error> {
    let mut entries = result.iter().filter(|(key, _)| key.as_str() != "last");
    let (key, entry) = entries
        .next()
        .ok_or_else(|| Error::bad_answer(format!("{what}: no pair in the result")))?;
    if entries.next().is_some() {
        return Err(Error::bad_answer(format!(
            "{what}: more than the one pair asked for in the result"
        )));
    }
    Ok((key, entry, result.get("last").map(|l| &**l)))
}

/// Reads `raw` as `T`, naming `what` in the error.
pub(crate) fn typed<'a, T: Deserialize<'a>>(what: &str, raw: &'a RawValue) -> Result<T, Error> {
    serde_json::from_str(raw.get()).map_err(|e| Error::bad_answer(format!("{what}: {e}")))
}

/// One row: a JSON array whose fields are read by position.
pub(crate) struct Row<'a> {
    what: &'a str,
    fields: Vec<&'a RawValue>,
}

impl<'a> Row<'a> {
    /// The row `raw`, `what` naming it in errors (`OHLC BTC/USD row 3`).
    pub(crate) fn new(what: &'a str, raw: &'a RawValue) -> Result<Row<'a>, Error> {
        Ok(Row {
            what,
            fields: typed(what, raw)?,
        })
    }

    /// The rows of an array of rows.
    pub(crate) fn list(what: &str, raw: &'a RawValue) -> Result<Vec<&'a RawValue>, Error> {
        typed(what, raw)
    }

    /// Field `index`, called `name` in errors.
    pub(crate) fn get<T: Deserialize<'a>>(&self, index: usize, name: &str) -> Result<T, Error> {
        let field = self.fields.get(index).ok_or_else(|| {
            Error::bad_answer(format!("{}: no {name} (field {index})", self.what))
        })?;
        serde_json::from_str(field.get()).map_err(|e| {
            Error::bad_answer(format!("{}: bad {name} {}: {e}", self.what, field.get()))
        })
    }

    /// Field `index` if the row has it (fields Kraken added later).
    pub(crate) fn optional<T: Deserialize<'a>>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, Error> {
        if index < self.fields.len() {
            self.get(index, name).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// A number Kraken writes as a JSON number or as a string holding one
/// (`last` of `Trades` is a string of nanoseconds).
pub(crate) fn integer(what: &str, raw: &RawValue) -> Result<i64, Error> {
    raw.get()
        .trim_matches('"')
        .parse()
        .map_err(|_| Error::bad_answer(format!("{what}: not an integer: {}", raw.get())))
}

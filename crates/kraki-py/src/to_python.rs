//! kraki's typed values as Python objects, made straight from their serde
//! form: the objects `kraki._record.loads_records` would make from kraki's
//! JSON (records with Kraken's field names, exact `Decimal`s, `datetime`s
//! in UTC), without writing JSON text and parsing it again in Python,
//! which cost a trigger that reads its message several times what the
//! message took to arrive.
//!
//! The rules follow the JSON path's, so a message reads the same either
//! way: every object is a `kraki._record.Record`; a decimal (a float in
//! the JSON) is a `Decimal` of its digits; a field named in
//! `kraki._convert.DECIMAL_FIELDS` or `TIME_FIELDS` gets the type
//! `kraki._convert.typed` gives it. One difference is on purpose: an exact
//! decimal with no fraction digits is a `Decimal` whatever its field's
//! name, where the JSON path can only tell it from an integer by the name.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyType};
use pyo3::{IntoPyObjectExt, intern};
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::collections::HashSet;

/// The name serde_json gives a raw JSON value (kraki's decimals serialize
/// as one, to keep their digits), and the field its text comes in.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// What the conversion takes from the Python package, looked up once per
/// interpreter.
struct PythonSide {
    record: Py<PyType>,
    decimal: Py<PyType>,
    /// `kraki._convert.typed(key, value)`, for the rare string in a
    /// decimal field.
    typed: Py<PyAny>,
    parse_time: Py<PyAny>,
    /// `kraki._record.loads_records`, for a raw JSON value that is not a
    /// number.
    loads_records: Py<PyAny>,
    decimal_fields: HashSet<String>,
    time_fields: HashSet<String>,
}

static SIDE: PyOnceLock<PythonSide> = PyOnceLock::new();

fn side(py: Python<'_>) -> PyResult<&'static PythonSide> {
    SIDE.get_or_try_init(py, || {
        let convert = py.import("kraki._convert")?;
        let record = py.import("kraki._record")?;
        let names = |name: &str| -> PyResult<HashSet<String>> {
            convert
                .getattr(name)?
                .try_iter()?
                .map(|n| n?.extract::<String>())
                .collect()
        };
        Ok(PythonSide {
            record: record.getattr("Record")?.cast_into::<PyType>()?.unbind(),
            decimal: py
                .import("decimal")?
                .getattr("Decimal")?
                .cast_into::<PyType>()?
                .unbind(),
            typed: convert.getattr("typed")?.unbind(),
            parse_time: convert.getattr("parse_time")?.unbind(),
            loads_records: record.getattr("loads_records")?.unbind(),
            decimal_fields: names("DECIMAL_FIELDS")?,
            time_fields: names("TIME_FIELDS")?,
        })
    })
}

/// `value` as Python objects (a `Record` for a struct).
pub(crate) fn to_python<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let side = side(py)?;
    value
        .serialize(ToPython {
            py,
            side,
            key: None,
        })
        .map_err(|e| match e {
            Error::Python(e) => e,
            Error::Serde(why) => PyValueError::new_err(format!("cannot convert a message: {why}")),
        })
}

#[derive(Debug)]
enum Error {
    Python(PyErr),
    /// A value serde cannot describe in JSON's terms (e.g. a map key that
    /// is not a string or a number).
    Serde(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Python(e) => e.fmt(f),
            Error::Serde(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<M: std::fmt::Display>(msg: M) -> Self {
        Error::Serde(msg.to_string())
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error::Python(e)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, Error>;

/// Serializes one value; `key` is the field it is the value of, for the
/// rules that go by field name (none inside a list, as in the JSON path).
#[derive(Clone, Copy)]
struct ToPython<'k, 'py> {
    py: Python<'py>,
    side: &'static PythonSide,
    key: Option<&'k str>,
}

impl<'py> ToPython<'_, 'py> {
    fn with_key<'k>(self, key: Option<&'k str>) -> ToPython<'k, 'py> {
        ToPython {
            py: self.py,
            side: self.side,
            key,
        }
    }

    fn in_decimal_field(&self) -> bool {
        self.key
            .is_some_and(|k| self.side.decimal_fields.contains(k))
    }

    fn in_time_field(&self) -> bool {
        self.key.is_some_and(|k| self.side.time_fields.contains(k))
    }

    fn decimal(&self, text: &str) -> Out<'py> {
        Ok(self.side.decimal.bind(self.py).call1((text,))?)
    }

    fn int<I>(self, value: I) -> Out<'py>
    where
        I: IntoPyObject<'py>,
    {
        let int = value.into_bound_py_any(self.py)?;
        if self.in_decimal_field() {
            return Ok(self.side.decimal.bind(self.py).call1((int,))?);
        }
        Ok(int)
    }

    /// An empty record: `Record.__new__(Record)`, its fields set after.
    fn record(&self, fields: Bound<'py, PyDict>) -> Out<'py> {
        let class = self.side.record.bind(self.py);
        let record = class.call_method1(intern!(self.py, "__new__"), (class,))?;
        record.setattr(intern!(self.py, "__dict__"), fields)?;
        Ok(record)
    }

    /// `{variant: value}`, as serde_json writes an enum variant with data.
    fn variant(&self, variant: &str, value: Bound<'py, PyAny>) -> Out<'py> {
        let fields = PyDict::new(self.py);
        fields.set_item(variant, value)?;
        self.record(fields)
    }
}

impl<'k, 'py> ser::Serializer for ToPython<'k, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    type SerializeSeq = Seq<'py>;
    type SerializeTuple = Seq<'py>;
    type SerializeTupleStruct = Seq<'py>;
    type SerializeTupleVariant = Variant<Seq<'py>>;
    type SerializeMap = Map<'py>;
    type SerializeStruct = Struct<'py>;
    type SerializeStructVariant = Variant<Struct<'py>>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(v.into_bound_py_any(self.py)?)
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        // JSON's text of the float (null when not finite), read as the
        // JSON path reads every float: a Decimal of its digits.
        if !v.is_finite() {
            return Ok(self.py.None().into_bound(self.py));
        }
        let text = serde_json::to_string(&v).map_err(|e| Error::Serde(e.to_string()))?;
        self.decimal(&text)
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        let py = self.py;
        if self.key == Some(RAW_VALUE) {
            // kraki's decimals: the digits as Kraken sent them.
            return match self.decimal(v) {
                Ok(decimal) => Ok(decimal),
                Err(_) => Ok(self.side.loads_records.bind(py).call1((v,))?),
            };
        }
        if self.in_time_field() {
            return Ok(self.side.parse_time.bind(py).call1((v,))?);
        }
        if let (true, Some(key)) = (self.in_decimal_field(), self.key) {
            return Ok(self.side.typed.bind(py).call1((key, v))?);
        }
        Ok(PyString::new(py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(PyList::new(self.py, v)?.into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let inner = value.serialize(self.with_key(Some(variant)))?;
        self.variant(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'py>, Error> {
        Ok(Seq {
            to: self.with_key(None),
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'py>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Seq<'py>>, Error> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'py>, Error> {
        Ok(Map {
            to: self.with_key(None),
            fields: PyDict::new(self.py),
            key: None,
        })
    }
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Struct<'py>, Error> {
        Ok(Struct {
            to: self.with_key(None),
            fields: PyDict::new(self.py),
            raw: (name == RAW_VALUE).then_some(None),
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Variant<Struct<'py>>, Error> {
        Ok(Variant {
            name: variant,
            inner: self.serialize_struct(variant, len)?,
        })
    }
}

/// A list.
struct Seq<'py> {
    to: ToPython<'static, 'py>,
    items: Vec<Bound<'py, PyAny>>,
}

impl<'py> Seq<'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items.push(value.serialize(self.to)?);
        Ok(())
    }
    fn finish(self) -> Out<'py> {
        Ok(PyList::new(self.to.py, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeSeq for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for Seq<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// A record of named fields (a struct), or the text of a raw JSON value
/// (`raw` is then `Some`, holding the value once read).
struct Struct<'py> {
    to: ToPython<'static, 'py>,
    fields: Bound<'py, PyDict>,
    raw: Option<Option<Bound<'py, PyAny>>>,
}

impl<'py> Struct<'py> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let converted = value.serialize(self.to.with_key(Some(key)))?;
        match &mut self.raw {
            Some(raw) => *raw = Some(converted),
            None => self.fields.set_item(key, converted)?,
        }
        Ok(())
    }
    fn finish(self) -> Out<'py> {
        match self.raw {
            Some(raw) => Ok(raw.unwrap_or_else(|| self.to.py.None().into_bound(self.to.py))),
            None => self.to.record(self.fields),
        }
    }
}

impl<'py> ser::SerializeStruct for Struct<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// A record of a map's entries, its keys as text (as in JSON).
struct Map<'py> {
    to: ToPython<'static, 'py>,
    fields: Bound<'py, PyDict>,
    key: Option<String>,
}

impl<'py> ser::SerializeMap for Map<'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::Serde("a map value without its key".to_owned()))?;
        let converted = value.serialize(self.to.with_key(Some(&key)))?;
        self.fields.set_item(key, converted)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.to.record(self.fields)
    }
}

/// An enum variant with data: `{variant: data}`.
struct Variant<Inner> {
    name: &'static str,
    inner: Inner,
}

impl<'py> ser::SerializeTupleVariant for Variant<Seq<'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }
    fn end(self) -> Out<'py> {
        let to = self.inner.to;
        to.variant(self.name, self.inner.finish()?)
    }
}

impl<'py> ser::SerializeStructVariant for Variant<Struct<'py>> {
    type Ok = Bound<'py, PyAny>;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.inner.field(key, value)
    }
    fn end(self) -> Out<'py> {
        let to = self.inner.to;
        to.variant(self.name, self.inner.finish()?)
    }
}

/// A map key as JSON writes it: a string, or a number or bool as text.
struct KeyText;

fn not_a_key<T>() -> Result<T, Error> {
    Err(Error::Serde(
        "a map key that is not a string or a number".to_owned(),
    ))
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = Impossible<String, Error>;
    type SerializeTuple = Impossible<String, Error>;
    type SerializeTupleStruct = Impossible<String, Error>;
    type SerializeTupleVariant = Impossible<String, Error>;
    type SerializeMap = Impossible<String, Error>;
    type SerializeStruct = Impossible<String, Error>;
    type SerializeStructVariant = Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_f64(self, _: f64) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_owned())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_none(self) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        not_a_key()
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        not_a_key()
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        not_a_key()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        not_a_key()
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        not_a_key()
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        not_a_key()
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        not_a_key()
    }
}

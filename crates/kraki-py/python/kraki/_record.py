"""The base of every message object: fields as attributes, built from
kraki's JSON."""

from __future__ import annotations

from typing import Any

import json
from decimal import Decimal

from ._convert import SPECIAL_FIELDS, typed


class Record:
    """A value with named fields, e.g. one trade or one balance.

    Fields follow Kraken's names. Nested objects are ``Record`` too; prices
    and quantities are ``Decimal``; times are ``datetime`` in UTC.
    """

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Record":
        """A record of ``data``'s fields, converted (see ``kraki._convert``)."""
        obj = cls.__new__(cls)
        obj.__dict__.update({key: convert(key, value) for key, value in data.items()})
        return obj

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (nested records as dicts too)."""
        return {key: _plain(value) for key, value in self.__dict__.items()}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def _hook(fields: dict[str, Any]) -> Record:
    # Called by the decoder for every object, innermost first: only the
    # few fields that need a type of their own are touched, and a value
    # the decoder already made a Decimal is left as it is.
    for key in SPECIAL_FIELDS.intersection(fields):
        value = fields[key]
        if value.__class__ is not Decimal:
            fields[key] = typed(key, value)
    record = Record.__new__(Record)
    record.__dict__ = fields
    return record


#: kraki's JSON text as ``Record``s with typed fields, in one pass. One
#: decoder made once: ``json.loads`` with options builds a new one (and
#: its scanner) on every call.
loads_records = json.JSONDecoder(parse_float=Decimal, object_hook=_hook).decode


def convert(key: str, value: Any) -> Any:
    """A JSON value as its Python value: dicts become ``Record``s."""
    if isinstance(value, dict):
        return Record.from_dict(value)
    if isinstance(value, list):
        return [convert(key, item) for item in value]
    return typed(key, value)


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value

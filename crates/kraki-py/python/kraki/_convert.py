"""kraki's JSON text to Python values: exact ``Decimal`` for every price and
quantity, ``datetime`` in UTC for every timestamp.

The JSON comes from kraki's typed Rust values, which write each decimal
with the digits Kraken sent, so ``json.loads(..., parse_float=Decimal)``
builds each ``Decimal`` from that text, never through a float. A decimal
with no fraction digits is written as a JSON integer; the fields below
that hold prices or quantities turn those into ``Decimal`` too.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

#: Fields that hold a price, a quantity or another exact amount.
DECIMAL_FIELDS = frozenset(
    {
        "ask", "ask_qty", "bid", "bid_qty", "last", "volume", "vwap", "low",
        "high", "change", "change_pct", "price", "qty", "open", "close",
        "price_increment", "qty_increment", "qty_min", "cost_min",
        "cost_precision", "margin_initial", "limit_price", "order_qty",
        "cum_qty", "cum_cost", "avg_price", "last_qty", "last_price", "cost",
        "fee_usd_equiv", "display_qty", "trigger_price", "stop_price",
        "balance", "amount", "fee", "wallet_balance", "hold_trade",
        "collateral_value", "margin_value", "qty_filled", "order_qty_old",
        "limit_price_old", "trigger_price_old", "position_size",
    }
)

#: Fields that hold an RFC 3339 time.
TIME_FIELDS = frozenset(
    {
        "timestamp", "interval_begin", "time_in", "time_out", "effective_time",
        "expire_time", "deadline", "currentTime", "triggerTime",
        "current_time", "trigger_time",
    }
)

#: Fields whose JSON value needs more than ``json.loads`` gives.
SPECIAL_FIELDS = DECIMAL_FIELDS | TIME_FIELDS

#: kraki's JSON text with exact Decimals (one decoder, made once).
loads = json.JSONDecoder(parse_float=Decimal).decode


def parse_time(text: str) -> datetime | str:
    """An RFC 3339 time as an aware ``datetime`` in UTC; the text itself if it
    is not one (a value Kraken may add later is passed on, not dropped)."""
    if not isinstance(text, str) or not text or text == "0":
        return text
    try:
        # Python 3.11 reads Kraken's usual form (6 fraction digits, "Z").
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is not None:
            return parsed
    except ValueError:
        pass
    value = text.replace("Z", "+00:00").replace("z", "+00:00")
    # Python reads at most 6 fraction digits; Kraken sends 6, or 9 in places.
    if "." in value:
        head, _, tail = value.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        frac, zone = tail[:digits], tail[digits:]
        value = f"{head}.{(frac + '000000')[:6]}{zone}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return text
    if parsed.tzinfo is None:  # a missing zone means UTC, as kraki reads it
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def typed(key: str, value: Any) -> Any:
    """One field's value with its Python type."""
    if key in DECIMAL_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if key in DECIMAL_FIELDS and isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    if key in TIME_FIELDS and isinstance(value, str):
        return parse_time(value)
    return value

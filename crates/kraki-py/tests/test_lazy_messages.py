"""Messages are made into Python objects by kraki's core when a field is
first asked for: whatever the user asks first (a field, repr, ==, to_dict,
dir), they see the same fields, with the same types, as the message read
from kraki's JSON text."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from conftest import within

import kraki
from kraki._record import Record
from kraki.messages import BookSnapshot, BookUpdate, Message, from_json, lazy


async def raw_items(client: kraki.Client, spec: kraki.Spec, count: int) -> list[tuple[str, Any, int, int]]:
    """The first ``count`` messages of ``spec`` as kraki's core hands them
    to Python: ``(kind, pending, a, b)``."""
    sub = await client.subscribe(spec)
    items: list[tuple[str, Any, int, int]] = []
    while len(items) < count:
        batch = await within(sub._feed.next_batch(), f"{spec.channel} messages")
        assert batch, "the feed ended"
        items.extend(item for item in batch if item[0] in ("snapshot", "update"))
    await sub.close()
    return items[:count]


async def raw_book_items(sim: kraki.Simulator, count: int) -> list[tuple[str, Any, int, int]]:
    client = await kraki.Client.connect(url=sim.public_url)
    try:
        return await raw_items(client, kraki.Book(["BTC/USD"], depth=10), count)
    finally:
        await client.close()


def assert_same(made: Any, parsed: Any, where: str) -> None:
    """``made`` (by kraki's core) and ``parsed`` (from JSON) hold the same
    values with the same types. The one difference allowed: an exact
    decimal with no fraction digits is a ``Decimal`` from the core, where
    the JSON path can only make one of it in a field it knows by name."""
    if isinstance(made, Record):
        assert type(parsed) is type(made), f"{where}: {type(parsed)} against {type(made)}"
        assert made.__dict__.keys() == parsed.__dict__.keys(), where
        for key in made.__dict__:
            assert_same(made.__dict__[key], parsed.__dict__[key], f"{where}.{key}")
    elif isinstance(made, list):
        assert isinstance(parsed, list) and len(made) == len(parsed), where
        for i, (m, p) in enumerate(zip(made, parsed)):
            assert_same(m, p, f"{where}[{i}]")
    elif isinstance(made, Decimal) and type(parsed) is int:
        assert made == parsed and made == made.to_integral_value(), f"{where}: {made!r} against {parsed!r}"
    else:
        assert type(made) is type(parsed), f"{where}: {made!r} against {parsed!r}"
        assert made == parsed, f"{where}: {made!r} against {parsed!r}"


async def test_every_channel_reads_as_its_json_does(sim) -> None:
    public = await kraki.Client.connect(url=sim.public_url)
    private = await kraki.Client.connect_auth(
        auth_url=sim.private_url, rest_url=sim.rest_url, api_key=sim.api_key, api_secret=sim.api_secret
    )
    try:
        specs: list[tuple[kraki.Client, kraki.Spec, int]] = [
            (public, kraki.Book(["BTC/USD"], depth=10), 4),
            (public, kraki.Ticker(["BTC/USD", "ETH/USD"]), 3),
            (public, kraki.Trades(["BTC/USD"]), 3),
            (public, kraki.Ohlc(["BTC/USD"], interval=1), 2),
            (public, kraki.Instrument(), 1),
            (private, kraki.Balances(), 1),
            (private, kraki.Executions(snap_trades=True), 1),
        ]
        seen: dict[str, int] = {}
        for client, spec, count in specs:
            for kind, pending, _, _ in await raw_items(client, spec, count):
                assert not isinstance(pending, str), "a message goes unread, as kraki's typed value"
                made = lazy(spec.channel, kind, pending)
                parsed = from_json(spec.channel, pending.json())
                assert type(made) is type(parsed)
                made.to_dict()  # reads it
                assert_same(made, parsed, spec.channel)
                seen[spec.channel] = seen.get(spec.channel, 0) + 1
        assert sorted(seen) == sorted(spec.channel for _, spec, _ in specs), seen
    finally:
        await public.close()
        await private.close()


async def test_types_are_exact(sim) -> None:
    client = await kraki.Client.connect(url=sim.public_url)
    try:
        (kind, pending, _, _), = await raw_items(client, kraki.Trades(["BTC/USD"]), 1)
    finally:
        await client.close()
    message = lazy("trade", kind, pending)
    trade = message.trades[0]
    assert isinstance(trade.price, Decimal) and isinstance(trade.qty, Decimal)
    assert isinstance(trade.timestamp, datetime) and trade.timestamp.utcoffset().total_seconds() == 0
    assert trade.side in ("buy", "sell") and isinstance(trade.trade_id, int)
    assert message.symbol == "BTC/USD"


async def test_a_lazy_message_equals_one_read_at_once(sim) -> None:
    items = await raw_book_items(sim, 3)
    # kraki's core read the kind: the snapshot first, then updates.
    assert [kind for kind, *_ in items] == ["snapshot", "update", "update"]
    for kind, pending, _, _ in items:
        eager = lazy("book", kind, pending)
        eager.to_dict()
        assert type(lazy("book", kind, pending)) is type(eager)
        # Each way in, on a fresh message: the same fields as read at once.
        assert lazy("book", kind, pending) == eager
        assert eager == lazy("book", kind, pending)
        assert repr(lazy("book", kind, pending)) == repr(eager)
        assert lazy("book", kind, pending).to_dict() == eager.to_dict()
        assert "bids" in dir(lazy("book", kind, pending))
        first = lazy("book", kind, pending)
        assert first.symbol == "BTC/USD"
        assert vars(first) == vars(eager)

    snapshot = lazy("book", "snapshot", items[0][1])
    assert isinstance(snapshot, BookSnapshot) and isinstance(lazy("book", "update", items[1][1]), BookUpdate)
    assert len(snapshot.bids) == 10 and isinstance(snapshot.bids[0].price, Decimal)
    assert snapshot.channel == "book" and isinstance(snapshot, Message)


async def test_a_missing_field_is_an_attribute_error(sim) -> None:
    kind, pending, _, _ = (await raw_book_items(sim, 1))[0]
    message = lazy("book", kind, pending)
    with pytest.raises(AttributeError, match="no_such_field"):
        message.no_such_field
    assert not hasattr(message, "no_such_field")
    # The failed lookup read the fields; they are all still there.
    assert message.symbol == "BTC/USD" and message.type == "snapshot"

"""Messages read their JSON when a field is first asked for: whatever the
user asks first (a field, repr, ==, to_dict, dir), they see the same
fields as a message read at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import within

import kraki
from kraki.messages import BookSnapshot, BookUpdate, from_json, lazy


async def raw_book_items(sim: kraki.Simulator, count: int) -> list[tuple[str, str, int, int]]:
    """The first ``count`` book items of the simulator as kraki's core
    hands them to Python: ``(kind, json, a, b)``."""
    client = await kraki.Client.connect(url=sim.public_url)
    try:
        sub = await client.subscribe(kraki.Book(["BTC/USD"], depth=10))
        items: list[tuple[str, str, int, int]] = []
        while len(items) < count:
            batch = await within(sub._feed.next_batch(), "book messages")
            assert batch, "the feed ended"
            items.extend(item for item in batch if item[0] in ("snapshot", "update"))
        await sub.close()
        return items[:count]
    finally:
        await client.close()


async def test_a_lazy_message_equals_one_read_at_once(sim) -> None:
    items = await raw_book_items(sim, 3)
    # kraki's core read the kind: the snapshot first, then updates.
    assert [kind for kind, *_ in items] == ["snapshot", "update", "update"]
    for kind, text, _, _ in items:
        eager = from_json("book", text)
        assert type(lazy("book", kind, text)) is type(eager)
        # Each way in, on a fresh message: the same fields as read at once.
        assert lazy("book", kind, text) == eager
        assert eager == lazy("book", kind, text)
        assert repr(lazy("book", kind, text)) == repr(eager)
        assert lazy("book", kind, text).to_dict() == eager.to_dict()
        assert "bids" in dir(lazy("book", kind, text))
        first = lazy("book", kind, text)
        assert first.symbol == "BTC/USD"
        assert vars(first) == vars(eager)

    snapshot = lazy("book", "snapshot", items[0][1])
    assert isinstance(snapshot, BookSnapshot) and isinstance(lazy("book", "update", items[1][1]), BookUpdate)
    assert len(snapshot.bids) == 10 and isinstance(snapshot.bids[0].price, Decimal)
    assert snapshot.channel == "book"


async def test_a_missing_field_is_an_attribute_error(sim) -> None:
    kind, text, _, _ = (await raw_book_items(sim, 1))[0]
    message = lazy("book", kind, text)
    with pytest.raises(AttributeError, match="no_such_field"):
        message.no_such_field
    assert not hasattr(message, "no_such_field")
    # The failed lookup read the fields; they are all still there.
    assert message.symbol == "BTC/USD" and message.type == "snapshot"

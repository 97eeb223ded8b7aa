"""A pair's status changed on the simulator reaches an ``instrument``
subscriber as an ``InstrumentsUpdateResponse``, as Kraken sends one when a
pair goes into maintenance, cancel-only and back."""

from __future__ import annotations

import asyncio

import pytest
from conftest import eventually, within

import kraki
from kraki.messages import InstrumentsSnapshot
from kraki.sockets import KrakenWebSocketAPI
from kraki.sockets.schema.requests import InstrumentsSubscriptionRequest
from kraki.sockets.schema.responses import (
    InstrumentsSnapshotResponse,
    InstrumentsUpdateResponse,
)


async def test_a_trigger_fires_with_the_changed_pairs_status(sim: kraki.Simulator) -> None:
    kraken = KrakenWebSocketAPI(url=sim.public_url)
    snapshots: list[InstrumentsSnapshotResponse] = []
    updates: list[InstrumentsUpdateResponse] = []

    @kraken.trigger(InstrumentsSnapshotResponse)
    def snapshot(response: InstrumentsSnapshotResponse) -> None:
        snapshots.append(response)

    @kraken.trigger(InstrumentsUpdateResponse)
    async def update(response: InstrumentsUpdateResponse) -> None:
        updates.append(response)

    @kraken.user_task
    async def change() -> None:
        await eventually(lambda: snapshots, "the instrument snapshot")
        sim.set_pair_status("ETH/USD", "maintenance")
        await eventually(lambda: len(updates) == 1, "the maintenance update")
        sim.set_pair_status("ETH/USD", "online")

    running = asyncio.create_task(kraken.run([InstrumentsSubscriptionRequest()]))
    await eventually(lambda: len(updates) == 2, "both instrument updates")
    kraken.stop()
    await within(running, "run() to return after stop()")

    before = {p.symbol: p.status for p in snapshots[0].pairs}
    assert before["ETH/USD"] == "online"
    # Only what changed: the one pair, in full, and no assets.
    first, second = updates
    assert [p.symbol for p in first.pairs] == ["ETH/USD"]
    assert first.pairs[0].status == "maintenance"
    assert first.pairs[0].base == "ETH" and first.pairs[0].price_precision == 2
    assert list(first.assets) == []
    assert [(p.symbol, p.status) for p in second.pairs] == [("ETH/USD", "online")]


async def test_a_later_snapshot_shows_the_status(sim: kraki.Simulator) -> None:
    sim.set_pair_status("DOGE/USD", "cancel_only")
    async with await kraki.Client.connect(url=sim.public_url) as client:

        async def first_snapshot() -> InstrumentsSnapshot:
            async for event in client.subscribe(kraki.Instrument()):
                if isinstance(event, InstrumentsSnapshot):
                    return event
            pytest.fail("the subscription ended without a snapshot")

        snapshot = await within(first_snapshot(), "the instrument snapshot")
    status = {p.symbol: p.status for p in snapshot.pairs}
    assert status["DOGE/USD"] == "cancel_only"
    assert status["BTC/USD"] == "online"


def test_an_unknown_symbol_or_status_is_refused_naming_it(sim: kraki.Simulator) -> None:
    unknown = r'unknown symbol "XBT/EUR": the simulator trades BTC/USD, ETH/USD'
    with pytest.raises(kraki.InvalidError, match=unknown):
        sim.set_pair_status("XBT/EUR", "online")
    with pytest.raises(kraki.InvalidError, match=r'unknown pair status "closed": expected online'):
        sim.set_pair_status("BTC/USD", "closed")
    sim.stop()
    with pytest.raises(kraki.ClosedError):
        sim.set_pair_status("BTC/USD", "online")

"""kraki.sockets opens only the endpoints a script's subscriptions need."""

from __future__ import annotations

import asyncio

import pytest

from conftest import eventually

import kraki
from kraki.sockets import KrakenWebSocketAPI
from kraki.sockets.schema.requests import BalancesSubscriptionRequest, TickerSubscriptionRequest
from kraki.sockets.schema.responses import BalancesSnapshotResponse, TickerUpdateResponse


async def test_public_only_never_touches_the_authenticated_endpoint(sim_credentials) -> None:
    sim = sim_credentials  # credentials are in the environment all the same
    kraken = KrakenWebSocketAPI(url=sim.public_url, auth_url=sim.private_url, rest_url=sim.rest_url)
    updates = []
    paths: set[str] = set()
    kraken.trigger(TickerUpdateResponse)(updates.append)

    @kraken.user_task
    async def watch() -> None:
        while True:
            paths.update(path for _, path in sim.connections())
            await asyncio.sleep(0.01)

    running = asyncio.create_task(kraken.run([TickerSubscriptionRequest(["BTC/USD"])]))
    await eventually(lambda: len(updates) >= 2, "ticker updates")
    kraken.stop()
    await asyncio.wait_for(running, 15)
    assert paths == {"/v2"}


async def test_private_only_uses_the_environment_credentials(sim_credentials) -> None:
    sim = sim_credentials
    kraken = KrakenWebSocketAPI(url=sim.public_url, auth_url=sim.private_url, rest_url=sim.rest_url)
    snapshots = []
    paths: set[str] = set()
    kraken.trigger(BalancesSnapshotResponse)(snapshots.append)

    @kraken.user_task
    async def watch() -> None:
        while True:
            paths.update(path for _, path in sim.connections())
            await asyncio.sleep(0.01)

    running = asyncio.create_task(kraken.run([BalancesSubscriptionRequest()]))
    await eventually(lambda: snapshots, "the balances snapshot")
    kraken.stop()
    await asyncio.wait_for(running, 15)
    assert paths == {"/auth/v2"}


async def test_private_without_credentials_is_a_clear_error(sim, monkeypatch) -> None:
    for name in ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", "KRAKEN_REST_API_KEY", "KRAKEN_REST_API_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    kraken = KrakenWebSocketAPI(url=sim.public_url, auth_url=sim.private_url, rest_url=sim.rest_url)
    with pytest.raises(kraki.InvalidError, match="KRAKEN_REST_API_KEY"):
        await kraken.run([BalancesSubscriptionRequest()])

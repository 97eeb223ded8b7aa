"""kraki.Client's subscriptions: typed data, and the connection's events
in the same stream."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from conftest import within

import kraki
from kraki.messages import TickerSnapshot, TickerUpdate


async def test_ticker_stream_reconnects_and_reports_it(sim) -> None:
    async with await kraki.Client.connect(url=sim.public_url) as client:
        kinds: list[str] = []

        async def read() -> None:
            async for event in client.subscribe(kraki.Ticker(["BTC/USD"])):
                if isinstance(event, TickerSnapshot):
                    kinds.append("snapshot")
                    assert isinstance(event.last, Decimal)
                elif isinstance(event, TickerUpdate):
                    kinds.append("update")
                elif isinstance(event, kraki.Reconnecting):
                    kinds.append("reconnecting")
                elif isinstance(event, kraki.Reconnected):
                    kinds.append("reconnected")
                    return
                if kinds.count("update") == 2 and "reconnecting" not in kinds:
                    sim.cut_connections()

        await within(read(), "a reconnect seen by the stream", timeout=30)
        assert kinds[0] == "snapshot"
        assert kinds.index("reconnecting") < kinds.index("reconnected")


async def test_status_changes_reach_the_client(sim) -> None:
    client = await kraki.Client.connect(url=sim.public_url)
    try:
        sub = await client.subscribe(kraki.Ticker(["BTC/USD"]))
        assert client.status() is not None and client.status().system == "online"
        sim.set_status("maintenance")
        changed = await within(client.status_changed(), "the status change")
        while changed.system != "maintenance":
            changed = await within(client.status_changed(), "the maintenance status")
        assert client.status().system == "maintenance"
        await sub.close()
    finally:
        await client.close()


async def test_subscription_ends_when_the_client_closes(sim) -> None:
    client = await kraki.Client.connect(url=sim.public_url)
    sub = await client.subscribe(kraki.Trades(["BTC/USD"]))
    await client.close()

    async def drain() -> int:
        return len([event async for event in sub])

    assert await within(drain(), "the end of the stream") >= 0


async def test_refused_symbol_and_bad_spec_are_clear_errors(sim) -> None:
    client = await kraki.Client.connect(url=sim.public_url)
    try:
        with pytest.raises(kraki.RejectedError, match="NOPE/USD"):
            await client.subscribe(kraki.Ticker(["NOPE/USD"]))
        with pytest.raises(ValueError, match="BASE/QUOTE"):
            kraki.Ticker(["BTCUSD"])
        with pytest.raises(TypeError, match="kraki spec"):
            client.subscribe("ticker")
    finally:
        await client.close()


async def test_connect_failure_names_the_url() -> None:
    with pytest.raises(kraki.ConnectError, match="127.0.0.1:9"):
        await within(kraki.Client.connect(url="ws://127.0.0.1:9/v2"), "the connect error", timeout=30)


def test_simulator_faults_and_urls() -> None:
    with kraki.Simulator(seed=7) as sim:
        assert sim.public_url.startswith("ws://127.0.0.1:") and sim.public_url.endswith("/v2")
        assert sim.private_url.endswith("/auth/v2") and sim.rest_url.startswith("http://127.0.0.1:")
        assert sim.api_key == kraki.DEMO_API_KEY and sim.api_secret == kraki.DEMO_API_SECRET
        assert sim.api_secret not in repr(sim)
        with pytest.raises(kraki.InvalidError, match="unknown status"):
            sim.set_status("closed")
        sim.set_status("post_only")
    with pytest.raises(kraki.ClosedError):
        sim.cut_connections()


async def test_liveness_stream_has_heartbeats_and_pongs() -> None:
    # A paused market sends nothing but heartbeats once subscribed.
    with kraki.Simulator(seed=7, paused=True, heartbeat=0.05) as sim:
        client = await kraki.Client.connect(url=sim.public_url, ping_interval=0.3)
        try:
            ticker = await client.subscribe(kraki.Ticker(["BTC/USD"]))
            kinds: set[type] = set()

            async def read() -> None:
                async for event in client.subscribe(kraki.Liveness()):
                    kinds.add(type(event))
                    if kinds >= {kraki.messages.Heartbeat, kraki.messages.Pong}:
                        return

            await within(read(), "a heartbeat and a pong")
            await ticker.close()
        finally:
            await client.close()

"""What kraki.sockets does when triggers misbehave: a slow one costs a
counted lag, never the connection or the loop; one that raises is logged
with its traceback and the others go on."""

from __future__ import annotations

import asyncio

from conftest import eventually

import kraki

from kraki.sockets import KrakenWebSocketAPI
from kraki.sockets.schema.requests import BookSubscriptionRequest, TickerSubscriptionRequest
from kraki.sockets.schema.responses import (
    BookUpdateResponse,
    LaggedResponse,
    ReconnectingResponse,
    TickerUpdateResponse,
)


async def test_a_slow_trigger_is_lag_counted_and_reported() -> None:
    # A busy market and a small queue, so that a slow trigger falls behind
    # within the test.
    with kraki.Simulator(seed=7, rate=4000.0) as sim:
        await slow_trigger(sim)


async def slow_trigger(sim: kraki.Simulator) -> None:
    kraken = KrakenWebSocketAPI(url=sim.public_url, queue_capacity=16)
    logged: list[tuple[str, str]] = []
    lags: list[LaggedResponse] = []
    ticks = 0

    @kraken.user_logger
    def keep(message: str, level: str) -> None:
        logged.append((message, level))

    @kraken.trigger(BookUpdateResponse)
    async def slow(response: BookUpdateResponse) -> None:
        await asyncio.sleep(0.02)

    @kraken.trigger(LaggedResponse)
    def lagged(event: LaggedResponse) -> None:
        lags.append(event)

    @kraken.trigger(ReconnectingResponse)
    def lost(event) -> None:
        raise AssertionError("a slow trigger made the connection drop")

    @kraken.user_task
    async def ticker() -> None:
        # The loop stays free while the trigger is behind.
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(kraken.run([BookSubscriptionRequest(["BTC/USD"], depth=10)]))
    await eventually(lambda: lags, "a lag report", timeout=30)
    kraken.stop()
    await asyncio.wait_for(running, 15)
    assert kraken.lagged == sum(e.count for e in lags) > 0
    assert any("dropped" in m and level == "warning" for m, level in logged)
    assert ticks > 20, f"the loop was blocked: the user task ran {ticks} times"
    assert kraken.trigger_errors == 0


async def test_an_exception_in_a_trigger_is_logged_and_run_goes_on(sim) -> None:
    kraken = KrakenWebSocketAPI(url=sim.public_url)
    logged: list[tuple[str, str]] = []
    after_failure = 0
    calls = 0

    @kraken.user_logger
    def keep(message: str, level: str) -> None:
        logged.append((message, level))

    @kraken.trigger(TickerUpdateResponse)
    def broken(response: TickerUpdateResponse) -> None:
        nonlocal calls
        calls += 1
        raise ZeroDivisionError("a bug in the trigger")

    @kraken.trigger(TickerUpdateResponse)
    async def fine(response: TickerUpdateResponse) -> None:
        nonlocal after_failure
        after_failure += 1

    running = asyncio.create_task(kraken.run([TickerSubscriptionRequest(["BTC/USD"])]))
    await eventually(lambda: calls >= 3 and after_failure >= 3, "three updates past the failing trigger")
    assert not running.done(), "run ended after a trigger raised"
    kraken.stop()
    await asyncio.wait_for(running, 15)
    errors = [m for m, level in logged if level == "error"]
    assert len(errors) == kraken.trigger_errors == calls
    assert "Traceback" in errors[0] and "ZeroDivisionError: a bug in the trigger" in errors[0]
    assert "broken" in errors[0]


async def test_user_tasks_start_and_are_cancelled(sim) -> None:
    kraken = KrakenWebSocketAPI(url=sim.public_url)
    started = asyncio.Event()
    cancelled = False

    @kraken.user_task
    async def task() -> None:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled = True
            raise

    running = asyncio.create_task(kraken.run([TickerSubscriptionRequest(["BTC/USD"])]))
    await asyncio.wait_for(started.wait(), 15)
    kraken.stop()
    await asyncio.wait_for(running, 15)
    assert cancelled

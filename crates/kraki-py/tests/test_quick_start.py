"""kraken-sockets' quick start, with only its imports changed (and the
simulator's URL given, since Kraken is not reachable from tests)."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

from conftest import eventually

from kraki.sockets import KrakenWebSocketAPI
from kraki.sockets.schema.responses import TickerUpdateResponse, TradesUpdateResponse
from kraki.sockets.schema.requests.market_data_requests import (
    TickerSubscriptionRequest,
    TradesSubscriptionRequest,
)


async def test_quick_start_logs_prices_and_trades(sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kraki.sockets")

    async def main():
        kraken = KrakenWebSocketAPI(url=sim.public_url)

        @kraken.trigger(TickerUpdateResponse)
        async def ticker_handler(response: TickerUpdateResponse) -> None:
            kraken.log(f"Last price: ${response.last}", "info")

        @kraken.trigger(TradesUpdateResponse)
        async def trades_handler(response: TradesUpdateResponse) -> None:
            for trade in response.trades:
                kraken.log(f"{trade.side} {trade.price} @ {trade.qty}", "info")

        subscriptions = [
            TickerSubscriptionRequest(["BTC/USD", "ETH/USD"]),
            TradesSubscriptionRequest(["BTC/USD"]),
        ]
        await kraken.run(subscriptions)

    running = asyncio.create_task(main())
    messages = lambda: [r.getMessage() for r in caplog.records]  # noqa: E731
    prices = lambda: [m for m in messages() if m.startswith("Last price: $")]  # noqa: E731
    trades = lambda: [m for m in messages() if re.fullmatch(r"(buy|sell) \d+\.\d+ @ \d+\.\d+", m)]  # noqa: E731
    await eventually(lambda: len(prices()) >= 3 and len(trades()) >= 3, "ticker and trade log lines")
    assert not running.done(), "run ended by itself"
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    # Kraken's digits: BTC/USD prices have one decimal place, quantities eight.
    assert all(re.fullmatch(r"Last price: \$\d+\.\d+", p) for p in prices())
    assert any(re.fullmatch(r"(buy|sell) \d+\.\d @ \d+\.\d{8}", t) for t in trades())

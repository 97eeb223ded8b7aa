"""Every response type kraki.sockets offers, reached against the simulator,
with its fields typed: ``Decimal`` prices and quantities, UTC datetimes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from decimal import Decimal

from conftest import eventually

from kraki.sockets import KrakenWebSocketAPI
from kraki.sockets.schema import responses as r
from kraki.sockets.schema.requests import (
    BalancesSubscriptionRequest,
    BookSubscriptionRequest,
    ExecutionSubscriptionRequest,
    InstrumentsSubscriptionRequest,
    OHLCSubscriptionRequest,
    TickerSubscriptionRequest,
    TradesSubscriptionRequest,
)

PUBLIC = {
    r.HeartbeatResponse,
    r.PingResponse,
    r.StatusResponse,
    r.SubscriptionResponse,
    r.TickerSnapshotResponse,
    r.TickerUpdateResponse,
    r.TradesSnapshotResponse,
    r.TradesUpdateResponse,
    r.BookSnapshotResponse,
    r.BookUpdateResponse,
    r.OHLCSnapshotResponse,
    r.OHLCUpdateResponse,
    r.InstrumentsSnapshotResponse,
    r.InstrumentsUpdateResponse,
}
PRIVATE = {
    r.OrderSnapshotResponse,
    r.OrderUpdateResponse,
    r.BalancesSnapshotResponse,
    r.BalancesUpdateResponse,
}


async def test_every_response_type_is_reached(sim_credentials) -> None:
    sim = sim_credentials
    # Pings every 1.5 s: their pongs reach PingResponse. (The simulator
    # counts a pong as traffic that postpones its 1 s heartbeat, so a
    # shorter interval would silence the heartbeats of a quiet connection.)
    kraken = KrakenWebSocketAPI(
        url=sim.public_url, auth_url=sim.private_url, rest_url=sim.rest_url, ping_interval=1.5
    )
    seen: dict[type, list] = {}
    for cls in PUBLIC | PRIVATE | {r.UnsubscribeResponse}:

        @kraken.trigger(cls)
        def keep(response, cls=cls) -> None:
            seen.setdefault(cls, []).append(response)

    @kraken.user_task
    async def trade() -> None:
        # A fill of our own drives executions and balances updates.
        await eventually(lambda: r.OrderSnapshotResponse in seen, "the executions snapshot")
        client = kraken.private_client
        placed = await client.add_order("BTC/USD", "buy", "0.01", limit_price="60000.0")
        assert placed.order_id
        assert await sim.trade_to("BTC/USD", "60000.0", "0.01")

    @kraken.user_task
    async def change_a_pair() -> None:
        # The simulator's instruments change only when told: a pair going
        # into maintenance drives InstrumentsUpdateResponse.
        await eventually(lambda: r.InstrumentsSnapshotResponse in seen, "the instrument snapshot")
        sim.set_pair_status("SOL/USD", "maintenance")

    running = asyncio.create_task(
        kraken.run(
            [
                TickerSubscriptionRequest(["BTC/USD"]),
                TradesSubscriptionRequest(["BTC/USD"]),
                BookSubscriptionRequest(["BTC/USD"], depth=10),
                OHLCSubscriptionRequest(["BTC/USD"], interval=1),
                InstrumentsSubscriptionRequest(),
                ExecutionSubscriptionRequest(snap_orders=True, snap_trades=False),
                BalancesSubscriptionRequest(),
            ]
        )
    )
    missing = lambda: sorted(c.__name__ for c in (PUBLIC | PRIVATE) - seen.keys())  # noqa: E731
    await eventually(lambda: not missing(), "every response type", timeout=30, detail=missing)
    kraken.stop()
    await asyncio.wait_for(running, 15)
    assert r.UnsubscribeResponse in seen, "no unsubscribe response after stop()"

    ticker = seen[r.TickerUpdateResponse][0]
    assert ticker.symbol == "BTC/USD"
    for field in ("bid", "ask", "last", "volume", "bid_qty", "ask_qty", "vwap", "low", "high"):
        assert isinstance(getattr(ticker, field), Decimal), field
    trade = seen[r.TradesUpdateResponse][0].trades[0]
    assert trade.symbol == "BTC/USD" and trade.side in ("buy", "sell")
    assert isinstance(trade.price, Decimal) and isinstance(trade.qty, Decimal)
    assert trade.ord_type in ("limit", "market") and isinstance(trade.trade_id, int)
    assert isinstance(trade.timestamp, datetime) and trade.timestamp.tzinfo == timezone.utc
    book = seen[r.BookSnapshotResponse][0]
    assert len(book.bids) == 10 and isinstance(book.bids[0].price, Decimal)
    assert isinstance(book.checksum, int)
    candle = seen[r.OHLCSnapshotResponse][0].candles[0]
    assert isinstance(candle.open, Decimal) and candle.interval == 1
    pairs = {p.symbol for p in seen[r.InstrumentsSnapshotResponse][0].pairs}
    assert "BTC/USD" in pairs
    changed = seen[r.InstrumentsUpdateResponse][0].pairs
    assert [(p.symbol, p.status) for p in changed] == [("SOL/USD", "maintenance")]
    assert seen[r.StatusResponse][0].system == "online"
    pong = seen[r.PingResponse][0]
    assert isinstance(pong.req_id, int) and isinstance(pong.time_in, datetime)
    acks = {(a.result.channel, getattr(a.result, "symbol", None)) for a in seen[r.SubscriptionResponse]}
    assert ("ticker", "BTC/USD") in acks and ("executions", None) in acks
    balances = seen[r.BalancesSnapshotResponse][0].data
    usd = next(b for b in balances if b.asset == "USD")
    assert isinstance(usd.balance, Decimal) and usd.balance > 0
    fills = [
        report
        for update in seen[r.OrderUpdateResponse]
        for report in update.data
        if report.exec_type == "trade"
    ]
    assert fills and fills[0].last_qty == Decimal("0.01")

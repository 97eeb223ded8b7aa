"""Trading from Python through kraki's checks, against the simulator's
matching engine: place, see it in executions, fill it, amend, cancel."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from conftest import eventually, within

import kraki


async def reports(sub: kraki.Subscription, into: list) -> None:
    async for event in sub:
        if isinstance(event, (kraki.messages.ExecutionsSnapshot, kraki.messages.ExecutionsUpdate)):
            into.extend(event.data)


async def test_order_is_placed_filled_and_reported(sim) -> None:
    client = await kraki.Client.connect(
        auth_url=sim.private_url, rest_url=sim.rest_url, api_key=sim.api_key, api_secret=sim.api_secret
    )
    seen: list = []
    executions = await client.subscribe(kraki.Executions(snap_orders=True))
    reader = asyncio.create_task(reports(executions, seen))
    try:
        placed = await client.add_order(
            "BTC/USD", "buy", Decimal("0.01"), limit_price=Decimal("60000.0"), cl_ord_id="py-fill-1"
        )
        assert placed.order_id and placed.cl_ord_id == "py-fill-1"
        await eventually(
            lambda: any(r.order_id == placed.order_id and r.exec_type == "new" for r in seen),
            "the new order's execution report",
        )
        assert await sim.trade_to("BTC/USD", Decimal("60000.0"), Decimal("0.01"))
        await eventually(
            lambda: any(r.order_id == placed.order_id and r.exec_type == "trade" for r in seen),
            "the fill",
        )
        fill = next(r for r in seen if r.order_id == placed.order_id and r.exec_type == "trade")
        assert fill.last_qty == Decimal("0.01") and fill.last_price == Decimal("60000.0")
        assert isinstance(fill.last_price, Decimal)
        found = await client.find_order("py-fill-1")
        assert found is None or found.order_id == placed.order_id
    finally:
        reader.cancel()
        await client.close()


async def test_amend_cancel_cancel_all_and_dead_man_switch(sim) -> None:
    client = await kraki.Client.connect(
        auth_url=sim.private_url, rest_url=sim.rest_url, api_key=sim.api_key, api_secret=sim.api_secret
    )
    try:
        first = await client.add_order("BTC/USD", "buy", "0.01", limit_price="50000.0", post_only=True)
        amended = await client.amend_order(order_id=first.order_id, limit_price="50000.5", qty="0.02")
        assert amended.order_id == first.order_id
        canceled = await client.cancel_order(first.order_id)
        assert [c.order_id for c in canceled] == [first.order_id]
        with pytest.raises(kraki.RejectedError, match="rejected by Kraken: EOrder:"):
            await client.cancel_order(first.order_id)

        await client.add_order("BTC/USD", "sell", "0.01", limit_price="90000.0")
        await client.add_order("BTC/USD", "sell", "0.01", limit_price="90001.0")
        assert (await client.cancel_all()).count == 2

        switch = await client.keep_dead_man_switch(60)
        armed = await client.cancel_all_orders_after(60)
        assert armed.triggerTime != "0"
        await switch.disarm()
        disarmed = await client.cancel_all_orders_after(0)
        assert disarmed is not None
    finally:
        await client.close()


async def test_checks_before_sending(sim) -> None:
    client = await kraki.Client.connect(
        auth_url=sim.private_url, rest_url=sim.rest_url, api_key=sim.api_key, api_secret=sim.api_secret
    )
    try:
        # Finer than the pair's price increment (0.1): refused by kraki.
        with pytest.raises(kraki.InvalidError, match="price"):
            await client.add_order("BTC/USD", "buy", "0.01", limit_price="60000.05")
        with pytest.raises(TypeError, match="float"):
            await client.add_order("BTC/USD", "buy", 0.01, limit_price="60000.0")
        with pytest.raises(kraki.InvalidError, match="float"):
            await sim.trade_to("BTC/USD", 60000.0, "0.01")
        assert not await sim.trade_to("NOPE/USD", "1.0", "1.0")
        with pytest.raises(ValueError, match="side"):
            await client.add_order("BTC/USD", "long", "0.01", limit_price="60000.0")
    finally:
        await client.close()


async def test_wrong_credentials_fail_with_a_message_without_the_secret(sim) -> None:
    secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3QtbGVhaw=="
    with pytest.raises(kraki.KrakiError) as caught:
        await within(
            kraki.Client.connect(
                auth_url=sim.private_url, rest_url=sim.rest_url, api_key="nobody", api_secret=secret
            ),
            "the refusal",
        )
    assert secret not in str(caught.value)

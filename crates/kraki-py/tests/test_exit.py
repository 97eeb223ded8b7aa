"""Every result kraki's threads owe asyncio is delivered, or its work
dropped, before the interpreter finalizes: a thread entering Python
during finalization would crash the process after the script's last
line (``atexit`` runs ``kraki._kraki._settle``)."""

from __future__ import annotations

import asyncio

from conftest import within

import kraki
from kraki import _kraki


async def test_cancelled_and_finished_awaitables_leave_nothing_in_flight(sim) -> None:
    async with await kraki.Client.connect(url=sim.public_url) as client:
        stream = client.subscribe(kraki.Ticker(["BTC/USD"]))
        first = await within(anext(aiter(stream)), "a first ticker message", timeout=30)
        assert first is not None
        # A read left waiting on a connection that sends nothing more,
        # then cancelled, as Ctrl-C cancels readers: only dropping its
        # work on kraki's side ends it.
        sim.stall_connections()
        reader = asyncio.create_task(anext(aiter(stream)))
        await asyncio.sleep(0)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)

        async def drained() -> None:
            while _kraki._in_flight() > 0:
                await asyncio.sleep(0.01)

        await within(drained(), "the cancelled read dropped and the rest delivered", timeout=3)
        sim.cut_connections()
    # The client's close was awaited too: nothing is left for exit.
    _kraki._settle()
    assert _kraki._in_flight() == 0

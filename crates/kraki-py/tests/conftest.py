"""Every test runs against kraki's simulator, started in-process: no
network, no mocks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest

import kraki


@pytest.fixture
def sim() -> Iterator[kraki.Simulator]:
    """A simulator at 400 market events a second, so that every channel
    moves within a test's patience."""
    with kraki.Simulator(seed=7, rate=400.0) as simulator:
        yield simulator


@pytest.fixture
def sim_credentials(sim: kraki.Simulator, monkeypatch: pytest.MonkeyPatch) -> kraki.Simulator:
    """The simulator's demo credentials in the environment, under
    kraken-sockets' names, and no others."""
    for name in ("KRAKEN_API_KEY", "KRAKEN_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KRAKEN_REST_API_KEY", sim.api_key)
    monkeypatch.setenv("KRAKEN_REST_API_PRIVATE_KEY", sim.api_secret)
    return sim


async def eventually(
    check: Callable[[], bool],
    what: str,
    timeout: float = 15.0,
    step: float = 0.02,
    detail: Callable[[], object] | None = None,
) -> None:
    """Waits until ``check()`` holds; fails naming ``what`` (and
    ``detail()``, when given) after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            extra = f": {detail()}" if detail is not None else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}{extra}")
        await asyncio.sleep(step)


async def within(awaitable: Awaitable, what: str, timeout: float = 15.0):
    """``await awaitable``, failing naming ``what`` after ``timeout``."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        pytest.fail(f"timed out after {timeout}s waiting for {what}")

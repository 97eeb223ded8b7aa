#!/usr/bin/env python3
"""kraki's Python API beside python-kraken-sdk 3.5.1 on the same feed, in
one run.

The feed: `kraki sim` at a high rate, recorded once with `kraki record`
(book of BTC/USD at depth 10, with its instrument snapshot), then served
as fast as possible by `kraki replay --speed 0`, one replay per client, so
both clients get the same frames in the same order over loopback.

Measured, each as book updates per second from the first update to the
last (the recording's count):

1. messages into a trigger: kraki.sockets' `@trigger(BookUpdateResponse)`
   against python-kraken-sdk's `SpotWSClient` callback. kraki's messages
   read their fields when first asked for, so a trigger that only counts
   pays for no parsing; a second kraki run ("fields") has its trigger read
   a field, which makes all of them Python values (exact Decimals,
   datetime), against the SDK's dicts of floats;
2. book updates applied and verified: kraki's `client.book()` (applied and
   checked in Rust, its `verified` count read from Python) against the
   SDK's `SpotOrderBookClient` over the socket, and against the same SDK
   book fed the recorded frames in-process (already parsed: no socket, no
   JSON in its time).

Usage (the venv must hold both kraki and python-kraken-sdk; see
crates/kraki-py/bench/run):

    vs_python_kraken_sdk.py --kraki target/release/kraki [--seconds 8] [--rate 20000] [--rounds 3]

Each measure is taken --rounds times, in turn, and the median of its
rates is printed (and the ratios are of medians).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from collections.abc import Iterator

import kraki
from kraki.sockets import KrakenWebSocketAPI
from kraki.sockets.schema.requests import BookSubscriptionRequest
from kraki.sockets.schema.responses import BookUpdateResponse

from kraken.spot import Market, SpotOrderBookClient, SpotWSClient

SYMBOL = "BTC/USD"
DEPTH = 10


def lines_until_ready(process: subprocess.Popen, names: list[str], timeout: float = 60) -> dict[str, str]:
    """The `NAME URL` lines a kraki server prints before `ready`."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline().strip()
        if line == "ready":
            missing = [n for n in names if n not in found]
            if missing:
                sys.exit(f"bench: the server printed no {missing} URL")
            return found
        if not line and process.poll() is not None:
            sys.exit(f"bench: {process.args} exited before printing ready")
        name, _, url = line.partition(" ")
        found[name] = url
    sys.exit(f"bench: {process.args} printed no 'ready' within {timeout}s")


@contextmanager
def server(args: list[str], names: list[str]) -> Iterator[dict[str, str]]:
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        yield lines_until_ready(process, names)
    finally:
        process.terminate()
        process.wait(10)


def record(kraki_bin: str, rate: float, seconds: int, out: str) -> int:
    """Records a busy sim's book feed into `out`; the number of book
    updates recorded."""
    with server([kraki_bin, "sim", "--port", "0", "--rate", str(rate)], ["public"]) as urls:
        subprocess.run(
            [kraki_bin, "record", "book", "--symbol", SYMBOL, "--depth", str(DEPTH),
             "--url", urls["public"], "--out", out, "--duration", str(seconds)],
            check=True, stdout=subprocess.DEVNULL,
        )
    updates = 0
    with open(out) as f:
        for line in f:
            if '"channel":"book"' in line and '"type":"update"' in line:
                updates += 1
    return updates


def recorded_frames(path: str) -> list[dict]:
    frames = []
    with open(path) as f:
        next(f)  # the header
        for line in f:
            frame = json.loads(line)["frame"]
            if frame.get("channel") == "book":
                frames.append(frame)
    return frames


class Clock:
    """Time from the first counted message to the last."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.count = 0
        self.first = 0.0
        self.last = 0.0
        self.done = asyncio.Event()

    def tick(self, n: int = 1) -> None:
        now = time.perf_counter()
        if self.count == 0:
            self.first = now
        self.count += n
        self.last = now
        if self.count >= self.target:
            self.done.set()

    def rate(self) -> float:
        # The first message only starts the clock.
        span = self.last - self.first
        return (self.count - 1) / span if span > 0 else float("nan")


async def kraki_trigger(url: str, target: int, read_fields: bool = False) -> float:
    clock = Clock(target)
    kraken = KrakenWebSocketAPI(url=url, queue_capacity=1 << 20)

    @kraken.trigger(BookUpdateResponse)
    def count(response: BookUpdateResponse) -> None:
        if read_fields:
            # A message's fields are read from kraki's JSON when first
            # asked for: this pays for all of them (Decimals, datetime).
            response.bids
        clock.tick()

    running = asyncio.create_task(kraken.run([BookSubscriptionRequest([SYMBOL], depth=DEPTH)]))
    await asyncio.wait_for(clock.done.wait(), 300)
    kraken.stop()
    await running
    return clock.rate()


async def sdk_callback(url: str, rest: str, target: int) -> float:
    clock = Clock(target)

    async def on_message(message: dict) -> None:
        if message.get("channel") == "book" and message.get("type") == "update":
            clock.tick()

    client = SpotWSClient(callback=on_message, ws_url=url[: -len("/v2")], rest_url=rest)
    await client.start()
    await client.subscribe(params={"channel": "book", "symbol": [SYMBOL], "depth": DEPTH})
    await asyncio.wait_for(clock.done.wait(), 300)
    await client.close()
    return clock.rate()


async def kraki_book(url: str, target: int) -> tuple[float, int]:
    client = await kraki.Client.connect(url=url)
    book = await client.book(SYMBOL, depth=DEPTH)
    # The clock starts once subscribed (kraki applies updates on its own
    # thread whether or not Python looks), so it includes the wait for the
    # first frame: a bound in the SDK's favour. verified counts the
    # snapshot too: target + 1 messages in all.
    start = time.perf_counter()
    while True:
        await asyncio.wait_for(book.changed(), 300)
        state = book.state()
        if state.verified >= target + 1:
            break
    elapsed = time.perf_counter() - start
    await client.close()
    return target / elapsed, state.mismatches


def sdk_book_class(url: str, rest: str) -> type[SpotOrderBookClient]:
    class Book(SpotOrderBookClient):  # the SDK takes its URLs from the class
        WS_URL = url[: -len("/v2")]
        URL = rest

    return Book


async def sdk_book(url: str, rest: str, target: int) -> tuple[float, int]:
    clock = Clock(target)
    errors = 0

    async def on_update(pair: str, message: dict) -> None:
        nonlocal errors
        if "error" in message:
            errors += 1
        elif message.get("type") == "update":
            clock.tick()

    client = sdk_book_class(url, rest)(depth=DEPTH, callback=on_update)
    client._SpotOrderBookClient__market = Market(url=rest)  # noqa: SLF001 (the sim's pairs)
    await client.start()
    await client.add_book(pairs=[SYMBOL])
    await asyncio.wait_for(clock.done.wait(), 300)
    await client.close()
    return clock.rate(), errors


async def sdk_book_in_process(frames: list[dict], rest: str) -> tuple[float, int]:
    updates = sum(1 for f in frames if f.get("type") == "update")
    clock = Clock(updates)
    errors = 0

    async def on_update(pair: str, message: dict) -> None:
        nonlocal errors
        if "error" in message:
            errors += 1
        elif message.get("type") == "update":
            clock.tick()

    client = sdk_book_class("ws://unused/v2", rest)(depth=DEPTH, callback=on_update)
    client._SpotOrderBookClient__market = Market(url=rest)  # noqa: SLF001
    for frame in frames:
        await client.on_message(frame)
    return clock.rate(), errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kraki", required=True, help="the kraki binary (a release build)")
    parser.add_argument("--seconds", type=int, default=8, help="seconds of feed to record (more is steadier: kraki's book takes milliseconds)")
    parser.add_argument("--rate", type=float, default=20000.0, help="the sim's market events per second")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measure (the median is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work:
        recording = os.path.join(work, "book.jsonl")
        # The SDK's book needs the pairs' decimals over REST: a sim serves them.
        with server([args.kraki, "sim", "--port", "0"], ["rest"]) as sim:
            rest = sim["rest"]
            updates = record(args.kraki, args.rate, args.seconds, recording)
            print(f"recorded {updates} book updates of {SYMBOL} at depth {DEPTH}")
            replay = [args.kraki, "replay", recording, "--port", "0", "--speed", "0"]

            # Each measure taken --rounds times, in turn, and its median
            # kept: on a shared host one run of a few milliseconds (kraki's
            # book) can be stretched many times over by the scheduler.
            runs: dict[str, list[float]] = {}
            kraki_mismatches = sdk_errors = sdk_local_errors = 0
            frames = recorded_frames(recording)
            for _ in range(args.rounds):
                with server(replay, ["public"]) as r:
                    runs.setdefault("kraki trigger", []).append(await kraki_trigger(r["public"], updates))
                with server(replay, ["public"]) as r:
                    runs.setdefault("kraki trigger, fields", []).append(
                        await kraki_trigger(r["public"], updates, read_fields=True)
                    )
                with server(replay, ["public"]) as r:
                    runs.setdefault("sdk callback", []).append(await sdk_callback(r["public"], rest, updates))
                with server(replay, ["public"]) as r:
                    rate, mismatches = await kraki_book(r["public"], updates)
                    runs.setdefault("kraki book", []).append(rate)
                    kraki_mismatches += mismatches
                with server(replay, ["public"]) as r:
                    rate, errors = await sdk_book(r["public"], rest, updates)
                    runs.setdefault("sdk book", []).append(rate)
                    sdk_errors += errors
                rate, errors = await sdk_book_in_process(frames, rest)
                runs.setdefault("sdk book in-process", []).append(rate)
                sdk_local_errors += errors
            results = {name: statistics.median(values) for name, values in runs.items()}

    for name, value in results.items():
        spread = f"{min(runs[name]):,.0f}-{max(runs[name]):,.0f}"
        print(f"{name:>22}: {value:>12,.0f} updates/s (median of {len(runs[name])}: {spread})")
    print(f"messages into a trigger: kraki / sdk = {results['kraki trigger'] / results['sdk callback']:.1f}x (target 5x)")
    print(
        f"messages into a trigger that reads their fields: kraki / sdk = "
        f"{results['kraki trigger, fields'] / results['sdk callback']:.1f}x"
    )
    print(f"books verified: kraki / sdk = {results['kraki book'] / results['sdk book']:.1f}x (target 20x)")
    print(
        f"books verified: kraki / sdk in-process = "
        f"{results['kraki book'] / results['sdk book in-process']:.1f}x (target 20x)"
    )
    print(f"checksum mismatches: kraki {kraki_mismatches}, sdk {sdk_errors}, sdk in-process {sdk_local_errors}")


if __name__ == "__main__":
    asyncio.run(main())

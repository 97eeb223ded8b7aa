"""Ctrl-C ends ``run`` cleanly: the script's own clean-up runs, every
connection is closed, and nothing is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    import kraki
    from kraki.sockets import KrakenWebSocketAPI
    from kraki.sockets.schema.requests import TickerSubscriptionRequest
    from kraki.sockets.schema.responses import TickerUpdateResponse

    sim = kraki.Simulator(seed=7, rate=400.0)
    kraken = KrakenWebSocketAPI(url=sim.public_url)

    @kraken.trigger(TickerUpdateResponse)
    def tick(response):
        print("tick", flush=True)

    try:
        asyncio.run(kraken.run([TickerSubscriptionRequest(["BTC/USD"])]))
    except KeyboardInterrupt:
        # The simulator sees the close a moment after the client sent it.
        import time
        deadline = time.monotonic() + 5
        while sim.connections() and time.monotonic() < deadline:
            time.sleep(0.01)
        print("interrupted", kraken.public_client is None, sim.connections(), flush=True)
    sim.stop()
    print("done", flush=True)
    """
)


def test_ctrl_c_ends_run_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Ctrl-C's default action in the child, as at a terminal: a test
        # run started in the background by a shell without job control
        # ignores SIGINT, and the child would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while process.stdout.readline().strip() != "tick":
            assert time.monotonic() < deadline and process.poll() is None, "no ticker update"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert "interrupted True []" in lines, out + err
    assert lines[-1] == "done"
    assert "Task was destroyed" not in err and "Traceback" not in err, err

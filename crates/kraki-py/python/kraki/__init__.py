"""kraki for Python: Kraken's WebSocket API v2 on kraki's Rust core.

- ``kraki.Client``: ``await Client.connect(url=…)``, subscriptions as
  ``async for`` streams, verified books (``await client.book(…)``) and
  trading, with exact ``Decimal`` prices and quantities.
- ``kraki.Simulator``: kraki's local exchange, in-process, with faults,
  for tests that need no network.
- ``kraki.sockets``: the kraken-sockets API (``KrakenWebSocketAPI``) on
  the same core.
"""

import atexit

from . import _kraki
from ._kraki import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    Book as VerifiedBook,
    BookState,
    ClosedError,
    ConnectError,
    DeadManSwitch,
    InvalidError,
    KrakiError,
    KrakiTimeoutError,
    OutcomeUnknownError,
    RejectedError,
    Simulator,
)
from . import events, messages
from .client import Client, Subscription, env_credentials
from .events import ConnectionEvent, Gap, Lagged, Reconnected, Reconnecting, StatusChanged
from .specs import Balances, Book, Executions, Instrument, Liveness, Ohlc, Spec, Ticker, Trades

# Before the interpreter finalizes, every result kraki's threads still
# owe to asyncio is delivered (a thread entering Python during
# finalization crashes the process).
atexit.register(_kraki._settle)

__all__ = [
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "Balances",
    "Book",
    "BookState",
    "Client",
    "ClosedError",
    "ConnectError",
    "ConnectionEvent",
    "DeadManSwitch",
    "Executions",
    "Gap",
    "Instrument",
    "InvalidError",
    "KrakiError",
    "KrakiTimeoutError",
    "Lagged",
    "Liveness",
    "Ohlc",
    "OutcomeUnknownError",
    "Reconnected",
    "Reconnecting",
    "RejectedError",
    "Simulator",
    "Spec",
    "StatusChanged",
    "Subscription",
    "Ticker",
    "Trades",
    "VerifiedBook",
    "env_credentials",
    "events",
    "messages",
]

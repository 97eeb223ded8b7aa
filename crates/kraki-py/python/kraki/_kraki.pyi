"""Types of the Rust extension ``kraki._kraki`` (see the ``kraki`` package
for the documented API built on it)."""

from decimal import Decimal
from typing import Any, Awaitable, final

from .specs import Spec

DEMO_API_KEY: str
DEMO_API_SECRET: str

def _settle() -> None:
    """Waits (at most 2 s) until every result kraki's threads owe asyncio
    is delivered or its work dropped; run at exit."""

def _in_flight() -> int:
    """Awaitables whose result is not delivered yet (for tests)."""

class KrakiError(Exception):
    """Base class of every kraki error."""

class ConnectError(KrakiError):
    """No connection could be made, or it never became usable."""

class RejectedError(KrakiError):
    """The exchange refused the request; the message holds its error string."""

class OutcomeUnknownError(KrakiError):
    """A trading request was sent but not answered: it may or may not have been executed."""

class InvalidError(KrakiError):
    """A request kraki refused before sending it."""

class ClosedError(KrakiError):
    """The client (or simulator) was closed."""

class KrakiTimeoutError(KrakiError):
    """No answer within the time allowed."""

Level = tuple[Decimal, Decimal]

@final
class BookState:
    """A copy of a verified book at one moment."""

    @property
    def symbol(self) -> str: ...
    @property
    def status(self) -> str:
        """``syncing``, ``live``, ``resyncing`` or ``reconnecting``."""
    @property
    def bids(self) -> list[Level]:
        """``(price, qty)`` levels, best (highest) first."""
    @property
    def asks(self) -> list[Level]:
        """``(price, qty)`` levels, best (lowest) first."""
    @property
    def best_bid(self) -> Level | None: ...
    @property
    def best_ask(self) -> Level | None: ...
    @property
    def verified(self) -> int:
        """Messages whose checksum matched the book."""
    @property
    def mismatches(self) -> int:
        """Messages whose checksum did not (each one resyncs the book)."""
    @property
    def resyncs(self) -> int:
        """Fresh snapshots asked for."""
    @property
    def checksum(self) -> int:
        """The CRC32 checksum of the book as held."""

@final
class Book:
    """A book kept in sync and verified by kraki (``Client.book``)."""

    def state(self) -> BookState:
        """The book as it is now."""
    def changed(self) -> Awaitable[None]:
        """Resolves at once if the book changed since the last ``state()``,
        else at its next change; raises ``ClosedError`` once closed."""
    def close(self) -> None:
        """Stops following the book."""

@final
class DeadManSwitch:
    """A dead man's switch kraki keeps armed."""

    def disarm(self) -> Awaitable[None]:
        """Stops refreshing it and disarms it on the exchange."""

@final
class Pending:
    """A message as kraki decoded it, not yet made into Python objects."""

    def read(self) -> Any:
        """The message as a ``kraki._record.Record`` of its fields."""
    def json(self) -> str:
        """The message as kraki's JSON text."""

@final
class Feed:
    def next_batch(
        self, max: int = 256
    ) -> Awaitable[list[tuple[str, str | Pending, int, int]]]: ...
    def close(self) -> None: ...

@final
class RawClient:
    @staticmethod
    def connect(
        *,
        url: str | None = None,
        auth_url: str | None = None,
        rest_url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        queue_capacity: int | None = None,
        ping_interval: float | None = None,
    ) -> Awaitable[RawClient]: ...
    def liveness(self) -> Feed: ...
    def subscribe(self, spec: Spec) -> Awaitable[Feed]: ...
    def book(self, symbol: str, depth: int) -> Awaitable[Book]: ...
    def status(self) -> str | None: ...
    def status_changed(self) -> Awaitable[str | None]: ...
    def add_order(self, params: str) -> Awaitable[str]: ...
    def amend_order(self, params: str) -> Awaitable[str]: ...
    def cancel_order(
        self, order_ids: list[str], cl_ord_ids: list[str], userrefs: list[int]
    ) -> Awaitable[str]: ...
    def cancel_all(self) -> Awaitable[str]: ...
    def cancel_all_orders_after(self, seconds: int) -> Awaitable[str]: ...
    def keep_dead_man_switch(self, timeout: float) -> Awaitable[DeadManSwitch]: ...
    def find_order(self, cl_ord_id: str) -> Awaitable[str | None]: ...
    def close(self) -> Awaitable[None]: ...

@final
class Simulator:
    """kraki's simulated Kraken exchange, in-process on a loopback port.

    ``with Simulator(seed=7) as sim:`` starts it and stops it at the end.
    """

    def __init__(
        self,
        seed: int = 7,
        *,
        rate: float = 40.0,
        paused: bool = False,
        port: int = 0,
        api_key: str | None = None,
        api_secret: str | None = None,
        heartbeat: float = 1.0,
    ) -> None: ...
    def __enter__(self) -> Simulator: ...
    def __exit__(self, *exc: Any) -> bool: ...
    @property
    def public_url(self) -> str: ...
    @property
    def private_url(self) -> str: ...
    @property
    def level3_url(self) -> str: ...
    @property
    def rest_url(self) -> str: ...
    @property
    def api_key(self) -> str: ...
    @property
    def api_secret(self) -> str: ...
    def connections(self) -> list[tuple[int, str]]:
        """The open WebSocket connections as ``(id, path)``."""
    def close_connections(self) -> None: ...
    def cut_connections(self) -> None: ...
    def stall_connections(self) -> None: ...
    def send_garbage(self) -> None: ...
    def corrupt_next_checksum(self, symbol: str) -> None: ...
    def set_status(self, status: str) -> None:
        """``online``, ``maintenance``, ``cancel_only`` or ``post_only``."""
    def set_pair_status(self, symbol: str, status: str) -> None:
        """One pair's status (``online``, ``cancel_only``, ``post_only``,
        ``limit_only``, ``reduce_only``, ``maintenance``, ``delisted`` or
        ``work_in_progress``), sent to every ``instrument`` subscriber as an
        update; later snapshots show it and new orders on the pair follow
        it. ``InvalidError`` names an unknown symbol or status."""
    def mute_subscriptions(self, on: bool) -> None: ...
    def refuse_connections(self, count: int) -> None: ...
    def refuse_connections_for(self, seconds: float) -> None: ...
    def expire_tokens(self) -> None: ...
    def skip_execution_sequence(self) -> None: ...
    def trade_to(self, symbol: str, price: str | Decimal, qty: str | Decimal) -> Awaitable[bool]:
        """A market trade of ``qty`` at ``price``: fills resting orders it reaches."""
    def stop(self) -> None: ...

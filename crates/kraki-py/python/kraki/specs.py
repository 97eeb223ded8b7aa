"""What to subscribe to: one class per channel, as kraki's Rust client has."""

from __future__ import annotations

from collections.abc import Iterable


def _symbols(symbols: Iterable[str] | str) -> list[str]:
    listed = [symbols] if isinstance(symbols, str) else list(symbols)
    if not listed:
        raise ValueError("no symbol given (expected BASE/QUOTE, e.g. BTC/USD)")
    for symbol in listed:
        if not isinstance(symbol, str) or symbol.count("/") != 1:
            raise ValueError(f"invalid symbol {symbol!r} (expected BASE/QUOTE, e.g. BTC/USD)")
    return listed


class Spec:
    """Base of the subscription specs: the fields kraki's core reads."""

    #: The channel's name on the wire.
    channel: str = ""
    #: True for the channels that need an authenticated connection.
    private: bool = False

    def __init__(
        self,
        symbols: list[str] | None = None,
        *,
        depth: int | None = None,
        interval: int | None = None,
        snapshot: bool | None = None,
        snap_orders: bool | None = None,
        snap_trades: bool | None = None,
    ) -> None:
        self.symbols = symbols or []
        self.depth = depth
        self.interval = interval
        self.snapshot = snapshot
        self.snap_orders = snap_orders
        self.snap_trades = snap_trades

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if v not in (None, [])}
        inner = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{type(self).__name__}({inner})"


class Ticker(Spec):
    """The ``ticker`` channel of ``symbols``."""

    channel = "ticker"

    def __init__(self, symbols: Iterable[str] | str, *, snapshot: bool | None = None) -> None:
        super().__init__(_symbols(symbols), snapshot=snapshot)


class Trades(Spec):
    """The ``trade`` channel of ``symbols``."""

    channel = "trade"

    def __init__(self, symbols: Iterable[str] | str, *, snapshot: bool | None = None) -> None:
        super().__init__(_symbols(symbols), snapshot=snapshot)


class Book(Spec):
    """The ``book`` channel's messages as sent (for a verified book, use
    ``Client.book``). ``depth``: 10, 25, 100, 500 or 1000."""

    channel = "book"

    def __init__(
        self, symbols: Iterable[str] | str, *, depth: int = 10, snapshot: bool | None = None
    ) -> None:
        super().__init__(_symbols(symbols), depth=depth, snapshot=snapshot)


class Ohlc(Spec):
    """The ``ohlc`` channel: candles of ``interval`` minutes."""

    channel = "ohlc"

    def __init__(
        self, symbols: Iterable[str] | str, *, interval: int = 1, snapshot: bool | None = None
    ) -> None:
        super().__init__(_symbols(symbols), interval=interval, snapshot=snapshot)


class Instrument(Spec):
    """The ``instrument`` channel: every asset and pair."""

    channel = "instrument"

    def __init__(self, *, snapshot: bool | None = None) -> None:
        super().__init__(snapshot=snapshot)


class Executions(Spec):
    """Your orders and fills (authenticated)."""

    channel = "executions"
    private = True

    def __init__(self, *, snap_orders: bool | None = None, snap_trades: bool | None = None) -> None:
        super().__init__(snap_orders=snap_orders, snap_trades=snap_trades)


class Balances(Spec):
    """Your balances and ledger entries (authenticated)."""

    channel = "balances"
    private = True

    def __init__(self, *, snapshot: bool | None = None) -> None:
        super().__init__(snapshot=snapshot)


class Liveness(Spec):
    """Heartbeats and the answers to kraki's pings (``Heartbeat`` and
    ``Pong`` messages) of the connection: no wire subscription, kraki
    passes on what the exchange sends anyway."""

    channel = "liveness"

    def __init__(self) -> None:
        super().__init__()

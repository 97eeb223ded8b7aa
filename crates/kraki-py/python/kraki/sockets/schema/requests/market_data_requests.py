"""Subscriptions to public market data, by kraken-sockets' names."""

from __future__ import annotations

from collections.abc import Iterable

from ....specs import Book, Instrument, Ohlc, Ticker, Trades


class TickerSubscriptionRequest(Ticker):
    """The ticker of ``symbols`` (one ``TickerSnapshotResponse``, then a
    ``TickerUpdateResponse`` per change, each for one symbol)."""

    def __init__(self, symbols: Iterable[str] | str, snapshot: bool = True) -> None:
        super().__init__(symbols, snapshot=snapshot)


class TradesSubscriptionRequest(Trades):
    """Trades of ``symbols``; ``snapshot``: start with the recent trades."""

    def __init__(self, symbols: Iterable[str] | str, snapshot: bool = True) -> None:
        super().__init__(symbols, snapshot=snapshot)


class BookSubscriptionRequest(Book):
    """Book messages of ``symbols`` at ``depth`` (10, 25, 100, 500, 1000)."""

    def __init__(self, symbols: Iterable[str] | str, depth: int = 10, snapshot: bool = True) -> None:
        super().__init__(symbols, depth=depth, snapshot=snapshot)


class OHLCSubscriptionRequest(Ohlc):
    """Candles of ``symbols``, ``interval`` minutes each."""

    def __init__(self, symbols: Iterable[str] | str, interval: int = 1, snapshot: bool = True) -> None:
        super().__init__(symbols, interval=interval, snapshot=snapshot)


class InstrumentsSubscriptionRequest(Instrument):
    """Reference data of every asset and pair."""

    def __init__(self, snapshot: bool = True) -> None:
        super().__init__(snapshot=snapshot)

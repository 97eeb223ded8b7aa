"""The messages kraki delivers, one class per channel and kind.

Every class is a :class:`~kraki._record.Record`: Kraken's field names as
attributes, prices and quantities as ``Decimal`` with Kraken's digits,
times as ``datetime`` in UTC. ``type`` is ``"snapshot"`` or ``"update"``.
``kraki.sockets.schema.responses`` gives the same classes kraken-sockets'
names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._convert import loads
from ._record import Record, convert, loads_records

if TYPE_CHECKING:
    from . import _kraki


class Message(Record):
    """A message of one channel.

    A message from a subscription keeps kraki's typed value and makes it
    into Python objects the first time one of its fields is asked for: a trigger that only counts
    messages, or looks at a few and skips the rest, pays for no parsing.
    Reading any field (or ``repr``, ``==``, ``to_dict``, ``dir``) reads
    them all, once; ``vars(message)`` shows them only after that.
    """

    # The message not yet read into ``__dict__`` (kraki's typed value, or
    # JSON text); a slot, so that it is never one of the fields.
    __slots__ = ("_pending",)

    #: The channel's name on the wire.
    channel: str = ""

    def __getattr__(self, name: str) -> Any:
        # Only called for a name not found: a field not read yet.
        if name != "_pending" and self._read_pending():
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        self._read_pending()
        return list(super().__dir__())

    def to_dict(self) -> dict[str, Any]:
        self._read_pending()
        return super().to_dict()

    def __eq__(self, other: object) -> bool:
        self._read_pending()
        if isinstance(other, Message):
            other._read_pending()
        return super().__eq__(other)

    def __repr__(self) -> str:
        self._read_pending()
        return super().__repr__()

    def _read_pending(self) -> bool:
        """Reads the message kept, if any, into the fields; whether there
        was one."""
        try:
            pending = object.__getattribute__(self, "_pending")
        except AttributeError:
            return False
        object.__delattr__(self, "_pending")
        _fill(self, pending)
        return True


class TickerMessage(Message):
    """Base of the ``ticker`` channel's two kinds (triggers match the kind exactly)."""

    channel = "ticker"


class TickerSnapshot(TickerMessage):
    """The ticker of one symbol, first message: ``symbol``, ``bid``,
    ``bid_qty``, ``ask``, ``ask_qty``, ``last``, ``volume``, ``vwap``,
    ``low``, ``high``, ``change``, ``change_pct``."""

    channel = "ticker"


class TickerUpdate(TickerMessage):
    """The ticker of one symbol, after a trade (or a best bid/offer change)."""


class TradesMessage(Message):
    """Base of the ``trade`` channel's two kinds (triggers match the kind exactly)."""

    channel = "trade"


class TradesSnapshot(TradesMessage):
    """Recent trades of one symbol: ``symbol`` and ``trades``, each with
    ``symbol``, ``side`` (``"buy"``/``"sell"``), ``price``, ``qty``,
    ``ord_type``, ``trade_id`` and ``timestamp``."""

    channel = "trade"


class TradesUpdate(TradesMessage):
    """New trades of one symbol (``trades``)."""


class BookMessage(Message):
    """Base of the ``book`` channel's two kinds (triggers match the kind exactly)."""

    channel = "book"


class BookSnapshot(BookMessage):
    """A book message as sent (not applied): ``symbol``, ``bids``, ``asks``
    (levels with ``price`` and ``qty``), ``checksum``. For a book kept in
    sync and verified, use ``Client.book``."""

    channel = "book"


class BookUpdate(BookMessage):
    """Changed levels of one symbol's book, with the checksum after them."""


class OHLCMessage(Message):
    """Base of the ``ohlc`` channel's two kinds (triggers match the kind exactly)."""

    channel = "ohlc"


class OHLCSnapshot(OHLCMessage):
    """Candles of one symbol: ``symbol`` and ``candles`` (``open``, ``high``,
    ``low``, ``close``, ``vwap``, ``trades``, ``volume``,
    ``interval_begin``, ``interval``)."""

    channel = "ohlc"


class OHLCUpdate(OHLCMessage):
    """The current candle of one symbol, changed."""


class InstrumentsMessage(Message):
    """Base of the ``instrument`` channel's two kinds (triggers match the kind exactly)."""

    channel = "instrument"


class InstrumentsSnapshot(InstrumentsMessage):
    """Reference data: ``assets`` and ``pairs`` (with ``price_increment``,
    ``qty_increment``, ``qty_min``, …)."""

    channel = "instrument"


class InstrumentsUpdate(InstrumentsMessage):
    """Changed reference data: only the ``assets`` and ``pairs`` that
    changed, each in full (e.g. a pair whose ``status`` went to
    ``maintenance``, ``cancel_only``, … or back to ``online``)."""


class ExecutionsMessage(Message):
    """Base of the ``executions`` channel's two kinds (triggers match the kind exactly)."""

    channel = "executions"


class ExecutionsSnapshot(ExecutionsMessage):
    """Your open orders (and fills, with ``snap_trades``): ``data``, a list
    of execution reports (``order_id``, ``cl_ord_id``, ``exec_type``,
    ``order_status``, ``side``, ``limit_price``, ``last_qty``, …), and
    ``sequence``."""

    channel = "executions"


class ExecutionsUpdate(ExecutionsMessage):
    """Execution reports: orders placed, amended, filled, canceled."""


class BalancesMessage(Message):
    """Base of the ``balances`` channel's two kinds (triggers match the kind exactly)."""

    channel = "balances"


class BalancesSnapshot(BalancesMessage):
    """Your balances: ``data``, one entry per asset (``asset``,
    ``balance``, ``wallets``), and ``sequence``."""

    channel = "balances"


class BalancesUpdate(BalancesMessage):
    """Ledger entries that changed your balances (``data``)."""


class Status(Message):
    """The exchange's state: ``system`` (``online``, ``maintenance``,
    ``cancel_only``, ``post_only``), ``api_version``, ``connection_id``,
    ``version``."""

    channel = "status"


class Heartbeat(Message):
    """Kraken's heartbeat: the connection is alive and nothing else came."""

    channel = "heartbeat"


class Pong(Message):
    """The answer to a ping (``req_id``, ``time_in``, ``time_out``)."""

    channel = "pong"


class SubscriptionAck(Message):
    """The exchange accepted a subscription: ``method`` (``"subscribe"``),
    ``success``, ``result`` (``channel``, ``symbol``, …)."""

    channel = "subscribe"


class UnsubscribeAck(Message):
    """The exchange ended a subscription (``method`` is ``"unsubscribe"``)."""

    channel = "unsubscribe"


_CLASSES: dict[str, tuple[type[Message], type[Message]]] = {
    "ticker": (TickerSnapshot, TickerUpdate),
    "trade": (TradesSnapshot, TradesUpdate),
    "book": (BookSnapshot, BookUpdate),
    "ohlc": (OHLCSnapshot, OHLCUpdate),
    "instrument": (InstrumentsSnapshot, InstrumentsUpdate),
    "executions": (ExecutionsSnapshot, ExecutionsUpdate),
    "balances": (BalancesSnapshot, BalancesUpdate),
}

#: Where a channel's payload sits in kraki's JSON, lifted onto the message.
_NESTED = {"ticker": "ticker", "book": "book", "instrument": "data"}


def _build(cls: type[Message], fields: dict[str, Any]) -> Message:
    message = cls.__new__(cls)
    message.__dict__.update({key: convert(key, value) for key, value in fields.items()})
    return message


def lazy(channel: str, kind: str, pending: "_kraki.Pending | str") -> Message:
    """The message of ``channel`` and ``kind`` (``snapshot`` or ``update``,
    read by kraki's core) that ``pending`` holds (kraki's typed message, or
    its JSON text), its fields read when first asked for."""
    snapshot_cls, update_cls = _CLASSES[channel]
    cls = snapshot_cls if kind == "snapshot" else update_cls
    message = cls.__new__(cls)
    message._pending = pending
    return message


def from_json(channel: str, text: str) -> Message:
    """The message of ``channel`` that kraki's JSON ``text`` holds, read now."""
    fields: dict[str, Any] = loads_records(text).__dict__
    kind = fields.get("type", "update")
    snapshot_cls, update_cls = _CLASSES[channel]
    cls = snapshot_cls if kind == "snapshot" else update_cls
    message = cls.__new__(cls)
    _fill(message, text, fields)
    return message


def _fill(
    message: Message, source: "_kraki.Pending | str", fields: dict[str, Any] | None = None
) -> None:
    """Sets ``message``'s fields from ``source`` (kraki's typed message, made
    into Python objects by kraki's core, or kraki's JSON text), or from
    ``fields``, that source already read."""
    if fields is None:
        record = loads_records(source) if isinstance(source, str) else source.read()
        fields = record.__dict__
    channel = message.channel
    nested = _NESTED.get(channel)
    if nested is not None:
        inner = fields.pop(nested, None)
        if inner is not None:
            fields.update(inner.__dict__)
    if channel == "executions":
        fields["data"] = fields.pop("reports", [])
        fields["reports"] = fields["data"]
    elif channel == "trade":
        trades = fields["trades"]
        fields["symbol"] = trades[0].symbol if trades else None
    elif channel == "ohlc":
        candles = fields["candles"]
        fields["symbol"] = candles[0].symbol if candles else None
    message.__dict__.update(fields)


def pong_from_json(text: str) -> Pong:
    """A ``Pong`` from kraki's JSON of one pong."""
    return _build(Pong, loads(text))


def status_from_json(text: str) -> Status:
    """A ``Status`` from kraki's JSON of one status payload."""
    return _build(Status, loads(text))

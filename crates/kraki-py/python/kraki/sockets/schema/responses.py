"""The responses a trigger can be registered for, by kraken-sockets' names.

Each is a class of ``kraki.messages`` (fields by Kraken's names, prices and
quantities as ``Decimal``, times as ``datetime`` in UTC), so
``@kraken.trigger(TickerUpdateResponse)`` and ``kraki.TickerUpdate`` are
one class. Besides kraken-sockets' own, the connection's events can have
triggers too: ``LaggedResponse`` (a slow trigger made kraki drop
messages; ``.count``), ``ReconnectingResponse``, ``ReconnectedResponse``
and ``GapResponse``.
"""

from ... import events as _events
from ... import messages as _messages

HeartbeatResponse = _messages.Heartbeat
PingResponse = _messages.Pong
StatusResponse = _messages.Status
BookSnapshotResponse = _messages.BookSnapshot
BookUpdateResponse = _messages.BookUpdate
TickerSnapshotResponse = _messages.TickerSnapshot
TickerUpdateResponse = _messages.TickerUpdate
TradesSnapshotResponse = _messages.TradesSnapshot
TradesUpdateResponse = _messages.TradesUpdate
OHLCSnapshotResponse = _messages.OHLCSnapshot
OHLCUpdateResponse = _messages.OHLCUpdate
InstrumentsSnapshotResponse = _messages.InstrumentsSnapshot
InstrumentsUpdateResponse = _messages.InstrumentsUpdate
OrderSnapshotResponse = _messages.ExecutionsSnapshot
OrderUpdateResponse = _messages.ExecutionsUpdate
BalancesSnapshotResponse = _messages.BalancesSnapshot
BalancesUpdateResponse = _messages.BalancesUpdate
SubscriptionResponse = _messages.SubscriptionAck
UnsubscribeResponse = _messages.UnsubscribeAck

LaggedResponse = _events.Lagged
ReconnectingResponse = _events.Reconnecting
ReconnectedResponse = _events.Reconnected
GapResponse = _events.Gap

__all__ = [
    "BalancesSnapshotResponse",
    "BalancesUpdateResponse",
    "BookSnapshotResponse",
    "BookUpdateResponse",
    "GapResponse",
    "HeartbeatResponse",
    "InstrumentsSnapshotResponse",
    "InstrumentsUpdateResponse",
    "LaggedResponse",
    "OHLCSnapshotResponse",
    "OHLCUpdateResponse",
    "OrderSnapshotResponse",
    "OrderUpdateResponse",
    "PingResponse",
    "ReconnectedResponse",
    "ReconnectingResponse",
    "StatusResponse",
    "SubscriptionResponse",
    "TickerSnapshotResponse",
    "TickerUpdateResponse",
    "TradesSnapshotResponse",
    "TradesUpdateResponse",
    "UnsubscribeResponse",
]

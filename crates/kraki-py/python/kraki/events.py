"""What a subscription yields besides data: the connection's events.

None of them is lost: kraki delivers them in order even to a reader that
fell behind (data is what it drops, and ``Lagged`` says how much).
"""

from __future__ import annotations

from dataclasses import dataclass


class ConnectionEvent:
    """Base of the events below."""


@dataclass(frozen=True)
class Reconnecting(ConnectionEvent):
    """The connection was lost; kraki is reconnecting and will resubscribe."""


@dataclass(frozen=True)
class Reconnected(ConnectionEvent):
    """Every subscription of this stream is acked again after a reconnect."""


@dataclass(frozen=True)
class Lagged(ConnectionEvent):
    """The reader fell behind and ``count`` messages were dropped for it
    (the socket was never held up). Books resync by themselves; private
    channels get a fresh snapshot."""

    count: int


@dataclass(frozen=True)
class Gap(ConnectionEvent):
    """A sequence gap on a private channel: messages ``expected`` up to
    ``received`` never came; a fresh snapshot follows."""

    expected: int
    received: int


@dataclass(frozen=True)
class StatusChanged(ConnectionEvent):
    """The exchange's state changed (``online``, ``maintenance``,
    ``cancel_only``, ``post_only``)."""

    system: str

"""``KrakenWebSocketAPI``: kraken-sockets' API on kraki's core.

The sockets are read by kraki on its own Rust thread; each subscription
has one asyncio task here that takes its events in batches and runs the
triggers registered for their type. A trigger that is slow holds up only
its subscription's task: kraki keeps reading, drops what that reader has
no room for, and reports how many as a ``LaggedResponse`` (to the logger
and to triggers registered for it).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from .. import _kraki
from .._record import Record
from ..client import AUTH_URL, PUBLIC_URL, REST_URL, Client, Subscription, env_credentials
from ..events import Gap, Lagged, Reconnected, Reconnecting, StatusChanged
from ..messages import Heartbeat, Message, Pong, Status, SubscriptionAck, UnsubscribeAck
from ..specs import Liveness, Spec

F = TypeVar("F", bound=Callable[..., Any])

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

#: Where messages go when no ``user_logger`` is registered.
logger = logging.getLogger("kraki.sockets")


class KrakenWebSocketAPI:
    """Kraken's WebSocket API v2, driven by triggers.

    ``url``, ``auth_url`` and ``rest_url`` default to Kraken's endpoints;
    give the simulator's (``kraki.Simulator``) to run offline.
    ``queue_capacity``: messages kraki keeps per subscription for a trigger
    that is behind before it drops them (and counts them as lag).
    ``ping_interval``: seconds between kraki's pings, whose answers reach
    ``PingResponse`` triggers (30 by default).
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        auth_url: str | None = None,
        rest_url: str | None = None,
        queue_capacity: int | None = None,
        ping_interval: float | None = None,
    ) -> None:
        self.url = url or PUBLIC_URL
        self._ping_interval = ping_interval
        self.auth_url = auth_url or AUTH_URL
        self.rest_url = rest_url or REST_URL
        self._queue_capacity = queue_capacity
        self._triggers: defaultdict[type, list[Callable[[Any], Any]]] = defaultdict(list)
        # The triggers of each response class, its bases' included, worked
        # out once per class rather than per message.
        self._resolved: dict[type, list[Callable[[Any], Any]]] = {}
        self._loggers: list[Callable[[str, str], Any]] = []
        self._tasks: list[Callable[[], Awaitable[Any]]] = []
        self._stop: asyncio.Event | None = None
        self._stop_requested = False
        #: Messages kraki dropped because a trigger was behind, in total.
        self.lagged = 0
        #: Exceptions raised by triggers (each logged with its traceback).
        self.trigger_errors = 0
        #: The clients of the current ``run`` (public, authenticated).
        self.public_client: Client | None = None
        self.private_client: Client | None = None

    # -- registration ---------------------------------------------------

    def trigger(self, response_type: type) -> Callable[[F], F]:
        """Registers the decorated function (async or plain) to run with
        every response of ``response_type``. Several may be registered for
        one type; they run in the order registered."""
        if not isinstance(response_type, type):
            raise TypeError(f"trigger takes a response class, not {response_type!r}")

        def register(fn: F) -> F:
            self._triggers[response_type].append(fn)
            self._resolved.clear()
            return fn

        return register

    def user_logger(self, fn: F) -> F:
        """Registers ``fn(message, level)`` to receive every log line
        (``kraken.log`` and kraki's own: lag, reconnects, trigger errors)."""
        self._loggers.append(fn)
        return fn

    def user_task(self, fn: F) -> F:
        """Registers a coroutine function to run beside the triggers on the
        same loop: started by ``run``, cancelled when ``run`` ends."""
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"user_task takes an async function, not {fn!r}")
        self._tasks.append(fn)
        return fn

    # -- logging --------------------------------------------------------

    def log(self, message: str, level: str = "info") -> None:
        """Logs ``message`` at ``level`` (debug, info, warning, error,
        critical) through the ``user_logger`` functions, else the
        ``kraki.sockets`` logger."""
        if not self._loggers:
            logger.log(_LEVELS.get(level, logging.INFO), message)
            return
        for fn in self._loggers:
            try:
                result = fn(message, level)
                if inspect.isawaitable(result):
                    asyncio.ensure_future(result)
            except Exception:  # a broken logger must not stop the feed
                logger.exception("user_logger %r failed", fn)

    # -- running --------------------------------------------------------

    def stop(self) -> None:
        """Ends ``run``, which then returns normally."""
        self._stop_requested = True
        if self._stop is not None:
            self._stop.set()

    async def run(self, subscriptions: Iterable[Spec]) -> None:
        """Opens the endpoints ``subscriptions`` need (the authenticated one
        only for your own data), subscribes, and runs the triggers and user
        tasks until ``stop()`` or cancellation (Ctrl-C under
        ``asyncio.run``); then closes everything."""
        requests = list(subscriptions)
        for request in requests:
            if not isinstance(request, Spec):
                raise TypeError(f"not a subscription request: {request!r}")
        self._stop = asyncio.Event()
        if self._stop_requested:
            self._stop.set()
        public = [r for r in requests if not r.private]
        private = [r for r in requests if r.private]
        running: list[asyncio.Task[Any]] = []
        subs: list[Subscription] = []
        try:
            if public:
                self.public_client = await Client.connect(
                    self.url, queue_capacity=self._queue_capacity, ping_interval=self._ping_interval
                )
                running.append(asyncio.create_task(self._status(self.public_client)))
            if private:
                found = env_credentials()
                if found is None:
                    raise _kraki.InvalidError(
                        "private subscriptions need credentials: set KRAKEN_REST_API_KEY and "
                        "KRAKEN_REST_API_PRIVATE_KEY (or KRAKEN_API_KEY and KRAKEN_API_SECRET)"
                    )
                self.private_client = await Client.connect(
                    auth_url=self.auth_url,
                    rest_url=self.rest_url,
                    api_key=found[0],
                    api_secret=found[1],
                    queue_capacity=self._queue_capacity,
                    ping_interval=self._ping_interval,
                )
                if not public:
                    running.append(asyncio.create_task(self._status(self.private_client)))
            for request in requests:
                client = self.private_client if request.private else self.public_client
                assert client is not None
                sub = await client.subscribe(request)
                subs.append(sub)
                await self._acked(request, "subscribe")
                running.append(asyncio.create_task(self._read(sub)))
            if self._triggers_for(Heartbeat) or self._triggers_for(Pong):
                # Heartbeats and pongs of every connection opened.
                for client in (self.public_client, self.private_client):
                    if client is not None:
                        sub = await client.subscribe(Liveness())
                        subs.append(sub)
                        running.append(asyncio.create_task(self._read(sub)))
            for task in self._tasks:
                running.append(asyncio.create_task(self._user_task(task)))
            await self._stop.wait()
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            for sub in subs:
                await sub.close()
                if not isinstance(sub.spec, Liveness):
                    await self._acked(sub.spec, "unsubscribe")
            for client in (self.public_client, self.private_client):
                if client is not None:
                    await client.close()
            self.public_client = self.private_client = None
            self._stop = None
            self._stop_requested = False

    # -- internals ------------------------------------------------------

    async def _acked(self, request: Spec, method: str) -> None:
        # kraki waited for the exchange's ack of every symbol before the
        # subscribe call returned (and sends the unsubscribe as it closes):
        # one response per symbol, as Kraken acks them.
        cls = SubscriptionAck if method == "subscribe" else UnsubscribeAck
        if not self._triggers_for(cls):
            return
        for symbol in request.symbols or [None]:
            result: dict[str, Any] = {"channel": request.channel}
            if symbol is not None:
                result["symbol"] = symbol
            for name in ("depth", "interval", "snapshot", "snap_orders", "snap_trades"):
                value = getattr(request, name)
                if value is not None:
                    result[name] = value
            ack = cls(method=method, success=True, result=Record(**result))
            await self._dispatch(ack)

    def _triggers_for(self, cls: type) -> list[Callable[[Any], Any]]:
        found = self._resolved.get(cls)
        if found is None:
            found = []
            for base in cls.__mro__:
                found.extend(self._triggers.get(base, ()))
            self._resolved[cls] = found
        return found

    def _call(self, fn: Callable[[Any], Any], response: Any) -> Awaitable[Any] | None:
        """Runs one trigger; what it returned if that is to be awaited.
        A plain trigger runs here to the end, with no coroutine made for it."""
        try:
            result = fn(response)
        except Exception:
            self._failed(fn, response)
            return None
        if result is not None and inspect.isawaitable(result):
            return result
        return None

    async def _finish(self, fn: Callable[[Any], Any], response: Any, pending: Awaitable[Any]) -> None:
        try:
            await pending
        except asyncio.CancelledError:
            raise
        except Exception:
            self._failed(fn, response)

    def _failed(self, fn: Callable[[Any], Any], response: Any) -> None:
        self.trigger_errors += 1
        self.log(
            f"trigger {getattr(fn, '__qualname__', fn)} failed on "
            f"{type(response).__name__}:\n{traceback.format_exc()}",
            "error",
        )

    async def _dispatch(self, response: Any) -> None:
        for fn in self._triggers_for(type(response)):
            pending = self._call(fn, response)
            if pending is not None:
                await self._finish(fn, response, pending)

    async def _read(self, sub: Subscription) -> None:
        triggers_for = self._triggers_for
        call = self._call
        while await sub.fill():
            for event in sub.ready():
                if isinstance(event, Message):
                    # The common case, kept short: thousands a second.
                    for fn in triggers_for(type(event)):
                        pending = call(fn, event)
                        if pending is not None:
                            await self._finish(fn, event, pending)
                    continue
                if isinstance(event, Lagged):
                    self.lagged += event.count
                    self.log(
                        f"{sub.spec.channel}: triggers fell behind; kraki dropped "
                        f"{event.count} message(s) (the connection was not held up)",
                        "warning",
                    )
                elif isinstance(event, Reconnecting):
                    self.log(f"{sub.spec.channel}: connection lost, reconnecting", "warning")
                elif isinstance(event, Reconnected):
                    self.log(f"{sub.spec.channel}: reconnected and resubscribed", "info")
                elif isinstance(event, Gap):
                    self.log(
                        f"{sub.spec.channel}: sequence gap {event.expected}..{event.received}; "
                        "a fresh snapshot follows",
                        "warning",
                    )
                elif isinstance(event, StatusChanged):
                    continue  # reported once per connection by _status
                await self._dispatch(event)

    async def _status(self, client: Client) -> None:
        last = client.status()
        if last is not None:
            await self._dispatch(last)
        while True:
            status: Status | None = await client.status_changed()
            if status is None:
                return
            if last is not None and status == last:
                continue
            last = status
            await self._dispatch(status)

    async def _user_task(self, fn: Callable[[], Awaitable[Any]]) -> None:
        try:
            await fn()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.log(
                f"user task {getattr(fn, '__qualname__', fn)} failed:\n{traceback.format_exc()}",
                "error",
            )

"""``kraki.Client``: kraki's Rust client from asyncio."""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from . import _kraki
from ._convert import loads
from ._record import Record
from .events import ConnectionEvent, Gap, Lagged, Reconnected, Reconnecting, StatusChanged
from .messages import Heartbeat, Message, Status, from_json, lazy, pong_from_json, status_from_json
from .specs import Liveness, Spec

#: Kraken's endpoints, used when no URL is given.
PUBLIC_URL = "wss://ws.kraken.com/v2"
AUTH_URL = "wss://ws-auth.kraken.com/v2"
REST_URL = "https://api.kraken.com"


def env_credentials() -> tuple[str, str] | None:
    """The API key and secret from the environment: ``KRAKEN_API_KEY`` /
    ``KRAKEN_API_SECRET``, or ``KRAKEN_REST_API_KEY`` /
    ``KRAKEN_REST_API_PRIVATE_KEY``; None when neither pair is set."""
    for key_name, secret_name in (
        ("KRAKEN_API_KEY", "KRAKEN_API_SECRET"),
        ("KRAKEN_REST_API_KEY", "KRAKEN_REST_API_PRIVATE_KEY"),
    ):
        key, secret = os.environ.get(key_name), os.environ.get(secret_name)
        if key and secret:
            return key, secret
    return None


def _event(
    kind: str, payload: "str | _kraki.Pending", a: int, b: int, channel: str
) -> Message | ConnectionEvent:
    if kind == "update" or kind == "snapshot":
        return lazy(channel, kind, payload)
    if kind == "data":  # a message whose kind kraki's core did not read
        return from_json(channel, payload)
    if kind == "heartbeat":
        return Heartbeat()
    if kind == "pong":
        return pong_from_json(payload)
    if kind == "lagged":
        return Lagged(a)
    if kind == "reconnecting":
        return Reconnecting()
    if kind == "reconnected":
        return Reconnected()
    if kind == "gap":
        return Gap(a, b)
    if kind == "status":
        return StatusChanged(payload)
    raise _kraki.KrakiError(f"unexpected event from kraki's core: {kind} {payload}")


class Subscription:
    """The events of one subscription: messages (``kraki.messages``) and
    connection events (``kraki.events``), in order.

    ``async for event in client.subscribe(spec)`` subscribes at the first
    iteration; ``sub = await client.subscribe(spec)`` subscribes at once
    (and raises if the exchange refuses). The iteration ends when the
    client closes. ``await sub.close()`` (or leaving ``async with``)
    ends it; kraki unsubscribes once nothing else uses the subscription.
    """

    def __init__(self, raw: _kraki.RawClient, spec: Spec) -> None:
        self._raw = raw
        self._spec = spec
        self._feed: _kraki.Feed | None = None
        self._ready: deque[tuple[str, str, int, int]] = deque()
        self._ended = False

    @property
    def spec(self) -> Spec:
        """What was subscribed to."""
        return self._spec

    async def _open(self) -> "Subscription":
        if self._feed is None:
            if isinstance(self._spec, Liveness):
                self._feed = self._raw.liveness()
            else:
                self._feed = await self._raw.subscribe(self._spec)
        return self

    def __await__(self):
        return self._open().__await__()

    async def __aenter__(self) -> "Subscription":
        return await self._open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __aiter__(self) -> AsyncIterator[Message | ConnectionEvent]:
        return self

    async def __anext__(self) -> Message | ConnectionEvent:
        if not self._ready:
            await self.fill()
        if not self._ready:
            raise StopAsyncIteration
        return _event(*self._ready.popleft(), self._spec.channel)

    async def fill(self) -> int:
        """Waits for the next events and queues them; how many came (0 once
        the subscription ended). For readers that take events in batches."""
        if self._ended:
            return 0
        feed = self._feed or (await self._open())._feed
        assert feed is not None
        batch = await feed.next_batch()
        if not batch:
            self._ended = True
        self._ready.extend(batch)
        return len(batch)

    def ready(self) -> list[Message | ConnectionEvent]:
        """Every event already queued by ``fill``, converted, without waiting."""
        channel = self._spec.channel
        out = [_event(*item, channel) for item in self._ready]
        self._ready.clear()
        return out

    async def close(self) -> None:
        """Ends the subscription."""
        self._ended = True
        if self._feed is not None:
            self._feed.close()


def _params_json(params: dict[str, Any]) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError(f"cannot send {type(value).__name__} {value!r} as an order parameter")

    return json.dumps({k: v for k, v in params.items() if v is not None}, default=default)


def _exact(name: str, value: Any) -> str | None:
    """A price or quantity as exact text; floats are refused (they are not
    the number the user wrote)."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, str or int, not a float ({value!r}): floats are not exact")
    if isinstance(value, (Decimal, int, str)) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"{name} must be a Decimal, str or int, not {type(value).__name__}")


class Client:
    """A connection to Kraken's WebSocket API v2 (or the simulator), run by
    kraki's Rust core: the socket is read on kraki's thread, books are
    verified there, and asyncio only gets the results.

    Make one with ``await Client.connect(...)``; end it with
    ``await client.close()`` or ``async with``.
    """

    def __init__(self, raw: _kraki.RawClient) -> None:
        self._raw = raw

    @classmethod
    async def connect(
        cls,
        url: str | None = None,
        *,
        auth_url: str | None = None,
        rest_url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        queue_capacity: int | None = None,
        ping_interval: float | None = None,
    ) -> "Client":
        """Connects to the public endpoint at ``url`` (Kraken's by default),
        or, given ``api_key`` and ``api_secret``, to the authenticated one
        at ``auth_url`` with a token from ``rest_url``. ``queue_capacity``:
        messages kept per subscription for a slow reader before they are
        dropped and counted (``Lagged``). ``ping_interval``: seconds
        between kraki's pings (30 by default); their answers come to
        ``subscribe(kraki.Liveness())`` as ``Pong`` messages."""
        raw = await _kraki.RawClient.connect(
            url=url,
            auth_url=auth_url,
            rest_url=rest_url,
            api_key=api_key,
            api_secret=api_secret,
            queue_capacity=queue_capacity,
            ping_interval=ping_interval,
        )
        return cls(raw)

    @classmethod
    async def connect_auth(
        cls,
        *,
        auth_url: str | None = None,
        rest_url: str | None = None,
        api_key: str | None = None,
        api_secret: str | None = None,
        queue_capacity: int | None = None,
        ping_interval: float | None = None,
    ) -> "Client":
        """Connects to the authenticated endpoint with the given credentials,
        else those of the environment (see ``env_credentials``)."""
        if api_key is None and api_secret is None:
            found = env_credentials()
            if found is None:
                raise _kraki.InvalidError(
                    "no credentials: set KRAKEN_API_KEY and KRAKEN_API_SECRET "
                    "(or KRAKEN_REST_API_KEY and KRAKEN_REST_API_PRIVATE_KEY)"
                )
            api_key, api_secret = found
        return await cls.connect(
            auth_url=auth_url,
            rest_url=rest_url,
            api_key=api_key,
            api_secret=api_secret,
            queue_capacity=queue_capacity,
            ping_interval=ping_interval,
        )

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def subscribe(self, spec: Spec) -> Subscription:
        """The events of ``spec`` (e.g. ``kraki.Ticker(["BTC/USD"])``); see
        ``Subscription``."""
        if not isinstance(spec, Spec):
            raise TypeError(f"subscribe takes a kraki spec such as kraki.Ticker([...]), not {spec!r}")
        return Subscription(self._raw, spec)

    async def book(self, symbol: str, depth: int = 10) -> _kraki.Book:
        """A book of ``symbol`` kept in sync and verified against Kraken's
        checksums by kraki; it resyncs by itself after a mismatch or a
        reconnect. ``book.state()`` reads it, ``await book.changed()``
        waits for a change."""
        return await self._raw.book(symbol, depth)

    def status(self) -> Status | None:
        """The exchange's latest ``status`` message, if one came."""
        text = self._raw.status()
        return None if text is None else status_from_json(text)

    async def status_changed(self) -> Status | None:
        """Waits for the exchange's status to change; None once closed."""
        text = await self._raw.status_changed()
        return None if text is None else status_from_json(text)

    async def add_order(
        self,
        symbol: str,
        side: str,
        qty: Decimal | str | int,
        *,
        order_type: str = "limit",
        limit_price: Decimal | str | int | None = None,
        trigger_price: Decimal | str | int | None = None,
        post_only: bool | None = None,
        reduce_only: bool | None = None,
        time_in_force: str | None = None,
        cl_ord_id: str | None = None,
        order_userref: int | None = None,
        validate: bool | None = None,
        **extra: Any,
    ) -> Record:
        """Places an order (Kraken's ``add_order``) after kraki's checks
        against the pair's rules. Returns the result (``order_id``,
        ``cl_ord_id``, …). Raises ``RejectedError`` with Kraken's error,
        ``InvalidError`` when a check fails before sending, and
        ``OutcomeUnknownError`` when no answer came and kraki's lookup of
        the ``cl_ord_id`` could not settle it. ``extra`` takes any other
        field of Kraken's ``add_order`` by its name."""
        if side not in ("buy", "sell"):
            raise ValueError(f"side must be 'buy' or 'sell', not {side!r}")
        params: dict[str, Any] = {
            "order_type": order_type,
            "side": side,
            "order_qty": _exact("qty", qty),
            "symbol": symbol,
            "limit_price": _exact("limit_price", limit_price),
            "post_only": post_only,
            "reduce_only": reduce_only,
            "time_in_force": time_in_force,
            "cl_ord_id": cl_ord_id,
            "order_userref": order_userref,
            "validate": validate,
        }
        if trigger_price is not None:
            params["triggers"] = {"price": _exact("trigger_price", trigger_price)}
        params.update(extra)
        return Record.from_dict(loads(await self._raw.add_order(_params_json(params))))

    async def amend_order(
        self,
        *,
        order_id: str | None = None,
        cl_ord_id: str | None = None,
        qty: Decimal | str | int | None = None,
        limit_price: Decimal | str | int | None = None,
        trigger_price: Decimal | str | int | None = None,
        post_only: bool | None = None,
        **extra: Any,
    ) -> Record:
        """Amends an order in place (Kraken's ``amend_order``), found by
        ``order_id`` or ``cl_ord_id``."""
        if (order_id is None) == (cl_ord_id is None):
            raise ValueError("give exactly one of order_id and cl_ord_id")
        params: dict[str, Any] = {
            "order_id": order_id,
            "cl_ord_id": cl_ord_id,
            "order_qty": _exact("qty", qty),
            "limit_price": _exact("limit_price", limit_price),
            "trigger_price": _exact("trigger_price", trigger_price),
            "post_only": post_only,
        }
        params.update(extra)
        return Record.from_dict(loads(await self._raw.amend_order(_params_json(params))))

    async def cancel_order(
        self,
        order_id: str | list[str] | None = None,
        *,
        cl_ord_id: str | list[str] | None = None,
        order_userref: int | list[int] | None = None,
    ) -> list[Record]:
        """Cancels orders by id, client id or tag; the canceled ones."""

        def listed(value: Any) -> list[Any]:
            if value is None:
                return []
            return [value] if isinstance(value, (str, int)) else list(value)

        text = await self._raw.cancel_order(listed(order_id), listed(cl_ord_id), listed(order_userref))
        return [Record.from_dict(item) for item in loads(text)]

    async def cancel_all(self) -> Record:
        """Cancels every open order (``count``)."""
        return Record.from_dict(loads(await self._raw.cancel_all()))

    async def cancel_all_orders_after(self, seconds: int) -> Record:
        """Arms the dead man's switch once: every order is canceled
        ``seconds`` from now unless called again; 0 disarms it."""
        return Record.from_dict(loads(await self._raw.cancel_all_orders_after(seconds)))

    async def keep_dead_man_switch(self, timeout: float = 60.0) -> _kraki.DeadManSwitch:
        """Arms the dead man's switch for ``timeout`` seconds and has kraki
        refresh it until ``await switch.disarm()``; if this process dies,
        the exchange cancels every order once ``timeout`` passes."""
        return await self._raw.keep_dead_man_switch(float(timeout))

    async def find_order(self, cl_ord_id: str) -> Record | None:
        """The execution report of the order with ``cl_ord_id`` in a fresh
        executions snapshot, or None."""
        text = await self._raw.find_order(cl_ord_id)
        return None if text is None else Record.from_dict(loads(text))

    async def close(self) -> None:
        """Closes the connection; every subscription then ends."""
        await self._raw.close()

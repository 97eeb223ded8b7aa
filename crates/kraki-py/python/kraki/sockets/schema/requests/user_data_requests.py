"""Subscriptions to your own data (authenticated with the environment's
``KRAKEN_REST_API_KEY``/``KRAKEN_REST_API_PRIVATE_KEY``, or
``KRAKEN_API_KEY``/``KRAKEN_API_SECRET``), by kraken-sockets' names."""

from __future__ import annotations

from ....specs import Balances, Executions


class ExecutionSubscriptionRequest(Executions):
    """The ``executions`` channel: ``OrderSnapshotResponse`` with your open
    orders (``snap_orders``) and recent fills (``snap_trades``), then an
    ``OrderUpdateResponse`` per change."""

    def __init__(self, snap_orders: bool = True, snap_trades: bool = False) -> None:
        super().__init__(snap_orders=snap_orders, snap_trades=snap_trades)


#: kraken-sockets' other name for the executions channel.
OrdersSubscriptionRequest = ExecutionSubscriptionRequest


class BalancesSubscriptionRequest(Balances):
    """The ``balances`` channel: ``BalancesSnapshotResponse``, then a
    ``BalancesUpdateResponse`` per ledger entry."""

    def __init__(self, snapshot: bool = True) -> None:
        super().__init__(snapshot=snapshot)

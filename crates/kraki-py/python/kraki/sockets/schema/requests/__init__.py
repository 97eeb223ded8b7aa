"""Subscription requests, by kraken-sockets' names (also importable from
``market_data_requests`` and ``user_data_requests``, as in kraken-sockets)."""

from .market_data_requests import (
    BookSubscriptionRequest,
    InstrumentsSubscriptionRequest,
    OHLCSubscriptionRequest,
    TickerSubscriptionRequest,
    TradesSubscriptionRequest,
)
from .user_data_requests import (
    BalancesSubscriptionRequest,
    ExecutionSubscriptionRequest,
    OrdersSubscriptionRequest,
)

__all__ = [
    "BalancesSubscriptionRequest",
    "BookSubscriptionRequest",
    "ExecutionSubscriptionRequest",
    "InstrumentsSubscriptionRequest",
    "OHLCSubscriptionRequest",
    "OrdersSubscriptionRequest",
    "TickerSubscriptionRequest",
    "TradesSubscriptionRequest",
]

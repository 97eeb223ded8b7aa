"""kraken-sockets' API on kraki's Rust core: a kraken-sockets script needs
only its imports changed::

    from kraki.sockets import KrakenWebSocketAPI
    from kraki.sockets.schema.responses import TickerUpdateResponse
    from kraki.sockets.schema.requests import TickerSubscriptionRequest
"""

from .api import KrakenWebSocketAPI

__all__ = ["KrakenWebSocketAPI"]

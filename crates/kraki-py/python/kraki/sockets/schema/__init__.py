"""kraken-sockets' typed messages: ``responses`` and ``requests``."""

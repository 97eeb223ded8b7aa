"""A book verified by kraki's Rust core, read from Python, through the
faults that break books: a wrong checksum and a cut connection."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from conftest import eventually, within

import kraki


def check_shape(state: kraki.BookState, depth: int) -> None:
    assert state.symbol == "BTC/USD"
    assert len(state.bids) == depth and len(state.asks) == depth
    for price, qty in state.bids + state.asks:
        assert isinstance(price, Decimal) and isinstance(qty, Decimal) and qty > 0
    bid_prices = [p for p, _ in state.bids]
    ask_prices = [p for p, _ in state.asks]
    assert bid_prices == sorted(bid_prices, reverse=True), "bids not best (highest) first"
    assert ask_prices == sorted(ask_prices), "asks not best (lowest) first"
    assert state.best_bid == state.bids[0] and state.best_ask == state.asks[0]
    assert state.bids is state.bids, "a state's levels are made once"
    assert state.best_bid[0] < state.best_ask[0]
    # Kraken's digits for BTC/USD: one decimal place, eight for quantities.
    assert all(p.as_tuple().exponent == -1 for p in bid_prices + ask_prices)
    assert all(q.as_tuple().exponent == -8 for _, q in state.bids + state.asks)


async def test_book_is_verified_and_changes(sim) -> None:
    client = await kraki.Client.connect(sim.public_url)
    try:
        book = await client.book("BTC/USD", depth=10)
        await eventually(lambda: book.state().status == "live", "a live book")
        state = book.state()
        check_shape(state, 10)
        assert isinstance(state.verified, int) and state.verified >= 1
        assert state.mismatches == 0
        # changed() wakes at each change after state(); a change may be of
        # the status alone, so wait for a few until a verified update shows.
        for _ in range(50):
            await within(book.changed(), "a book change")
            after = book.state()
            if after.verified > state.verified:
                break
        assert after.verified > state.verified
    finally:
        await client.close()


async def test_changed_returns_at_once_after_a_change(sim) -> None:
    client = await kraki.Client.connect(sim.public_url)
    try:
        book = await client.book("BTC/USD", depth=10)
        await eventually(lambda: book.state().status == "live", "a live book")
        first = book.state().verified
        # Let updates arrive without reading the state in between.
        await asyncio.sleep(0.3)
        # Already changed since the last state(): resolves without waiting.
        await asyncio.wait_for(book.changed(), 0.05)
        assert book.state().verified > first
    finally:
        await client.close()


async def test_book_survives_a_corrupted_checksum_and_a_cut(sim) -> None:
    client = await kraki.Client.connect(sim.public_url)
    try:
        book = await client.book("BTC/USD", depth=10)
        await eventually(lambda: book.state().status == "live", "a live book")
        sim.corrupt_next_checksum("BTC/USD")
        await eventually(lambda: book.state().mismatches >= 1, "the corrupted checksum to be caught")
        mismatched = book.state()
        await eventually(
            lambda: book.state().status == "live" and book.state().verified > mismatched.verified,
            "the book to resync after the mismatch",
        )
        assert book.state().resyncs >= 1

        sim.cut_connections()
        await eventually(lambda: book.state().status != "live", "the book to see the cut")
        before = book.state().verified
        await eventually(
            lambda: book.state().status == "live" and book.state().verified > before,
            "the book to be live again after the reconnect",
        )
        check_shape(book.state(), 10)
        assert book.state().mismatches == mismatched.mismatches, "a new mismatch after the reconnect"
    finally:
        await client.close()


async def test_unknown_symbol_is_a_clear_error(sim) -> None:
    client = await kraki.Client.connect(sim.public_url)
    try:
        with pytest.raises(kraki.InvalidError, match="NOPE/USD"):
            await client.book("NOPE/USD", depth=10)
    finally:
        await client.close()

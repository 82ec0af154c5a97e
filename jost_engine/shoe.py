"""The shoe: cards as integer values, each with its count tag, and a per-shard RNG stream."""

from __future__ import annotations

import numpy as np

from jost_engine.counting import CountTags

RANK_VALUES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10)  # A, 2..10, J, Q, K
SUITS = ("spades", "hearts", "diamonds", "clubs")
RED_SUITS = frozenset({"hearts", "diamonds"})


def new_shoe(decks: int, tags: CountTags) -> np.ndarray:
    """A fresh, unshuffled shoe of card codes: ``value | tag << 4`` (ace = 1, tens = 10).

    One integer per card keeps the shuffle to one array; ``code & 15`` is the value and
    ``code >> 4`` the count tag (times the tag denominator, sign kept). The order is fixed
    (deck by deck, suit by suit, A..K) so that a seed alone decides the shuffled order.
    """
    codes = [
        card_code(value, tags.tag(value, suit in RED_SUITS))
        for _ in range(decks)
        for suit in SUITS
        for value in RANK_VALUES
    ]
    return np.array(codes, dtype=np.int64)


def card_code(value: int, tag: int) -> int:
    return value | (tag << 4)


def card_value(code: int) -> int:
    return code & 15


def card_tag(code: int) -> int:
    return code >> 4


def rng_state(seed: int, stream: int) -> np.ndarray:
    """The xoshiro256** state of one independent stream (numpy SeedSequence, spawn key).

    ``SeedSequence(seed, spawn_key=(i,))`` is exactly the i-th child of
    ``SeedSequence(seed).spawn(...)``, so stream i is the same whoever computes it.
    """
    state = np.random.SeedSequence(seed, spawn_key=(stream,)).generate_state(4, np.uint64)
    if not state.any():  # xoshiro's one forbidden state; astronomically unlikely
        state[0] = np.uint64(0x9E3779B97F4A7C15)
    return state

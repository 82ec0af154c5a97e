"""Deal a chosen card sequence through the kernel and through the reference (rule tests).

A stacked shoe is the real shoe rearranged so the chosen values come first and marked as
already shuffled (``ready = n``): both implementations then deal it in order, with no RNG.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jost_engine import _kernel as k
from jost_engine.config import parse_config
from jost_engine.reference import ReferenceGame
from jost_engine.shoe import card_value, rng_state
from jost_engine.table import prepare

VALUES = {"A": 1, "J": 10, "Q": 10, "K": 10, "T": 10}


def _value(card: str | int) -> int:
    return VALUES[card] if isinstance(card, str) and card in VALUES else int(card)


def stack(codes: np.ndarray, cards: list[str | int]) -> np.ndarray:
    """The shoe with ``cards`` (by value) moved to the front, in order."""
    codes = codes.copy()
    for i, card in enumerate(cards):
        want = _value(card)
        j = next(j for j in range(i, codes.size) if card_value(int(codes[j])) == want)
        codes[i], codes[j] = codes[j], codes[i]
    return codes


@dataclass
class Played:
    nets: list[float]  # per round, in betting units
    counters: dict[str, int]
    pos: int  # cards dealt from the shoe after the last round


def play_kernel(config: dict, cards: list[str | int], rounds: int = 1) -> Played:
    cfg = parse_config(config)
    t = prepare(cfg)
    shoe = stack(t.shoe, cards)
    params = t.params.copy()
    params[k.P_TRACE] = 1
    ss = np.zeros(k.N_SHOE_STATE, dtype=np.int64)
    ss[k.S_READY] = shoe.size  # the stacked order counts as shuffled
    ss[k.S_SHUFFLES] = 1
    ss[k.S_PLAYING] = 1 - params[k.P_WONG_IN_ON]
    ss[k.S_TRIP_BANK] = params[k.P_TRIP_BANKROLL]
    counters = np.zeros(k.N_COUNTERS, dtype=np.int64)
    by_tc = np.zeros((2 * t.tc_max + 1) * k.N_TC_COLS, dtype=np.int64)
    trace = np.zeros(rounds, dtype=np.int64)
    k.simulate_chunk(
        shoe, rng_state(cfg.simulation.seed, 0), ss, params, t.dec.ravel(), t.pairs.ravel(),
        t.index.dev_first, t.index.pair_first, t.index.devs,
        t.bet_by_tc, t.tc_den, t.tc_inv, rounds, counters, by_tc, trace,
    )  # fmt: skip
    from jost_engine.result import COUNTER_NAMES

    names = {name: int(counters[i]) for i, name in COUNTER_NAMES.items()}
    return Played([x / t.scale for x in trace], names, int(ss[k.S_POS]))


def play_reference(config: dict, cards: list[str | int], rounds: int = 1) -> Played:
    game = ReferenceGame(config)
    game.shoe.cards = [int(c) for c in stack(game.t.shoe, cards)]
    game.shoe.ready = game.shoe.n
    nets = [game.play_round() / game.t.scale for _ in range(rounds)]
    return Played(nets, {}, game.shoe.pos)

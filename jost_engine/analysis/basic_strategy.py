"""The optimal total-dependent basic strategy for any rules, in the engine's chart format.

A total-dependent chart gives one token per (hard or soft total, up card) and per pair. The
chart that maximises the game's exact expected value is found by policy iteration: play the
current chart exactly (composition-aware values, `UpcardGame` with the chart's tables), weight
every hand composition by the exact chance of reaching it under that chart, and give each cell
the token with the highest weighted value; repeat until no cell changes. Each step can only
raise the game's value, so it ends at a chart no single-cell change improves.

Weights come from the round's own hands (not from hands after a split, whose cells are the same
but whose weight is small); a cell no hand reaches keeps the token its two-card compositions
would choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jost_engine import _kernel as k
from jost_engine.analysis.game_value import UP_CARDS, full_shoe, is_natural
from jost_engine.analysis.hand_values import (
    EMPTY,
    Policy,
    Removal,
    UpcardGame,
    add_card,
    hand_of,
    hand_value,
    may_double_on,
)
from jost_engine.config import Rules
from jost_engine.strategy import HARD_ROWS, PAIR_ROWS, SOFT_ROWS, decision_tables

MAX_ROUNDS_OF_IMPROVEMENT = 12
PRIOR = 1e-9  # weight every two-card composition gets, so an unreached cell still decides


def _multisets() -> list[Removal]:
    """Every hand of two or more cards whose cards add up to at most 21 (aces as one)."""
    out: list[Removal] = []

    def grow(removal: Removal, start: int, total: int, ncards: int) -> None:
        if ncards >= 2:
            out.append(removal)
        for r in range(start, 10):
            if total + r + 1 <= 21:
                grow(add_card(removal, r), r, total + r + 1, ncards + 1)

    grow(EMPTY, 0, 0, 0)
    out.sort(key=sum)
    return out


HANDS = _multisets()


def starting_chart() -> dict[str, Any]:
    """A neutral start: stand on hard 17 and soft 19 or more, hit the rest, never split."""
    hard = {key: " ".join(["S" if int(key) >= 17 else "H"] * 10) for key in HARD_ROWS}
    soft = {key: " ".join(["S" if int(key) >= 19 else "H"] * 10) for key in SOFT_ROWS}
    pairs = {}
    for key in PAIR_ROWS:
        card = 11 if key == "A" else int(key)
        pairs[key] = soft["12"] if key == "A" else hard[str(2 * card)]
    return {"hard": hard, "soft": soft, "pairs": pairs}


@dataclass
class _CellSums:
    """Reach-weighted values of one cell's options, split by two-card and later hands."""

    first: dict[str, float] = field(default_factory=dict)
    later: dict[str, float] = field(default_factory=lambda: {"S": 0.0, "H": 0.0})

    def add_first(self, weight: float, values: dict[str, float]) -> None:
        for name, v in values.items():
            self.first[name] = self.first.get(name, 0.0) + weight * v

    def score(self, token: str) -> float:
        first = {"H": "H", "S": "S", "D": "D", "Ds": "D", "Rh": "R", "Rs": "R"}[token]
        later = "S" if token in ("S", "Ds", "Rs") else "H"
        return self.first.get(first, 0.0) + self.later[later]


TOKEN_ORDER = ("S", "H", "D", "Ds", "Rh", "Rs")  # ties go to the simpler play


def _improve_up_card(
    rules: Rules, shoe: np.ndarray, up: int, chart: dict[str, Any], policy: Policy
) -> tuple[dict[tuple[int, int], str], dict[int, str]]:
    """One policy-iteration step for one up card: the best token per cell and per pair."""
    game = UpcardGame(rules, shoe, up, policy)
    pair_tokens: dict[int, str] = {}
    reach: dict[Removal, float] = {}
    for i, j, p in game.two_card_hands:
        if is_natural(i, j):
            continue
        removal = add_card(add_card(EMPTY, i), j)
        weight = p * (1.0 - game.dealer_blackjack_chance(removal)) if game.conditioned else p
        reach[removal] = weight
    sums: dict[tuple[int, int], _CellSums] = {}
    for removal in HANDS:
        weight = reach.get(removal, 0.0)
        ncards = sum(removal)
        total, ace = hand_of(removal)
        value, soft = hand_value(total, ace)
        if value >= 21:
            continue
        cell = (int(soft), value)
        if ncards == 2:
            i = next(r for r in range(10) if removal[r])
            j = next(r for r in range(9, -1, -1) if removal[r])
            first = _first_options(game, rules, removal, total, ace, value, soft)
            if i == j and rules.max_split_hands > 1:
                pair_tokens[i] = _pair_token(game, rules, removal, first, chart, i, up)
                if pair_tokens[i] in ("P", "Rp"):
                    weight = 0.0
            p2 = [x for x in game.two_card_hands if (x[0], x[1]) == (i, j)]
            prior = PRIOR * (p2[0][2] if p2 else 0.0)
            sums.setdefault(cell, _CellSums()).add_first(weight + prior, first)
            act = policy.dec[k.CTX_FIRST, int(soft), value, up]
        else:
            if weight == 0.0:
                continue
            s = sums.setdefault(cell, _CellSums())
            stand = game.stand(removal, value)
            hit = game.hit(removal, total, ace)
            s.later["S"] += weight * stand
            s.later["H"] += weight * hit
            act = policy.dec[k.CTX_LATER, int(soft), value, up]
        if act == k.A_HIT and weight > 0.0:
            probs = game.draw_probabilities(removal)
            for r in range(10):
                if probs[r] > 0.0 and total + r + 1 <= 21:
                    child = add_card(removal, r)
                    reach[child] = reach.get(child, 0.0) + weight * probs[r]
    tokens = {}
    for cell, s in sums.items():
        soft, value = cell
        allowed = ["S", "H"]
        if may_double_on(rules, bool(soft), value):
            allowed += ["D", "Ds"]
        if rules.surrender != "none":
            allowed += ["Rh", "Rs"]
        best = max((t for t in TOKEN_ORDER if t in allowed), key=s.score)
        tokens[cell] = best
    return tokens, pair_tokens


def _first_options(
    game: UpcardGame, rules: Rules, removal: Removal, total: int, ace: bool, value: int,
    soft: bool,
) -> dict[str, float]:  # fmt: skip
    opts = game.options(removal, total, ace, first=True)
    out = {"S": opts["stand"], "H": opts["hit"]}
    if "double" in opts:
        out["D"] = opts["double"]
    if "surrender" in opts:
        out["R"] = opts["surrender"]
    return out


def _pair_token(
    game: UpcardGame, rules: Rules, removal: Removal, first: dict[str, float],
    chart: dict[str, Any], pair: int, up: int,
) -> str:  # fmt: skip
    """P, Rp, or "" (play the total) for a pair, by comparing full-round values."""
    total, ace = hand_of(removal)
    value, soft = hand_value(total, ace)
    row = chart["soft" if soft else "hard"][str(value)].split()
    token = row[UP_CARDS.index(up)]
    current = first[{"H": "H", "S": "S", "D": "D", "Ds": "D", "Rh": "R", "Rs": "R"}[token]]
    if token == "D" and "D" not in first:
        current = first["H"]
    play_total = game.full_value(removal, current)
    split = game.full_value(removal, game.split(pair))
    options = {"": play_total, "P": split}
    if rules.surrender != "none":
        options["Rp"] = -0.5 if game.flat_surrender else game.full_value(removal, -0.5)
    best = max(options, key=options.__getitem__)
    if best == "" and "Rp" in options and abs(options["Rp"] - options[""]) < 1e-12:
        best = "Rp"  # the total surrenders too: say so in the pairs row, as published charts do
    return best


def _chart_from(
    tokens: dict[int, dict[tuple[int, int], str]], pair_tokens: dict[int, dict[int, str]],
    previous: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    def row(soft: int, value: int, old: str) -> str:
        cells = old.split()
        for col, up in enumerate(UP_CARDS):
            cells[col] = tokens[up].get((soft, value), cells[col])
        return " ".join(cells)

    hard = {key: row(0, int(key), previous["hard"][key]) for key in HARD_ROWS}
    soft = {key: row(1, int(key), previous["soft"][key]) for key in SOFT_ROWS}
    pairs = {}
    for key in PAIR_ROWS:
        card = 1 if key == "A" else int(key)
        total_row = (soft["12"] if key == "A" else hard[str(2 * card)]).split()
        cells = []
        for col, up in enumerate(UP_CARDS):
            t = pair_tokens[up].get(card - 1, "")
            cells.append(t or total_row[col])
        pairs[key] = " ".join(cells)
    return {"hard": hard, "soft": soft, "pairs": pairs}


def generate_chart(rules: Rules) -> tuple[dict[str, Any], int]:
    """The optimal total-dependent chart for ``rules``, and the rounds of improvement taken."""
    shoe = full_shoe(rules)
    chart = starting_chart()
    for step in range(1, MAX_ROUNDS_OF_IMPROVEMENT + 1):
        dec, pairs = decision_tables(chart, rules)
        policy = Policy(dec, pairs)
        tokens, pair_tokens = {}, {}
        for up in UP_CARDS:
            tokens[up], pair_tokens[up] = _improve_up_card(rules, shoe, up, chart, policy)
        new = _chart_from(tokens, pair_tokens, chart)
        if new == chart:
            return chart, step
        chart = new
    return chart, MAX_ROUNDS_OF_IMPROVEMENT

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

from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.analysis import _kernels
from jost_engine.analysis.dealer_probabilities import blackjack_rank
from jost_engine.analysis.game_value import full_shoe
from jost_engine.analysis.hand_values import (
    ARRAYS,
    EMPTY,
    HAND_INDEX,
    HANDS,
    Policy,
    Removal,
    UpcardGame,
    add_card,
    hand_of,
    hand_value,
    new_dealer_memo,
)
from jost_engine.chart_vocabulary import HARD_ROWS, PAIR_ROWS, SOFT_ROWS, UP_VALUES
from jost_engine.config import Rules
from jost_engine.strategy import decision_tables, may_double_on

MAX_ROUNDS_OF_IMPROVEMENT = 12
PRIOR = 1e-9  # weight every two-card composition gets, so an unreached cell still decides


def starting_chart() -> dict[str, Any]:
    """A neutral start: stand on hard 17 and soft 19 or more, hit the rest, never split."""
    hard = {key: " ".join(["S" if int(key) >= 17 else "H"] * 10) for key in HARD_ROWS}
    soft = {key: " ".join(["S" if int(key) >= 19 else "H"] * 10) for key in SOFT_ROWS}
    pairs = {}
    for key in PAIR_ROWS:
        card = 11 if key == "A" else int(key)
        pairs[key] = soft["12"] if key == "A" else hard[str(2 * card)]
    return {"hard": hard, "soft": soft, "pairs": pairs}


ALL_ROOTS = np.arange(len(HANDS), dtype=np.int64)
TOKEN_ORDER = ("S", "H", "D", "Ds", "Rh", "Rs")  # ties go to the simpler play
FIRST_OF = {"H": "H", "S": "S", "D": "D", "Ds": "D", "Rh": "R", "Rs": "R"}
LATER_OF = {"H": "H", "S": "S", "D": "H", "Ds": "S", "Rh": "H", "Rs": "S"}


def _improve_up_card(
    rules: Rules, shoe: np.ndarray, up: int, chart: dict[str, Any], policy: Policy,
    dealer_memo: Any,
) -> tuple[dict[tuple[int, int], str], dict[int, str]]:  # fmt: skip
    """One policy-iteration step for one up card: the best token per cell and per pair."""
    game = UpcardGame(rules, shoe, up, policy, dealer_memo=dealer_memo)
    a = ARRAYS
    probs = np.zeros((len(HANDS), 10))
    values = game.fill(EMPTY, ALL_ROOTS, probs).values
    live = a.values < 21
    stand = values[0]
    hit = np.where(live, values[2], stand)  # a hand of 21 "hits" by standing
    dbl = np.where(live & a.twocard, values[6], np.nan)
    k_hands = len(HANDS)
    chance = np.zeros(k_hands)  # P(these first two cards | up card)
    for i, j, p in game.two_card_hands:
        chance[HAND_INDEX[add_card(add_card(EMPTY, i), j)]] = p
    # the dealer's blackjack chance given each hand (0 unless the up card can make one)
    bj = blackjack_rank(up)
    if bj >= 0:
        left = game.cards[None, :] if game.infinite else game.cards[None, :] - a.removals
        b = left[:, bj] / left.sum(axis=1)
    else:
        b = np.zeros(k_hands)
    surrender = np.full(k_hands, -0.5)
    if game.flat_surrender and game.conditioned:
        surrender = (b - 0.5) / (1.0 - b)
    natural = a.twocard & (a.values == 21)
    reach = np.where(a.twocard & ~natural, chance * ((1.0 - b) if game.conditioned else 1.0), 0.0)
    pair_tokens: dict[int, str] = {}
    if rules.max_split_hands > 1:
        for r in range(10):
            i = HAND_INDEX[add_card(add_card(EMPTY, r), r)]
            first = {"S": stand[i], "H": hit[i], "R": surrender[i]}
            if not np.isnan(dbl[i]) and may_double_on(rules, bool(a.softs[i]), int(a.values[i])):
                first["D"] = dbl[i]
            pair_tokens[r] = _pair_token(game, rules, HANDS[i], first, chart, r, up)
            if pair_tokens[r] in ("P", "Rp"):
                reach[i] = 0.0
    ctx = np.where(a.twocard, k.CTX_FIRST, k.CTX_LATER)
    acts = policy.dec[ctx, a.softs, a.values, up]
    hits = ((acts == k.A_HIT) & (a.values < 21)).astype(np.int64)
    reach = _kernels.propagate_reach(reach, a.children, probs, hits)
    live = a.values < 21
    two = a.twocard & live & ~natural
    more = ~a.twocard & live
    w2 = reach + PRIOR * chance
    sums = {}
    for name, values, mask, w in (
        ("fS", stand, two, w2), ("fH", hit, two, w2), ("fR", surrender, two, w2),
        ("fD", np.nan_to_num(dbl), two, w2), ("lS", stand, more, reach), ("lH", hit, more, reach),
    ):  # fmt: skip
        acc = np.zeros(44)
        np.add.at(acc, a.cells[mask], (w * values)[mask])
        sums[name] = acc
    seen = np.zeros(44, dtype=bool)
    seen[a.cells[two]] = True
    seen[a.cells[more & (reach > 0)]] = True
    tokens = {}
    for cell in np.flatnonzero(seen):
        soft, value = divmod(int(cell), 22)
        allowed = ["S", "H"]
        if may_double_on(rules, bool(soft), value):
            allowed += ["D", "Ds"]
        if rules.surrender != "none":
            allowed += ["Rh", "Rs"]

        def score(token: str, cell: int = int(cell)) -> float:
            return float(sums["f" + FIRST_OF[token]][cell] + sums["l" + LATER_OF[token]][cell])

        tokens[(soft, value)] = max((t for t in TOKEN_ORDER if t in allowed), key=score)
    return tokens, pair_tokens


def _pair_token(
    game: UpcardGame, rules: Rules, removal: Removal, first: dict[str, float],
    chart: dict[str, Any], pair: int, up: int,
) -> str:  # fmt: skip
    """P, Rp, or "" (play the total) for a pair, by comparing full-round values."""
    total, ace = hand_of(removal)
    value, soft = hand_value(total, ace)
    row = chart["soft" if soft else "hard"][str(value)].split()
    token = row[UP_VALUES.index(up)]
    play = FIRST_OF[token]
    if play not in first or (play == "R" and rules.surrender == "none"):
        play = LATER_OF[token]  # the chart's "else" play
    current = first[play]
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
        for col, up in enumerate(UP_VALUES):
            cells[col] = tokens[up].get((soft, value), cells[col])
        return " ".join(cells)

    hard = {key: row(0, int(key), previous["hard"][key]) for key in HARD_ROWS}
    soft = {key: row(1, int(key), previous["soft"][key]) for key in SOFT_ROWS}
    pairs = {}
    for key in PAIR_ROWS:
        card = 1 if key == "A" else int(key)
        total_row = (soft["12"] if key == "A" else hard[str(2 * card)]).split()
        cells = []
        for col, up in enumerate(UP_VALUES):
            t = pair_tokens[up].get(card - 1, "")
            cells.append(t or total_row[col])
        pairs[key] = " ".join(cells)
    return {"hard": hard, "soft": soft, "pairs": pairs}


def generate_chart(
    rules: Rules, dealer_memos: dict[int, Any] | None = None
) -> tuple[dict[str, Any], int]:
    """The optimal total-dependent chart for ``rules``, and the rounds of improvement taken.

    ``dealer_memos`` (per up card) shares the dealer's odds with other analyses of this shoe.
    """
    shoe = full_shoe(rules)
    chart = starting_chart()
    memos = dealer_memos if dealer_memos is not None else {}
    for up in UP_VALUES:  # the dealer's odds outlive a policy
        memos.setdefault(up, new_dealer_memo())
    for step in range(1, MAX_ROUNDS_OF_IMPROVEMENT + 1):
        dec, pairs = decision_tables(chart, rules)
        policy = Policy(dec, pairs)
        tokens, pair_tokens = {}, {}
        for up in UP_VALUES:
            tokens[up], pair_tokens[up] = _improve_up_card(
                rules, shoe, up, chart, policy, memos[up]
            )
        new = _chart_from(tokens, pair_tokens, chart)
        if new == chart:
            return chart, step
        chart = new
    return chart, MAX_ROUNDS_OF_IMPROVEMENT

"""Basic strategy: the bundled total-dependent charts and their translation into decision tables.

A chart says what a player would like to do (docs/charts.md); the rules and the moment decide
what is allowed. `decision_tables` resolves the two once, before a simulation, into small integer
arrays the kernel indexes directly, so the loop never asks "may I double here?".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.chart_vocabulary import HARD_ROWS, PAIR_ROWS, SOFT_ROWS, up_value
from jost_engine.config import Rules


def chart_row(chart: Any, section: str, key: str) -> tuple[str, ...]:
    rows = chart[section] if isinstance(chart, Mapping) else getattr(chart, section)
    row = rows[key]
    if isinstance(row, str):
        return tuple(row.split())
    return tuple(row)


def chart_family(rules: Rules) -> str:
    """The bundled chart that `"basic": "auto"` plays for these rules.

    Three or more decks play the 4-8 deck chart. A no-hole-card game whose dealer blackjack
    takes only the original bet is, for the player, the peek game, so it plays the peek chart.
    Doubling and splitting limits are not in the key: `decision_tables` applies them.
    """
    decks = "1d" if rules.decks == 1 else "2d" if rules.decks == 2 else "4to8d"
    soft17 = "h17" if rules.dealer_hits_soft_17 else "s17"
    das = "das" if rules.double_after_split else "nodas"
    surrender = {"none": "nosurr", "late": "ls", "early": "es"}[rules.surrender]
    enhc = not rules.dealer_peeks and rules.dealer_blackjack_takes == "all_bets"
    hole = "enhc" if enhc else "peek"
    return f"{decks}_{soft17}_{das}_{surrender}_{hole}"


@cache
def bundled_chart(family: str) -> dict[str, Any]:
    """Load one bundled chart by family name (see `chart_family`)."""
    path = resources.files("jost_engine") / "data" / "charts" / f"{family}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:  # pragma: no cover - the data ships with the package
        raise LookupError(f"no bundled basic-strategy chart named {family!r}") from exc


def may_double_on(rules: Rules, soft: bool, value: int) -> bool:
    if rules.double_on == "any_two":
        return True
    if soft:
        return False  # "9-11" and "10-11" rules are about hard totals
    return value in ((9, 10, 11) if rules.double_on == "9_10_11" else (10, 11))


def resolve_token(token: str, may_double: bool, may_surrender: bool) -> int:
    if token == "H":
        return k.A_HIT
    if token == "S":
        return k.A_STAND
    if token == "D":
        return k.A_DOUBLE if may_double else k.A_HIT
    if token == "Ds":
        return k.A_DOUBLE if may_double else k.A_STAND
    if token == "Rh":
        return k.A_SURRENDER if may_surrender else k.A_HIT
    if token == "Rs":
        return k.A_SURRENDER if may_surrender else k.A_STAND
    raise ValueError(f"token {token!r} is not a hard/soft action")


def decision_tables(chart: Any, rules: Rules) -> tuple[np.ndarray, np.ndarray]:
    """Resolve a chart under the rules into the kernel's tables.

    Returns ``dec[context, soft, value, up]`` (an action for every hand value and dealer up
    card, per context: first two cards, two cards after a split, three or more cards) and
    ``pairs[context, card, up]`` (0 play the total, 1 split, 2 surrender) for the first two
    contexts.
    """
    dec = np.full((3, 2, 22, 11), k.A_STAND, dtype=np.int64)
    pairs = np.zeros((2, 11, 11), dtype=np.int64)
    surrender_ok = rules.surrender != "none"
    for ctx in (k.CTX_FIRST, k.CTX_SPLIT, k.CTX_LATER):
        for soft, keys in ((0, HARD_ROWS), (1, SOFT_ROWS)):
            for key in keys:
                value = int(key)
                row = chart_row(chart, "soft" if soft else "hard", key)
                for col, token in enumerate(row):
                    may_double = (
                        ctx == k.CTX_FIRST or (ctx == k.CTX_SPLIT and rules.double_after_split)
                    ) and may_double_on(rules, bool(soft), value)
                    may_surrender = ctx == k.CTX_FIRST and surrender_ok
                    dec[ctx, soft, value, up_value(col)] = resolve_token(
                        token, may_double, may_surrender
                    )
    for key in PAIR_ROWS:
        card = 1 if key == "A" else int(key)
        row = chart_row(chart, "pairs", key)
        for col, token in enumerate(row):
            up = up_value(col)
            if token == "P":
                pairs[k.CTX_FIRST, card, up] = k.PAIR_SPLIT
                pairs[k.CTX_SPLIT, card, up] = k.PAIR_SPLIT
            elif token == "Rp":
                pairs[k.CTX_FIRST, card, up] = k.PAIR_SURRENDER if surrender_ok else k.PAIR_SPLIT
                pairs[k.CTX_SPLIT, card, up] = k.PAIR_SPLIT
    return dec, pairs

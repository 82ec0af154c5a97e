"""The exact combinatorial analyzer: dealer probabilities, every option's value, the optimal
basic strategy for any rules, the game's exact expected return and the effects of removal.

It is the simulator's oracle: `analyze(config, strategy="basic")` gives the exact value of the
generated chart played exactly as the simulator plays it (a full shoe every round, which is
``shuffle: "continuous"``), so the two can be compared to within the simulation's standard error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from jost_engine.analysis.basic_strategy import generate_chart
from jost_engine.analysis.chart_cache import cached_chart, chart_rules_key
from jost_engine.analysis.dealer_probabilities import OUTCOME_NAMES, dealer_probabilities
from jost_engine.analysis.game_value import chart_round_value, full_shoe, game_value
from jost_engine.analysis.hand_values import (
    EMPTY,
    Policy,
    UpcardGame,
    add_card,
    new_dealer_memo,
)
from jost_engine.chart_vocabulary import RANKS_BY_VALUE, UP_VALUES, up_card
from jost_engine.config import Config, Rules, parse_config
from jost_engine.strategy import decision_tables

__all__ = [
    "Analysis",
    "analyze",
    "basic_chart",
    "dealer_table",
    "effects_of_removal",
    "game_value",
    "generate_chart",
]


def basic_chart(rules: Rules, dealer_memos: dict[int, Any] | None = None) -> dict[str, Any]:
    """The optimal total-dependent chart for ``rules`` (cached on disk after the first call)."""
    return cached_chart(rules, lambda: _named(generate_chart(rules, dealer_memos)[0], rules))


def _named(chart: dict[str, Any], rules: Rules) -> dict[str, Any]:
    return {
        "name": f"generated: {chart_rules_key(rules)}",
        "source": "jost_engine.analysis: optimal total-dependent play, exact for these rules",
        **chart,
    }


def dealer_table(rules: Rules) -> dict[str, dict[str, float]]:
    """The dealer's final-total probabilities for each up card, off the top of a full shoe.

    With a peek (or a no-hole-card game whose blackjack takes only the original bet) the
    ace and ten rows are conditioned on no dealer blackjack, as the player meets them.
    """
    shoe = full_shoe(rules)
    takes_all = not rules.dealer_peeks and rules.dealer_blackjack_takes == "all_bets"
    out = {}
    for up in UP_VALUES:
        cards = shoe.copy()
        if not rules.infinite_deck:
            cards[up - 1] -= 1
        out[up_card(up)] = dealer_probabilities(
            cards,
            up,
            h17=rules.dealer_hits_soft_17,
            infinite=rules.infinite_deck,
            peeked=not takes_all and up in (1, 10),
        )
    return out


def effects_of_removal(
    rules: Rules,
    policy: Policy | None = None,
    dealer_memos: dict[int, Any] | None = None,
    base: float | None = None,
) -> dict[str, float]:
    """Change in the game's EV when one card of each rank leaves the full shoe.

    ``policy`` None re-optimises the play for the smaller shoe (composition-dependent), as the
    published tables do; a policy keeps playing that chart. The eleven analyses share the
    dealer's odds (``dealer_memos``, per up card, of this rules' full shoe): their memo keys
    name the cards out of the full shoe, so a hand of the smaller shoe meets the odds of the
    same hand plus the missing card in the full one. ``base``: the full shoe's EV under the
    same play, when the caller has it (one analysis fewer).
    """
    if rules.infinite_deck:
        raise ValueError(
            "an infinite deck has no effect of removal: removing a card changes nothing"
        )
    memos = dealer_memos if dealer_memos is not None else {}
    for up in UP_VALUES:
        memos.setdefault(up, new_dealer_memo())
    shoe = full_shoe(rules)
    if base is None:
        base = game_value(rules, policy, shoe, dealer_memos=memos).ev
    out = {}
    for r, name in enumerate(RANKS_BY_VALUE):
        smaller = shoe.copy()
        smaller[r] -= 1
        out[name] = game_value(rules, policy, smaller, dealer_memos=memos).ev - base
    return out


def _hand_table(
    rules: Rules, policy: Policy, memos: dict[int, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every option's value for every two-card hand against every up card, and the hands
    where the composition-dependent best play differs from the chart's (the exceptions)."""
    shoe = full_shoe(rules)
    rows, exceptions = [], []
    for up in UP_VALUES:
        p_up = float(shoe[up - 1] / shoe.sum())
        best_game = UpcardGame(rules, shoe, up, None, dealer_memo=memos[up])
        chart_game = UpcardGame(rules, shoe, up, policy, dealer_memo=memos[up])
        for i, j, p in best_game.two_card_hands:
            if {i, j} == {0, 9}:
                continue
            options = best_game.all_options(i, j)
            best = max(options, key=options.__getitem__)
            chart_play, chart_value = chart_round_value(chart_game, i, j)
            row = {
                "up": up_card(up),
                "hand": f"{RANKS_BY_VALUE[i]},{RANKS_BY_VALUE[j]}",
                "probability": p,
                "best": best,
                "chart": chart_play,
                **{name: float(v) for name, v in options.items()},
            }
            if up == 1:
                removal = add_card(add_card(EMPTY, i), j)
                left = best_game.left(removal)
                ten = float(left[9] / left.sum())
                row["insurance"] = 0.5 * (3.0 * ten - 1.0)  # the side bet, per unit bet
            rows.append(row)
            if chart_play != best and options[best] - chart_value > 1e-12:
                exceptions.append(
                    {
                        "up": row["up"],
                        "hand": row["hand"],
                        "chart": chart_play,
                        "best": best,
                        "gain": options[best] - chart_value,
                        "gain_per_round": p_up * p * (options[best] - chart_value),
                    }
                )
    return rows, exceptions


@dataclass
class Analysis:
    """What `analyze` found, with `to_dict` for JSON."""

    rules: Rules
    strategy: Literal["composition", "basic"]
    ev_per_initial_bet: float
    sd_per_round: float
    composition_ev: float
    basic_ev: float
    chart: dict[str, Any]
    dealer: dict[str, dict[str, float]]
    effects_of_removal: dict[str, float] | None
    hands: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "ev_per_initial_bet": self.ev_per_initial_bet,
            "house_edge": -self.ev_per_initial_bet,
            "sd_per_round": self.sd_per_round,
            "composition_dependent_ev": self.composition_ev,
            "basic_strategy_ev": self.basic_ev,
            "rules": self.rules.model_dump(mode="json"),
            "chart": self.chart,
            "dealer_probabilities": self.dealer,
            "dealer_outcomes": list(OUTCOME_NAMES),
            "effects_of_removal": self.effects_of_removal,
            "hands": self.hands,
            "composition_exceptions": self.exceptions,
            "seconds": self.seconds,
        }


def analyze(
    config: Config | dict[str, Any] | str,
    *,
    strategy: Literal["composition", "basic"] = "composition",
    removal: bool = True,
    hands: bool = False,
) -> Analysis:
    """Exact analysis of ``config``'s rules off the top of a full shoe.

    ``strategy="composition"`` reports the composition-dependent optimum (each two-card hand
    played best for its exact cards, the pre-split strategy after splits);
    ``"basic"`` the generated total-dependent chart, played exactly as the simulator plays it.
    Both values are always computed; ``ev_per_initial_bet`` is the chosen one. ``removal`` adds
    the effects of removal (composition-dependent, as published); ``hands`` every option's
    value for every two-card hand (the composition-dependent exceptions to the chart are
    always listed). ``config`` is what `run_simulation_from_config` takes: a `Config`, a dict
    or JSON text (invalid ones raise the same `ConfigError`).
    """
    if strategy not in ("composition", "basic"):
        raise ValueError(f'strategy must be "composition" or "basic", got {strategy!r}')
    config = parse_config(config)
    start = time.perf_counter()
    rules = config.rules
    memos = {up: new_dealer_memo() for up in UP_VALUES}  # shared by the three analyses below
    chart = basic_chart(rules, memos)
    policy = Policy(*decision_tables(chart, rules))
    composition_game = game_value(rules, dealer_memos=memos, moments=True)
    basic_game = game_value(rules, policy, dealer_memos=memos, moments=True)
    composition, basic = composition_game.ev, basic_game.ev
    eor = (
        effects_of_removal(rules, dealer_memos=memos, base=composition)
        if removal and not rules.infinite_deck
        else None
    )
    table, exceptions = _hand_table(rules, policy, memos)
    return Analysis(
        rules=rules,
        strategy=strategy,
        ev_per_initial_bet=composition if strategy == "composition" else basic,
        sd_per_round=composition_game.sd if strategy == "composition" else basic_game.sd,
        composition_ev=composition,
        basic_ev=basic,
        chart=chart,
        dealer=dealer_table(rules),
        effects_of_removal=eor,
        hands=table if hands else [],
        exceptions=exceptions,
        seconds=time.perf_counter() - start,
    )

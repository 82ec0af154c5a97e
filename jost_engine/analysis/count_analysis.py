"""The analysis of a count system: its betting correlation, playing efficiency and insurance
correlation, from the exact analyzer's effects of removal for the rules and decks.

Griffin's definitions (Peter Griffin, *The Theory of Blackjack*, 6th ed. 1999, the chapters on
card counting for betting and for playing), over the cards of a deck (each card type weighed by
its share of the shoe, so a ten counts four times and Red 7's red and black sevens apart):

* **Betting correlation** (BC): the correlation between the tags and the game's effects of
  removal (`analysis.effects_of_removal`: the change in the expected return when one card of
  each rank leaves the full shoe, strategy re-optimised).
* **Insurance correlation** (IC): the correlation between the tags and the effects of removal
  of the insurance bet, whose value 3·P(ten) − 1 moves only with the tens: removing a ten
  changes it in proportion to −(cards that are not tens), removing any other card to +tens.
* **Playing efficiency** (PE): how much of the gain a perfect linear count would find in the
  playing decisions the count finds. For each decision (a two-card hand against an up card) the
  best play at the full shoe beats the second best by ``m``; the gain of switching moves with
  the cards seen by ``Δ_r`` per card of rank r removed (the effects of removal of the
  difference). With ``k`` of ``N`` cards seen (half the shoe) that change is about normal with
  SD ``σ = (N / n) √(k n / (N − 1) · Σ p_r (Δ_r − Δ̄)²)`` (n = N − k left); a count whose
  tags correlate ``ρ`` with the ``Δ_r`` sees the part ``|ρ| σ`` of it. The expected gain of
  switching when the estimate says so is ``G(s, m) = s φ(m/s) − m Φ(−m/s)``, and
  ``PE = Σ f G(|ρ| σ, m) / Σ f G(σ, m)`` over the decisions, each weighed by its chance ``f``.

The tags that maximise BC and IC are their effects of removal themselves (a correlation of 1);
those that maximise PE are searched for (`best_playing_tags`). All are shown scaled so that the
largest tag is 1 in size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jost_engine.analysis import effects_of_removal
from jost_engine.analysis.chart_cache import ANALYZER_VERSION, cached_document, digest, play_rules
from jost_engine.analysis.game_value import full_shoe, is_natural
from jost_engine.analysis.hand_values import UpcardGame
from jost_engine.analysis.shoe_at_count import (
    PER_DECK,
    RANKS,
    TYPE_RANK,
    CountSystem,
    count_system,
)
from jost_engine.chart_vocabulary import UP_VALUES
from jost_engine.config import Rules
from jost_engine.config.vocabulary import NAMED_SYSTEMS

ANALYSIS_VERSION = 1


def _weights() -> np.ndarray:
    return PER_DECK / PER_DECK.sum()


def correlation(tags: np.ndarray, effects: np.ndarray, w: np.ndarray | None = None) -> float:
    """The weighted correlation of two vectors over the card types (weights: the types'
    shares of a deck)."""
    w = _weights() if w is None else w
    t = tags - w @ tags
    e = effects - w @ effects
    den = math.sqrt(float(w @ (t * t)) * float(w @ (e * e)))
    return 0.0 if den == 0.0 else float(w @ (t * e)) / den


def _typed(by_rank: np.ndarray) -> np.ndarray:
    """A rank vector (ace..ten) per card type (the sevens share theirs)."""
    return np.array([by_rank[r] for r in TYPE_RANK])


@dataclass(frozen=True)
class GameEffects:
    """What the three measures read of one game: the game's and the insurance bet's effects
    of removal by rank, and for every decision its chance, margin, SD and effects."""

    game: np.ndarray  # by rank, ace..ten
    insurance: np.ndarray  # by rank
    chance: np.ndarray  # per decision
    margin: np.ndarray  # best − second best at the full shoe
    sd: np.ndarray  # of the change of the gain of switching at half the shoe
    effects: np.ndarray  # decisions × ranks: the change of (second − best) per card removed

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name).tolist() for name in
                ("game", "insurance", "chance", "margin", "sd", "effects")}  # fmt: skip


def compute_game_effects(rules: Rules) -> GameEffects:
    """The effects of removal of the game, of insurance and of every playing decision."""
    if rules.infinite_deck:
        raise ValueError(
            "an infinite deck has no effect of removal: removing a card changes nothing"
        )
    eor = effects_of_removal(rules)
    game = np.array([eor[r] for r in RANKS])
    shoe = full_shoe(rules)
    n_cards = shoe.sum()
    tens = shoe[9]
    insurance = np.array([tens] * 9 + [-(n_cards - 1 - tens)])  # the ace up is out
    chance, margin, sd, effects = [], [], [], []
    k = n_cards / 2  # half the shoe seen
    left = n_cards - k
    p = shoe / n_cards
    for up in UP_VALUES:
        p_up = shoe[up - 1] / n_cards
        base = UpcardGame(rules, shoe, up)
        removed = []
        for r in range(10):
            smaller = shoe.copy()
            smaller[r] -= 1
            removed.append(UpcardGame(rules, smaller, up))
        for i, j, p_hand in base.two_card_hands:
            if is_natural(i, j):
                continue
            options = base.all_options(i, j)
            if len(options) < 2:
                continue
            ranked = sorted(options, key=options.__getitem__, reverse=True)
            best, second = ranked[0], ranked[1]
            gap = options[second] - options[best]
            delta = np.zeros(10)
            for r, game_r in enumerate(removed):
                if game_r.left((0,) * 10)[r] < (i == r) + (j == r):
                    continue  # not enough of the rank for the hand (one deck, a pair)
                values = game_r.all_options(i, j)
                delta[r] = (values[second] - values[best]) - gap
            spread = float(p @ (delta - p @ delta) ** 2)
            chance.append(p_up * p_hand)
            margin.append(-gap)
            sd.append(n_cards / left * math.sqrt(k * left / (n_cards - 1) * spread))
            effects.append(delta)
    return GameEffects(game, insurance, np.array(chance), np.array(margin), np.array(sd),
                       np.array(effects))  # fmt: skip


def game_effects(rules: Rules) -> GameEffects:
    """`compute_game_effects`, cached on disk by the rules that change the play."""
    key = digest({"v": ANALYSIS_VERSION, "analyzer": ANALYZER_VERSION, **play_rules(rules)})
    doc = cached_document(
        "count_analysis", key, lambda: compute_game_effects(rules).to_dict(),
        lambda d: {"game", "insurance", "chance", "margin", "sd", "effects"} <= d.keys(),
    )  # fmt: skip
    return GameEffects(*(np.array(doc[name]) for name in
                         ("game", "insurance", "chance", "margin", "sd", "effects")))  # fmt: skip


def _gain(s: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[max(Y, 0)] for Y normal with mean −m (m ≥ 0) and SD s."""
    s = np.maximum(s, 1e-300)
    z = m / s
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * np.vectorize(math.erfc)(z / math.sqrt(2))
    return s * pdf - m * cdf


def playing_efficiency(tags: np.ndarray, effects: GameEffects) -> float:
    """Griffin's playing efficiency of tags by card type (module docstring)."""
    w = _weights()
    per_type = effects.effects[:, list(TYPE_RANK)]
    t = tags - w @ tags
    e = per_type - (per_type @ w)[:, None]
    den = np.sqrt(float(w @ (t * t)) * ((e * e) @ w))
    rho = np.where(den > 0, (e @ (w * t)) / np.where(den > 0, den, 1.0), 0.0)
    perfect = _gain(effects.sd, effects.margin)
    found = _gain(np.abs(rho) * effects.sd, effects.margin)
    return float(effects.chance @ found / (effects.chance @ perfect))


def best_playing_tags(effects: GameEffects, start: np.ndarray | None = None) -> np.ndarray:
    """Rank tags (ace..ten) that maximise the playing efficiency: a hill climb over the
    directions of the tag vector (PE ignores the scale and a constant added)."""
    x = np.array([-1.0, 1, 1, 1, 1, 1, 0, 0, 0, -1]) if start is None else start.copy()

    def pe(rank_tags: np.ndarray) -> float:
        return playing_efficiency(_typed(rank_tags), effects)

    best = pe(x)
    step = 0.5
    while step > 1e-3:
        improved = False
        for r in range(10):
            for sign in (1.0, -1.0):
                trial = x.copy()
                trial[r] += sign * step
                value = pe(trial)
                if value > best + 1e-12:
                    x, best, improved = trial, value, True
        if not improved:
            step /= 2
    return x


def _scaled(tags: np.ndarray) -> list[float]:
    """Tags scaled so the largest is 1 in size, with the ten negative (as counts are written)."""
    t = np.asarray(tags, dtype=np.float64)
    t = t - _weights_rank() @ t
    top = float(np.max(np.abs(t))) or 1.0
    sign = -1.0 if t[9] > 0 else 1.0
    return [round(float(v) * sign / top, 3) for v in t]


def _weights_rank() -> np.ndarray:
    w = np.array([4.0] * 9 + [16.0])
    return w / w.sum()


@dataclass(frozen=True)
class CountAnalysis:
    """The measures of one count in one game."""

    system: str
    tags: dict[str, float]  # by rank; Red 7's seven is its average, half a point
    balance: float  # the tags' sum over a deck (0: balanced)
    level: float
    betting_correlation: float
    playing_efficiency: float
    insurance_correlation: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "tags": {rank: round(t, 4) for rank, t in self.tags.items()},
            "balance": round(self.balance, 6) + 0.0,
            "balanced": abs(self.balance) < 1e-9,
            "level": round(self.level, 4),
            "betting_correlation": round(self.betting_correlation, 4),
            "playing_efficiency": round(self.playing_efficiency, 4),
            "insurance_correlation": round(self.insurance_correlation, 4),
        }


def analyze_count(count: CountSystem, effects: GameEffects) -> CountAnalysis:
    """BC, PE and IC of a count for the game whose effects are given."""
    tags = np.array(count.tags)
    return CountAnalysis(
        system=count.label,
        tags=dict(zip(RANKS, count.rank_tags, strict=True)),
        balance=count.per_deck,
        level=count.level,
        betting_correlation=correlation(tags, _typed(effects.game)),
        playing_efficiency=playing_efficiency(tags, effects),
        insurance_correlation=correlation(tags, _typed(effects.insurance)),
    )


def best_tags(effects: GameEffects) -> dict[str, dict[str, Any]]:
    """The tags that maximise each measure (scaled, by rank) and the measure they reach."""
    pe_tags = best_playing_tags(effects)
    return {
        "betting_correlation": {"tags": dict(zip(RANKS, _scaled(effects.game), strict=True)),
                                "value": 1.0},
        "playing_efficiency": {"tags": dict(zip(RANKS, _scaled(pe_tags), strict=True)),
                               "value": round(playing_efficiency(_typed(pe_tags), effects), 4)},
        "insurance_correlation": {
            "tags": dict(zip(RANKS, _scaled(effects.insurance), strict=True)), "value": 1.0},
    }  # fmt: skip


def named_systems(decks: int) -> list[CountSystem]:
    """Every named system (Hi-Opt II also with its ace side count), for ``decks``."""
    out = [count_system(name, decks) for name in NAMED_SYSTEMS]
    out.insert(NAMED_SYSTEMS.index("hi_opt_2") + 1, count_system("hi_opt_2", decks, None, True))
    return out

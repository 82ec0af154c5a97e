"""The table a simulation sits at: a validated config turned into the kernel's plain arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from jost_engine import kernel_layout as k
from jost_engine.analysis import basic_chart
from jost_engine.analysis.index_sets import named_sets
from jost_engine.analysis.shoe_at_count import CountError, count_system
from jost_engine.betting import bet_by_true_count, spots_by_true_count
from jost_engine.config import Chart, Config, ConfigError
from jost_engine.config.relations import relation_problems
from jost_engine.counting import CountTags, count_tags, standard_irc
from jost_engine.index_plays import IndexTables, index_tables
from jost_engine.shoe import card_tag, card_value, new_shoe
from jost_engine.strategy import decision_tables

TC_MAX = 100  # true counts beyond ±100 share the end buckets
# How far the lazy shuffle runs ahead (part of the card sequence: changing these changes results).
# A hand-shuffled shoe shuffles 64 cards at a time and keeps 24 ready before each round; a
# continuous shuffler re-deals from a full shoe every round, so it shuffles 8 at a time.
SHUFFLE_BLOCK = 64
LOOKAHEAD = 24
CSM_BLOCK = 8


@dataclass(frozen=True)
class GameTables:
    """Everything the kernel reads, prepared once per simulation."""

    params: np.ndarray
    dec: np.ndarray
    pairs: np.ndarray
    index: IndexTables
    bet_by_tc: np.ndarray  # the bet per spot for each true count, then the spots
    tc_den: np.ndarray
    tc_inv: np.ndarray
    shoe: np.ndarray
    tags: CountTags
    scale: int

    @property
    def tc_max(self) -> int:
        return int(self.params[k.P_TC_MAX])

    def bet_and_spots(self, tc: int) -> tuple[int, int]:
        """(bet per spot in units, spots) at a true count already clipped to ±tc_max."""
        i = tc + self.tc_max
        return int(self.bet_by_tc[i]), int(self.bet_by_tc[2 * self.tc_max + 1 + i])


def money_scale(blackjack_payout: float) -> tuple[int, int]:
    """(scale, blackjack win per unit in scale units): the smallest exact integer accounting."""
    frac = Fraction(blackjack_payout).limit_denominator(1000)
    scale = math.lcm(2, frac.denominator)
    return scale, int(frac * scale)


def true_count_divisors(cards: int, tags: CountTags, estimation: str) -> tuple[int, np.ndarray]:
    """The true count as ``floor(running count × mul / den[cards remaining])`` (docs/config.md).

    ``exact``: decks = remaining / 52; ``half_deck``: the nearest half deck (ties up, at least
    one half); ``full_deck``: the nearest deck (ties up, at least one). Unbalanced systems use
    the running count itself. The tag denominator (2 for half-point tags) divides too.
    """
    remaining = np.arange(cards + 1, dtype=np.int64)
    if not tags.balanced:
        return 1, np.full(cards + 1, tags.denominator, dtype=np.int64)
    if estimation == "exact":
        mul, decks = 52, np.maximum(remaining, 1)
    elif estimation == "half_deck":
        mul, decks = 2, np.maximum((remaining + 13) // 26, 1)
    else:
        mul, decks = 1, np.maximum((remaining + 26) // 52, 1)
    return mul, decks * tags.denominator


def ace_side_count_weight(tags: CountTags) -> int:
    """Points (times the tag denominator) the betting count gains per ace above expectation.

    An ace left in the cards is worth about a ten to the player's advantage (its effect of
    removal is of the same size and sign: Griffin, *The Theory of Blackjack*, ch. 4), so each
    surplus ace counts as a ten would: minus the ten's tag (Hi-Opt I 1, Hi-Opt II and
    Omega II 2). This weight is JOST's stated convention, not a number quoted from a book.
    """
    return -tags.by_rank["10"]


def ace_side_count_codes(shoe: np.ndarray, weight: int) -> np.ndarray:
    """Card codes whose tag carries the playing tag and the ace-adjusted betting tag (×13).

    The side-count convention is the Hi-Opt one (Humble & Cooper, *The World's Greatest
    Blackjack Book*, 1980): for betting, the running count is corrected by ``weight`` points
    per ace more (or fewer) than one in 13 of the cards remaining,
    ``adjusted = rc + weight × (aces remaining − cards remaining / 13)``
    ``= rc + weight × (cards seen / 13 − aces seen)`` from a full shoe. Kept times 13 so it
    is an integer: dealing a card changes it by ``13 × tag + weight × (1 − 13 × is_ace)``; at
    the shuffle the correction is 0, so the adjusted count starts at 13 × the initial count.
    (After the rare mid-round reshuffle of the discards the count restarts, and so does the
    side count, from the cards dealt after it.)
    """
    out = shoe.copy()
    for i, code in enumerate(shoe):
        tag, value = card_tag(int(code)), card_value(int(code))
        bet13 = 13 * tag + weight * (1 - 13 * (value == 1))
        out[i] = value | ((tag + (bet13 << k.ASC_SHIFT)) << 4)
    return out


def unsupported(config: Config) -> list[dict[str, str]]:
    """Valid settings the simulator does not play yet, each named with its path."""
    problems = []
    if config.rules.infinite_deck:
        problems.append(
            {
                "path": "rules.infinite_deck",
                "message": "the simulator deals from real decks; an infinite deck is for analysis",
            }
        )
    problems += relation_problems(config)  # as parse_config (a Config built by hand)
    problems += _named_set_problems(config)
    return problems


def _named_set_problems(config: Config) -> list[dict[str, str]]:
    """Named index sets for a count that cannot be numbered (tags that count nothing, an
    unbalanced custom count with no initial running count)."""
    problems = []
    named = any(isinstance(item, str) for item in config.strategy.deviations)
    if named and config.strategy.index_numbers == "counting_system":
        counting = config.counting
        try:
            count_system(counting.system, config.rules.decks, counting.initial_running_count)
        except CountError as exc:
            message = f"{exc.message} (the named index sets are numbered for the count in play)"
            problems.append({"path": exc.path, "message": message})
    return problems


def chart_for(config: Config) -> Chart | dict[str, Any]:
    """The chart a config plays: its own, or the optimal chart the analyzer generates for its
    exact rules (`jost_engine.analysis.basic_chart`, cached on disk after the first run).

    Chosen here, where the kernel's arrays are prepared, so the strategy tables need not know
    the analyzer (which builds on them). The bundled charts (`strategy.bundled_chart`) stay as
    the published references the generated charts are tested against.
    """
    basic = config.strategy.basic
    if basic == "auto":
        return basic_chart(config.rules)
    return basic


def prepare(config: Config) -> GameTables:
    """Resolve rules, chart, count and ramp into arrays; refuse what cannot be simulated."""
    problems = unsupported(config)
    if problems:
        raise ConfigError(problems)
    rules = config.rules
    tags = count_tags(config.counting.system)
    scale, bj_win = money_scale(rules.blackjack_payout)
    shoe = new_shoe(rules.decks, tags)
    n = shoe.size
    chart = chart_for(config)
    index = index_tables(config, chart, rules, named_sets(config))
    ins_tc = index.insurance_index
    tc_method = config.counting.true_count
    p = np.zeros(k.N_PARAMS, dtype=np.int64)
    p[k.P_NCARDS] = n
    p[k.P_CUT] = min(n, max(1, round(n * rules.penetration)))
    p[k.P_CONTINUOUS] = rules.shuffle == "continuous"
    p[k.P_H17] = rules.dealer_hits_soft_17
    p[k.P_PEEK] = rules.dealer_peeks
    p[k.P_TAKES_ALL] = rules.dealer_blackjack_takes == "all_bets"
    p[k.P_BJ_WIN] = bj_win
    p[k.P_SCALE] = scale
    p[k.P_MAX_HANDS] = rules.max_split_hands
    p[k.P_RSA] = rules.resplit_aces
    p[k.P_HSA] = rules.hit_split_aces
    p[k.P_SURRENDER] = {"none": 0, "late": 1, "early": 2}[rules.surrender]
    p[k.P_INS_OFFERED] = rules.insurance_offered
    p[k.P_INS_ON] = ins_tc is not None
    p[k.P_INS_TC] = math.ceil(ins_tc) if ins_tc is not None else 0
    p[k.P_OTHERS] = config.simulation.players_at_table - 1
    p[k.P_TC_ROUNDING] = {"floor": 0, "truncate": 1, "nearest": 2}[tc_method.rounding]
    p[k.P_TC_MAX] = TC_MAX
    continuous = rules.shuffle == "continuous"
    p[k.P_BLOCK] = CSM_BLOCK if continuous else SHUFFLE_BLOCK
    p[k.P_LOOKAHEAD] = CSM_BLOCK if continuous else LOOKAHEAD
    irc = config.counting.initial_running_count
    if irc is None:
        irc = standard_irc(tags.name, rules.decks)
    p[k.P_IRC] = round(irc * tags.denominator)
    tc_mul, tc_den = true_count_divisors(n, tags, tc_method.deck_estimation)
    if config.counting.ace_side_count:
        # both counts come to the kernel times 13 (see ace_side_count_codes)
        p[k.P_ASC] = 1
        shoe = ace_side_count_codes(shoe, ace_side_count_weight(tags))
        p[k.P_IRC] = p[k.P_IRC] + ((13 * p[k.P_IRC]) << k.ASC_SHIFT)
        tc_den = tc_den * 13
    p[k.P_TC_MUL] = tc_mul
    p[k.P_HAS_INDEX] = index.active
    wong_in, wong_out = config.betting.wong_in_at, config.betting.wong_out_below
    p[k.P_WONG_IN_ON] = wong_in is not None
    p[k.P_WONG_IN] = math.ceil(wong_in) if wong_in is not None else 0  # integer counts
    p[k.P_WONG_OUT_ON] = wong_out is not None
    if config.bankroll.units is not None:
        p[k.P_TRIP_ON] = 1
        p[k.P_TRIP_BANKROLL] = max(1, math.floor(config.bankroll.units * scale))
        p[k.P_TRIP_ROUNDS] = config.bankroll.trip_rounds
    p[k.P_WONG_OUT] = math.ceil(wong_out) if wong_out is not None else 0
    dec, pairs = decision_tables(chart, rules)
    return GameTables(
        params=p,
        dec=dec,
        pairs=pairs,
        index=index,
        bet_by_tc=np.concatenate(
            [bet_by_true_count(config.betting, TC_MAX), spots_by_true_count(config.betting, TC_MAX)]
        ),
        tc_den=tc_den,
        tc_inv=1.0 / tc_den,
        shoe=shoe,
        tags=tags,
        scale=scale,
    )

"""The two methods of finding an index check each other: the exact analyzer's expected shoe at
each count (`indices.index_value`) against simulation with common random numbers
(`index_simulation.simulate_index`), on the Illustrious 18 of Hi-Lo, Omega II and KO, 6 decks.

Fixed seeds; the bounds come from each simulated crossing's standard error. The two methods do
not make the same approximations (the exact one values the expected shoe of a count and plays
later cards best for it; the simulation deals real shoes and plays later cards by the chart), so
beyond the noise they may differ a little: half a true count is allowed (scaled to the count's
spread) and every integer index within one; KO's running counts (one of its points is about a
quarter of a true count at the mean depth) within one point beyond three standard errors.
"""

from __future__ import annotations

import pytest

from jost_engine.analysis.index_simulation import SimulatedIndex, simulate_index
from jost_engine.analysis.indices import IndexValue, index_value
from jost_engine.analysis.shoe_at_count import count_system
from jost_engine.config import Rules
from jost_engine.index_plays import ILLUSTRIOUS_18

SHOE = Rules(decks=6, dealer_hits_soft_17=False, double_after_split=True, surrender="late")
# the SE each simulation is dealt to, in the count's own units (KO's running count: times the
# 3 decks remaining): about half a Hi-Lo true count, for the time a test may take
PRECISION = {"hi_lo": 0.5, "omega_2": 0.85, "ko": 0.2}
# KO is compared at one depth, half the shoe: a running count's crossing over every depth of
# the shoe mixes depths whose counts mean different shoes, and the simulation's fit there
# underestimates its SE far from the pivot (see docs/methodology.md); three plays near the
# pivot check the average over the shoe below.
DEPTH = {"hi_lo": None, "omega_2": None, "ko": 3.0}
# Hi-Lo: all eighteen (they are also held to the published set below); Omega II and KO every
# other play of the list, one half each (stands, doubles and a split in both), which is where
# this file's minutes went
PLAYS = {"hi_lo": ILLUSTRIOUS_18, "omega_2": ILLUSTRIOUS_18[::2], "ko": ILLUSTRIOUS_18[1::2]}


@pytest.fixture(scope="module")
def both() -> dict[str, list[tuple[dict, IndexValue, SimulatedIndex]]]:
    out = {}
    for system, precision in PRECISION.items():
        count = count_system(system, 6)
        rows = []
        for play in PLAYS[system]:
            args = (SHOE, play["hand"], play["dealer_up"], play["action"])
            exact = index_value(*args, DEPTH[system], count)
            simulated = simulate_index(
                *args, count, DEPTH[system], precision=precision, seed=7, max_pairs=1_000_000
            )
            rows.append((play, exact, simulated))
        out[system] = rows
    return out


@pytest.mark.parametrize("system", list(PRECISION))
def test_exact_and_simulated_indices_agree_within_one(both, system):
    count = count_system(system, 6)
    unit = DEPTH[system] or 1.0
    for play, exact, simulated in both[system]:
        assert exact.crossing is not None and simulated.crossing is not None, play
        assert simulated.se is not None and simulated.se <= 2.5 * PRECISION[system] * unit
        gap = abs(simulated.crossing - exact.crossing)
        assert simulated.direction == exact.direction == "at_or_above"
        assert gap <= 1 + 3 * simulated.se, (play, exact, simulated)
        if not count.counts_running:  # and within half a Hi-Lo true count
            assert gap <= 0.5 * count.scale + 3 * simulated.se, (play, exact, simulated)


def test_ko_over_the_shoe_s_depths_near_the_pivot():
    ko = count_system("ko", 6)
    for hand, up, action in (("15", "10", "stand"), ("10", "A", "double"),
                             ("14", "10", "surrender")):  # fmt: skip
        exact = index_value(SHOE, hand, up, action, count=ko)
        simulated = simulate_index(SHOE, hand, up, action, ko, precision=0.2, seed=7,
                                   max_pairs=1_000_000)  # fmt: skip
        assert exact.over_the_shoe and simulated.crossing is not None
        assert abs(simulated.crossing - exact.crossing) <= 1 + 3 * simulated.se, (exact, simulated)


def test_the_hi_lo_simulation_stays_near_the_published_set(both):
    for play, _, simulated in both["hi_lo"]:
        assert abs(simulated.crossing - play["at_or_above"]) <= 1 + 3 * simulated.se, play


def test_a_simulated_index_is_reproducible_from_its_seed():
    args = (SHOE, "11", "A", "double")
    first = simulate_index(*args, precision=0.6, seed=3)
    again = simulate_index(*args, precision=0.6, seed=3)
    other = simulate_index(*args, precision=0.6, seed=4)
    assert (first.crossing, first.se, first.trials) == (again.crossing, again.se, again.trials)
    assert first.crossing != other.crossing
    assert abs(first.crossing - other.crossing) < 4 * max(first.se, other.se)

"""Bet ramps: the bet for every true count, decided before the round's first card."""

from __future__ import annotations

import math

import numpy as np

from jost_engine.config import Betting
from jost_engine.config.title import bet_money


def bet_for_units(units: float, betting: Betting) -> int:
    """A ramp step's units as a legal bet, in whole betting units.

    The bet is the step's units times the unit, held to the table minimum and maximum, then
    rounded to a whole number of units (halves round up), and never less than one unit.
    """
    return max(1, math.floor(bet_money(units, betting) / betting.unit + 0.5))


def bet_by_true_count(betting: Betting, tc_max: int) -> np.ndarray:
    """``bets[tc + tc_max]`` for every integer true count in ``[-tc_max, tc_max]``.

    A ramp bets the units of the last step whose ``true_count`` is at or below the count;
    below the first step it bets the first step's units (docs/config.md).
    """
    steps = sorted(betting.ramp, key=lambda s: s.true_count)
    bets = np.empty(2 * tc_max + 1, dtype=np.int64)
    for i in range(bets.size):
        tc = i - tc_max
        units = steps[0].units
        for step in steps:
            if step.true_count <= tc:
                units = step.units
        bets[i] = bet_for_units(units, betting)
    return bets


def spots_by_true_count(betting: Betting, tc_max: int) -> np.ndarray:
    """``spots[tc + tc_max]``: hands played at every integer true count in ``[-tc_max, tc_max]``.

    The spots of the last ``spots_by_count`` step at or below the count; below the first step,
    or with no steps, ``betting.spots``. Each spot bets the ramp's bet for the count.
    """
    spots = np.full(2 * tc_max + 1, betting.spots, dtype=np.int64)
    for i in range(spots.size):
        for step in betting.spots_by_count:
            if step.true_count <= i - tc_max:
                spots[i] = step.spots
    return spots

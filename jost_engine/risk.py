"""Risk figures from a simulation's win rate and standard deviation per round.

All in betting units, per round: ``mu`` the expected win, ``sigma`` the standard deviation.
The formulas are the standard ones of the advantage-play literature (Schlesinger, "Blackjack
Attack", ch. 10), i.e. the diffusion (Brownian-motion) approximation of a bankroll:

* N0 = sigma² / mu²: rounds until the expected win equals one standard deviation.
* DI = 1000 · mu / sigma (desirability index); SCORE = DI² = 10⁶ · (mu / sigma)²: the win per
  100 rounds, in dollars, of a $10,000 bankroll bet in proportion so that the risk of ruin is
  13.5% (e⁻²). Hence N0 = 10⁶ / SCORE.
* Risk of ruin of a bankroll B (units): exp(−2 · mu · B / sigma²) when mu > 0, else 1.
* Bankroll for a risk r: B = −ln(r) · sigma² / (2 · mu).
* Ruin within a trip of T rounds (Brownian motion with drift, first passage below −B):
  Φ((−B − mu·T)/(sigma·√T)) + exp(−2·mu·B/sigma²) · Φ((−B + mu·T)/(sigma·√T)).
  With a bankroll the simulation also *measures* it: independent trips of ``trip_rounds``
  rounds each start with the bankroll and end early when it is gone.

Without an edge (mu ≤ 0) N0, DI and SCORE have no meaning and are null; ruin is certain.
"""

from __future__ import annotations

import math
from typing import Any

RISK_LEVELS = (0.01, 0.05, 0.135)


def risk_figures(
    mu: float,
    sigma: float,
    *,
    bankroll_units: float | None,
    rounds_per_hour: float,
    played_share: float = 1.0,
    trips: int = 0,
    trips_ruined: int = 0,
    trip_rounds: int | None = None,
) -> dict[str, Any]:
    """The figures of the module docstring; ``played_share`` of the rounds dealt had a bet
    (back-counting watches the rest), so an hour holds ``rounds_per_hour × played_share``
    rounds played."""
    edge = mu > 0 and sigma > 0 and math.isfinite(sigma)
    played_per_hour = rounds_per_hour * played_share
    figures: dict[str, Any] = {
        "win_rate_per_hour": mu * played_per_hour if math.isfinite(mu) else None,
        "rounds_per_hour": rounds_per_hour,
        "sd_per_100_rounds": sigma * 10 if math.isfinite(sigma) else None,
        "sd_per_hour": sigma * math.sqrt(played_per_hour) if math.isfinite(sigma) else None,
        "n0": sigma**2 / mu**2 if edge else None,
        "di": 1000 * mu / sigma if edge else None,
        "score": 1e6 * (mu / sigma) ** 2 if edge else None,
        "bankroll_for_risk": {
            f"{level:g}": (-math.log(level) * sigma**2 / (2 * mu) if edge else None)
            for level in RISK_LEVELS
        },
        "bankroll_units": bankroll_units,
        "risk_of_ruin": None,
    }
    if bankroll_units is not None:
        figures["risk_of_ruin"] = math.exp(-2 * mu * bankroll_units / sigma**2) if edge else 1.0
        figures["trip"] = trip_risk(mu, sigma, bankroll_units, trip_rounds, trips, trips_ruined)
    return figures


def ruin_within(mu: float, sigma: float, bankroll: float, rounds: int) -> float | None:
    """Diffusion probability of losing ``bankroll`` within ``rounds`` rounds."""
    if not (math.isfinite(mu) and math.isfinite(sigma)) or sigma <= 0 or rounds <= 0:
        return None
    spread = sigma * math.sqrt(rounds)
    drift = mu * rounds

    def phi(x: float) -> float:
        return 0.5 * math.erfc(-x / math.sqrt(2))

    # exp(-2 mu B / sigma^2) * phi(...), in logs so a negative edge cannot overflow
    tail = phi((-bankroll + drift) / spread)
    second = math.exp(min(0.0, -2 * mu * bankroll / sigma**2 + math.log(tail))) if tail else 0.0
    return min(1.0, phi((-bankroll - drift) / spread) + second)


def trip_risk(
    mu: float, sigma: float, bankroll: float, trip_rounds: int | None, trips: int, ruined: int
) -> dict[str, Any]:
    """Measured ruin over independent trips, beside the formula for the same trip length."""
    measured = ruined / trips if trips else None
    return {
        "trip_rounds": trip_rounds,
        "trips": trips,
        "ruined": ruined,
        "risk_of_ruin": measured,
        "se": math.sqrt(measured * (1 - measured) / trips) if measured is not None else None,
        "formula": ruin_within(mu, sigma, bankroll, trip_rounds) if trip_rounds else None,
    }
